"""Feature tables for cross-validation on series: fitted families fitted per training fold.

The interval (QUANT) and convolution (MiniRocket) families are fitted on training series
(a reference length, kernel biases), so a table extracted once before the folds would let
them see the test rows. :class:`FoldFeatures` holds the series and a feature set, and:

- extracts the stateless columns (registered features, tsfresh) once for all rows: a
  series' value never depends on another series, so sharing them across folds leaks
  nothing and costs one extraction;
- for each training fold, fits the set's blocks on that fold's series only and transforms
  every series with them (one fit and one transform per fold, shared by every model);
- joins both (registered features first, then the blocks, as :func:`featurekit.extract`
  orders them, then the metadata columns asked for).

A set without blocks gives the table of :func:`featurekit.extract` for every fold.
:func:`featurekit.evaluate.cross_validate`, :func:`~featurekit.evaluate.cross_validate_models`
and :func:`featurekit.report.compare` take one (or series plus ``features=``, which builds
one).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from featurekit.extraction import as_panel, extract
from featurekit.features.registry import FeatureSet, get_feature_set
from featurekit.logs import collapse_warnings

logger = logging.getLogger(__name__)


def _is_empty(feature_set: FeatureSet) -> bool:
    """Whether the set computes nothing (e.g. ``shape`` once its blocks are taken out)."""
    s = feature_set
    return not (s.channel or s.magnitude or s.pair or s.group or s.tsfresh or s.blocks)


class FoldFeatures:
    """Series and a feature set, giving each CV fold its table with blocks fitted on the
    fold's training series only (see the module docstring).

    Parameters
    ----------
    panel : Panel or anything :func:`featurekit.extraction.as_panel` reads
        The series, one row of every table each.
    features : str, list of str or FeatureSet, default "default"
        As for :func:`featurekit.extract`; ``"full"``, ``"shape"``, ``"interval"`` and
        ``"rocket"`` hold fitted blocks.
    meta : sequence of str, default ()
        Columns of ``panel.meta`` joined to every table as model inputs (e.g. ``sensor``).
    n_jobs, chunk_size, cache
        As for :func:`featurekit.extract`.
    options : dict, optional
        Feature-set options, e.g. ``{"n_features": 1000}`` for MiniRocket.
    sampling_rate : float, optional
        Rate of inputs that carry none (arrays, lists, DataFrames).

    Raises
    ------
    ValueError
        An unknown set or option, or ``meta`` columns the panel does not have.

    Examples
    --------
    >>> import numpy as np, featurekit as fk
    >>> rng = np.random.default_rng(0)
    >>> panel = fk.Panel.from_arrays([rng.normal(size=(n, 1)) for n in (30, 40, 50, 60)])
    >>> folds = FoldFeatures(panel, "rocket", options={"n_features": 84})
    >>> folds.table(np.array([0, 1])).shape  # MiniRocket fitted on series 0 and 1 only
    (4, 84)
    """

    def __init__(
        self,
        panel: Any,
        features: str | FeatureSet | list[str] = "default",
        *,
        meta: Sequence[str] = (),
        n_jobs: int | None = 1,
        chunk_size: int | None = None,
        cache: str | os.PathLike | bool | None = None,
        options: dict | None = None,
        sampling_rate: float | None = None,
    ):
        self.panel = as_panel(panel, sampling_rate=sampling_rate)
        self.feature_set = get_feature_set(features, **(options or {}))
        self.meta = [str(c) for c in meta]
        missing = [c for c in self.meta if c not in self.panel.meta.columns]
        if missing:
            raise ValueError(
                f"meta columns {missing} are not in the panel's metadata "
                f"{list(self.panel.meta.columns)}"
            )
        self.n_jobs, self.chunk_size, self.cache = n_jobs, chunk_size, cache
        self._static: pd.DataFrame | None = None
        self._last: tuple[str, pd.DataFrame] | None = None  # the last fold's table

    def __len__(self) -> int:
        return len(self.panel)

    def __repr__(self) -> str:
        blocks = ", ".join(type(b).__name__ for b in self.feature_set.blocks) or "none"
        return (
            f"FoldFeatures({len(self.panel)} series, set {self.feature_set.name!r}, "
            f"fitted per fold: {blocks})"
        )

    @property
    def has_blocks(self) -> bool:
        """Whether the set holds blocks fitted per training fold."""
        return bool(self.feature_set.blocks)

    @property
    def index(self) -> pd.Index:
        """The series ids, the index of every table."""
        return self.panel.ids

    def _extract(self, feature_set: FeatureSet) -> pd.DataFrame:
        with collapse_warnings():
            return extract(
                self.panel,
                feature_set,
                n_jobs=self.n_jobs,
                chunk_size=self.chunk_size,
                cache=self.cache,
                progress=False,
            )

    @property
    def static(self) -> pd.DataFrame:
        """The stateless columns of every series (extracted on first use, then kept), without
        the metadata columns."""
        if self._static is None:
            stateless = replace(self.feature_set, blocks=())
            if _is_empty(stateless):
                self._static = pd.DataFrame(index=self.panel.ids)
            else:
                start = time.perf_counter()
                self._static = self._extract(stateless)
                logger.info(
                    "stateless features: %d columns of %d series in %.1f s",
                    self._static.shape[1],
                    len(self.panel),
                    time.perf_counter() - start,
                )
        return self._static

    def fit_blocks(self, train: ArrayLike) -> FeatureSet:
        """The set's blocks alone, fitted on the series at positions ``train``.

        Parameters
        ----------
        train : int array
            Positions of the training series.

        Returns
        -------
        FeatureSet
            Only the fitted blocks (empty when the set has none).
        """
        blocks = FeatureSet(blocks=self.feature_set.blocks, name=self.feature_set.name)
        return blocks.fit(self.panel.take(np.asarray(train))) if self.has_blocks else blocks

    def table(self, train: ArrayLike) -> pd.DataFrame:
        """The feature table of every series for the fold training on positions ``train``.

        The stateless columns are shared by all folds; the blocks are fitted on the
        ``train`` series only and transform every series. The last fold's table is kept,
        so asking again for it costs nothing.

        Parameters
        ----------
        train : int array
            Positions of the fold's training series.

        Returns
        -------
        DataFrame
            One row per series (indexed by id): registered features, blocks, then ``meta``.
        """
        meta = [self.panel.meta[self.meta]] if self.meta else []
        if not self.has_blocks:
            if not meta:
                return self.static
            return pd.concat([self.static, *meta], axis=1)
        train = np.asarray(train, dtype=np.int64)
        key = hashlib.sha256(train.tobytes()).hexdigest()
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        static = self.static
        self._last = None  # free the previous fold's table before building this one
        start = time.perf_counter()
        fitted = self.fit_blocks(train)
        blocks = self._extract(fitted)
        logger.info(
            "%s fitted on %d training series, %d columns for %d series in %.1f s",
            ", ".join(type(b).__name__ for b in fitted.blocks),
            len(train),
            blocks.shape[1],
            len(self.panel),
            time.perf_counter() - start,
        )
        table = pd.concat([static, blocks, *meta], axis=1)
        self._last = (key, table)
        return table
