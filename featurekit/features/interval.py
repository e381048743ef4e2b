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
are computed with ``scipy.fft`` per distinct series length (exact length, no padding, batched),
everything else in one compiled pass over the panel's rows. Each representation is sorted by
a merge tree that follows the intervals: dyadic children partition their parent exactly
(``floor(2j L / 2n) = floor(j L / n)``), so the finest pieces (at most 17 samples) are sorted
once by a sorting network and every interval of every level is one branch-free linear merge of
its two halves; a shifted interval is the merge of the two pieces of the level below that it
covers, give or take one sample at each end. That is O(L) work per level and no sort per
interval; the interval sums come from the same tree. Merges run two at a time in one loop
(a merge step waits on the previous one; two independent chains keep the core busy), and the
quantiles are read off the merged runs. Samples are compared as order-preserving int64 keys:
NaN sorts after inf, so an interval holding NaN gets NaN in its mean-subtracted quantiles and
the intervals around it are unaffected (values are meant to be finite: ``extract`` refuses
NaN and inf). Where the series of one length are consecutive in the panel, their spectra are
computed on slices of it (no gather). A large result is allocated in plain pages (see
``_result``).
"""

from __future__ import annotations

import dataclasses
import mmap
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import scipy.fft

from featurekit.features.registry import feature_name, register_block
from featurekit.validation import raise_problems

if TYPE_CHECKING:
    from featurekit.panel import Panel

try:
    import numba
except ImportError:  # the ``fast`` extra is not installed
    numba = None

REPRESENTATIONS = ("x", "d1", "d2", "fft")
_MIN_REFERENCE = 3  # the second difference needs 3 samples


def _rep_lengths(length):
    """Lengths of the four representations of a series of ``length`` samples (>= 0)."""
    length = np.asarray(length, dtype=np.int64)
    return (
        length,
        np.maximum(length - 1, 0),
        np.maximum(length - 2, 0),
        np.where(length > 0, length // 2 + 1, 0),
    )


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
    params: list[dict] = []
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
                    params.extend(
                        {"rep": REPRESENTATIONS[r], "n": n, "shift": s, "i": j, "q": q}
                        for q in range(k)
                    )
    return levels, shifted, counts, columns, tuple(params)


@lru_cache(maxsize=256)
def _channel_columns(depth: int, div: int, reference_length: int, channel: str) -> tuple:
    params = _plan(depth, div, reference_length)[-1]
    return tuple(feature_name(channel, QuantIntervals.feature, p) for p in params)


# ---------------------------------------------------------------------- compiled kernels
# Samples are sorted as int64 keys: the float's bits, the magnitude bits flipped for negative
# values, so integer order is numeric order (-0.0 before 0.0, NaN after inf) and the map is
# its own inverse. Integer compares and selects compile to branch-free code (cmov); float
# selects did not.
_MAGNITUDE = np.int64(0x7FFFFFFFFFFFFFFF)
_PAD = np.int64(0x7FFFFFFFFFFFFFFF)  # larger than every key
_U1 = np.uint64(1)
_LEAF = 17  # most samples per leaf of the merge tree: the sorting network's 16, plus one


def _float_bits(v):
    return np.float64(v).view(np.int64)  # a bit cast in compiled code (see below)


def _bits_float(b):
    return np.int64(b).view(np.float64)


def _key(b):
    return b ^ ((b >> np.int64(63)) & _MAGNITUDE)


def _value(key):
    return _bits_float(_key(key))


def _cx(a, b):
    return min(a, b), max(a, b)


def _sort_leaf(src, a, b, dst):
    """dst[a:b] = src[a:b] sorted, for b - a <= 17, without a branch on the data: the first
    8 keys sorted up and the next 8 down by an optimal 19-comparator network (missing keys
    padded with the largest key), the resulting bitonic 16 merged by 32 comparators, then
    a 17th key inserted (|rfft| of 2**k samples has 2**(k-1) + 1 bins)."""
    m = b - a  # unsigned, as a and b
    c0 = src[a + 0] if m > 0 else _PAD
    c1 = src[a + 1] if m > 1 else _PAD
    c2 = src[a + 2] if m > 2 else _PAD
    c3 = src[a + 3] if m > 3 else _PAD
    c4 = src[a + 4] if m > 4 else _PAD
    c5 = src[a + 5] if m > 5 else _PAD
    c6 = src[a + 6] if m > 6 else _PAD
    c7 = src[a + 7] if m > 7 else _PAD
    c8 = src[a + 8] if m > 8 else _PAD
    c9 = src[a + 9] if m > 9 else _PAD
    c10 = src[a + 10] if m > 10 else _PAD
    c11 = src[a + 11] if m > 11 else _PAD
    c12 = src[a + 12] if m > 12 else _PAD
    c13 = src[a + 13] if m > 13 else _PAD
    c14 = src[a + 14] if m > 14 else _PAD
    c15 = src[a + 15] if m > 15 else _PAD
    # the first 8 ascending, the next 8 descending: a bitonic sequence
    c0, c2 = _cx(c0, c2)
    c1, c3 = _cx(c1, c3)
    c4, c6 = _cx(c4, c6)
    c5, c7 = _cx(c5, c7)
    c0, c4 = _cx(c0, c4)
    c1, c5 = _cx(c1, c5)
    c2, c6 = _cx(c2, c6)
    c3, c7 = _cx(c3, c7)
    c0, c1 = _cx(c0, c1)
    c2, c3 = _cx(c2, c3)
    c4, c5 = _cx(c4, c5)
    c6, c7 = _cx(c6, c7)
    c2, c4 = _cx(c2, c4)
    c3, c5 = _cx(c3, c5)
    c1, c4 = _cx(c1, c4)
    c3, c6 = _cx(c3, c6)
    c1, c2 = _cx(c1, c2)
    c3, c4 = _cx(c3, c4)
    c5, c6 = _cx(c5, c6)
    c10, c8 = _cx(c8, c10)
    c11, c9 = _cx(c9, c11)
    c14, c12 = _cx(c12, c14)
    c15, c13 = _cx(c13, c15)
    c12, c8 = _cx(c8, c12)
    c13, c9 = _cx(c9, c13)
    c14, c10 = _cx(c10, c14)
    c15, c11 = _cx(c11, c15)
    c9, c8 = _cx(c8, c9)
    c11, c10 = _cx(c10, c11)
    c13, c12 = _cx(c12, c13)
    c15, c14 = _cx(c14, c15)
    c12, c10 = _cx(c10, c12)
    c13, c11 = _cx(c11, c13)
    c12, c9 = _cx(c9, c12)
    c14, c11 = _cx(c11, c14)
    c10, c9 = _cx(c9, c10)
    c12, c11 = _cx(c11, c12)
    c14, c13 = _cx(c13, c14)
    # bitonic merge: half-cleaners of 16, 8, 4 and 2
    c0, c8 = _cx(c0, c8)
    c1, c9 = _cx(c1, c9)
    c2, c10 = _cx(c2, c10)
    c3, c11 = _cx(c3, c11)
    c4, c12 = _cx(c4, c12)
    c5, c13 = _cx(c5, c13)
    c6, c14 = _cx(c6, c14)
    c7, c15 = _cx(c7, c15)
    c0, c4 = _cx(c0, c4)
    c1, c5 = _cx(c1, c5)
    c2, c6 = _cx(c2, c6)
    c3, c7 = _cx(c3, c7)
    c8, c12 = _cx(c8, c12)
    c9, c13 = _cx(c9, c13)
    c10, c14 = _cx(c10, c14)
    c11, c15 = _cx(c11, c15)
    c0, c2 = _cx(c0, c2)
    c1, c3 = _cx(c1, c3)
    c4, c6 = _cx(c4, c6)
    c5, c7 = _cx(c5, c7)
    c8, c10 = _cx(c8, c10)
    c9, c11 = _cx(c9, c11)
    c12, c14 = _cx(c12, c14)
    c13, c15 = _cx(c13, c15)
    c0, c1 = _cx(c0, c1)
    c2, c3 = _cx(c2, c3)
    c4, c5 = _cx(c4, c5)
    c6, c7 = _cx(c6, c7)
    c8, c9 = _cx(c8, c9)
    c10, c11 = _cx(c10, c11)
    c12, c13 = _cx(c12, c13)
    c14, c15 = _cx(c14, c15)
    sorted_keys = (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15)
    for t in range(min(m, 16)):
        dst[a + t] = sorted_keys[t]
    if m > 16:
        _insert(dst, np.int64(a), np.int64(a) + 16, src[a + 16])


def _runs(src, a, a_end, c, c_end):
    """The runs src[a:a_end] and src[c:c_end] (both non-empty) as unsigned (index, stop) of
    the one whose last key is smaller, which runs out first in a merge, then (index, stop)
    of the other."""
    if src[c_end - 1] < src[a_end - 1]:
        return np.uint64(c), np.uint64(c_end), np.uint64(a), np.uint64(a_end)
    return np.uint64(a), np.uint64(a_end), np.uint64(c), np.uint64(c_end)


def _merge_runs(src, a, a_end, c, c_end, dst, o):
    """dst[o:o + (a_end - a) + (c_end - c)] = the sorted runs src[a:a_end] and src[c:c_end]
    merged, branch-free. The run that runs out first is the only one whose index is
    checked; indices are unsigned, which spares numba's wraparound test on every access."""
    if a == a_end or c == c_end:
        for t in range(a_end - a):
            dst[o + t] = src[a + t]
        for t in range(c_end - c):
            dst[o + a_end - a + t] = src[c + t]
        return
    i, stop, j, rest = _runs(src, a, a_end, c, c_end)
    k = np.uint64(o)
    while i < stop:
        x, y = src[i], src[j]
        take = np.uint64(y < x)
        dst[k] = y if take else x
        k += _U1
        i += _U1 - take
        j += take
    while j < rest:
        dst[k] = src[j]
        j += _U1
        k += _U1


def _merge2(src, a, a_end, c, c_end, dst, o, a2, a2_end, c2, c2_end, dst2, o2):
    """Two independent merges (as :func:`_merge_runs`) stepped together: each step of one
    merge waits on its own previous step (load, compare, index), so two chains in one loop
    keep the core busy while a single one would stall."""
    if a == a_end or c == c_end or a2 == a2_end or c2 == c2_end:
        _merge_runs(src, a, a_end, c, c_end, dst, o)
        _merge_runs(src, a2, a2_end, c2, c2_end, dst2, o2)
        return
    i, stop, j, rest = _runs(src, a, a_end, c, c_end)
    i2, stop2, j2, rest2 = _runs(src, a2, a2_end, c2, c2_end)
    k, k2 = np.uint64(o), np.uint64(o2)
    while i < stop and i2 < stop2:
        x, y = src[i], src[j]
        x2, y2 = src[i2], src[j2]
        take = np.uint64(y < x)
        take2 = np.uint64(y2 < x2)
        dst[k] = y if take else x
        dst2[k2] = y2 if take2 else x2
        k += _U1
        k2 += _U1
        i += _U1 - take
        i2 += _U1 - take2
        j += take
        j2 += take2
    while i < stop:
        x, y = src[i], src[j]
        take = np.uint64(y < x)
        dst[k] = y if take else x
        k += _U1
        i += _U1 - take
        j += take
    while j < rest:
        dst[k] = src[j]
        j += _U1
        k += _U1
    while i2 < stop2:
        x2, y2 = src[i2], src[j2]
        take2 = np.uint64(y2 < x2)
        dst2[k2] = y2 if take2 else x2
        k2 += _U1
        i2 += _U1 - take2
        j2 += take2
    while j2 < rest2:
        dst2[k2] = src[j2]
        j2 += _U1
        k2 += _U1


def _merge(src, a, mid, b, dst, o):
    """dst[o:o + b - a] = the sorted runs src[a:mid] and src[mid:b] merged. A long merge is
    cut in two at its middle output (a binary search for how many of the first half come
    before it) and both halves are merged together by :func:`_merge2`."""
    h = (b - a) >> 1
    if h < 32 or a == mid or mid == b:
        _merge_runs(src, a, mid, mid, b, dst, o)
        return
    lo, hi = max(a, a + h - (b - mid)), min(mid, a + h)
    while lo < hi:  # the first i with src[i] >= the last of the h - (i - a) taken from B
        i = (lo + hi) >> 1
        if src[i] < src[mid + h - (i - a) - 1]:
            lo = i + 1
        else:
            hi = i
    j = mid + h - (lo - a)
    _merge2(src, a, lo, mid, j, dst, o, lo, mid, j, b, dst, o + h)


def _search(run, a, b, key):
    """First position in the sorted run[a:b] whose key is not below ``key`` (b if none)."""
    while a < b:
        h = (a + b) >> 1
        if run[h] < key:
            a = h + 1
        else:
            b = h
    return a


def _insert(run, a, b, key):
    """run[a:b + 1] = sorted run[a:b] with ``key`` added: a binary search and a move of the
    larger keys one place up (unsigned indices: a plain memmove, no per-key test)."""
    p = np.uint64(_search(run, a, b, key))
    t = np.uint64(b)
    while t > p:
        run[t] = run[t - _U1]
        t -= _U1
    run[p] = key


def _remove(run, a, b, key):
    """run[a:b - 1] = sorted run[a:b] with one ``key`` taken out (``key`` is in it)."""
    last = np.uint64(b - 1)
    t = min(np.uint64(_search(run, a, b, key)), last)
    while t < last:
        run[t] = run[t + _U1]
        t += _U1


def _positions(length, levels, shifted, counts, columns, low, high, coef):
    """Where each quantile of a representation of ``length`` samples reads its group's sorted
    buffer: with ``x0, x1 = buffer[low], buffer[high]``, ``x0 + coef (x1 - x0)`` if
    ``coef >= 0`` else ``x1 + coef (x1 - x0)`` is numpy's and torch's linear interpolation,
    ``x0 + w (x1 - x0)`` below w = 0.5 and ``x1 - (1 - w)(x1 - x0)`` from it (exact at both
    ends). Depends on the length only; the positions are unsigned (no wraparound checks)."""
    for e in range(levels):
        n = 1 << e
        for s in range(1 + shifted[e]):
            for j in range(n - s):
                a = (j * length) // n
                last = max(((j + 1) * length) // n - a - 1, 0)  # an empty one reads srt[a]
                k = counts[e, s, j]
                col = columns[e, s, j]
                step = 1.0 / (k - 1) if k > 1 else 0.0
                for q in range(k):
                    # the median, or numpy's and torch's linspace(0, 1, k): q * step, then 1
                    level = 0.5 if k == 1 else (q * step if q < k - 1 else 1.0)
                    pos = level * last
                    lo = int(pos)
                    w = pos - lo
                    low[col + q] = a + lo
                    high[col + q] = a + min(lo + 1, last)
                    coef[col + q] = w if w < 0.5 else w - 1.0


def _emit(srt, length, e, count, sums, counts, columns, low, high, coef, row, offset):
    """Quantiles of ``count`` intervals of level ``n = 2**e`` whose sorted keys are
    srt[floor(j * length / n):floor((j + 1) * length / n)] and whose sums are ``sums[j]``.
    Odd-numbered quantiles have the interval mean subtracted. (Boundaries are shifts, not
    divisions: ``x // n`` is a 40-cycle idiv when n is not a constant.)"""
    first = np.uint64(columns[0])
    stop = np.uint64(columns[count - 1] + counts[count - 1])
    shift = np.uint64(offset)
    for c in range(first, stop):  # unsigned: no wraparound test on the four indices
        w = coef[c]
        x0, x1 = _value(srt[low[c]]), _value(srt[high[c]])
        row[shift + c] = (x1 if w < 0.0 else x0) + w * (x1 - x0)
    for j in range(count):
        a = (j * length) >> e
        m = (((j + 1) * length) >> e) - a
        k = counts[j]
        col = offset + columns[j]
        if m == 0:
            for q in range(k):
                row[col + q] = np.nan
        elif k > 1:
            mean = sums[j] / m
            for q in range(1, k, 2):
                row[col + q] -= mean


def _representation(z, length, levels, shifted, counts, columns, row, offset, work, tables):
    """All columns of one representation ``z[:length]`` of one series and channel; the
    position tables (see ``_positions``) are those of this length.

    A merge tree: the finest pieces (level ``2**depth``, at most 17 samples, depth >= the
    number of levels) are sorted by a network, and each level's interval ``j`` is the merge
    of its two halves, pieces ``2j`` and ``2j + 1`` of the level below (``floor(2j L / 2n) =
    floor(j L / n)``: the halves are exact). A shifted interval of level ``n`` is the merge of
    pieces ``2j + 1`` and ``2j + 2`` of level ``2n``, give or take one sample at each end
    (``floor(j L / n) + ceil(L / 2n)`` is within one of ``floor((2j + 1) L / 2n)``). Interval
    sums are built the same way, from the leaves' sums."""
    keys, tree, other, shifted_run, sums, shifted_sums = work
    low, high, coef = tables
    if length <= 0:
        for e in range(levels):
            for s in range(2):
                for j in range(1 << e):
                    for q in range(counts[e, s, j]):
                        row[offset + columns[e, s, j] + q] = np.nan
        return
    depth = _tree_depth(length, levels)
    leaves = 1 << depth
    for t in range(length):
        keys[t] = _key(_float_bits(z[t]))
    for j in range(leaves):  # sums[n + j]: the sum of interval j of level n
        a = np.uint64((j * length) >> depth)  # unsigned: no wraparound tests
        b = np.uint64(((j + 1) * length) >> depth)
        total = 0.0
        for t in range(a, b):
            total += z[t]
        sums[leaves + j] = total
        _sort_leaf(keys, a, b, tree)
    child, parent = tree, other
    for e in range(depth - 1, -1, -1):
        n = 1 << e
        two = e < levels and shifted[e]  # this level has shifted intervals
        shift = (length + 2 * n - 1) >> (e + 1)
        half = 0 if two else n >> 1  # unshifted merges paired with each other, else with shifted
        for j in range(half):  # interval j of this level with interval j + n / 2
            a, b = (j * length) >> e, ((j + 1) * length) >> e
            a2, b2 = ((j + half) * length) >> e, ((j + half + 1) * length) >> e
            mid = ((2 * j + 1) * length) >> (e + 1)
            mid2 = ((2 * (j + half) + 1) * length) >> (e + 1)
            _merge2(child, a, mid, mid, b, parent, a, a2, mid2, mid2, b2, parent, a2)
        for j in range(n):
            sums[n + j] = sums[2 * n + 2 * j] + sums[2 * n + 2 * j + 1]
            a, b = (j * length) >> e, ((j + 1) * length) >> e
            mid = ((2 * j + 1) * length) >> (e + 1)
            if not two:
                if j >= 2 * half:  # n = 1
                    _merge(child, a, mid, b, parent, a)
                continue
            if j == n - 1:  # the last interval has no shifted copy
                _merge(child, a, mid, b, parent, a)
                continue
            # shifted interval j: samples [sa, sb), stored at [a, b) of shifted_run; it is
            # pieces 2j + 1 and 2j + 2 of the level below, [lo, b) and [b, hi), give or take
            # one sample at each end
            sa, sb = a + shift, b + shift
            lo, hi = mid, ((2 * j + 3) * length) >> (e + 1)
            if hi - lo < 2:  # at most 3 samples: insert them one by one
                _merge(child, a, mid, b, parent, a)
                total = 0.0
                for t in range(sa, sb):
                    total += z[t]
                    _insert(shifted_run, a, a + t - sa, keys[t])
                shifted_sums[j] = total
                continue
            _merge2(child, a, mid, mid, b, parent, a, lo, b, b, hi, shifted_run, a)
            total = sums[2 * n + 2 * j + 1] + sums[2 * n + 2 * j + 2]
            end = a + hi - lo
            if sa < lo:
                _insert(shifted_run, a, end, keys[sa])
                end, total = end + 1, total + z[sa]
            elif sa > lo:
                _remove(shifted_run, a, end, keys[lo])
                end, total = end - 1, total - z[lo]
            if sb > hi:
                _insert(shifted_run, a, end, keys[hi])
                total += z[hi]
            elif sb < hi:
                _remove(shifted_run, a, end, keys[hi - 1])
                total -= z[hi - 1]
            shifted_sums[j] = total
        if e < levels:
            _emit(
                parent,
                length,
                e,
                n,
                sums[n:],
                counts[e, 0],
                columns[e, 0],
                low,
                high,
                coef,
                row,
                offset,
            )
        if two:
            _emit(
                shifted_run,
                length,
                e,
                n - 1,
                shifted_sums,
                counts[e, 1],
                columns[e, 1],
                low,
                high,
                coef,
                row,
                offset,
            )
        child, parent = parent, child


def _tree_depth(length, levels):
    """Depth of the merge tree of a representation of ``length`` samples (leaves <= 17 samples)."""
    depth = levels
    while (length + (1 << depth) - 1) >> depth > _LEAF:
        depth += 1
    return depth


def _quant(
    values, offsets, spectra, spectrum_offsets, levels, shifted, counts, columns, n_columns, out
):
    n_series, n_channels = len(offsets) - 1, values.shape[1]
    longest = 1
    for i in range(n_series):
        longest = max(longest, offsets[i + 1] - offsets[i])
    x, d, z = np.empty(longest), np.empty(longest), np.empty(longest)
    keys, tree, other = (
        np.empty(longest, dtype=np.int64),
        np.empty(longest, dtype=np.int64),
        np.empty(longest, dtype=np.int64),
    )
    shifted_run = np.empty(longest + 2, dtype=np.int64)  # a merge overshoots by up to 2
    depth = _tree_depth(longest, levels.max())
    sums, shifted_sums = np.empty(2 << depth), np.empty(1 << levels.max())
    work = (keys, tree, other, shifted_run, sums, shifted_sums)
    # quantile positions per column (all representations side by side), and the
    # representation length they were computed for
    low, high = np.empty(n_columns, dtype=np.uint64), np.empty(n_columns, dtype=np.uint64)
    coef = np.empty(n_columns)
    tables = (low, high, coef)
    table_length = np.full(4, -1, dtype=np.int64)
    for i in range(n_series):
        start, length = offsets[i], offsets[i + 1] - offsets[i]
        f0, f1 = spectrum_offsets[i], spectrum_offsets[i + 1]
        lengths = (length, length - 1, length - 2, f1 - f0)
        for r in range(4):
            if lengths[r] > 0 and lengths[r] != table_length[r]:
                _positions(
                    lengths[r], levels[r], shifted[r], counts[r], columns[r], low, high, coef
                )
                table_length[r] = lengths[r]
        row = out[i]
        for ch in range(n_channels):
            offset = ch * n_columns
            for t in range(length):
                x[t] = values[start + t, ch]
            _representation(
                x, length, levels[0], shifted[0], counts[0], columns[0], row, offset, work, tables
            )
            # first difference, 5-wide moving average with the ends replicated
            m = length - 1
            for t in range(m):
                d[t] = x[t + 1] - x[t]
            for t in range(m):
                if 2 <= t < m - 2:
                    z[t] = (d[t - 2] + d[t - 1] + d[t] + d[t + 1] + d[t + 2]) / 5.0
                else:
                    total = 0.0
                    for u in range(t - 2, t + 3):
                        total += d[min(max(u, 0), m - 1)]
                    z[t] = total / 5.0
            _representation(
                z, m, levels[1], shifted[1], counts[1], columns[1], row, offset, work, tables
            )
            for t in range(length - 2):
                z[t] = (x[t + 2] - x[t + 1]) - (x[t + 1] - x[t])
            _representation(
                z,
                length - 2,
                levels[2],
                shifted[2],
                counts[2],
                columns[2],
                row,
                offset,
                work,
                tables,
            )
            _representation(
                spectra[ch, f0:f1],
                f1 - f0,
                levels[3],
                shifted[3],
                counts[3],
                columns[3],
                row,
                offset,
                work,
                tables,
            )


if numba is not None:
    from numba import types
    from numba.extending import intrinsic

    def _jit(func, **options):
        try:
            return numba.njit(func, cache=True, nogil=True, **options)  # compiled once
        except RuntimeError:  # no writable cache directory: compile in each process instead
            return numba.njit(func, nogil=True, **options)

    @intrinsic
    def _float_bits_intrinsic(typingctx, v):
        """The bits of a float64 as an int64, in a register (no memory round trip)."""

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.int64))

        return types.int64(types.float64), codegen

    @intrinsic
    def _bits_float_intrinsic(typingctx, b):
        """The float64 whose bits are the int64 ``b``."""

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return types.float64(types.int64), codegen

    _float_bits = _float_bits_intrinsic
    _bits_float = _bits_float_intrinsic
    for _name in ("_key", "_value", "_cx", "_runs", "_search", "_insert", "_remove"):
        globals()[_name] = _jit(globals()[_name], inline="always")
    for _name in ("_sort_leaf", "_merge_runs", "_merge2", "_merge"):
        globals()[_name] = _jit(globals()[_name])
    _positions = _jit(_positions)
    _emit = _jit(_emit)
    _tree_depth = _jit(_tree_depth)
    _representation = _jit(_representation)
    _quant = _jit(_quant)


_SPECTRUM_CELLS = 1 << 20  # samples per batched FFT call


def _spectra(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|rfft| of every series at its own length, one row per channel (channels, bins), series
    after series: a scipy call per distinct length (batched), none per series."""
    lengths = np.diff(offsets)
    sizes = _rep_lengths(lengths)[3]
    spectrum_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    spectra = np.empty((values.shape[1], spectrum_offsets[-1]))
    for length in np.unique(lengths[lengths > 0]):
        same = np.flatnonzero(lengths == length)
        step = max(1, _SPECTRUM_CELLS // (int(length) * values.shape[1]))
        bins = int(length) // 2 + 1
        for first in range(0, len(same), step):
            positions = same[first : first + step]
            if positions[-1] - positions[0] == len(positions) - 1:  # consecutive series:
                # their samples and their spectra are contiguous blocks, no gather
                start, stop = offsets[positions[0]], offsets[positions[-1] + 1]
                batch = values[start:stop].reshape(len(positions), int(length), -1)
                spectrum = scipy.fft.rfft(
                    np.ascontiguousarray(batch.transpose(2, 0, 1), dtype=np.float64), axis=-1
                )
                f0 = spectrum_offsets[positions[0]]
                spectra[:, f0 : f0 + len(positions) * bins] = np.abs(spectrum).reshape(
                    values.shape[1], -1
                )
                continue
            rows = offsets[positions, None] + np.arange(length)
            batch = np.ascontiguousarray(values[rows].transpose(2, 0, 1), dtype=np.float64)
            spectrum = scipy.fft.rfft(batch, axis=-1)
            where = spectrum_offsets[positions, None] + np.arange(bins)
            spectra[:, where] = np.abs(spectrum)
    return spectra, spectrum_offsets


_PLAIN_PAGES_BYTES = 1 << 26  # results larger than this get memory of plain pages


def _result(shape: tuple[int, int]) -> np.ndarray:
    """An uninitialised float64 array of ``shape`` for :meth:`QuantIntervals.transform`.

    numpy advises transparent huge pages for every large array; where the kernel then
    compacts memory to find them at the first write (``defrag`` set to ``madvise``, the
    default), a large result costs more to fault in than to compute: 432 MB (2,000 series
    x 3 channels at 1,024 samples) took 0.8-1.0 s CPU on the benchmark machine against
    0.2 s in plain pages. So a large result lives in a private anonymous mapping of plain
    pages (the array holds it; freed with the array), a small one in ``np.empty``.
    """
    nbytes = shape[0] * shape[1] * 8
    flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
    flags |= getattr(mmap, "MAP_POPULATE", 0)  # Linux: all pages in one call, not one fault each
    if nbytes <= _PLAIN_PAGES_BYTES or not hasattr(mmap, "MAP_PRIVATE"):
        return np.empty(shape)
    memory = mmap.mmap(-1, nbytes, flags=flags)
    return np.frombuffer(memory, dtype=np.float64).reshape(shape)


@register_block
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
        return (type(self).__name__, self.depth, self.div, self.fixed_length, self.reference_length)

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
        if isinstance(self.depth, (int, np.integer)) and self.depth > 16:
            problems.append(f"depth must be <= 16 (2**15 intervals per level), got {self.depth}")
        if self.fixed_length is not None and not (
            isinstance(self.fixed_length, (int, np.integer)) and self.fixed_length >= 1
        ):
            problems.append(f"fixed_length must be None or an int >= 1, got {self.fixed_length!r}")
        raise_problems("QuantIntervals", problems)

    def fit(self, panel: Panel) -> QuantIntervals:
        """A copy whose reference length is the median length of ``panel``'s non-empty series
        (or ``fixed_length``), at least 3. Only the lengths of ``panel`` are read.

        Parameters
        ----------
        panel : Panel
            Training series.

        Returns
        -------
        QuantIntervals

        Raises
        ------
        ValueError
            Invalid parameters, or every series is empty.
        """
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

    def _reference(self) -> int:
        """The fitted reference length; NotFittedError before :meth:`fit`."""
        if self.reference_length is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                "QuantIntervals is not fitted: call fit(panel) first, or give reference_length"
            )
        return int(self.reference_length)

    def columns(self, channels: list[str]) -> list[str]:
        """Column names for these channels, in the order of :meth:`transform`.

        Parameters
        ----------
        channels : list of str

        Returns
        -------
        list of str

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        reference = self._reference()
        return [
            name
            for channel in channels
            for name in _channel_columns(self.depth, self.div, reference, str(channel))
        ]

    def n_columns_per_channel(self) -> int:
        """Columns each channel gives at the fitted reference length.

        Returns
        -------
        int
        """
        return len(_plan(self.depth, self.div, self._reference())[-1])

    def transform(self, panel: Panel) -> np.ndarray:
        """(series, channels x columns per channel) float64 features of ``panel``.

        Parameters
        ----------
        panel : Panel

        Returns
        -------
        ndarray of shape (n_series, n_channels * n_columns_per_channel)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ImportError
            numba is not installed.
        """
        reference = self._reference()
        if numba is None:
            raise ImportError(
                'featurekit\'s interval family (QUANT) needs numba: pip install "featurekit[fast]"'
            )
        levels, shifted, counts, columns, params = _plan(self.depth, self.div, reference)
        values = np.asarray(panel.values)
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        offsets = np.asarray(panel.offsets, dtype=np.int64)
        out = _result((len(offsets) - 1, values.shape[1] * len(params)))
        if out.size:
            spectra, spectrum_offsets = _spectra(values, offsets)
            _quant(
                values,
                offsets,
                spectra,
                spectrum_offsets,
                levels,
                shifted,
                counts,
                columns,
                len(params),
                out,
            )
        return out
