"""``featurekit.extract``: a Panel in, a feature table out, chunk by chunk.

Chunks of series are processed independently (memory stays bounded), in parallel with
joblib when ``n_jobs != 1``, and the resulting table may be cached with joblib.Memory keyed
by the panel's content fingerprint, the resolved feature set and the featurekit version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from featurekit.cache import get_memory, panel_fingerprint
from featurekit.features import compute_features, feature_columns, get_feature_set
from featurekit.features.registry import FeatureSet
from featurekit.panel import Panel

# Samples per chunk when chunk_size is not given: a few MB per channel keeps every
# intermediate (sorted rows, spectra) in cache-friendly, bounded memory.
_CHUNK_SAMPLES = 1_500_000
# Show a progress bar by default only for work this large (series).
_PROGRESS_MIN_SERIES = 20_000


def check_finite(panel: Panel) -> None:
    """Refuse NaN or inf samples with one error naming the series and the fix."""
    values = panel.values
    finite = np.isfinite(values).all(axis=1)
    if finite.all():
        return
    bad = np.zeros(len(panel), dtype=bool)
    nonempty = panel.lengths > 0
    bad[nonempty] = np.logical_or.reduceat(~finite, panel.offsets[:-1][nonempty])
    positions = np.flatnonzero(bad)
    ids = panel.ids[positions[:10]].tolist()
    more = f" and {len(positions) - 10} more" if len(positions) > 10 else ""
    kinds = []
    if np.isnan(values).any():
        kinds.append("NaN")
    if np.isinf(values).any():
        kinds.append("inf")
    raise ValueError(
        f"{' and '.join(kinds)} samples in {len(positions)} series, ids {ids}{more}. "
        "Fill them first with featurekit.preprocess.fill_nan(panel) "
        "(replace inf by NaN before filling), or drop those series."
    )


def default_chunk_size(panel: Panel) -> int:
    mean_length = max(float(panel.lengths.mean()) if len(panel) else 1.0, 1.0)
    return max(16, int(_CHUNK_SAMPLES / (mean_length * max(panel.n_channels, 1) / 3)))


def _extract_chunks(panel, feature_set, n_jobs, chunk_size, progress) -> pd.DataFrame:
    chunk_size = chunk_size or default_chunk_size(panel)
    starts = range(0, len(panel), chunk_size)
    jobs = (
        delayed(compute_features)(panel.take(np.arange(s, min(s + chunk_size, len(panel)))),
                                  feature_set)
        for s in starts
    )
    show = progress if progress is not None else len(panel) >= _PROGRESS_MIN_SERIES
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    tables = list(tqdm(results, total=len(starts), disable=not show, desc="extract",
                       unit="chunk"))
    if not tables:
        return compute_features(panel, feature_set)
    return pd.concat(tables, axis=0) if len(tables) > 1 else tables[0]


def _cached_extract(fingerprint, feature_set, version, panel, n_jobs, chunk_size, progress):
    """Cache entry point: joblib keys on (fingerprint, feature_set, version) only."""
    return _extract_chunks(panel, feature_set, n_jobs, chunk_size, progress)


def extract(
    panel: Panel,
    features: str | FeatureSet | list[str] = "default",
    *,
    n_jobs: int | None = 1,
    chunk_size: int | None = None,
    cache=None,
    progress: bool | None = None,
    **options,
) -> pd.DataFrame:
    """Feature table of a Panel: one row per series (indexed by its ids), one column per feature.

    Parameters
    ----------
    panel : Panel
        Series without NaN or inf (see ``featurekit.preprocess.fill_nan``).
    features : str, list of str or FeatureSet
        A registered set (``"seed"``, ``"stats"``, ``"spectral"``, ``"cross"``, ``"default"``,
        ``"tsfresh-minimal"``, ...), several of them, or an explicit FeatureSet.
    n_jobs : int
        Parallel chunks, as in scikit-learn (-1 = all cores).
    chunk_size : int, optional
        Series per chunk; by default about 1.5 million samples per chunk.
    cache : path, bool or None
        joblib.Memory directory; None uses $FEATUREKIT_CACHE if set, False turns it off.
    progress : bool, optional
        tqdm bar; by default shown for 20,000 series or more.
    **options
        Passed to the feature-set builders, e.g. ``bands=[(0, 1), (1, 3)]`` or
        ``magnitude_groups={"acc": ["x", "y", "z"]}``.

    Examples
    --------
    >>> import numpy as np, featurekit as fk
    >>> panel = fk.Panel.from_arrays([np.arange(10.0), np.ones(5)], channels=["x"])
    >>> fk.extract(panel, "seed")["x__mean"].tolist()
    [4.5, 1.0]
    """
    from featurekit import __version__

    if not isinstance(panel, Panel):
        raise TypeError(f"extract takes a featurekit.Panel, got {type(panel).__name__}")
    feature_set = get_feature_set(features, **options)
    check_finite(panel)
    memory = get_memory(cache)
    if memory is None:
        return _extract_chunks(panel, feature_set, n_jobs, chunk_size, progress)
    cached = memory.cache(_cached_extract, ignore=["panel", "n_jobs", "chunk_size", "progress"])
    return cached(panel_fingerprint(panel), feature_set, __version__, panel, n_jobs, chunk_size,
                  progress)


class FeatureExtractor(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: a Panel ``X`` in, its feature table out.

    Parameters are those of :func:`extract`; ``options`` is a dict of feature-set options.
    """

    def __init__(self, features="default", *, n_jobs=1, chunk_size=None, cache=None,
                 options=None):
        self.features = features
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.cache = cache
        self.options = options

    def fit(self, X: Panel, y=None):
        if not isinstance(X, Panel):
            raise TypeError(f"FeatureExtractor takes a featurekit.Panel as X, got {type(X)}")
        self.feature_set_ = get_feature_set(self.features, **(self.options or {}))
        self.channels_ = list(X.channels)
        if self.feature_set_.tsfresh:
            sample = X.take(np.flatnonzero(X.lengths > 0)[:1])
            names = self._extract(sample).columns
        else:
            names = feature_columns(self.feature_set_, self.channels_)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        return self

    def _extract(self, X: Panel) -> pd.DataFrame:
        return extract(X, self.feature_set_, n_jobs=self.n_jobs, chunk_size=self.chunk_size,
                       cache=self.cache, progress=False)

    def transform(self, X: Panel) -> pd.DataFrame:
        check_is_fitted(self, "feature_set_")
        if list(X.channels) != self.channels_:
            raise ValueError(f"X has channels {X.channels}, fitted on {self.channels_}")
        return self._extract(X)[list(self.feature_names_out_)]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
