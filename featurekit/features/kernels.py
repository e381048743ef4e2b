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
from collections.abc import Sequence

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
    """True when numba is installed and not switched off with ``FEATUREKIT_NUMBA=0``.

    Returns
    -------
    bool
    """
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
    longest = 0
    for i in range(n_series):
        longest = max(longest, offsets[i + 1] - offsets[i])
    c = np.empty(longest)  # the series, centred, contiguous: each lag's loop runs in SIMD lanes
    for i in range(n_series):
        start, stop = offsets[i], offsets[i + 1]
        n = stop - start
        for ch in range(n_channels):
            mean = means[i, ch]
            for t in range(n):
                c[t] = np.float64(values[start + t, ch]) - mean
            for lag in range(1, min(max_lag, n - 1) + 1):
                total = 0.0
                for t in range(n - lag):  # indices provably >= 0: no wraparound test
                    total += c[t + lag] * c[t]
                out[i, ch, lag - 1] = total
    return out


def _columns_of(values, start, n, out):
    """``out[ch, :n]`` = column ch of rows ``start .. start + n`` of ``values``, as float64:
    one pass reading each row once, instead of one strided pass per channel."""
    n_channels = values.shape[1]
    if n_channels == 4:  # 3 axes and their magnitude, the common case
        row0, row1, row2, row3 = out[0], out[1], out[2], out[3]
        for t in range(n):
            sample = values[start + t]
            row0[t] = np.float64(sample[0])
            row1[t] = np.float64(sample[1])
            row2[t] = np.float64(sample[2])
            row3[t] = np.float64(sample[3])
    else:
        for t in range(n):
            sample = values[start + t]
            for ch in range(n_channels):
                out[ch, t] = np.float64(sample[ch])


def _insertion_sort(a, lo, hi):
    """Sort ``a[lo:hi]`` in place (small runs)."""
    for k in range(lo + 1, hi):
        v = a[k]
        j = k - 1
        while j >= lo and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


def _order_statistics(
    x, n, ranks, n_ranks, low, high, found, bins, starts, slot, fill, picked, rank_bin
):
    """``found[r] = the ranks[r]-th smallest of x[:n]`` (ranks ascending), exactly, without
    sorting x: one pass counts the samples per value bin (bins are monotone in the value),
    a second copies out only the bins holding a wanted rank, which are then sorted.
    ``slot`` must hold -1 everywhere, and is left so.

    The bins split ``[low, high]`` (the caller's robust range, e.g. mean +- 5 std clipped to
    min..max); samples outside fall in the first or last bin, so the bins stay ordered.
    """
    n_bins = min(max(n // 2, 8), len(starts) - 1)
    width = high - low
    scale = n_bins / width if width > 0 else 0.0
    if not (scale > 0 and scale < 1e300):
        for k in range(n):
            picked[k] = x[k]
        picked[:n].sort()
        for r in range(n_ranks):
            found[r] = picked[ranks[r]]
        return
    top = n_bins - 0.5
    for k in range(n):  # clamped, truncated: monotone in x, and the loop runs in SIMD lanes
        bins[k] = np.int32(min(max((x[k] - low) * scale, 0.0), top))
    starts[: n_bins + 1] = 0
    for k in range(n):
        starts[bins[k] + 1] += 1
    for b in range(n_bins):
        starts[b + 1] += starts[b]  # bin b holds sorted positions starts[b]..starts[b+1]-1
    size = 0
    for r in range(n_ranks):  # the bin of each wanted rank: binary search of the counts
        lo, hi = 0, n_bins - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if starts[mid + 1] <= ranks[r]:
                lo = mid + 1
            else:
                hi = mid
        rank_bin[r] = lo
        if slot[lo] < 0:
            slot[lo] = size
            fill[lo] = size
            size += starts[lo + 1] - starts[lo]
    for k in range(n):
        b = bins[k]
        if slot[b] >= 0:
            picked[fill[b]] = x[k]
            fill[b] += 1
    for r in range(n_ranks):
        b = rank_bin[r]
        lo = slot[b]
        hi = lo + starts[b + 1] - starts[b]
        if fill[b] >= 0:  # sort each copied bin once
            if hi - lo <= 24:
                _insertion_sort(picked, lo, hi)
            else:
                first, same = picked[lo], True
                for k in range(lo + 1, hi):
                    if picked[k] != first:
                        same = False
                        break
                if not same:
                    picked[lo:hi].sort()
            fill[b] = -1
        found[r] = picked[lo + ranks[r] - starts[b]]
    for r in range(n_ranks):
        slot[rank_bin[r]] = -1  # as the caller gave it: -1 everywhere


def _quantiles(values, offsets, qs, minima, maxima, means, stds, out):
    """out[i, ch, j] = quantile qs[j] of series i, channel ch of (samples, channels) values;
    the per-(series, channel) statistics place the value bins."""
    n_series, n_channels, n_q = len(offsets) - 1, values.shape[1], len(qs)
    longest = 0
    for i in range(n_series):
        longest = max(longest, offsets[i + 1] - offsets[i])
    columns = np.empty((n_channels, longest))
    picked = np.empty(longest)
    bins = np.empty(longest, dtype=np.int32)
    n_bins = max(longest // 2, 8)
    starts = np.empty(n_bins + 1, dtype=np.int64)
    slot = np.full(n_bins, -1, dtype=np.int64)
    fill = np.empty(n_bins, dtype=np.int64)
    ranks = np.empty(2 * n_q, dtype=np.int64)
    rank_bin = np.empty(2 * n_q, dtype=np.int64)
    found = np.empty(2 * n_q)
    for i in range(n_series):
        start, stop = offsets[i], offsets[i + 1]
        n = stop - start
        if n == 0:
            out[i, :, :] = np.nan
            continue
        # the ranks of the two order statistics each quantile interpolates, ascending
        n_ranks = 0
        for j in range(n_q):
            pos = qs[j] * (n - 1)
            lo = int(np.floor(pos))
            for r in (lo, min(lo + 1, n - 1)):
                at = n_ranks
                while at > 0 and ranks[at - 1] > r:
                    at -= 1
                if at > 0 and ranks[at - 1] == r:
                    continue
                for k in range(n_ranks, at, -1):
                    ranks[k] = ranks[k - 1]
                ranks[at] = r
                n_ranks += 1
        _columns_of(values, start, n, columns)
        for ch in range(n_channels):
            x = columns[ch]
            low = max(minima[i, ch], means[i, ch] - 5.0 * stds[i, ch])
            high = min(maxima[i, ch], means[i, ch] + 5.0 * stds[i, ch])
            _order_statistics(
                x, n, ranks, n_ranks, low, high, found, bins, starts, slot, fill, picked, rank_bin
            )
            for j in range(n_q):
                pos = qs[j] * (n - 1)
                lo = int(np.floor(pos))
                hi = min(lo + 1, n - 1)
                a = b = 0.0
                for r in range(n_ranks):
                    if ranks[r] == lo:
                        a = found[r]
                    if ranks[r] == hi:
                        b = found[r]
                out[i, ch, j] = a + (pos - lo) * (b - a)
    return out


def _centred_sums(values, offsets, means, max_lag, shapes, lags, pairs):
    """SHAPE_SUMS, lag sums (1..max_lag) and channel-pair sums of c_a * c_b of every series
    and channel of (samples, channels) values, reading each series' rows once."""
    n_series, n_channels = len(offsets) - 1, values.shape[1]
    longest = 0
    for i in range(n_series):
        longest = max(longest, offsets[i + 1] - offsets[i])
    c = np.empty((n_channels, longest))
    columns = np.empty((n_channels, longest))
    # t as a float: AVX2 has no int64 -> float64 conversion, so t * c[t] with an integer t
    # kept the trend loop out of SIMD lanes
    ramp = np.arange(longest).astype(np.float64)
    for i in range(n_series):
        start, stop = offsets[i], offsets[i + 1]
        n = stop - start
        if n == 0:
            continue
        _columns_of(values, start, n, columns)
        for ch in range(n_channels):
            mean = means[i, ch]
            centred, x = c[ch], columns[ch]
            for t in range(n):
                centred[t] = x[t] - mean
            # each sum in a loop of its own, without a carried scalar: SIMD lanes
            change = trend = 0.0
            above = crossings = 0
            for t in range(n - 1):
                change += abs(x[t + 1] - x[t])
            for t in range(n - 1):
                crossings += (centred[t + 1] > 0) != (centred[t] > 0)
            for t in range(n):
                above += centred[t] > 0
            for t in range(n):
                trend += ramp[t] * centred[t]
            row = shapes[i, ch]
            row[0], row[1], row[2], row[3] = change, above, crossings, trend
            for lag in range(1, min(max_lag, n - 1) + 1):
                total = 0.0
                for t in range(n - lag):
                    total += centred[t + lag] * centred[t]
                lags[i, ch, lag - 1] = total
        at = 0
        for a in range(n_channels):
            for b in range(a + 1, n_channels):
                total = 0.0
                for t in range(n):
                    total += c[a, t] * c[b, t]
                pairs[i, at] = total
                at += 1


def _with_norms(values, members, counts, out):
    """out = values as float64, then one column per group: the Euclidean norm of its member
    columns, squares summed in member order (as ``cross.magnitude``)."""
    n_channels = values.shape[1]
    if n_channels == 3 and len(counts) == 1 and counts[0] == 3:
        # one x/y/z sensor, the common case: loops without inner loops run ~3x faster
        m0, m1, m2 = members[0, 0], members[0, 1], members[0, 2]
        for t in range(values.shape[0]):
            row = values[t]
            a, b, c = np.float64(row[0]), np.float64(row[1]), np.float64(row[2])
            out[t, 0], out[t, 1], out[t, 2] = a, b, c
            x, y, z = np.float64(row[m0]), np.float64(row[m1]), np.float64(row[m2])
            out[t, 3] = np.sqrt(x * x + y * y + z * z)
        return
    for t in range(values.shape[0]):
        for ch in range(n_channels):
            out[t, ch] = np.float64(values[t, ch])
        for g in range(len(counts)):
            total = 0.0
            for j in range(counts[g]):
                v = out[t, members[g, j]]
                total += v * v
            out[t, n_channels + g] = np.sqrt(total)


def _pair_sums(a, b, offsets, means_a, means_b):
    out = np.zeros(len(offsets) - 1)
    for i in range(len(offsets) - 1):
        mean_a, mean_b = means_a[i], means_b[i]
        total = 0.0
        for t in range(offsets[i], offsets[i + 1]):
            total += (np.float64(a[t]) - mean_a) * (np.float64(b[t]) - mean_b)
        out[i] = total
    return out


def _norm(values, columns, out):
    for t in range(values.shape[0]):
        total = 0.0
        for c in columns:
            v = np.float64(values[t, c])
            total += v * v
        out[t] = np.sqrt(total)


# Columns of ``spectral_rows``, one row per series (see ``featurekit.features.spectral``).
SPECTRAL = (
    "dominant_freq",
    "dominant_power",
    "spectral_centroid",
    "spectral_spread",
    "spectral_entropy",
    "spectral_rolloff",
    "spectral_flatness",
)
ROLLOFF = 0.85


def _fill_centered(values, starts, lengths, means, positions, out):
    """Row r * channels + ch of ``out`` = channel ch of series ``positions[r]`` minus its
    mean, then zeros (FFT input)."""
    n_channels = values.shape[1]
    for r in range(len(positions)):
        i = positions[r]
        start, n = starts[i], lengths[i]
        first = r * n_channels
        if n_channels == 4:  # 3 axes and their magnitude, the common case: rows read once
            m0, m1, m2, m3 = means[i, 0], means[i, 1], means[i, 2], means[i, 3]
            row0, row1, row2, row3 = out[first], out[first + 1], out[first + 2], out[first + 3]
            for t in range(n):
                sample = values[start + t]
                row0[t] = np.float64(sample[0]) - m0
                row1[t] = np.float64(sample[1]) - m1
                row2[t] = np.float64(sample[2]) - m2
                row3[t] = np.float64(sample[3]) - m3
        else:
            for ch in range(n_channels):
                row = out[first + ch]
                mean = means[i, ch]
                for t in range(n):
                    row[t] = np.float64(values[start + t, ch]) - mean
        for ch in range(n_channels):
            out[first + ch, n:] = 0.0


_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # fdlibm's split
_SMALLEST_NORMAL = 2.2250738585072014e-308
_MANTISSA, _ONE = np.uint64(0x000FFFFFFFFFFFFF), np.uint64(0x3FF0000000000000)
_TWO_52 = np.uint64(0x4330000000000000)
_SHIFT, _BIAS = np.uint64(52), 1023


def _log_normal(x, x_bits, mantissa, mantissa_bits, exponent, exponent_bits, out, n):
    """``out[k] = log(x[k])`` for k < n, x positive normal floats or 0 (-> -inf), to about
    an ulp: log(2**e * m) = e log 2 + 2 atanh((m - 1) / (m + 1)), m in [1/sqrt 2, sqrt 2),
    the series to f**23. Both loops are element-wise, so they run in SIMD lanes, which
    NumPy's and libm's log do not here (the log of every spectrum bin was the costliest step
    of the spectral features). ``*_bits`` are uint64 views of the float buffers."""
    for k in range(n):  # integer operations only (AVX2 has no int64 -> float64 conversion)
        bits = x_bits[k]
        mantissa_bits[k] = (bits & _MANTISSA) | _ONE
        exponent_bits[k] = (bits >> _SHIFT) | _TWO_52  # the float 2**52 + biased exponent
    for k in range(n):
        m = mantissa[k]
        big = m > 1.4142135623730951
        m = m * 0.5 if big else m
        e = exponent[k] - (4503599627370496.0 + _BIAS)
        e = e + 1.0 if big else e
        f = (m - 1.0) / (m + 1.0)
        f2 = f * f
        poly = (
            (
                (
                    (
                        (
                            ((((1 / 23 * f2 + 1 / 21) * f2 + 1 / 19) * f2 + 1 / 17) * f2 + 1 / 15)
                            * f2
                            + 1 / 13
                        )
                        * f2
                        + 1 / 11
                    )
                    * f2
                    + 1 / 9
                )
                * f2
                + 1 / 7
            )
            * f2
            + 1 / 5
        ) * f2 + 1 / 3  # the atanh series in f**2, Horner, unrolled
        value = e * _LN2_HI + (e * _LN2_LO + 2.0 * f * (poly * f2 + 1.0))
        out[k] = value if x[k] > 0 else -np.inf


def _spectral_rows(
    spectrum,
    positions,
    bin_hz,
    silent,
    out,
    edges,
    at_edges,
    power,
    power_bits,
    mantissa,
    mantissa_bits,
    exponent,
    log_power,
    shares,
    cumulative,
):
    # out is (series, channels, SPECTRAL), at_edges (series, channels, edges), silent
    # (series, channels).
    """Every SPECTRAL feature of each row of an rfft batch, and its cumulative power share
    below each band edge.

    Row g * channels + ch is channel ch of series ``positions[g]``; its power is
    ``|spectrum[row, 1:]|**2`` in bins of ``bin_hz[g]`` Hz. ``at_edges[i, ch, e]`` receives the share of the bins below
    ``edges[e]`` Hz (the cumulative share of bins 1..k, k = ``_bins_below(edges[e])``), so
    a band's power is the difference of two edges'. The features follow ``SpectrumBatch``'s
    definitions; sums run in SIMD lanes, so they agree with NumPy's to rounding.
    ``power`` ... ``log_power`` are scratch buffers of n_bins, ``shares`` and ``cumulative``
    of (channels, n_bins) and (channels, n_bins + 1): one series' shares stay in cache
    instead of going out to a chunk-wide array.
    """
    n_bins = spectrum.shape[1] // 2 - 1
    n_channels = out.shape[1]
    log_bins = np.log(n_bins)
    # k + 1 as floats: with an integer k (AVX2 has no int64 -> float64 conversion) the
    # frequency-weighted sums ran one bin at a time instead of in SIMD lanes
    bin_index = np.arange(1, n_bins + 1).astype(np.float64)
    live = np.zeros(n_channels, dtype=np.bool_)
    for g in range(spectrum.shape[0] // n_channels):  # the rows of one series
        i = positions[g]
        hz = bin_hz[g]
        for ch in range(n_channels):
            total = 0.0
            subnormal = 0
            parts = spectrum[g * n_channels + ch]  # re, im of bin 0, re, im of bin 1, ...
            for k in range(n_bins):
                re, im = parts[2 * k + 2], parts[2 * k + 3]
                v = re * re + im * im
                power[k] = v
                total += v
                subnormal += (v > 0) & (v < _SMALLEST_NORMAL)
            live[ch] = total > 0 and not silent[i, ch]
            if not live[ch]:
                out[i, ch, :] = 0.0
                at_edges[i, ch, :] = 0.0
                continue
            if subnormal:
                for k in range(n_bins):
                    log_power[k] = np.log(power[k])
            else:
                _log_normal(
                    power,
                    power_bits,
                    mantissa,
                    mantissa_bits,
                    exponent,
                    exponent.view(np.uint64),
                    log_power,
                    n_bins,
                )
            log_total = np.log(total)
            weighted = log_sum = entropy = 0.0
            for k in range(n_bins):
                p, log_p = power[k], log_power[k]
                weighted += p * (hz * bin_index[k])
                log_sum += log_p
                entropy += p * (log_p - log_total) if p > 0 else 0.0
            centroid = weighted / total
            spread = 0.0
            for k in range(n_bins):
                d = hz * bin_index[k] - centroid
                spread += power[k] * (d * d)
            row_shares = shares[ch]  # the divisions in SIMD lanes, out of the running sum
            for k in range(n_bins):
                row_shares[k] = power[k] / total
            best, best_at = power[0], 0
            for k in range(1, n_bins):
                if power[k] > best:
                    best, best_at = power[k], k
            row = out[i, ch]
            row[0] = hz * (best_at + 1)
            row[1] = best / total
            row[2] = centroid
            row[3] = np.sqrt(spread / total)
            row[4] = -(entropy / total) / log_bins
            row[6] = np.exp(log_sum / n_bins) / (total / n_bins)
        _running_sums(shares, cumulative, n_bins)
        for ch in range(n_channels):
            if not live[ch]:
                continue
            row_cumulative = cumulative[ch]
            for e in range(len(edges)):
                at_edges[i, ch, e] = row_cumulative[_bins_below(edges[e], hz, n_bins)]
            # first bin whose cumulative share reaches the rolloff (the shares only grow)
            lo, hi = 0, n_bins
            while lo < hi:
                mid = (lo + hi) // 2
                if row_cumulative[mid + 1] >= ROLLOFF - 1e-12:
                    hi = mid
                else:
                    lo = mid + 1
            rolloff_at = lo if lo < n_bins else 0
            out[i, ch, 5] = hz * rolloff_at + hz


def _running_sums(shares, cumulative, n_bins):
    """``cumulative[ch, k + 1]`` = the shares of row ch summed in order up to k (as NumPy's
    cumsum). Each row is a chain of dependent additions; with 3 axes and their magnitude the
    4 chains run side by side and hide each other's latency."""
    if shares.shape[0] == 4:
        a, b, c, d = shares[0], shares[1], shares[2], shares[3]
        ca, cb, cc, cd = cumulative[0], cumulative[1], cumulative[2], cumulative[3]
        ra = rb = rc = rd = 0.0
        ca[0] = cb[0] = cc[0] = cd[0] = 0.0
        for k in range(n_bins):
            ra += a[k]
            rb += b[k]
            rc += c[k]
            rd += d[k]
            ca[k + 1] = ra
            cb[k + 1] = rb
            cc[k + 1] = rc
            cd[k + 1] = rd
        return
    for ch in range(shares.shape[0]):
        row, cum = shares[ch], cumulative[ch]
        running = 0.0
        cum[0] = 0.0
        for k in range(n_bins):
            running += row[k]
            cum[k + 1] = running


def _bins_below(hz, bin_hz, n_bins):
    """Number of bins k = 1..n_bins whose frequency ``bin_hz * k`` is below ``hz``."""
    if np.isinf(hz):
        return n_bins if hz > 0 else 0
    count = int(min(max(np.ceil(hz / bin_hz) - 1.0, 0.0), n_bins))
    if count < n_bins and bin_hz * (count + 1) < hz:
        count += 1
    if count > 0 and bin_hz * count >= hz:
        count -= 1
    return count


if numba is not None:
    # Reassociation lets LLVM split each sum over SIMD lanes; inputs are finite (the extractor
    # refuses NaN and inf), so no other fast-math licence is taken.
    def _jit(func, exact=False):
        """Compile ``func``; ``exact`` ones (order statistics, spectra) get no fast-math
        licence, so their values and comparisons follow NumPy's to the rounding."""
        options = dict(nogil=True, error_model="numpy")  # x / 0 is inf or NaN, as in NumPy
        if not exact:
            options["fastmath"] = {"reassoc", "contract"}
        try:
            return numba.njit(func, cache=True, **options)  # compiled once per machine
        except RuntimeError:  # no writable cache directory: compile in each process instead
            return numba.njit(func, **options)

    _min_max = _jit(_min_max)
    _moment_sums = _jit(_moment_sums)
    _shape_sums = _jit(_shape_sums)
    _lag_sums = _jit(_lag_sums)
    _columns_of = _jit(_columns_of, exact=True)
    _insertion_sort = _jit(_insertion_sort, exact=True)
    _order_statistics = _jit(_order_statistics, exact=True)
    _quantiles = _jit(_quantiles, exact=True)
    _fill_centered = _jit(_fill_centered, exact=True)
    _log_normal = _jit(_log_normal, exact=True)
    _pair_sums = _jit(_pair_sums)
    _norm = _jit(_norm, exact=True)
    _centred_sums = _jit(_centred_sums)
    _with_norms = _jit(_with_norms, exact=True)
    _spectral_rows = _jit(_spectral_rows)
    _bins_below = _jit(_bins_below, exact=True)
    _running_sums = _jit(_running_sums, exact=True)  # in order: no reassociation


def _prepared(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if numba is None:
        raise ImportError(
            'featurekit\'s compiled kernels need numba: pip install "featurekit[fast]"'
        )
    if values.ndim == 1:
        values = values[:, None]
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    return values, np.asarray(offsets, dtype=np.int64)


def moment_sums(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(series, channels, MOMENT_SUMS) float64 sums of a (samples, channels) array; min and
    max are NaN for an empty series, the sums 0.

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
        float32 or float64; series one after another.
    offsets : int array of shape (n_series + 1,)

    Returns
    -------
    ndarray of shape (n_series, n_channels, len(MOMENT_SUMS))
    """
    values, offsets = _prepared(values, offsets)
    return _moment_sums(values, offsets)


def shape_sums(values: np.ndarray, offsets: np.ndarray, means: np.ndarray) -> np.ndarray:
    """(series, channels, SHAPE_SUMS) float64 sums given each series' mean per channel
    (shape (series, channels)); all 0 for an empty series.

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
        float32 or float64; series one after another.
    offsets : int array of shape (n_series + 1,)
    means : array of shape (n_series, n_channels)

    Returns
    -------
    ndarray of shape (n_series, n_channels, len(SHAPE_SUMS))
    """
    values, offsets = _prepared(values, offsets)
    means = np.asarray(means, dtype=np.float64).reshape(len(offsets) - 1, values.shape[1])
    return _shape_sums(values, offsets, means)


def lag_sums(
    values: np.ndarray, offsets: np.ndarray, means: np.ndarray, max_lag: int
) -> np.ndarray:
    """(series, channels, max_lag) sums of c[t] * c[t - lag] for lag = 1..max_lag over the
    pairs within each series (c = x - mean); 0 where the series is too short.

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
        float32 or float64; series one after another.
    offsets : int array of shape (n_series + 1,)
    means : array of shape (n_series, n_channels)
    max_lag : int

    Returns
    -------
    ndarray of shape (n_series, n_channels, max_lag)
    """
    values, offsets = _prepared(values, offsets)
    means = np.asarray(means, dtype=np.float64).reshape(len(offsets) - 1, values.shape[1])
    return _lag_sums(values, offsets, means, int(max_lag))


def _as_2d(values: np.ndarray) -> np.ndarray:
    if numba is None:
        raise ImportError(
            'featurekit\'s compiled kernels need numba: pip install "featurekit[fast]"'
        )
    values = np.asarray(values)
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    return values[:, None] if values.ndim == 1 else values


def _per_channel(a, shape) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).reshape(shape)


def quantiles(
    values: np.ndarray,
    offsets: np.ndarray,
    qs: Sequence[float] | np.ndarray,
    minima: np.ndarray,
    maxima: np.ndarray,
    means: np.ndarray,
    stds: np.ndarray,
) -> np.ndarray:
    """(series, channels, len(qs)) quantiles of (samples, channels) values, numpy's linear
    interpolation; NaN for an empty series. ``minima``... ``stds`` (series, channels) place
    the value bins of the selection: they change its speed, never its result. 1-D values
    give (series, len(qs)).

    Parameters
    ----------
    values : array of shape (n_samples, n_channels) or (n_samples,)
    offsets : int array of shape (n_series + 1,)
    qs : sequence of float
        In [0, 1].
    minima, maxima, means, stds : arrays of shape (n_series, n_channels)

    Returns
    -------
    ndarray

    Raises
    ------
    ImportError
        numba is not installed.
    """
    flat = np.asarray(values).ndim == 1
    values = _as_2d(values)
    offsets = np.asarray(offsets, dtype=np.int64)
    qs = np.asarray(qs, dtype=np.float64)
    shape = (len(offsets) - 1, values.shape[1])
    out = np.empty(shape + (len(qs),))
    low, high, mean, std = (_per_channel(a, shape) for a in (minima, maxima, means, stds))
    _quantiles(values, offsets, qs, low, high, mean, std, out)
    return out[:, 0] if flat else out


def centred_sums(
    values: np.ndarray, offsets: np.ndarray, means: np.ndarray, max_lag: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SHAPE_SUMS (series, channels, 4), lag sums (series, channels, max_lag) and pair sums
    (series, channel pairs in ``itertools.combinations`` order) in one pass per series.

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
        float32 or float64; series one after another.
    offsets : int array of shape (n_series + 1,)
    means : array of shape (n_series, n_channels)
    max_lag : int

    Returns
    -------
    tuple of 3 ndarrays

    Raises
    ------
    ImportError
        numba is not installed.
    """
    values = _as_2d(values)
    offsets = np.asarray(offsets, dtype=np.int64)
    n, k = len(offsets) - 1, values.shape[1]
    shapes = np.zeros((n, k, 4))
    lags = np.zeros((n, k, max_lag))
    pairs = np.zeros((n, k * (k - 1) // 2))
    _centred_sums(values, offsets, _per_channel(means, (n, k)), int(max_lag), shapes, lags, pairs)
    return shapes, lags, pairs


def with_norms(
    values: np.ndarray, groups: Sequence[Sequence[int]], out: np.ndarray | None = None
) -> np.ndarray:
    """(samples, channels + groups) float64: the values, then the norm of each group's
    member columns (a sequence of column-index sequences).

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
    groups : sequence of sequences of int
        Column positions of each group's members.
    out : float64 array of shape (n_samples, n_channels + len(groups)), optional
        Filled and returned instead of a new array.

    Returns
    -------
    ndarray of shape (n_samples, n_channels + len(groups))

    Raises
    ------
    ImportError
        numba is not installed.
    """
    values = _as_2d(values)
    counts = np.asarray([len(g) for g in groups], dtype=np.int64)
    members = np.zeros((len(groups), max(counts, default=0)), dtype=np.int64)
    for g, columns in enumerate(groups):
        members[g, : len(columns)] = columns
    shape = (len(values), values.shape[1] + len(groups))
    if out is None:
        out = np.empty(shape)
    elif out.shape != shape or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous float64 array of shape {shape}")
    _with_norms(values, members, counts, out)
    return out


def spectral_rows(
    spectrum: np.ndarray,
    positions: np.ndarray,
    bin_hz: np.ndarray,
    silent: np.ndarray,
    out: np.ndarray,
    edges: np.ndarray,
    at_edges: np.ndarray,
) -> None:
    """Fill ``out[positions]`` (series, channels, SPECTRAL) and ``at_edges[positions]``
    (series, channels, edges: the share of the power below each of ``edges`` Hz) from an
    rfft batch whose row r * channels + ch is channel ch of series ``positions[r]`` (bins of
    ``bin_hz[r]`` Hz); ``silent`` (series, channels) ones (constant) get 0 everywhere.

    Parameters
    ----------
    spectrum : complex array of shape (len(positions) * n_channels, n_fft // 2 + 1)
    positions : int array
    bin_hz : float array of shape (len(positions),)
    silent : bool array of shape (n_series, n_channels)
    out : array of shape (n_series, n_channels, len(SPECTRAL))
        Filled in place.
    edges : float array
        Band edges in Hz (inf allowed).
    at_edges : array of shape (n_series, n_channels, len(edges))
        Filled in place.
    """
    n_bins = max(spectrum.shape[1] - 1, 1)
    power = np.empty(n_bins)
    mantissa = np.empty(n_bins)
    _spectral_rows(
        spectrum.view(np.float64),
        positions,
        bin_hz,
        silent,
        out,
        np.asarray(edges, dtype=np.float64),
        at_edges,
        power,
        power.view(np.uint64),
        mantissa,
        mantissa.view(np.uint64),
        np.empty(n_bins),
        np.empty(n_bins),
        np.zeros((out.shape[1], n_bins)),
        np.empty((out.shape[1], n_bins + 1)),
    )


def fill_centered(
    values: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    means: np.ndarray,
    positions: np.ndarray,
    width: int,
) -> np.ndarray:
    """(len(positions) * channels, width) float64 rows: each series' channel minus its mean
    (``means`` is (series, channels)), then zeros.

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
    starts, lengths : int arrays of shape (n_series,)
    means : array of shape (n_series, n_channels)
    positions : int array
        The series to copy.
    width : int
        Row length (at least the longest of those series).

    Returns
    -------
    ndarray of shape (len(positions) * n_channels, width)

    Raises
    ------
    ImportError
        numba is not installed.
    """
    values = _as_2d(values)
    out = np.empty((len(positions) * values.shape[1], width))
    _fill_centered(
        values, starts, lengths, _per_channel(means, (len(starts), values.shape[1])), positions, out
    )
    return out


def pair_sums(
    a: np.ndarray, b: np.ndarray, offsets: np.ndarray, means_a: np.ndarray, means_b: np.ndarray
) -> np.ndarray:
    """Per series, the sum of (a - mean_a) * (b - mean_b) over its samples (0 if empty).

    Parameters
    ----------
    a, b : 1-D arrays of length n_samples
        Two channels laid out by ``offsets``.
    offsets : int array of shape (n_series + 1,)
    means_a, means_b : arrays of shape (n_series,)

    Returns
    -------
    ndarray of shape (n_series,)
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    return _pair_sums(
        a, b, offsets, np.asarray(means_a, dtype=np.float64), np.asarray(means_b, dtype=np.float64)
    )


def norm(values: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Euclidean norm over ``columns`` of a (samples, channels) array, row by row, in float64
    (squares summed in the order of ``columns``, as ``cross.magnitude`` does).

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
    columns : sequence of int

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    out = np.empty(len(values))
    _norm(values, np.asarray(columns, dtype=np.int64), out)
    return out
