"""Compiled passes over each series for the time-domain sums most statistics share (numba).

NumPy computes each per-series sum with its own ``np.add.reduceat`` pass over the samples,
after materialising the array it sums (``|x|``, ``x - mean``, its powers...): about a dozen
passes for the 8 statistics of the ``seed`` set. With numba installed
(``pip install "featurekit[fast]"``) ``moment_sums`` gets all of them in two passes over each
series while its samples are in cache, and ``shape_sums`` the sums of the other one-pass
statistics in a third. ``Segments`` uses them when ``enabled()`` and falls back to NumPy
otherwise; the two paths agree to rounding (tested against the same references).

Set ``FEATUREKIT_NUMBA=0`` to force the NumPy path (e.g. to rule the kernels out when
debugging).
"""

from __future__ import annotations

import os

import numpy as np

try:
    import numba
except ImportError:  # the ``fast`` extra is not installed
    numba = None

# Columns of ``moment_sums``, per series and channel; c = x - mean of the series.
MOMENT_SUMS = ("sum", "abs_sum", "sum_sq", "min", "max", "c2", "c3", "c4")
# Columns of ``shape_sums``: sum of |x[t] - x[t-1]|, count of c > 0, count of t where
# (c[t] > 0) != (c[t-1] > 0), and sum of t * c[t] with t the index within the series.
SHAPE_SUMS = ("abs_change", "above", "crossings", "trend")


def enabled() -> bool:
    """True when numba is installed and not switched off with ``FEATUREKIT_NUMBA=0``."""
    return numba is not None and os.environ.get("FEATUREKIT_NUMBA", "1") != "0"


def _min_max(x):
    """Smallest and largest of a non-empty 1-D array, over 4 interleaved lanes: one running
    min/max is a dependency chain the compiler cannot split, four run in parallel."""
    n = len(x)
    low0 = low1 = low2 = low3 = high0 = high1 = high2 = high3 = x[0]
    k = 0
    while k + 4 <= n:
        a, b, c, d = x[k], x[k + 1], x[k + 2], x[k + 3]
        low0, low1, low2, low3 = min(low0, a), min(low1, b), min(low2, c), min(low3, d)
        high0, high1, high2, high3 = max(high0, a), max(high1, b), max(high2, c), max(high3, d)
        k += 4
    for v in x[k:]:
        low0, high0 = min(low0, v), max(high0, v)
    return min(min(low0, low1), min(low2, low3)), max(max(high0, high1), max(high2, high3))


def _moment_sums(values, offsets):
    n_series, n_channels = len(offsets) - 1, values.shape[1]
    out = np.full((n_series, n_channels, 8), np.nan)
    for i in range(n_series):
        start, stop = offsets[i], offsets[i + 1]
        if stop == start:
            out[i, :, :3] = 0.0
            out[i, :, 5:] = 0.0
            continue
        for ch in range(n_channels):
            x = values[start:stop, ch]
            total = abs_total = squares = 0.0
            for sample in x:
                v = np.float64(sample)  # float32 input: square and sum in float64
                total += v
                abs_total += abs(v)
                squares += v * v
            low, high = _min_max(x)
            mean = min(max(total / (stop - start), low), high)  # as Segments.mean
            c2 = c3 = c4 = 0.0
            for sample in x:
                c = np.float64(sample) - mean
                cc = c * c
                c2 += cc
                c3 += cc * c
                c4 += cc * cc
            row = out[i, ch]
            row[0], row[1], row[2], row[3] = total, abs_total, squares, low
            row[4], row[5], row[6], row[7] = high, c2, c3, c4
    return out


def _shape_sums(values, offsets, means):
    n_series, n_channels = len(offsets) - 1, values.shape[1]
    out = np.zeros((n_series, n_channels, 4))
    for i in range(n_series):
        start, stop = offsets[i], offsets[i + 1]
        if stop == start:
            continue
        for ch in range(n_channels):
            x = values[start:stop, ch]
            mean = means[i, ch]
            change = above = crossings = trend = 0.0
            previous = np.float64(x[0])
            was_above = x[0] - mean > 0
            for t in range(stop - start):
                v = np.float64(x[t])
                change += abs(v - previous)
                previous = v
                c = v - mean
                is_above = c > 0
                above += is_above
                crossings += is_above != was_above
                was_above = is_above
                trend += t * c
            row = out[i, ch]
            row[0], row[1], row[2], row[3] = change, above, crossings, trend
    return out


def _lag_sums(values, offsets, means, max_lag):
    n_series, n_channels = len(offsets) - 1, values.shape[1]
    out = np.zeros((n_series, n_channels, max_lag))
    for i in range(n_series):
        start, stop = offsets[i], offsets[i + 1]
        for ch in range(n_channels):
            x = values[start:stop, ch]
            mean = means[i, ch]
            for lag in range(1, min(max_lag, stop - start - 1) + 1):
                total = 0.0
                for t in range(lag, stop - start):
                    total += (np.float64(x[t]) - mean) * (np.float64(x[t - lag]) - mean)
                out[i, ch, lag - 1] = total
    return out


if numba is not None:
    # Reassociation lets LLVM split each sum over SIMD lanes; inputs are finite (the extractor
    # refuses NaN and inf), so no other fast-math licence is taken.
    def _jit(func):
        options = dict(nogil=True, fastmath={"reassoc", "contract"})
        try:
            return numba.njit(func, cache=True, **options)  # compiled once per machine
        except RuntimeError:  # no writable cache directory: compile in each process instead
            return numba.njit(func, **options)

    _min_max = _jit(_min_max)
    _moment_sums = _jit(_moment_sums)
    _shape_sums = _jit(_shape_sums)
    _lag_sums = _jit(_lag_sums)


def _prepared(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if numba is None:
        raise ImportError("featurekit's compiled kernels need numba: "
                          'pip install "featurekit[fast]"')
    if values.ndim == 1:
        values = values[:, None]
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    return values, np.asarray(offsets, dtype=np.int64)


def moment_sums(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(series, channels, MOMENT_SUMS) float64 sums of a (samples, channels) array; min and
    max are NaN for an empty series, the sums 0."""
    values, offsets = _prepared(values, offsets)
    return _moment_sums(values, offsets)


def shape_sums(values: np.ndarray, offsets: np.ndarray, means: np.ndarray) -> np.ndarray:
    """(series, channels, SHAPE_SUMS) float64 sums given each series' mean per channel
    (shape (series, channels)); all 0 for an empty series."""
    values, offsets = _prepared(values, offsets)
    means = np.asarray(means, dtype=np.float64).reshape(len(offsets) - 1, values.shape[1])
    return _shape_sums(values, offsets, means)


def lag_sums(values: np.ndarray, offsets: np.ndarray, means: np.ndarray,
             max_lag: int) -> np.ndarray:
    """(series, channels, max_lag) sums of c[t] * c[t - lag] for lag = 1..max_lag over the
    pairs within each series (c = x - mean); 0 where the series is too short."""
    values, offsets = _prepared(values, offsets)
    means = np.asarray(means, dtype=np.float64).reshape(len(offsets) - 1, values.shape[1])
    return _lag_sums(values, offsets, means, int(max_lag))
