"""The ragged Panel: many multivariate series in one contiguous array.

All samples of all series live in ``values`` (total samples x channels); series ``i`` is
``values[offsets[i]:offsets[i + 1]]``. Extractors reduce over ``offsets`` in one pass
instead of looping over series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from featurekit.conventions import CHANNEL_NAME, is_channel_name  # noqa: F401  (re-exported)
from featurekit.validation import raise_problems


def meta_mask(
    table: pd.DataFrame, where: Mapping | Callable[[pd.DataFrame], ArrayLike] | ArrayLike | None
) -> np.ndarray:
    """Boolean mask over the rows of a metadata table from a ``where=`` condition.

    Parameters
    ----------
    table : DataFrame
        The metadata table, one row per series.
    where : dict, callable, boolean array or None
        ``None`` selects every row; a dict ``{column: value or list of values}`` the rows
        matching every item; a callable receives the table and returns a mask; a boolean array
        is used as is.

    Returns
    -------
    ndarray of bool, shape (len(table),)

    Raises
    ------
    ValueError
        A dict names unknown columns, or the mask is not one boolean per row.
    TypeError
        ``where`` is a string.
    """
    n = len(table)
    if where is None:
        return np.ones(n, dtype=bool)
    if isinstance(where, Mapping):
        unknown = [c for c in where if c not in table.columns]
        if unknown:
            raise ValueError(
                f"where: unknown columns {unknown}; the table has {list(table.columns)}"
            )
        mask = np.ones(n, dtype=bool)
        for column, wanted in where.items():
            wanted = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
            mask &= table[column].isin(wanted).to_numpy()
        return mask
    if isinstance(where, str):
        raise TypeError(
            "where must be a dict {column: value or list}, a callable taking the "
            f"metadata table, or a boolean mask; got the string {where!r}"
        )
    mask = np.asarray(where(table) if callable(where) else where)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(
            f"where= must give one boolean per series ({n}), "
            f"got dtype {mask.dtype} and shape {mask.shape}"
        )
    return mask


def describe_ids(ids: Sequence | np.ndarray | pd.Index, limit: int = 10) -> str:
    """The first ``limit`` ids as a list, then how many more: for error messages.

    Parameters
    ----------
    ids : iterable
        The ids (or any values) to name.
    limit : int, default 10
        How many to show.

    Returns
    -------
    str
        E.g. ``"[1, 2, 3] and 7 more"``.
    """
    ids = list(ids)
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return f"{ids[:limit]}{more}"


def _meta_in_series_order(meta, ids: pd.Index) -> pd.DataFrame:
    """``meta`` with one row per series, in the order of ``ids``.

    A table whose index holds exactly the ids (in any order) is aligned by id; any other is
    taken row by row, in series order. A plain 0..n-1 index counts as row numbers unless it
    is named ``id``.
    """
    meta = pd.DataFrame(meta)
    index = meta.index
    by_id = (
        (index.name == ids.name or not isinstance(index, pd.RangeIndex))
        and index.is_unique
        and len(index) == len(ids)
        and index.isin(ids).all()
    )
    if by_id:
        return meta.loc[ids]
    meta = meta.reset_index(drop=True)
    if len(meta) == len(ids):
        meta.index = ids
    return meta


def _source_rows(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Row of ``values`` for every sample of the series starting at ``starts``, in order.

    One int64 array, built in place as a cumulative sum of steps (1 within a series, a jump
    between series): indexing with it copies the samples once, with one index per sample.
    """
    nonempty = lengths > 0
    first, size = starts[nonempty], lengths[nonempty]
    steps = np.ones(int(size.sum()), dtype=np.int64)
    if len(steps):
        previous_last = np.concatenate([[-1], first[:-1] + size[:-1] - 1])
        steps[np.concatenate([[0], np.cumsum(size)[:-1]])] = first - previous_last
        np.cumsum(steps, out=steps)
        steps -= 1
    return steps


def _as_offsets(offsets) -> np.ndarray:
    """``offsets`` as int64; a non-integer value (``2.5``) is refused, not truncated."""
    offsets = np.asarray(offsets)
    if offsets.dtype == bool or not (
        np.issubdtype(offsets.dtype, np.integer) or np.issubdtype(offsets.dtype, np.floating)
    ):
        raise TypeError(f"offsets must be integers (sample positions), got dtype {offsets.dtype}")
    if np.issubdtype(offsets.dtype, np.floating):
        whole = np.isfinite(offsets) & (offsets == np.round(offsets))
        if not whole.all():
            raise ValueError(
                f"offsets must be whole sample positions, got "
                f"{describe_ids(offsets[~whole].tolist())}"
            )
    return offsets.astype(np.int64)


def _as_rates(sampling_rate, n: int) -> np.ndarray:
    """One float rate per series from a scalar or a sequence of length ``n``."""
    rate = np.asarray(1.0 if sampling_rate is None else sampling_rate)
    if rate.dtype == bool or not (
        np.issubdtype(rate.dtype, np.integer) or np.issubdtype(rate.dtype, np.floating)
    ):
        raise TypeError(
            f"sampling_rate must be a number (samples per second) or one per "
            f"series, got {sampling_rate!r:.80}"
        )
    if rate.ndim > 1 or (rate.ndim == 1 and len(rate) != n):
        raise ValueError(
            f"sampling_rate must be one number or one per series ({n}), got shape {rate.shape}"
        )
    return np.broadcast_to(rate.astype(np.float64), (n,)).copy()


class Panel:
    """A collection of ragged multivariate time series.

    Parameters
    ----------
    values : array of shape (n_samples_total, n_channels)
        Samples of all series, one after another.
    offsets : int array of shape (n_series + 1,)
        Series ``i`` spans ``values[offsets[i]:offsets[i + 1]]``; non-decreasing, starts at 0.
    ids : sequence of length n_series, optional
        Series identifiers (ints or strings), unique. Defaults to ``0..n_series-1``.
    channels : sequence of str, optional
        Channel names from ``[A-Za-z0-9_.=-]`` without ``__``. Defaults to ``c0, c1, ...``.
    sampling_rate : float or array of shape (n_series,), optional
        Samples per second, one value or one per series. Defaults to 1.0.
    meta : DataFrame, optional
        One row per series. By convention ``label`` holds the class and ``group`` the subject.
        A table whose index holds exactly the ids is aligned by id; any other is taken row by
        row in series order.

    Raises
    ------
    ValueError
        The parts do not fit together (every problem listed in one message).
    TypeError
        Values are not real numbers, or ids are tuples.

    Examples
    --------
    >>> import numpy as np
    >>> p = Panel.from_arrays([np.zeros((5, 3)), np.ones((7, 3))], channels=["x", "y", "z"])
    >>> len(p), p.lengths.tolist()
    (2, [5, 7])
    """

    def __init__(
        self,
        values: ArrayLike,
        offsets: ArrayLike,
        *,
        ids: Sequence | None = None,
        channels: Sequence[str] | None = None,
        sampling_rate: float | ArrayLike | None = None,
        meta: pd.DataFrame | None = None,
    ):
        values = np.asarray(values)
        if values.ndim == 1:
            values = values[:, None]
        if np.iscomplexobj(values):
            raise TypeError(
                "values are complex: a Panel holds real samples; pass the real "
                "part, the modulus (np.abs) or both as separate channels"
            )
        if not np.issubdtype(values.dtype, np.floating):
            try:
                values = values.astype(np.float64)
            except (TypeError, ValueError) as error:
                raise TypeError(
                    f"values must be numbers, got dtype {values.dtype}: {error}"
                ) from None
        self.values = np.ascontiguousarray(values)
        self.offsets = _as_offsets(offsets)
        n = max(len(self.offsets) - 1, 0)
        given: Any = np.arange(n) if ids is None else ids
        typed = isinstance(given, (np.ndarray, pd.Index)) and given.dtype != object
        if isinstance(given, pd.MultiIndex) or (
            not typed and any(isinstance(i, (tuple, list)) for i in given)
        ):
            raise TypeError(
                "ids must be scalars (ints or strings), got tuples: join their parts "
                "into one string per series, e.g. 'user01:3'"
            )
        # An array or Index keeps its dtype (an empty int64 store chunk stays int64, so its
        # table matches the others'); a list or an object array gets one inferred.
        self.ids = pd.Index(given if typed else list(given), name="id")
        n_channels = self.values.shape[1] if self.values.ndim == 2 else 0
        self.channels = (
            [f"c{i}" for i in range(n_channels)] if channels is None else [str(c) for c in channels]
        )
        self.sampling_rate = _as_rates(sampling_rate, n)
        self.meta = (
            pd.DataFrame(index=self.ids) if meta is None else _meta_in_series_order(meta, self.ids)
        )
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        problems = []
        v, off = self.values, self.offsets
        if v.ndim != 2:
            problems.append(f"values must be 2-D (samples x channels), got {v.ndim}-D")
        if off.ndim != 1 or len(off) < 1:
            problems.append("offsets must be a 1-D array of length n_series + 1")
        else:
            if off[0] != 0:
                problems.append(f"offsets must start at 0, got {off[0]}")
            if v.ndim == 2 and off[-1] != v.shape[0]:
                problems.append(f"offsets end at {off[-1]} but values hold {v.shape[0]} samples")
            bad = np.flatnonzero(np.diff(off) < 0)
            if len(bad):
                problems.append(
                    f"offsets decrease at series {self._name_ids(bad)}: lengths must be >= 0"
                )
        n = max(len(off) - 1, 0)
        if v.ndim == 2 and len(self.channels) != v.shape[1]:
            problems.append(f"{len(self.channels)} channel names for {v.shape[1]} channels")
        bad_names = [c for c in self.channels if not is_channel_name(c)]
        if bad_names:
            problems.append(
                f"channel names {bad_names} must use only [A-Za-z0-9_.=-] and no '__' "
                "(rename them, e.g. panel.rename_channels({...}))"
            )
        if len(set(self.channels)) != len(self.channels):
            problems.append(f"channel names are not unique: {self.channels}")
        if len(self.ids) != n:
            problems.append(f"{len(self.ids)} ids for {n} series")
        elif not self.ids.is_unique:
            dup = self.ids[self.ids.duplicated()].unique()[:10].tolist()
            problems.append(f"ids are not unique, e.g. {dup}")
        if len(self.meta) != n:
            problems.append(f"meta has {len(self.meta)} rows for {n} series")
        rate = self.sampling_rate
        if not np.all((rate > 0) & np.isfinite(rate)):
            bad = np.flatnonzero(~((rate > 0) & np.isfinite(rate)))
            problems.append(
                f"sampling_rate must be > 0 and finite (samples per second); not "
                f"so for series {self._name_ids(bad)}: "
                f"{describe_ids(rate[bad].tolist())}"
            )
        raise_problems("Invalid Panel", problems)

    def _name_ids(self, positions) -> str:
        positions = np.asarray(positions)
        try:
            return describe_ids(self.ids[positions])
        except (IndexError, AttributeError):
            return describe_ids(positions)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(
        cls,
        arrays: Sequence[np.ndarray],
        *,
        ids: Sequence | None = None,
        channels: Sequence[str] | None = None,
        meta: pd.DataFrame | None = None,
        sampling_rate: float | ArrayLike | None = None,
    ) -> Panel:
        """Build a Panel from a list of (length x channels) arrays (1-D means one channel).

        Each array holds one series with time along its first axis. That is the transpose of
        aeon's unequal-length collections (a list of (n_channels, length) arrays), which
        :class:`~featurekit.FeatureExtractor` takes as they are; see also
        :meth:`from_numpy3d`.

        Parameters
        ----------
        arrays : sequence of arrays of shape (length,) or (length, n_channels)
            One array per series, all with the same number of channels.
        ids, channels, meta, sampling_rate
            As for :class:`Panel`.

        Returns
        -------
        Panel

        Raises
        ------
        ValueError
            The arrays have different numbers of channels.
        """
        arrays = [np.asarray(a) for a in arrays]
        arrays = [a[:, None] if a.ndim == 1 else a for a in arrays]
        widths = {a.shape[1] for a in arrays}
        if len(widths) > 1:
            raise ValueError(f"all series need the same number of channels, got widths {widths}")
        width = widths.pop() if widths else len(channels or [])
        lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        dtype = np.result_type(np.float32, *[a.dtype for a in arrays]) if arrays else np.float64
        values = (
            np.concatenate(arrays, axis=0).astype(dtype, copy=False)
            if arrays
            else (np.empty((0, width)))
        )
        return cls(
            values, offsets, ids=ids, channels=channels, meta=meta, sampling_rate=sampling_rate
        )

    @classmethod
    def from_numpy3d(
        cls,
        X: ArrayLike,
        *,
        ids: Sequence | None = None,
        channels: Sequence[str] | None = None,
        meta: pd.DataFrame | None = None,
        sampling_rate: float | ArrayLike | None = None,
    ) -> Panel:
        """Build from an equal-length array of shape (n_series, n_channels, length).

        That is aeon's and sktime's ``numpy3D`` layout: channels before time, the opposite
        of the (length, channels) arrays :meth:`from_arrays` takes.

        Parameters
        ----------
        X : array of shape (n_series, n_channels, length)
        ids, channels, meta, sampling_rate
            As for :class:`Panel`.

        Returns
        -------
        Panel

        Raises
        ------
        ValueError
            ``X`` is not 3-D.
        """
        X = np.asarray(X)
        if X.ndim != 3:
            raise ValueError(f"expected (n_series, n_channels, length), got shape {X.shape}")
        n, c, t = X.shape
        values = X.transpose(0, 2, 1).reshape(n * t, c)
        offsets = np.arange(n + 1, dtype=np.int64) * t
        return cls(
            values, offsets, ids=ids, channels=channels, meta=meta, sampling_rate=sampling_rate
        )

    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        column_id: str = "id",
        column_sort: str | None = "time",
        column_kind: str | None = "kind",
        column_value: str | None = "value",
        *,
        meta: pd.DataFrame | None = None,
        sampling_rate: float | ArrayLike | None = None,
    ) -> Panel:
        """Build from tsfresh's long format (one row per id, time and kind).

        With ``column_kind=None`` every column other than id and sort is a channel
        (tsfresh's wide format).

        Parameters
        ----------
        df : DataFrame
            The long table.
        column_id : str, default "id"
            Column of series ids; series come in the order their ids first appear.
        column_sort : str or None, default "time"
            Column that orders samples within a series; ``None`` keeps the row order.
        column_kind : str or None, default "kind"
            Column naming the channel of each row; ``None`` reads ``df`` as wide.
        column_value : str or None, default "value"
            Column of sample values.
        meta, sampling_rate
            As for :class:`Panel`.

        Returns
        -------
        Panel

        Raises
        ------
        ValueError
            A named column is missing, or rows repeat an (id, time, kind) triple.
        """
        if column_kind is None:
            return cls.from_wide(df, column_id, column_sort, meta=meta, sampling_rate=sampling_rate)
        missing = [
            c
            for c in (column_id, column_sort, column_kind, column_value)
            if c is not None and c not in df.columns
        ]
        if missing:
            raise ValueError(f"columns {missing} not in the table (has {list(df.columns)})")
        index = [column_id] + ([column_sort] if column_sort else [])
        if column_sort is None:
            df = df.assign(_t=df.groupby([column_id, column_kind]).cumcount())
            index = [column_id, "_t"]
        duplicated = df.duplicated(index + [column_kind])
        if duplicated.any():
            raise ValueError(
                f"{int(duplicated.sum())} rows repeat an (id, time, kind) triple, e.g. "
                f"{df.loc[duplicated, index + [column_kind]].iloc[0].tolist()}"
            )
        wide = df.pivot(index=index, columns=column_kind, values=column_value).reset_index()
        wide.columns = [str(c) for c in wide.columns]
        # pivot sorts the ids: put the series back in the order their ids first appear
        appearance = pd.Index(pd.unique(df[column_id])).get_indexer(wide[column_id])
        wide = wide.iloc[np.argsort(appearance, kind="stable")]
        return cls.from_wide(wide, column_id, index[1], meta=meta, sampling_rate=sampling_rate)

    @classmethod
    def from_wide(
        cls,
        df: pd.DataFrame,
        column_id: str = "id",
        column_sort: str | None = "time",
        channels: Sequence[str] | None = None,
        *,
        meta: pd.DataFrame | None = None,
        sampling_rate: float | ArrayLike | None = None,
    ) -> Panel:
        """Build from a table with an id column, an optional time column and one column per channel.

        Series come in the order their ids first appear in ``df`` (so a ``meta`` given row by
        row follows that order); samples within a series are sorted by ``column_sort``.

        Parameters
        ----------
        df : DataFrame
            One row per sample.
        column_id : str, default "id"
            Column of series ids.
        column_sort : str or None, default "time"
            Column that orders samples within a series; ``None`` keeps the row order.
        channels : sequence of str, optional
            Channel columns; by default every column other than id and sort.
        meta, sampling_rate
            As for :class:`Panel`.

        Returns
        -------
        Panel

        Raises
        ------
        ValueError
            The id column is missing.
        """
        if column_id not in df.columns:
            raise ValueError(f"id column {column_id!r} not in the table (has {list(df.columns)})")
        if channels is None:
            channels = [c for c in df.columns if c not in (column_id, column_sort)]
        codes, uniques = pd.factorize(df[column_id], sort=False)
        df = df.assign(_series=codes)  # by id in order of appearance, then by time
        df = df.sort_values(["_series"] + ([column_sort] if column_sort else []), kind="stable")
        lengths = np.bincount(codes, minlength=len(uniques))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        values = df[list(channels)].to_numpy(dtype=np.float64)
        return cls(
            values, offsets, ids=uniques, channels=channels, meta=meta, sampling_rate=sampling_rate
        )

    @classmethod
    def concat(cls, panels: Sequence[Panel]) -> Panel:
        """Concatenate panels with the same channels, one after another.

        Parameters
        ----------
        panels : sequence of Panel
            At least one; ids must stay unique across them.

        Returns
        -------
        Panel

        Raises
        ------
        ValueError
            No panels, or their channels differ.
        """
        panels = list(panels)
        if not panels:
            raise ValueError("nothing to concatenate")
        channels = panels[0].channels
        bad = [i for i, p in enumerate(panels) if p.channels != channels]
        if bad:
            raise ValueError(f"panels {bad} have channels other than {channels}")
        lengths = np.concatenate([p.lengths for p in panels])
        return cls(
            np.concatenate([p.values for p in panels], axis=0),
            np.concatenate([[0], np.cumsum(lengths)]),
            ids=np.concatenate([np.asarray(p.ids, dtype=object) for p in panels]).tolist(),
            channels=channels,
            sampling_rate=np.concatenate([p.sampling_rate for p in panels]),
            meta=pd.concat([p.meta for p in panels], ignore_index=True),
        )

    # ------------------------------------------------------------------ converters
    def to_arrays(self) -> list[np.ndarray]:
        """One (length x channels) view per series.

        Returns
        -------
        list of ndarray
        """
        return [self.series(i) for i in range(len(self))]

    def to_numpy3d(self, length: int | None = None, fill: float = np.nan) -> np.ndarray:
        """Array (n_series, n_channels, length), series truncated or padded with ``fill``.

        Parameters
        ----------
        length : int, optional
            Length of the time axis; by default the longest series.
        fill : float, default NaN
            Value after the end of shorter series.

        Returns
        -------
        ndarray of shape (n_series, n_channels, length)
        """
        length = int(self.lengths.max(initial=0)) if length is None else int(length)
        out = np.full((len(self), self.n_channels, length), fill, dtype=self.values.dtype)
        take = np.minimum(self.lengths, length)
        rows = np.repeat(np.arange(len(self)), take)
        cols = np.arange(take.sum()) - np.repeat(np.cumsum(take) - take, take)
        src = self.offsets[:-1].repeat(take) + cols
        out[rows, :, cols] = self.values[src]
        return out

    def to_long(self) -> pd.DataFrame:
        """tsfresh's long format: columns id, time, kind, value.

        Returns
        -------
        DataFrame
            One row per sample and channel.
        """
        wide = self.to_wide()
        return wide.melt(id_vars=["id", "time"], var_name="kind", value_name="value")

    def to_wide(self) -> pd.DataFrame:
        """One row per sample: columns id, time (sample index) and one per channel.

        Returns
        -------
        DataFrame
        """
        lengths = self.lengths
        df = pd.DataFrame(self.values, columns=self.channels)
        df.insert(0, "time", self.time_index())
        df.insert(0, "id", np.repeat(np.asarray(self.ids, dtype=object), lengths))
        return df

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def shape(self) -> tuple[int]:
        """``(n_series,)``: a Panel is a sequence of series for scikit-learn.

        scikit-learn counts samples with ``shape[0]`` and, seeing a ``shape``, slices rows with
        ``X[indices, ...]`` (``sklearn.utils._safe_indexing``), which :meth:`__getitem__`
        answers with one :meth:`take`. The shape is 1-D on purpose: series are ragged, so there
        is no column axis to index.
        """
        return (len(self),)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "a Panel holds ragged series and has no 2-D array form; turn it into a feature "
            "table first (featurekit.extract, or FeatureExtractor as the first Pipeline step), "
            "or use panel.to_numpy3d() for an (n_series, n_channels, length) array"
        )

    def __repr__(self) -> str:
        lengths = self.lengths
        span = (
            f"{lengths.min()}"
            if len(lengths) and lengths.min() == lengths.max()
            else f"{lengths.min()}-{lengths.max()}"
            if len(lengths)
            else "-"
        )
        channels = (
            ", ".join(self.channels)
            if len(self.channels) <= 6
            else f"{', '.join(self.channels[:3])}, ... {self.channels[-1]}"
        )
        rates = np.unique(self.sampling_rate)
        rate = (
            f"{rates[0]:g} Hz"
            if len(rates) == 1
            else f"{rates.min():g}-{rates.max():g} Hz"
            if len(rates)
            else "-"
        )
        meta = list(self.meta.columns)
        meta = meta if len(meta) <= 6 else [*meta[:5], f"... {len(meta) - 5} more"]
        return (
            f"Panel({len(self)} series x {self.n_channels} channels [{channels}], "
            f"length {span}, {rate}, meta {meta})"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(repr(self))}</pre>"

    @property
    def lengths(self) -> np.ndarray:
        """Samples per series, shape (n_series,)."""
        return np.diff(self.offsets)

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return self.values.shape[1]

    @property
    def nbytes(self) -> int:
        """Bytes held by ``values``."""
        return self.values.nbytes

    def series(self, i: int) -> np.ndarray:
        """Samples of series at position ``i`` (a view, length x channels).

        Parameters
        ----------
        i : int
            Position of the series (not its id).

        Returns
        -------
        ndarray of shape (length, n_channels)
        """
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def time_index(self) -> np.ndarray:
        """Position of every sample within its own series (0, 1, ... per series).

        Returns
        -------
        ndarray of int, shape (n_samples_total,)
        """
        lengths = self.lengths
        starts = np.repeat(self.offsets[:-1], lengths)
        return np.arange(self.offsets[-1]) - starts

    def series_index(self) -> np.ndarray:
        """Position of the series each sample belongs to.

        Returns
        -------
        ndarray of int, shape (n_samples_total,)
        """
        return np.repeat(np.arange(len(self)), self.lengths)

    def take(self, positions: ArrayLike) -> Panel:
        """New Panel with the series at ``positions`` (ints or a boolean mask), in that order.

        Parameters
        ----------
        positions : array of int, or of bool with one per series

        Returns
        -------
        Panel

        Raises
        ------
        ValueError
            A boolean mask of the wrong length.
        """
        positions = np.asarray(positions)
        if positions.dtype == bool:
            if len(positions) != len(self):
                raise ValueError(f"mask of length {len(positions)} for {len(self)} series")
            positions = np.flatnonzero(positions)
        positions = positions.astype(np.int64)
        lengths = self.lengths[positions]
        starts = self.offsets[:-1][positions]
        if len(positions) and np.all(np.diff(positions) == 1):
            values = self.values[starts[0] : starts[0] + lengths.sum()]
        else:
            values = self.values[_source_rows(starts, lengths)]
        return Panel(
            values,
            np.concatenate([[0], np.cumsum(lengths)]),
            ids=self.ids[positions],
            channels=self.channels,
            sampling_rate=self.sampling_rate[positions],
            meta=self.meta.iloc[positions],
        )

    def loc(self, ids: Sequence) -> Panel:
        """New Panel with the series whose ids are given, in that order.

        Parameters
        ----------
        ids : sequence
            Series ids.

        Returns
        -------
        Panel

        Raises
        ------
        KeyError
            Some ids are not in the panel (all of them named).
        """
        ids = list(ids)
        positions = self.ids.get_indexer(pd.Index(ids))
        missing = [i for i, p in zip(ids, positions, strict=True) if p < 0]
        if missing:
            raise KeyError(f"ids not in the panel: {describe_ids(missing)}")
        return self.take(positions)

    def __getitem__(self, key) -> Panel:
        """Series by position: an int, a slice, an integer array or a boolean mask.

        ``panel[key, ...]`` (how ``sklearn.utils._safe_indexing`` indexes anything with a
        ``shape``) is ``panel[key]``, so cross-validation splitters, ``cross_val_score`` and
        ``GridSearchCV`` slice a Panel with one copy of the selected samples.
        """
        if isinstance(key, tuple):
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                raise IndexError(f"a Panel is indexed by series only, got {key!r}")
        if isinstance(key, slice):
            return self.take(np.arange(len(self))[key])
        if isinstance(key, (int, np.integer)):
            return self.take(np.asarray([key]))
        return self.take(key)

    def select_channels(self, channels: Sequence[str]) -> Panel:
        """New Panel with only ``channels``, in that order.

        Parameters
        ----------
        channels : sequence of str

        Returns
        -------
        Panel

        Raises
        ------
        ValueError
            Unknown channel names (all of them listed).
        """
        unknown = [c for c in channels if c not in self.channels]
        if unknown:
            raise ValueError(f"unknown channels {unknown}; the panel has {self.channels}")
        cols = [self.channels.index(c) for c in channels]
        return self.replace(values=self.values[:, cols], channels=list(channels))

    def rename_channels(self, mapping: Mapping[str, str]) -> Panel:
        """New Panel with channels renamed.

        Parameters
        ----------
        mapping : dict
            Old name to new name; channels not in it keep their name.

        Returns
        -------
        Panel
        """
        return self.replace(channels=[mapping.get(c, c) for c in self.channels])

    def replace(self, **changes: Any) -> Panel:
        """A copy with some of values, offsets, ids, channels, sampling_rate, meta replaced.

        Parameters
        ----------
        **changes
            Keyword arguments of :class:`Panel`; the others are kept.

        Returns
        -------
        Panel
            Validated like a new Panel.
        """
        fields = dict(
            values=self.values,
            offsets=self.offsets,
            ids=self.ids,
            channels=self.channels,
            sampling_rate=self.sampling_rate,
            meta=self.meta,
        )
        fields.update(changes)
        values, offsets = fields.pop("values"), fields.pop("offsets")
        return Panel(values, offsets, **fields)

    def chunks(self, chunk_size: int) -> Iterator[Panel]:
        """Consecutive sub-panels of at most ``chunk_size`` series (views of the samples).

        Parameters
        ----------
        chunk_size : int
            Series per chunk.

        Yields
        ------
        Panel
        """
        for start in range(0, len(self), chunk_size):
            yield self._slice(start, min(start + chunk_size, len(self)))

    def _slice(self, start: int, stop: int) -> Panel:
        """Series ``start:stop`` without re-validation: a slice of a valid Panel is valid."""
        chunk = object.__new__(Panel)
        first, last = self.offsets[start], self.offsets[stop]
        chunk.values = self.values[first:last]
        chunk.offsets = self.offsets[start : stop + 1] - first
        chunk.ids = self.ids[start:stop]
        chunk.channels = self.channels
        chunk.sampling_rate = self.sampling_rate[start:stop]
        chunk.meta = self.meta.iloc[start:stop]
        return chunk

    def per_series_sum(self, per_sample: ArrayLike) -> np.ndarray:
        """Sum, series by series, of one number (or flag) per sample; 0 for empty series.

        Parameters
        ----------
        per_sample : array of shape (n_samples_total,)
            Numbers or booleans (counted as 0/1), aligned with ``values``.

        Returns
        -------
        ndarray of shape (n_series,)
        """
        per_sample = np.asarray(per_sample)
        if per_sample.dtype == bool:
            per_sample = per_sample.astype(np.int64)
        sums = np.zeros(len(self), dtype=per_sample.dtype)
        nonempty = self.lengths > 0
        if per_sample.size:
            sums[nonempty] = np.add.reduceat(per_sample, self.offsets[:-1][nonempty])
        return sums

    def nan_counts(self) -> pd.Series:
        """Number of NaN samples (any channel) per series, indexed by id.

        Returns
        -------
        Series
            Named ``nan_samples``.
        """
        counts = self.per_series_sum(np.isnan(self.values).any(axis=1))
        return pd.Series(counts, index=self.ids, name="nan_samples")
