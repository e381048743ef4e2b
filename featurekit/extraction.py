"""``featurekit.extract``: a Panel or a store in, a feature table out, chunk by chunk.

Chunks of series are processed independently (memory stays bounded), in parallel with
joblib or Dask (see ``featurekit.chunking``), and a Panel's table may be cached with
joblib.Memory keyed by the panel's content fingerprint, the resolved feature set, a
fingerprint of what the preprocess step computes and the featurekit version.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from featurekit.cache import (
    get_memory,
    panel_fingerprint,
    quiet_load_failures,
    step_fingerprint,
)
from featurekit.chunking import ChunkJob, check_chunk_args, check_finite, iter_tables
from featurekit.features import feature_columns, get_feature_set
from featurekit.features.registry import FEATURES, FeatureSet
from featurekit.panel import Panel

# A progress bar is shown by default for stores, and for a Panel whose extraction is
# estimated to take longer than this many seconds (see estimated_seconds).
_PROGRESS_MIN_SECONDS = 5.0
# Rough seconds of one core per sample value (samples x input channels), measured on the
# 2-core development machine: registered features by the largest cost among them (seed,
# stats, default), each block family (interval, rocket at 10,000 features), tsfresh.
_SECONDS_PER_VALUE = {0: 3e-9, 1: 1.5e-8, 2: 8e-8}
_BLOCK_SECONDS_PER_VALUE = 8e-7
_TSFRESH_SECONDS_PER_VALUE = 1e-6


def estimated_seconds(panel: Panel, feature_set: FeatureSet, n_jobs: int | None = 1) -> float:
    """A rough wall time of extracting ``feature_set`` from ``panel``, for progress display.

    Sample values (samples x channels) times a per-value time for the registered features
    (by their largest cost), for each block family and for tsfresh, divided among the
    ``n_jobs`` workers. Good to a factor of a few: it decides whether a bar is worth showing.

    Parameters
    ----------
    panel : Panel
    feature_set : FeatureSet
    n_jobs : int or None, default 1
        As for :func:`extract`.

    Returns
    -------
    float
        Seconds.
    """
    from joblib import effective_n_jobs

    calls = feature_set.channel + feature_set.magnitude + feature_set.pair + feature_set.group
    per_value = _SECONDS_PER_VALUE[max((FEATURES[n].cost for n, _ in calls), default=0)]
    per_value *= bool(calls)
    per_value += _BLOCK_SECONDS_PER_VALUE * len(feature_set.blocks)
    per_value += _TSFRESH_SECONDS_PER_VALUE * bool(feature_set.tsfresh)
    values = float(panel.values.shape[0]) * max(panel.n_channels, 1)
    return values * per_value / max(effective_n_jobs(n_jobs), 1)


def _show_progress(source, progress, feature_set: FeatureSet, n_jobs) -> bool:
    if progress is not None:
        return bool(progress)
    if not isinstance(source, Panel):
        return True
    return estimated_seconds(source, feature_set, n_jobs) > _PROGRESS_MIN_SECONDS


def _extract_chunks(source, job: ChunkJob, n_jobs, progress, backend="joblib", client=None):
    tables = list(
        iter_tables(source, job, n_jobs=n_jobs, backend=backend, client=client, progress=progress)
    )
    return pd.concat(tables, axis=0) if len(tables) > 1 else tables[0]


def _cached_extract(fingerprint, feature_set, preprocess, version, job, panel, n_jobs, progress):
    """Cache entry point: joblib keys on the panel and preprocess fingerprints, the feature
    set and the version only (chunking does not change the table)."""
    return _extract_chunks(panel, job, n_jobs, progress)


def extract(
    source: Panel | str | os.PathLike,
    features: str | FeatureSet | list[str] = "default",
    *,
    n_jobs: int | None = 1,
    chunk_size: int | None = None,
    cache: str | os.PathLike | bool | None = None,
    progress: bool | None = None,
    preprocess: Callable | None = None,
    backend: str = "joblib",
    client: Any = None,
    **options: Any,
) -> pd.DataFrame:
    """Feature table: one row per series (indexed by its ids), one column per feature.

    Parameters
    ----------
    source : Panel or path
        Series in memory, or a store directory from ``featurekit.io.ingest_competition``,
        streamed chunk by chunk from disk. Series must hold no NaN or inf (see
        ``featurekit.preprocess.fill_nan``, or pass ``preprocess``).
    features : str, list of str or FeatureSet
        A registered set (``"seed"``, ``"stats"``, ``"spectral"``, ``"cross"``, ``"default"``,
        ``"tsfresh-minimal"``, ...), several of them, or an explicit FeatureSet.
    n_jobs : int
        Parallel chunks, as in scikit-learn (-1 = all cores); Dask workers for a LocalCluster.
    chunk_size : int, optional
        Series per in-memory chunk; by default about 1.5 million samples per chunk.
    cache : path, bool or None
        joblib.Memory directory (Panels only); None uses $FEATUREKIT_CACHE if set, False = off.
        ``preprocess`` is keyed by what it computes (see ``featurekit.cache.step_fingerprint``);
        a step that cannot be read that way is run without the cache, with a warning.
    progress : bool, optional
        tqdm bar over chunks; by default shown for stores, and for a Panel when the work is
        estimated to take more than a few seconds (:func:`estimated_seconds`).
    preprocess : callable, optional
        ``Panel -> Panel`` (or a fitted transformer) applied to each chunk first, e.g. NaN
        filling; it must be picklable to run in parallel.
    backend : {"joblib", "dask"}
        Where chunks run; ``"dask"`` uses ``client`` (a ``distributed.Client``) or, if None, a
        LocalCluster of ``n_jobs`` worker processes. Store chunks are read by the workers.
    **options
        Passed to the feature-set builders, e.g. ``bands=[(0, 1), (1, 3)]`` or
        ``magnitude_groups={"acc": ["x", "y", "z"]}``.

    Returns
    -------
    DataFrame
        One row per series, indexed by id; one float column per feature.

    Raises
    ------
    ValueError
        Bad chunking arguments, an unknown feature set, or series holding NaN or inf.

    Examples
    --------
    >>> import numpy as np, featurekit as fk
    >>> panel = fk.Panel.from_arrays([np.arange(10.0), np.ones(5)], channels=["x"])
    >>> fk.extract(panel, "seed")["x__mean"].tolist()
    [4.5, 1.0]
    """
    from featurekit import __version__

    check_chunk_args(n_jobs=n_jobs, chunk_size=chunk_size, backend=backend, client=client)
    job = ChunkJob(get_feature_set(features, **options), preprocess, chunk_size)
    job.feature_set.check_fitted()
    show = _show_progress(source, progress, job.feature_set, n_jobs)
    if isinstance(source, Panel) and preprocess is None:
        check_finite(source)  # one error naming every bad series, before any work
        job = replace(job, check=False)
    memory = get_memory(cache) if isinstance(source, Panel) else None
    if memory is None or backend != "joblib":
        return _extract_chunks(source, job, n_jobs, show, backend, client)
    try:
        step = step_fingerprint(preprocess)
    except TypeError as error:
        warnings.warn(f"extract: not using the cache, {error}", stacklevel=2)
        return _extract_chunks(source, job, n_jobs, show)
    cached = memory.cache(_cached_extract, ignore=["job", "panel", "n_jobs", "progress"])
    with quiet_load_failures(memory.location):
        # a cache (memory) exists for Panels only
        return cached(
            panel_fingerprint(cast(Panel, source)),
            job.feature_set,
            step,
            __version__,
            job,
            source,
            n_jobs,
            show,
        )


def extract_to_parquet(
    source: Panel | str | os.PathLike,
    path: str | os.PathLike,
    features: str | FeatureSet | list[str] = "default",
    *,
    n_jobs: int | None = 1,
    chunk_size: int | None = None,
    progress: bool | None = None,
    preprocess: Callable | None = None,
    backend: str = "joblib",
    client: Any = None,
    **options: Any,
) -> Path:
    """Like :func:`extract`, but write the table to one Parquet file, chunk by chunk.

    Memory holds one chunk's table at a time, so a store of any size streams through. The
    index is written as column ``id``; the file appears only when complete, and a failure
    leaves no partial file behind.

    Parameters
    ----------
    source : Panel or path
        As for :func:`extract`.
    path : path
        The Parquet file to write (replaced if it exists).
    features, n_jobs, chunk_size, progress, preprocess, backend, client, **options
        As for :func:`extract` (there is no cache).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        As for :func:`extract`, or the source holds no chunk.
    """
    check_chunk_args(n_jobs=n_jobs, chunk_size=chunk_size, backend=backend, client=client)
    job = ChunkJob(get_feature_set(features, **options), preprocess, chunk_size)
    job.feature_set.check_fitted()
    tables = iter_tables(
        source,
        job,
        n_jobs=n_jobs,
        backend=backend,
        client=client,
        progress=_show_progress(source, progress, job.feature_set, n_jobs),
    )
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        written = _write_tables(tables, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not written:
        raise ValueError("the source holds no chunk to extract")
    os.replace(tmp, path)
    return path


def _write_tables(tables, path: Path) -> bool:
    """Write the tables one after another to one Parquet file; False if there was none.

    Tables without rows are skipped (a chunk whose files were all missing, say; a tsfresh
    set gives them no columns either, so their schema would not match), unless every table
    is empty: then the first is written, for its columns.
    """
    writer = first = None
    try:
        for table in tables:
            first = table if first is None else first
            if len(table):
                writer = _append_table(writer, path, table)
        if writer is None and first is not None:
            writer = _append_table(None, path, first)
    finally:
        if writer is not None:
            writer.close()
    return writer is not None


def _append_table(
    writer: pq.ParquetWriter | None, path: Path, table: pd.DataFrame
) -> pq.ParquetWriter:
    """Append ``table`` with its index as column ``id``, opening the writer the first time.

    The first table fixes the schema (``from_pandas``'s, with its pandas metadata); later
    ones of float64 columns only skip pandas' column-by-column conversion (~25 ms for a
    1,000 x 172 chunk, against ~1.5 ms here), giving the same Arrow table. Columns are
    written without dictionary encoding: features are distinct floats, so a dictionary
    only costs time (half the write) and space.
    """
    arrow = _fast_arrow(table, writer.schema) if writer is not None else None
    if arrow is None:
        arrow = pa.Table.from_pandas(table.rename_axis("id").reset_index(), preserve_index=False)
    writer = writer or pq.ParquetWriter(path, arrow.schema, use_dictionary=False)
    writer.write_table(arrow)
    return writer


def _fast_arrow(table: pd.DataFrame, schema: pa.Schema) -> pa.Table | None:
    """``table`` (index as column ``id``) as an Arrow table of ``schema`` built from its
    float64 block directly; None unless its columns are ``schema``'s float64 fields."""
    names = schema.names
    if (
        names[1:] != list(table.columns)
        or names[0] != "id"
        or not all(dtype == np.float64 for dtype in table.dtypes)
        or not all(schema.field(name).type == pa.float64() for name in names[1:])
    ):
        return None
    ids = pa.Table.from_pandas(pd.DataFrame({"id": table.index}), preserve_index=False)
    if ids.schema.field(0).type != schema.field(0).type:
        return None
    rows = np.ascontiguousarray(table.to_numpy(dtype=np.float64).T)  # one row per column
    columns = [ids.column(0), *(pa.array(row, from_pandas=True) for row in rows)]  # NaN -> null
    return pa.Table.from_arrays(columns, schema=schema)


def as_panel(X: Any, *, sampling_rate: float | None = None) -> Panel:
    """The series of ``X`` as a Panel, for :class:`FeatureExtractor`.

    Parameters
    ----------
    X : Panel, ndarray, list of arrays or DataFrame
        - a :class:`~featurekit.Panel`, returned as is;
        - a 3-D array in aeon's (and sktime's) layout ``(n_series, n_channels, length)``,
          or a 2-D array ``(n_series, length)`` of univariate series;
        - a list of arrays, one series each, in aeon's orientation ``(n_channels, length)``
          (1-D: one channel). This is the transpose of what
          :meth:`Panel.from_arrays <featurekit.Panel.from_arrays>` takes, ``(length,
          channels)``; a list whose arrays share their second axis but not their first is
          refused as probably transposed;
        - tsfresh's long DataFrame, columns ``id``, ``kind``, ``value`` and optionally
          ``time``, or its wide one (``id``, optional ``time``, one column per channel). For
          other column names build the Panel with :meth:`Panel.from_long
          <featurekit.Panel.from_long>`. A long table has one row per sample, so it cannot be
          split by scikit-learn's CV: convert it to a Panel first.
    sampling_rate : float, optional
        Samples per second of inputs that carry no rate (all but a Panel); 1.0 when None.

    Returns
    -------
    Panel

    Raises
    ------
    ValueError
        An array, list or table of a shape or columns it cannot read (or a list that looks
        transposed).
    TypeError
        Any other type.

    Examples
    --------
    >>> import numpy as np
    >>> as_panel(np.zeros((4, 3, 50)))
    Panel(4 series x 3 channels [c0, c1, c2], length 50, 1 Hz, meta [])
    """
    if isinstance(X, Panel):
        return X
    if isinstance(X, pd.DataFrame):
        columns = set(X.columns)
        time = "time" if "time" in columns else None
        if {"id", "kind", "value"} <= columns:
            return Panel.from_long(X, "id", time, "kind", "value", sampling_rate=sampling_rate)
        if "id" in columns:
            return Panel.from_wide(X, "id", time, sampling_rate=sampling_rate)
        raise ValueError(
            "a DataFrame X must be tsfresh's long format (columns id, kind, value "
            "and optionally time) or its wide one (an id column, optionally time, "
            f"one column per channel); got columns {list(X.columns)[:10]}"
        )
    if isinstance(X, np.ndarray):
        if X.ndim == 3:
            return Panel.from_numpy3d(X, sampling_rate=sampling_rate)
        if X.ndim == 2:
            return Panel.from_numpy3d(X[:, None, :], sampling_rate=sampling_rate)
        raise ValueError(
            "an array X must be 3-D (n_series, n_channels, length), as aeon's, or "
            f"2-D (n_series, length); got shape {X.shape}"
        )
    if isinstance(X, (list, tuple)):
        arrays = [np.asarray(a) for a in X]
        bad = [i for i, a in enumerate(arrays) if a.ndim not in (1, 2)]
        if bad:
            raise ValueError(
                f"a list X holds one (n_channels, length) array per series; items "
                f"{bad[:10]} are not 1-D or 2-D"
            )
        arrays = [a[None, :] if a.ndim == 1 else a for a in arrays]
        first = {a.shape[0] for a in arrays}
        second = {a.shape[1] for a in arrays}
        if len(first) > 1 and len(second) == 1:
            raise ValueError(
                f"the arrays of X have {len(first)} different first-axis sizes and one "
                f"second-axis size ({second.pop()}): they look like (length, n_channels). "
                "FeatureExtractor takes aeon's orientation (n_channels, length): transpose "
                "them, or build Panel.from_arrays(arrays), which takes (length, n_channels)"
            )
        return Panel.from_arrays([a.T for a in arrays], sampling_rate=sampling_rate)
    raise TypeError(
        "FeatureExtractor takes a featurekit.Panel, a 3-D array (n_series, "
        "n_channels, length), a list of (n_channels, length) arrays or tsfresh's "
        f"long DataFrame as X, got {type(X).__name__}"
    )


class FeatureExtractor(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: series in, their feature table out.

    ``X`` is a :class:`~featurekit.Panel` or anything :func:`as_panel` reads: a 3-D array in
    aeon's layout ``(n_series, n_channels, length)``, a list of ``(n_channels, length)``
    arrays (aeon's orientation, the transpose of :meth:`Panel.from_arrays
    <featurekit.Panel.from_arrays>`'s) or tsfresh's long DataFrame. A Panel, an array or a
    list can be split by scikit-learn, so the extractor works as the first step of a
    Pipeline inside ``cross_val_score`` and ``GridSearchCV``; fitted feature families
    (convolution kernels' biases, interval reference lengths) are then fitted on each
    training fold only.

    Parameters
    ----------
    features : str, list of str or FeatureSet, default "default"
        As for :func:`extract`.
    n_jobs, chunk_size, cache
        As for :func:`extract`.
    options : dict, optional
        Feature-set options (the ``**options`` of :func:`extract`).
    sampling_rate : float, optional
        Rate of inputs that carry none (arrays, lists, DataFrames).

    Notes
    -----
    The output is a DataFrame whatever ``set_output`` says. scikit-learn's
    ``check_estimator`` does not apply: its checks feed 2-D feature arrays, and this
    transformer takes series, as aeon's transformers take their own containers.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import GroupKFold, cross_val_score
    >>> from sklearn.pipeline import Pipeline
    >>> from featurekit.datasets import load_watch
    >>> panel = load_watch()
    >>> pipe = Pipeline([("fe", FeatureExtractor("seed")), ("m", RandomForestClassifier())])
    >>> scores = cross_val_score(pipe, panel, panel.meta["label"], groups=panel.meta["group"],
    ...                          cv=GroupKFold(5))  # doctest: +SKIP
    """

    def __init__(
        self,
        features: str | FeatureSet | list[str] = "default",
        *,
        n_jobs: int | None = 1,
        chunk_size: int | None = None,
        cache: str | os.PathLike | bool | None = None,
        options: dict | None = None,
        sampling_rate: float | None = None,
    ):
        self.features = features
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.cache = cache
        self.options = options
        self.sampling_rate = sampling_rate

    def fit(self, X: Any, y: Any = None) -> FeatureExtractor:
        """Resolve the feature set and fit its fitted families on ``X``.

        Parameters
        ----------
        X : Panel or anything :func:`as_panel` reads
            Training series.
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        FeatureExtractor
            ``self``.
        """
        X = as_panel(X, sampling_rate=self.sampling_rate)
        # Fitted families (convolution biases...) see the training series only.
        self.feature_set_ = get_feature_set(self.features, **(self.options or {})).fit(X)
        self.channels_ = list(X.channels)
        if self.feature_set_.tsfresh:
            sample = X.take(np.flatnonzero(X.lengths > 0)[:1])
            names = self._extract(sample).columns
        else:
            names = feature_columns(self.feature_set_, self.channels_)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        return self

    def _extract(self, X: Panel) -> pd.DataFrame:
        from featurekit.logs import collapse_warnings

        with collapse_warnings():  # e.g. one band warning with a count, not one per band
            return extract(
                X,
                self.feature_set_,
                n_jobs=self.n_jobs,
                chunk_size=self.chunk_size,
                cache=self.cache,
                progress=False,
            )

    def transform(self, X: Any) -> pd.DataFrame:
        """Feature table of ``X``, columns in the order of :meth:`get_feature_names_out`.

        Parameters
        ----------
        X : Panel or anything :func:`as_panel` reads
            Series with the channels seen in :meth:`fit`.

        Returns
        -------
        DataFrame
            One row per series, indexed by id.

        Raises
        ------
        ValueError
            The channels differ from those seen in :meth:`fit`.
        """
        check_is_fitted(self, "feature_set_")
        X = as_panel(X, sampling_rate=self.sampling_rate)
        if list(X.channels) != self.channels_:
            raise ValueError(f"X has channels {X.channels}, fitted on {self.channels_}")
        return self._extract(X)[list(self.feature_names_out_)]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : ignored
            Accepted for scikit-learn compatibility.

        Returns
        -------
        ndarray of str (object dtype)
        """
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
