"""QUANT's interval quantiles (Dempster, Schmidt & Webb, DMKD 2024) on ragged panels.

For every channel, four representations of each series: the series, its first difference
smoothed by a 5-wide moving average (replicate padding, as QUANT and aeon compute it), its
second difference and the magnitude of its real FFT. On each representation, dyadic intervals
``n = 1, 2, 4, ..., 2**(depth - 1)`` with boundaries ``floor(j * length / n)``, plus the same
intervals shifted right by ``ceil(length / (2 n))`` (the last one dropped) on the levels where
the (lower) median interval width exceeds 1. Each interval gives ``1 + (m - 1) // div``
quantiles (``m`` its width; linear interpolation as numpy and torch; one quantile is the
median) and the odd-numbered ones have the interval's mean subtracted. On a panel of series
of one length the values equal aeon's ``QUANTTransformer`` (computed in float64 here, float32
there) and the columns come in its order.

Ragged panels. Positions are fractions of each series' own length: the boundaries and the
shift of a series' intervals are computed from the length of its own representation, so a
series of the reference length gets exactly QUANT's intervals and longer or shorter series
get the same intervals stretched. What fixes the columns comes from one *reference length*
fitted on the training panel: the levels, which levels have shifted intervals, and the number
of quantiles of each interval. The reference is the **median** length of the non-empty
training series (at least 3): one very long series cannot multiply the number of columns
(they grow linearly with the reference: ~9,000 per channel at 1,024 samples), and a typical
series gets about the quantile resolution QUANT would give it. Longer series get the same
number of quantiles at the same probability levels over more samples; shorter ones get
interpolated quantiles of fewer. ``fixed_length`` sets the reference instead of fitting it.
An interval without a sample (a series shorter than the level's number of intervals, or
shorter than 2/3 samples for the differences) gives NaN in all its columns, as the registry's
``min_length`` rule does for whole-series features.

Columns are ``<channel>__quant__i-<j>__n-<n>__q-<q>__rep-<rep>__shift-<0|1>``: interval ``j``
of ``n`` at that level, quantile number ``q`` (of that interval's count), ``rep`` one of
``x``, ``d1``, ``d2``, ``fft``. Per channel they follow aeon's order (representation, level,
unshifted then shifted intervals, quantiles); channels come one after another.

Engine: numba is required (``pip install "featurekit[fast]"``); there is no NumPy path, since
a per-interval NumPy version would loop over every length and interval in Python. The spectra
are computed with ``scipy.fft`` once per distinct series length (exact length, no padding),
everything else in one compiled pass over the panel's rows: the leaf intervals of each
representation are sorted once, the coarser levels are merged from them (a bottom-up merge
sort whose stages are the dyadic levels) and the shifted intervals are filled from the fully
sorted series by one stable scatter each.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np
import scipy.fft

from featurekit.features.registry import feature_name

try:
    import numba
except ImportError:  # the ``fast`` extra is not installed
    numba = None

REPRESENTATIONS = ("x", "d1", "d2", "fft")
_MIN_REFERENCE = 3  # the second difference needs 3 samples


def _rep_lengths(length):
    """Lengths of the four representations of a series of ``length`` samples (>= 0)."""
    length = np.asarray(length, dtype=np.int64)
    return (length, np.maximum(length - 1, 0), np.maximum(length - 2, 0),
            np.where(length > 0, length // 2 + 1, 0))


@lru_cache(maxsize=32)
def _plan(depth: int, div: int, reference_length: int):
    """What the reference length fixes, per representation ``r``:

    ``levels[r]`` (number of dyadic levels), ``shifted[r, e]`` (level ``e`` has shifted
    intervals), ``counts[r, e, s, j]`` (quantiles of interval ``j`` at level ``e``, shift
    ``s``; 0 where there is none) and ``columns[r, e, s, j]`` (offset of its first column in
    a channel's block), and the parameter dicts of a channel's columns in order.
    """
    width = 1 << (depth - 1)
    levels = np.zeros(4, dtype=np.int64)
    shifted = np.zeros((4, depth), dtype=np.int64)
    counts = np.zeros((4, depth, 2, width), dtype=np.int64)
    columns = np.zeros((4, depth, 2, width), dtype=np.int64)
    params = []
    for r, length in enumerate(_rep_lengths(reference_length)):
        length = int(length)
        levels[r] = min(depth, length.bit_length())  # = int(log2(length)) + 1
        for e in range(levels[r]):
            n = 1 << e
            widths = [((j + 1) * length) // n - (j * length) // n for j in range(n)]
            lower_median = sorted(widths)[(n - 1) // 2]  # torch.median's pick
            shifted[r, e] = n > 1 and lower_median > 1
            for s in range(1 + shifted[r, e]):
                for j in range(n - s):
                    k = 1 + (widths[j] - 1) // div
                    counts[r, e, s, j] = k
                    columns[r, e, s, j] = len(params)
                    params.extend({"rep": REPRESENTATIONS[r], "n": n, "shift": s, "i": j,
                                   "q": q} for q in range(k))
    return levels, shifted, counts, columns, tuple(params)


@lru_cache(maxsize=256)
def _channel_columns(depth: int, div: int, reference_length: int, channel: str) -> tuple:
    params = _plan(depth, div, reference_length)[-1]
    return tuple(feature_name(channel, QuantIntervals.feature, p) for p in params)


# ---------------------------------------------------------------------- compiled kernels
def _insertion_sort(val, idx, lo, hi):
    for t in range(lo + 1, hi):
        v, k = val[t], idx[t]
        u = t - 1
        while u >= lo and val[u] > v:
            val[u + 1] = val[u]
            idx[u + 1] = idx[u]
            u -= 1
        val[u + 1] = v
        idx[u + 1] = k


def _merge(src_val, src_idx, lo, mid, hi, dst_val, dst_idx):
    """Stable merge of the sorted runs src[lo:mid] and src[mid:hi] into dst[lo:hi]."""
    i, j, o = lo, mid, lo
    while i < mid and j < hi:
        if src_val[j] < src_val[i]:
            dst_val[o] = src_val[j]
            dst_idx[o] = src_idx[j]
            j += 1
        else:
            dst_val[o] = src_val[i]
            dst_idx[o] = src_idx[i]
            i += 1
        o += 1
    while i < mid:
        dst_val[o] = src_val[i]
        dst_idx[o] = src_idx[i]
        i += 1
        o += 1
    while j < hi:
        dst_val[o] = src_val[j]
        dst_idx[o] = src_idx[j]
        j += 1
        o += 1


_RUN = 16  # insertion-sorted runs before merging within a long leaf


def _sort_pairs(val, idx, lo, hi, tmp_val, tmp_idx):
    """Sort val[lo:hi] (idx alongside), using tmp[lo:hi] as scratch."""
    if hi - lo <= 2 * _RUN:
        _insertion_sort(val, idx, lo, hi)
        return
    for a in range(lo, hi, _RUN):
        _insertion_sort(val, idx, a, min(a + _RUN, hi))
    run = _RUN
    in_tmp = False
    while run < hi - lo:
        for a in range(lo, hi, 2 * run):
            mid, b = min(a + run, hi), min(a + 2 * run, hi)
            if in_tmp:
                _merge(tmp_val, tmp_idx, a, mid, b, val, idx)
            else:
                _merge(val, idx, a, mid, b, tmp_val, tmp_idx)
        in_tmp = not in_tmp
        run *= 2
    if in_tmp:
        val[lo:hi] = tmp_val[lo:hi]
        idx[lo:hi] = tmp_idx[lo:hi]


def _emit(srt, z, length, n, count, shift, counts, columns, row, base):
    """Quantiles of ``count`` intervals of level ``n`` whose sorted samples are
    srt[floor(j * length / n):floor((j + 1) * length / n)]; their samples in ``z`` start
    ``shift`` later."""
    for j in range(count):
        a = (j * length) // n
        b = ((j + 1) * length) // n
        m = b - a
        k = counts[j]
        col = base + columns[j]
        if m == 0:
            for q in range(k):
                row[col + q] = np.nan
            continue
        if k == 1:
            pos = 0.5 * (m - 1)
            lo = int(pos)
            w = pos - lo
            hi = min(lo + 1, m - 1)
            x0, x1 = srt[a + lo], srt[a + hi]
            row[col] = x0 + w * (x1 - x0) if w < 0.5 else x1 - (x1 - x0) * (1.0 - w)
            continue
        total = 0.0
        for t in range(a + shift, b + shift):
            total += z[t]
        mean = total / m
        for q in range(k):
            pos = q / (k - 1) * (m - 1)
            lo = int(pos)
            w = pos - lo
            hi = min(lo + 1, m - 1)
            x0, x1 = srt[a + lo], srt[a + hi]
            # numpy's and torch's lerp: exact at both ends
            v = x0 + w * (x1 - x0) if w < 0.5 else x1 - (x1 - x0) * (1.0 - w)
            row[col + q] = v - mean if q % 2 == 1 else v


def _representation(z, length, levels, shifted, counts, columns, row, base,
                    val_a, idx_a, val_b, idx_b, leaf, scatter, cursor):
    """All columns of one representation ``z[:length]`` of one series and channel."""
    if length <= 0:
        for e in range(levels):
            for s in range(2):
                for j in range(1 << e):
                    for q in range(counts[e, s, j]):
                        row[base + columns[e, s, j] + q] = np.nan
        return
    finest = 1 << (levels - 1)
    for j in range(finest):
        a = (j * length) // finest
        b = ((j + 1) * length) // finest
        for t in range(a, b):
            val_a[t] = z[t]
            idx_a[t] = t
            leaf[t] = j
        _sort_pairs(val_a, idx_a, a, b, val_b, idx_b)
    e = levels - 1
    _emit(val_a, z, length, finest, finest, 0, counts[e, 0], columns[e, 0], row, base)
    src_val, src_idx, dst_val, dst_idx = val_a, idx_a, val_b, idx_b
    for e in range(levels - 2, -1, -1):
        n = 1 << e
        for j in range(n):
            a = (j * length) // n
            mid = ((2 * j + 1) * length) // (2 * n)
            b = ((j + 1) * length) // n
            _merge(src_val, src_idx, a, mid, b, dst_val, dst_idx)
        src_val, src_idx, dst_val, dst_idx = dst_val, dst_idx, src_val, src_idx
        _emit(src_val, z, length, n, n, 0, counts[e, 0], columns[e, 0], row, base)
    # src now holds the whole series sorted, with each sample's position in idx.
    for e in range(1, levels):
        if not shifted[e]:
            continue
        n = 1 << e
        shift = (length + 2 * n - 1) // (2 * n)
        stop = ((n - 1) * length) // n
        drop = levels - 1 - e  # leaf j lies in interval j >> drop of level n
        for j in range(n - 1):
            cursor[j] = (j * length) // n
        for t in range(length):
            u = src_idx[t] - shift
            if 0 <= u < stop:
                j = leaf[u] >> drop
                scatter[cursor[j]] = src_val[t]
                cursor[j] += 1
        _emit(scatter, z, length, n, n - 1, shift, counts[e, 1], columns[e, 1], row, base)


def _quant(values, offsets, spectra, spectrum_offsets, levels, shifted, counts, columns,
           n_columns, out):
    n_series, n_channels = len(offsets) - 1, values.shape[1]
    longest = 1
    for i in range(n_series):
        longest = max(longest, offsets[i + 1] - offsets[i])
    x = np.empty(longest)
    z = np.empty(longest)
    val_a, val_b, scatter = np.empty(longest), np.empty(longest), np.empty(longest)
    idx_a, idx_b, leaf = (np.empty(longest, dtype=np.int64), np.empty(longest, dtype=np.int64),
                          np.empty(longest, dtype=np.int64))
    cursor = np.empty(counts.shape[-1], dtype=np.int64)
    for i in range(n_series):
        start, length = offsets[i], offsets[i + 1] - offsets[i]
        row = out[i]
        for ch in range(n_channels):
            base = ch * n_columns
            for t in range(length):
                x[t] = values[start + t, ch]
            _representation(x, length, levels[0], shifted[0], counts[0], columns[0], row,
                            base, val_a, idx_a, val_b, idx_b, leaf, scatter, cursor)
            # first difference, 5-wide moving average with the ends replicated
            m = length - 1
            for t in range(m):
                total = 0.0
                for u in range(t - 2, t + 3):
                    u = min(max(u, 0), m - 1)
                    total += x[u + 1] - x[u]
                z[t] = total / 5.0
            _representation(z, m, levels[1], shifted[1], counts[1], columns[1], row,
                            base, val_a, idx_a, val_b, idx_b, leaf, scatter, cursor)
            for t in range(length - 2):
                z[t] = (x[t + 2] - x[t + 1]) - (x[t + 1] - x[t])
            _representation(z, length - 2, levels[2], shifted[2], counts[2], columns[2], row,
                            base, val_a, idx_a, val_b, idx_b, leaf, scatter, cursor)
            f0, f1 = spectrum_offsets[i], spectrum_offsets[i + 1]
            for t in range(f1 - f0):
                z[t] = spectra[f0 + t, ch]
            _representation(z, f1 - f0, levels[3], shifted[3], counts[3], columns[3], row,
                            base, val_a, idx_a, val_b, idx_b, leaf, scatter, cursor)


if numba is not None:
    def _jit(func):
        try:
            return numba.njit(func, cache=True, nogil=True)  # compiled once per machine
        except RuntimeError:  # no writable cache directory: compile in each process instead
            return numba.njit(func, nogil=True)

    _insertion_sort = _jit(_insertion_sort)
    _merge = _jit(_merge)
    _sort_pairs = _jit(_sort_pairs)
    _emit = _jit(_emit)
    _representation = _jit(_representation)
    _quant = _jit(_quant)


def _spectra(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|rfft| of every series at its own length, concatenated like ``values``: a scipy call
    per distinct length (series of one length are transformed together), none per series."""
    lengths = np.diff(offsets)
    sizes = _rep_lengths(lengths)[3]
    spectrum_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    spectra = np.empty((spectrum_offsets[-1], values.shape[1]))
    for length in np.unique(lengths[lengths > 0]):
        positions = np.flatnonzero(lengths == length)
        rows = offsets[positions, None] + np.arange(length)
        batch = scipy.fft.rfft(values[rows].astype(np.float64, copy=False), axis=1)
        targets = spectrum_offsets[positions, None] + np.arange(length // 2 + 1)
        spectra[targets] = np.abs(batch)
    return spectra, spectrum_offsets


@dataclass(frozen=True, eq=False)
class QuantIntervals:
    """QUANT interval quantiles of every channel, native on ragged panels.

    Parameters
    ----------
    depth : number of dyadic levels (1, 2, 4, ... intervals); QUANT's ``interval_depth``.
    div : one quantile per ``div`` samples of an interval; QUANT's ``quantile_divisor``.
    fixed_length : reference length to use instead of the training panel's median length.
    reference_length : set by :meth:`fit`; fixes the columns (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from featurekit.panel import Panel
    >>> rng = np.random.default_rng(0)
    >>> panel = Panel.from_arrays([rng.normal(size=(n, 2)) for n in (90, 100, 130)])
    >>> block = QuantIntervals(depth=2).fit(panel)
    >>> block.reference_length, block.transform(panel).shape == (3, len(block.columns(["a", "b"])))
    (100, True)
    """

    depth: int = 6
    div: int = 4
    fixed_length: int | None = None
    reference_length: int | None = None
    family: ClassVar[str] = "interval"
    feature: ClassVar[str] = "quant"

    def _key(self) -> tuple:
        return (type(self).__name__, self.depth, self.div, self.fixed_length,
                self.reference_length)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other) -> bool:
        return isinstance(other, QuantIntervals) and self._key() == other._key()

    def _check_params(self) -> None:
        problems = []
        for name in ("depth", "div"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                problems.append(f"{name} must be an int >= 1, got {value!r}")
        if self.depth > 16:
            problems.append(f"depth must be <= 16 (2**15 intervals per level), got {self.depth}")
        if self.fixed_length is not None and not (
                isinstance(self.fixed_length, (int, np.integer)) and self.fixed_length >= 1):
            problems.append(f"fixed_length must be None or an int >= 1, got {self.fixed_length!r}")
        if problems:
            raise ValueError("QuantIntervals:\n  - " + "\n  - ".join(problems))

    def fit(self, panel) -> QuantIntervals:
        """A copy whose reference length is the median length of ``panel``'s non-empty series
        (or ``fixed_length``), at least 3. Only the lengths of ``panel`` are read."""
        self._check_params()
        if self.fixed_length is not None:
            reference = int(self.fixed_length)
        else:
            lengths = np.asarray(panel.lengths)
            lengths = lengths[lengths > 0]
            if not len(lengths):
                raise ValueError("QuantIntervals.fit: every series of the panel is empty")
            reference = int(np.median(lengths))
        return dataclasses.replace(self, reference_length=max(reference, _MIN_REFERENCE))

    @property
    def is_fitted(self) -> bool:
        return self.reference_length is not None

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("QuantIntervals is not fitted: call fit(panel) first, or give "
                                 "reference_length")

    def columns(self, channels: list[str]) -> list[str]:
        """Column names for these channels, in the order of :meth:`transform`."""
        self._check_fitted()
        return [name for channel in channels
                for name in _channel_columns(self.depth, self.div, int(self.reference_length),
                                             str(channel))]

    def n_columns_per_channel(self) -> int:
        self._check_fitted()
        return len(_plan(self.depth, self.div, int(self.reference_length))[-1])

    def transform(self, panel) -> np.ndarray:
        """(series, channels x columns per channel) float64 features of ``panel``."""
        self._check_fitted()
        if numba is None:
            raise ImportError("featurekit's interval family (QUANT) needs numba: "
                              'pip install "featurekit[fast]"')
        levels, shifted, counts, columns, params = _plan(self.depth, self.div,
                                                         int(self.reference_length))
        values = np.asarray(panel.values)
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        offsets = np.asarray(panel.offsets, dtype=np.int64)
        out = np.empty((len(offsets) - 1, values.shape[1] * len(params)))
        if out.size:
            spectra, spectrum_offsets = _spectra(values, offsets)
            _quant(values, offsets, spectra, spectrum_offsets, levels, shifted, counts, columns,
                   len(params), out)
        return out
