"""One channel of a whole panel, with the intermediates features share, computed once.

``Segments`` holds a 1-D float64 array of all samples and the ``offsets`` of each series.
Reductions go through ``np.add.reduceat``; order statistics through row-wise sorts of
padded, length-bucketed matrices; spectra through ``scipy.fft.rfft`` on batches of equal
FFT size. No Python loop runs per series.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.fft

# Series whose lengths differ by at most this factor share one padded matrix.
_BUCKET_RATIO = 1.15
_BUCKET_MAX_CELLS = 8_000_000


class Segments:
    """Samples of one channel for many series (values + offsets)."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray, sampling_rate: np.ndarray):
        self.values = np.ascontiguousarray(values, dtype=np.float64)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.lengths = np.diff(self.offsets)
        self.sampling_rate = np.asarray(sampling_rate, dtype=np.float64)
        self.n = len(self.lengths)

    # ------------------------------------------------------------------ reductions
    @cached_property
    def _nonempty(self) -> np.ndarray:
        return self.lengths > 0

    def sum(self, per_sample: np.ndarray) -> np.ndarray:
        """Per-series sums of an array aligned with ``values`` (0 for empty series)."""
        out = np.zeros(self.n, dtype=np.float64)
        if per_sample.size:
            out[self._nonempty] = np.add.reduceat(per_sample, self.offsets[:-1][self._nonempty])
        return out

    def reduce(self, ufunc: np.ufunc, per_sample: np.ndarray) -> np.ndarray:
        """Per-series ``ufunc.reduce`` (e.g. np.minimum), NaN for empty series."""
        out = np.full(self.n, np.nan)
        if per_sample.size:
            out[self._nonempty] = ufunc.reduceat(per_sample, self.offsets[:-1][self._nonempty])
        return out

    def per_sample(self, per_series: np.ndarray) -> np.ndarray:
        """Broadcast one value per series to every sample of that series."""
        return np.repeat(per_series, self.lengths)

    @cached_property
    def local_time(self) -> np.ndarray:
        """Index of each sample within its series."""
        return np.arange(len(self.values)) - np.repeat(self.offsets[:-1], self.lengths)

    @cached_property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum(self.values) / self.lengths

    @cached_property
    def centered(self) -> np.ndarray:
        return self.values - self.per_sample(self.mean)

    def central_moment(self, k: int) -> np.ndarray:
        return self._moments[k]

    @cached_property
    def _moments(self) -> dict:
        c = self.centered
        c2 = c * c
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                2: self.sum(c2) / self.lengths,
                3: self.sum(c2 * c) / self.lengths,
                4: self.sum(c2 * c2) / self.lengths,
            }

    @cached_property
    def is_constant(self) -> np.ndarray:
        """True where the variance is zero to numerical precision (scipy's criterion)."""
        eps = np.finfo(np.float64).resolution * 10
        return self.central_moment(2) <= (eps * self.mean) ** 2

    @cached_property
    def diff(self) -> np.ndarray:
        """x[t] - x[t-1] within each series, 0 at each series' first sample."""
        d = np.zeros_like(self.values)
        d[1:] = self.values[1:] - self.values[:-1]
        d[self.local_time == 0] = 0.0
        return d

    def lagged_product(self, lag: int) -> np.ndarray:
        """c[t] * c[t-lag] of the centered values within each series, 0 where t < lag."""
        c = self.centered
        p = np.zeros_like(c)
        p[lag:] = c[lag:] * c[:-lag] if lag else c * c
        p[self.local_time < lag] = 0.0
        return p

    # ------------------------------------------------------------------ order statistics
    @cached_property
    def buckets(self) -> list[np.ndarray]:
        """Series positions grouped so each group's lengths are within ``_BUCKET_RATIO``."""
        order = np.argsort(self.lengths, kind="stable")
        order = order[self.lengths[order] > 0]
        groups, start = [], 0
        lengths = self.lengths[order]
        while start < len(order):
            limit = max(lengths[start] * _BUCKET_RATIO, lengths[start] + 1)
            stop = int(np.searchsorted(lengths, limit, side="left"))
            rows = max(1, _BUCKET_MAX_CELLS // max(int(lengths[stop - 1]), 1))
            stop = min(stop, start + rows)
            groups.append(order[start:stop])
            start = stop
        return groups

    def padded(self, positions: np.ndarray, values: np.ndarray, width: int, fill: float):
        """Matrix (len(positions), width): each row one series' values, then ``fill``."""
        lengths = np.minimum(self.lengths[positions], width)
        out = np.full((len(positions), width), fill, dtype=np.float64)
        rows = np.repeat(np.arange(len(positions)), lengths)
        cols = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[rows, cols] = values[np.repeat(self.offsets[:-1][positions], lengths) + cols]
        return out

    @cached_property
    def sorted_buckets(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(positions, row-sorted values padded with NaN at the end) per bucket."""
        out = []
        for positions in self.buckets:
            width = int(self.lengths[positions].max())
            out.append((positions, np.sort(self.padded(positions, self.values, width, np.nan),
                                           axis=1)))
        return out

    def quantile(self, q: float) -> np.ndarray:
        """Per-series quantile, numpy's default linear interpolation; NaN for empty series."""
        out = np.full(self.n, np.nan)
        for positions, srt in self.sorted_buckets:
            pos = q * (self.lengths[positions] - 1)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, self.lengths[positions] - 1)
            rows = np.arange(len(positions))
            a, b = srt[rows, lo], srt[rows, hi]
            out[positions] = a + (pos - lo) * (b - a)
        return out

    # ------------------------------------------------------------------ spectrum
    @cached_property
    def spectra(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(positions, bin width in Hz per row, power of bins 1..n_fft//2) per FFT size.

        Each series is demeaned and zero-padded to ``scipy.fft.next_fast_len(length)``; the
        power is ``|rfft|**2`` without the DC bin. Features built from it are shares of the
        total power, so they do not depend on the length of the series.
        """
        unique_lengths, inverse = np.unique(self.lengths, return_inverse=True)
        fast = [scipy.fft.next_fast_len(int(n), real=True) if n > 1 else 0 for n in unique_lengths]
        sizes = np.asarray(fast, dtype=np.int64)[inverse]
        out = []
        for size in np.unique(sizes[sizes > 0]):
            positions = np.flatnonzero(sizes == size)
            batch = self.padded(positions, self.centered, int(size), 0.0)
            power = np.abs(scipy.fft.rfft(batch, axis=1)[:, 1:]) ** 2
            out.append((positions, self.sampling_rate[positions] / size, power))
        return out

    @cached_property
    def power_shares(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """(positions, bin frequencies in Hz, power shares, power) per FFT-size batch.

        Shares are power / total power; rows with no power (constant series) are all 0.
        """
        out = []
        for positions, bin_hz, power in self.spectra:
            total = power.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, power / total, 0.0)
            freqs = bin_hz[:, None] * np.arange(1, power.shape[1] + 1)
            out.append((positions, freqs, share, power))
        return out
