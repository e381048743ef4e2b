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

from featurekit.features import kernels

# Series whose lengths differ by at most this factor share one padded matrix.
_BUCKET_RATIO = 1.15
_BUCKET_MAX_CELLS = 8_000_000
# Lags the compiled lag-product kernel computes together on a cache miss.
_LAG_BLOCK = 5
# Quantiles the compiled selection finds together on a cache miss (the stats set's).
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
# Input cells (float64) of one rfft call of the compiled spectral path: about a megabyte.
_SPECTRUM_CELLS = 131_072


class Layout:
    """Where each series lives (offsets, lengths, rates): shared by all channels of a chunk.

    It caches what depends only on the layout: length buckets, FFT sizes and the gather
    indices that turn ragged series into padded matrices.

    Parameters
    ----------
    offsets : int array of shape (n_series + 1,)
        As :attr:`Panel.offsets <featurekit.panel.Panel.offsets>`.
    sampling_rate : float array of shape (n_series,)
    """

    def __init__(self, offsets: np.ndarray, sampling_rate: np.ndarray):
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.starts = self.offsets[:-1]
        self.lengths = np.diff(self.offsets)
        self.sampling_rate = np.asarray(sampling_rate, dtype=np.float64)
        self.n = len(self.lengths)
        self.nonempty = self.lengths > 0
        self.all_nonempty = bool(self.nonempty.all())

    @cached_property
    def local_time(self) -> np.ndarray:
        """Index of each sample within its series."""
        return np.arange(self.offsets[-1]) - np.repeat(self.starts, self.lengths)

    def _gather(self, positions: np.ndarray, width: int) -> np.ndarray:
        """Index matrix (len(positions), width) into a channel array with a sentinel slot:
        row r holds the samples of series ``positions[r]``, then the sentinel index (the
        array's last slot, see ``Segments``) up to ``width``."""
        columns = np.arange(width)
        index = self.starts[positions, None] + columns
        index[columns >= self.lengths[positions, None]] = self.offsets[-1]
        return index

    @cached_property
    def buckets(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(positions, gather index) per group of series with lengths within 15%."""
        order = np.argsort(self.lengths, kind="stable")
        order = order[self.lengths[order] > 0]
        lengths = self.lengths[order]
        groups, start = [], 0
        while start < len(order):
            limit = max(lengths[start] * _BUCKET_RATIO, lengths[start] + 1)
            stop = int(np.searchsorted(lengths, limit, side="left"))
            stop = min(stop, start + max(1, _BUCKET_MAX_CELLS // int(lengths[stop - 1])))
            positions = order[start:stop]
            width = int(lengths[stop - 1])
            groups.append((positions, self._gather(positions, width)))
            start = stop
        return groups

    @cached_property
    def fft_sizes(self) -> list[tuple[np.ndarray, int]]:
        """(positions, n_fft) per FFT size; n_fft = next_fast_len(length)."""
        unique_lengths, inverse = np.unique(self.lengths, return_inverse=True)
        fast = [scipy.fft.next_fast_len(int(n), real=True) if n > 1 else 0 for n in unique_lengths]
        sizes = np.asarray(fast, dtype=np.int64)[inverse]
        return [(np.flatnonzero(sizes == size), int(size)) for size in np.unique(sizes[sizes > 0])]

    @cached_property
    def fft_batches(self) -> list[tuple[np.ndarray, int, np.ndarray]]:
        """(positions, n_fft, gather index) per FFT size (the NumPy path's padded rows)."""
        return [
            (positions, size, self._gather(positions, size)) for positions, size in self.fft_sizes
        ]

    @cached_property
    def bin_hz(self) -> np.ndarray:
        """Per series: the width in Hz of its spectrum's bins (1.0 without a spectrum)."""
        bin_hz = np.ones(self.n)
        for positions, size in self.fft_sizes:
            bin_hz[positions] = self.sampling_rate[positions] / size
        return bin_hz


class ChannelBlock:
    """Numba path: the compiled per-series sums of several channels of one chunk, the columns
    of a (samples, channels) array, each kind computed for every channel at once on first
    request. One pass over each series' rows per kind, while they are in cache, replaces a
    pass over the whole chunk per kind and channel (a chunk is larger than the caches).

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
        float32 or float64 columns, laid out as ``layout`` says.
    layout : Layout
    moment_sums : array, optional
        ``kernels.moment_sums`` already computed for these columns.
    """

    def __init__(self, values: np.ndarray, layout: Layout, moment_sums: np.ndarray | None = None):
        self.values = values
        self.layout = layout
        self.n_channels = values.shape[1]
        if moment_sums is not None:
            self.__dict__["moments"] = moment_sums
        self._centred: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._quantiles: dict = {}
        #: Band edges (Hz) whose power shares :attr:`spectra` computes.
        self.band_edges: tuple = ()

    @cached_property
    def moments(self) -> np.ndarray:
        """``kernels.moment_sums``: (series, channels, MOMENT_SUMS)."""
        return kernels.moment_sums(self.values, self.layout.offsets)

    def moment(self, name: str) -> np.ndarray:
        """One kind of :attr:`moments`.

        Parameters
        ----------
        name : str
            One of ``kernels.MOMENT_SUMS``.

        Returns
        -------
        ndarray of shape (n_series, n_channels)
        """
        return self.moments[:, :, kernels.MOMENT_SUMS.index(name)]

    @cached_property
    def mean(self) -> np.ndarray:
        """(series, channels) means, clipped into [min, max] as ``Segments.mean``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.clip(
                self.moment("sum") / self.layout.lengths[:, None],
                self.moment("min"),
                self.moment("max"),
            )

    @cached_property
    def variance(self) -> np.ndarray:
        """(series, channels) variances (ddof=0), NaN for empty series."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.moment("c2") / self.layout.lengths[:, None]

    @cached_property
    def is_constant(self) -> np.ndarray:
        """As ``Segments.is_constant``, per (series, channel)."""
        eps = np.finfo(np.float64).resolution * 10
        return self.variance <= (eps * self.mean) ** 2

    def centred(self, max_lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``kernels.centred_sums``: shape sums, lag sums for lags 1..>= max_lag, pair sums.

        Parameters
        ----------
        max_lag : int
            Largest lag needed; the cached sums are recomputed only for a larger one.

        Returns
        -------
        tuple of 3 ndarrays
        """
        if self._centred is None or self._centred[1].shape[2] < max_lag:
            self._centred = kernels.centred_sums(
                self.values, self.layout.offsets, self.mean, max(max_lag, _LAG_BLOCK)
            )
        return self._centred

    def quantile(self, q: float) -> np.ndarray:
        """(series, channels) quantile ``q``; QUANTILES come together on the first call.

        Parameters
        ----------
        q : float
            In [0, 1].

        Returns
        -------
        ndarray of shape (n_series, n_channels)
        """
        if q not in self._quantiles:
            qs = sorted(set(QUANTILES) - set(self._quantiles) | {q})
            table = kernels.quantiles(
                self.values,
                self.layout.offsets,
                qs,
                self.moment("min"),
                self.moment("max"),
                self.mean,
                np.sqrt(self.variance),
            )
            self._quantiles.update(zip(qs, np.moveaxis(table, 2, 0), strict=True))
        return self._quantiles[q]

    @cached_property
    def spectra(self) -> tuple[np.ndarray, np.ndarray, tuple]:
        """(series, channels, SPECTRAL) features (NaN without a spectrum), the (series,
        channels, edges) shares of the power below each of :attr:`band_edges` (NaN without
        a spectrum) and those edges.

        Per FFT size, a few series at a time (their padded rows about a megabyte): fill the
        demeaned, zero-padded rows of all channels, rfft them, and one compiled pass
        computes every spectral feature of each row and its shares below the band edges.
        """
        layout = self.layout
        bin_hz = layout.bin_hz
        edges = tuple(self.band_edges)
        table = np.full((layout.n, self.n_channels, len(kernels.SPECTRAL)), np.nan)
        at_edges = np.full((layout.n, self.n_channels, len(edges)), np.nan)
        means, silent = self.mean, self.is_constant
        for positions, size in layout.fft_sizes:
            step = max(1, _SPECTRUM_CELLS // (size * self.n_channels))
            for first in range(0, len(positions), step):
                batch = positions[first : first + step]
                padded = kernels.fill_centered(
                    self.values, layout.starts, layout.lengths, means, batch, size
                )
                spectrum = scipy.fft.rfft(padded, axis=1, overwrite_x=True)
                kernels.spectral_rows(
                    spectrum, batch, bin_hz[batch], silent, table, np.array(edges), at_edges
                )
        return table, at_edges, edges

    def band_share(self, lo: float, hi: float) -> np.ndarray:
        """(series, channels) share of the power in ``lo <= f < hi`` Hz.

        Edges not among :attr:`band_edges` when :attr:`spectra` ran (the extractor sets them
        from the plan's bands) are added, and the spectra computed again.

        Parameters
        ----------
        lo, hi : float
            Band edges in Hz.

        Returns
        -------
        ndarray of shape (n_series, n_channels)
        """
        edges = self.spectra[2]
        if lo not in edges or hi not in edges:
            self.band_edges = tuple(sorted(set(edges) | {lo, hi}))
            del self.__dict__["spectra"]
            edges = self.spectra[2]
        at_edges = self.spectra[1]
        return at_edges[:, :, edges.index(hi)] - at_edges[:, :, edges.index(lo)]


class Segments:
    """Samples of one channel for many series: ``values`` laid out as ``layout`` says.

    On the numba path the compiled sums come from a :class:`ChannelBlock`: ``block`` and
    ``index`` name this channel's column in one the caller shares between the channels of a
    chunk (``values`` is then that column); without one, Segments makes its own.

    Parameters
    ----------
    values : 1-D array
        The channel's samples, all series one after another.
    layout : Layout
    block : ChannelBlock, optional
    index : int, default 0
        This channel's column in ``block``.
    """

    def __init__(
        self, values: np.ndarray, layout: Layout, block: ChannelBlock | None = None, index: int = 0
    ):
        self._raw = values
        self.layout = layout
        self.lengths = layout.lengths
        self.sampling_rate = layout.sampling_rate
        self.n = layout.n
        if block is not None:
            self.__dict__["block"] = block
        self.index = index

    @cached_property
    def block(self) -> ChannelBlock | None:
        """The ChannelBlock holding this channel's compiled sums; None on the NumPy path."""
        if not kernels.enabled():
            return None
        values = self._raw
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        return ChannelBlock(values[:, None], self.layout)

    @cached_property
    def _values(self) -> np.ndarray:
        """A contiguous float64 copy of the samples plus one slot holding a sentinel (NaN here,
        0 in ``centered``) that padded matrices gather as their padding."""
        n = len(self._raw)
        out = np.empty(n + 1, dtype=np.float64)
        out[:n] = self._raw
        out[n] = np.nan
        return out

    @property
    def values(self) -> np.ndarray:
        """The samples as float64, all series one after another."""
        return self._values[:-1]

    @property
    def raw(self) -> np.ndarray:
        """The samples as given (e.g. a float32 column view of a panel): what kernels read."""
        return self._raw

    # ------------------------------------------------------------------ compiled sums
    @cached_property
    def _kernel_moments(self) -> dict | None:
        """``kernels.moment_sums`` of this channel by name, or None on the NumPy path."""
        if self.block is None:
            return None
        sums = self.block.moments[:, self.index]
        return dict(zip(kernels.MOMENT_SUMS, sums.T, strict=True))

    @cached_property
    def _kernel_shapes(self) -> dict | None:
        """``kernels.SHAPE_SUMS`` of this channel by name, or None on the NumPy path."""
        if self.block is None:
            return None
        sums = self.block.centred(_LAG_BLOCK)[0][:, self.index]
        return dict(zip(kernels.SHAPE_SUMS, sums.T, strict=True))

    # ------------------------------------------------------------------ reductions
    def sum(self, per_sample: np.ndarray) -> np.ndarray:
        """Per-series sums of an array aligned with ``values`` (0 for empty series).

        Parameters
        ----------
        per_sample : 1-D array of length n_samples

        Returns
        -------
        ndarray of shape (n_series,)
        """
        if self.layout.all_nonempty and per_sample.size:
            return np.add.reduceat(per_sample, self.layout.starts, dtype=np.float64)
        out = np.zeros(self.n, dtype=np.float64)
        if per_sample.size:
            nonempty = self.layout.nonempty
            out[nonempty] = np.add.reduceat(per_sample, self.layout.starts[nonempty])
        return out

    def sum_shifted(self, per_pair: np.ndarray, lag: int) -> np.ndarray:
        """Per-series sums of ``per_pair[i]`` (a quantity of samples i and i + lag) over the
        pairs that lie within one series; ``len(per_pair) == n_samples - lag``.

        Parameters
        ----------
        per_pair : 1-D array of length n_samples - lag
        lag : int

        Returns
        -------
        ndarray of shape (n_series,)
        """
        starts, stops = self.layout.starts, self.layout.offsets[1:] - lag
        valid = stops > starts
        bounds = np.column_stack([starts[valid], stops[valid]]).ravel()
        out = np.zeros(self.n, dtype=np.float64)
        if bounds.size:
            # The last range may end at len(per_pair): reduceat's last sum runs to the end anyway.
            if bounds[-1] == len(per_pair):
                bounds = bounds[:-1]
            out[valid] = np.add.reduceat(per_pair, bounds)[::2]
        return out

    def reduce(self, ufunc: np.ufunc, per_sample: np.ndarray) -> np.ndarray:
        """Per-series ``ufunc.reduce`` (e.g. np.minimum), NaN for empty series.

        Parameters
        ----------
        ufunc : numpy ufunc
        per_sample : 1-D array of length n_samples

        Returns
        -------
        ndarray of shape (n_series,)
        """
        if self.layout.all_nonempty and per_sample.size:
            return ufunc.reduceat(per_sample, self.layout.starts)
        out = np.full(self.n, np.nan)
        if per_sample.size:
            nonempty = self.layout.nonempty
            out[nonempty] = ufunc.reduceat(per_sample, self.layout.starts[nonempty])
        return out

    def per_sample(self, per_series: np.ndarray) -> np.ndarray:
        """Broadcast one value per series to every sample of that series.

        Parameters
        ----------
        per_series : 1-D array of length n_series

        Returns
        -------
        ndarray of length n_samples
        """
        return np.repeat(per_series, self.lengths)

    @property
    def local_time(self) -> np.ndarray:
        """Index of each sample within its series (the layout's)."""
        return self.layout.local_time

    @cached_property
    def mean(self) -> np.ndarray:
        """Per-series mean, clipped into [min, max]: rounding never puts the mean of a
        constant series off its value (which would make every sample 'above the mean')."""
        if self.block is not None:
            return self.block.mean[:, self.index]
        total = self.sum(self.values)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.clip(total / self.lengths, self.minimum, self.maximum)

    @cached_property
    def _centered(self) -> np.ndarray:
        out = np.empty_like(self._values)
        np.subtract(self.values, self.per_sample(self.mean), out=out[:-1])
        out[-1] = 0.0
        return out

    @property
    def centered(self) -> np.ndarray:
        """Values minus their series' mean."""
        return self._centered[:-1]

    def central_moment(self, k: int) -> np.ndarray:
        """Per-series central moment of order ``k`` (ddof=0).

        Parameters
        ----------
        k : {2, 3, 4}

        Returns
        -------
        ndarray of shape (n_series,)
        """
        return self._moments[k]

    @cached_property
    def _moments(self) -> dict:
        if self._kernel_moments is not None:
            sums = {k: self._kernel_moments[f"c{k}"] for k in (2, 3, 4)}
        else:
            c = self.centered
            c2 = c * c
            power = np.multiply(c2, c)  # c**3, then c**4 in the same buffer
            sums = {2: self.sum(c2), 3: self.sum(power)}
            sums[4] = self.sum(np.multiply(c2, c2, out=power))
        with np.errstate(invalid="ignore", divide="ignore"):
            return {k: total / self.lengths for k, total in sums.items()}

    @cached_property
    def is_constant(self) -> np.ndarray:
        """True where the variance is zero to numerical precision (scipy's criterion)."""
        eps = np.finfo(np.float64).resolution * 10
        return self.central_moment(2) <= (eps * self.mean) ** 2

    @cached_property
    def minimum(self) -> np.ndarray:
        """Per-series minimum, NaN for empty series."""
        if self._kernel_moments is not None:
            return self._kernel_moments["min"]
        return self.reduce(np.minimum, self.values)

    @cached_property
    def maximum(self) -> np.ndarray:
        """Per-series maximum, NaN for empty series."""
        if self._kernel_moments is not None:
            return self._kernel_moments["max"]
        return self.reduce(np.maximum, self.values)

    @cached_property
    def abs_sum(self) -> np.ndarray:
        """Per-series sum of |x|."""
        if self._kernel_moments is not None:
            return self._kernel_moments["abs_sum"]
        return self.sum(np.abs(self.values))

    @cached_property
    def sum_of_squares(self) -> np.ndarray:
        """Per-series sum of x**2 (0 for empty series)."""
        if self._kernel_moments is not None:
            return self._kernel_moments["sum_sq"]
        return self.sum(self.values * self.values)

    @cached_property
    def above_mean_count(self) -> np.ndarray:
        """Per-series number of samples strictly above the series' mean."""
        if self._kernel_shapes is not None:
            return self._kernel_shapes["above"]
        return self.sum((self.centered > 0).astype(np.float64))

    @cached_property
    def mean_crossings(self) -> np.ndarray:
        """Per-series number of consecutive pairs on opposite sides of the mean (x > mean
        changes)."""
        if self._kernel_shapes is not None:
            return self._kernel_shapes["crossings"]
        above = self.centered > 0
        return self.sum_shifted((above[1:] != above[:-1]).astype(np.float64), 1)

    @cached_property
    def abs_change_sum(self) -> np.ndarray:
        """Per-series sum of |x[t] - x[t-1]|."""
        if self._kernel_shapes is not None:
            return self._kernel_shapes["abs_change"]
        return self.sum_shifted(np.abs(np.diff(self.values)), 1)

    def lag_product_sum(self, lag: int) -> np.ndarray:
        """Per-series sum of c[t] * c[t - lag] (c = x - mean) over the pairs within a series.

        Parameters
        ----------
        lag : int
            At least 1.

        Returns
        -------
        ndarray of shape (n_series,)
        """
        if self.block is None:
            c = self.centered
            return self.sum_shifted(c[lag:] * c[: max(len(c) - lag, 0)], lag)
        # One compiled pass serves a block of lags (autocorr's grid asks for 1..5 in turn).
        return self.block.centred(lag)[1][:, self.index, lag - 1]

    def product_sum(self, other: Segments) -> np.ndarray:
        """Per-series sum of (x - mean) * (y - mean of y), ``other`` a channel of the same
        series.

        Parameters
        ----------
        other : Segments

        Returns
        -------
        ndarray of shape (n_series,)
        """
        block = self.block
        if block is None:
            return self.sum(self.centered * other.centered)
        if other.__dict__.get("block") is block and other.index != self.index:
            a, b = sorted((self.index, other.index))
            k = block.n_channels  # type: ignore[union-attr]
            pair = a * (2 * k - a - 1) // 2 + (b - a - 1)  # itertools.combinations order
            return block.centred(_LAG_BLOCK)[2][:, pair]  # type: ignore[union-attr]
        return kernels.pair_sums(self._raw, other.raw, self.layout.offsets, self.mean, other.mean)

    @cached_property
    def trend_sum(self) -> np.ndarray:
        """Per-series sum of t * (x[t] - mean), t the index within the series."""
        if self._kernel_shapes is not None:
            return self._kernel_shapes["trend"]
        return self.sum(self.local_time * self.centered)

    # ------------------------------------------------------------------ order statistics
    @cached_property
    def sorted_buckets(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(positions, row-sorted values padded with NaN at the end) per length bucket."""
        return [
            (positions, np.sort(self._values[index], axis=1))
            for positions, index in self.layout.buckets
        ]

    def quantile(self, q: float) -> np.ndarray:
        """Per-series quantile, numpy's default linear interpolation; NaN for empty series.

        With numba, one compiled selection per series finds the order statistics of every
        quantile of ``QUANTILES`` (and ``q``) at once, without sorting; without, row-wise
        sorts of padded length buckets.

        Parameters
        ----------
        q : float
            In [0, 1].

        Returns
        -------
        ndarray of shape (n_series,)
        """
        if self.block is not None:
            return self.block.quantile(q)[:, self.index]
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
        out = []
        for positions, size, index in self.layout.fft_batches:
            spectrum = scipy.fft.rfft(self._centered[index], axis=1)[:, 1:]
            power = spectrum.real**2 + spectrum.imag**2
            out.append((positions, self.sampling_rate[positions] / size, power))
        return out

    @cached_property
    def spectral_table(self) -> dict | None:
        """With numba: every ``kernels.SPECTRAL`` feature per series (NaN without a spectrum),
        from the block's compiled spectral pass; None on the NumPy path (features then use
        ``power_shares``)."""
        if self.block is None:
            return None
        table = self.block.spectra[0]
        return {"columns": dict(zip(kernels.SPECTRAL, table[:, self.index].T, strict=True))}

    def band_share(self, lo: float, hi: float) -> np.ndarray:
        """Numba path: per series, the share of the power in ``lo <= f < hi`` Hz (NaN
        without a spectrum).

        Parameters
        ----------
        lo, hi : float
            Band edges in Hz.

        Returns
        -------
        ndarray of shape (n_series,)
        """
        return self.block.band_share(lo, hi)[:, self.index]  # type: ignore[union-attr]

    @cached_property
    def power_shares(self) -> list[SpectrumBatch]:
        """One SpectrumBatch per FFT size; rows of constant series (whose demeaned values are
        rounding noise) have all-zero shares."""
        out = []
        for positions, bin_hz, power in self.spectra:
            total = power.sum(axis=1)
            has_power = (total > 0) & ~self.is_constant[positions]
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(has_power[:, None], power / total[:, None], 0.0)
            out.append(SpectrumBatch(positions, bin_hz, power, share, has_power))
        return out


class SpectrumBatch:
    """Power spectra of series sharing one FFT size, with what spectral features reuse.

    Parameters
    ----------
    positions : int array of shape (n_rows,)
        Positions of the series in the panel.
    bin_hz : array of shape (n_rows,)
        Bin width in Hz of each row.
    power : array of shape (n_rows, n_bins)
        Power of bins 1..n_fft//2.
    share : array of shape (n_rows, n_bins)
        Power over its row's total (0 for rows without power).
    has_power : bool array of shape (n_rows,)
    """

    def __init__(
        self,
        positions: np.ndarray,
        bin_hz: np.ndarray,
        power: np.ndarray,
        share: np.ndarray,
        has_power: np.ndarray,
    ):
        self.positions = positions
        self.bin_hz = bin_hz
        self.power = power
        self.share = share
        self.has_power = has_power

    @cached_property
    def freqs(self) -> np.ndarray:
        """Frequency in Hz of every bin (bins 1..n_fft//2), per row."""
        return self.bin_hz[:, None] * np.arange(1, self.power.shape[1] + 1)

    @cached_property
    def cumulative(self) -> np.ndarray:
        """Cumulative shares with a leading 0: ``cumulative[:, k]`` = share of bins 1..k."""
        out = np.zeros((self.share.shape[0], self.share.shape[1] + 1))
        np.cumsum(self.share, axis=1, out=out[:, 1:])
        return out

    @cached_property
    def log_power(self) -> np.ndarray:
        """Natural log of :attr:`power` (-inf where a bin has no power)."""
        with np.errstate(divide="ignore"):
            return np.log(self.power)

    def bins_below(self, hz: float) -> np.ndarray:
        """Per row, the number of bins whose frequency ``bin_hz * k`` is below ``hz``.

        Parameters
        ----------
        hz : float
            May be inf.

        Returns
        -------
        int ndarray of shape (n_rows,)
        """
        n_bins = self.power.shape[1]
        if np.isinf(hz):
            return np.full(len(self.bin_hz), n_bins if hz > 0 else 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            count = np.clip(np.ceil(hz / self.bin_hz) - 1, 0, n_bins).astype(np.int64)
        # Settle the rounding of the division against the exact comparison bin_hz * k < hz.
        count += (count < n_bins) & (self.bin_hz * (count + 1) < hz)
        count -= (count > 0) & (self.bin_hz * count >= hz)
        return count
