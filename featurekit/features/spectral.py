"""Spectral features per channel from each series' power spectrum, in Hz.

The spectrum of a series is ``|rfft|**2`` of the demeaned series zero-padded to
``scipy.fft.next_fast_len(length)``, without the DC bin (see ``Segments.spectra``); bin ``k``
sits at ``k * sampling_rate / n_fft`` Hz. Every feature is a share or a location of the power
distribution, so a series of 1,000 and one of 1,500 samples of the same signal give close
values. A series with no power (constant) gets 0 for every spectral feature.

Bands are in absolute Hz, so a band starting at or above the Nyquist frequency (half the
sampling rate) is empty: ``band_power`` warns when that holds for every series of a chunk,
the usual sign of a rate left at the Panel's default 1.0 (time counted in samples).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from featurekit.features.kernels import ROLLOFF
from featurekit.features.registry import feature_name, register_feature
from featurekit.features.segments import Segments

DEFAULT_BANDS = ((0.0, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, math.inf))


def _per_spectrum(seg: Segments, compute, name: str | None = None) -> np.ndarray:
    """Apply ``compute(batch) -> (rows,)`` to each FFT-size batch; 0 where there is no power.

    With numba the feature ``name`` comes instead from ``seg.spectral_table``, where one
    compiled pass per batch computed every spectral feature the same way."""
    if name is not None and seg.spectral_table is not None:
        return seg.spectral_table["columns"][name]
    out = np.full(seg.n, np.nan)
    for batch in seg.power_shares:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = compute(batch)
        out[batch.positions] = np.where(batch.has_power, value, 0.0)
    return out


@register_feature("dominant_freq", family="spectral", min_length=2, cost=2, degree=0)
def dominant_freq(seg: Segments) -> np.ndarray:
    """Frequency (Hz) of the strongest bin.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return _per_spectrum(seg, lambda b: b.bin_hz * (b.share.argmax(axis=1) + 1), "dominant_freq")


@register_feature("dominant_power", family="spectral", min_length=2, cost=2, degree=0)
def dominant_power(seg: Segments) -> np.ndarray:
    """Share of the total power in the strongest bin.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return _per_spectrum(seg, lambda b: b.share.max(axis=1), "dominant_power")


@register_feature("spectral_centroid", family="spectral", min_length=2, cost=2, degree=0)
def spectral_centroid(seg: Segments) -> np.ndarray:
    """Power-weighted mean frequency (Hz).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return _per_spectrum(seg, lambda b: (b.share * b.freqs).sum(axis=1), "spectral_centroid")


@register_feature("spectral_spread", family="spectral", min_length=2, cost=2, degree=0)
def spectral_spread(seg: Segments) -> np.ndarray:
    """Power-weighted standard deviation of frequency (Hz).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """

    def compute(b):
        centroid = (b.share * b.freqs).sum(axis=1, keepdims=True)
        return np.sqrt((b.share * (b.freqs - centroid) ** 2).sum(axis=1))

    return _per_spectrum(seg, compute, "spectral_spread")


@register_feature("spectral_entropy", family="spectral", min_length=4, cost=2, degree=0)
def spectral_entropy(seg: Segments) -> np.ndarray:
    """Shannon entropy of the power shares, divided by log(number of bins): in [0, 1].

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """

    def compute(b):
        log_share = b.log_power - np.log(b.power.sum(axis=1, keepdims=True))
        terms = np.where(b.share > 0, b.share * log_share, 0.0)
        return -terms.sum(axis=1) / np.log(b.share.shape[1])

    return _per_spectrum(seg, compute, "spectral_entropy")


@register_feature("spectral_rolloff", family="spectral", min_length=2, cost=2, degree=0)
def spectral_rolloff(seg: Segments) -> np.ndarray:
    """Lowest frequency (Hz) below which 85% of the power lies.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return _per_spectrum(
        seg,
        lambda b: b.bin_hz * (b.cumulative[:, 1:] >= ROLLOFF - 1e-12).argmax(axis=1) + b.bin_hz,
        "spectral_rolloff",
    )


@register_feature("spectral_flatness", family="spectral", min_length=2, cost=2, degree=0)
def spectral_flatness(seg: Segments) -> np.ndarray:
    """Geometric over arithmetic mean of the power: 1 for white noise, near 0 for a tone.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return _per_spectrum(
        seg, lambda b: np.exp(b.log_power.mean(axis=1)) / b.power.mean(axis=1), "spectral_flatness"
    )


@register_feature(
    "band_power",
    family="spectral",
    grid=[{"lo": lo, "hi": hi} for lo, hi in DEFAULT_BANDS],
    min_length=2,
    cost=2,
    degree=0,
)
def band_power(seg: Segments, lo: float, hi: float) -> np.ndarray:
    """Share of the total power in ``lo <= f < hi`` Hz (``hi=inf`` reaches Nyquist).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.
    lo, hi : float
        Band edges in Hz.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    _warn_if_above_nyquist(seg, lo, hi)
    if seg.spectral_table is not None:
        return seg.band_share(lo, hi)

    def compute(b):
        rows = np.arange(len(b.bin_hz))
        return b.cumulative[rows, b.bins_below(hi)] - b.cumulative[rows, b.bins_below(lo)]

    return _per_spectrum(seg, compute)


def _warn_if_above_nyquist(seg: Segments, lo: float, hi: float) -> None:
    """Warn when the band ``lo <= f < hi`` starts at or above every series' Nyquist frequency.

    Such a band holds no power (at most the Nyquist bin's when ``lo`` equals it) whatever the
    data. The message depends only on the band and the highest rate, so chunks at the same
    rates repeat it word for word and Python's default filter shows it once.
    """
    if seg.n == 0:
        return
    rate = float(seg.sampling_rate.max())
    nyquist = rate / 2
    if lo < nyquist:
        return
    column = feature_name("*", "band_power", {"lo": lo, "hi": hi})
    warnings.warn(
        f"band_power {lo:g}-{hi:g} Hz ({column}) is empty (at most the Nyquist bin): it "
        f"starts at or above the Nyquist frequency of every series ({nyquist:g} Hz; highest "
        f"sampling rate {rate:g} Hz). If that is not the real rate (1.0 is the default when it "
        "is unknown), set it: read_ts(..., sampling_rate=...), Panel(..., sampling_rate=...) "
        f"or panel.replace(sampling_rate=...); else pass bands below {nyquist:g} Hz: "
        "fk.extract(..., bands=[(lo, hi), ...]).",
        UserWarning,
        stacklevel=3,  # the feature call in compute_features
    )
