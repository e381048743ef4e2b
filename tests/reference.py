"""Plain per-series numpy/scipy definitions of every registered feature (the test oracle)."""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.stats


def _constant(x):
    return np.ptp(x) == 0


def _moment_stat(func):
    return lambda x: 0.0 if _constant(x) else float(func(x))


def _autocorr(x, lag):
    if _constant(x):
        return 0.0
    c = x - x.mean()
    return float(np.sum(c[lag:] * c[: len(x) - lag]) / ((len(x) - lag) * x.var()))


def _spectrum(x, rate):
    n_fft = scipy.fft.next_fast_len(len(x), real=True)
    power = np.abs(np.fft.rfft(x - x.mean(), n=n_fft)[1:]) ** 2
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / rate)[1:]
    return freqs, power


def _spectral(func):
    def compute(x, rate, **params):
        freqs, power = _spectrum(x, rate)
        if _constant(x) or power.sum() == 0:
            return 0.0
        return float(func(freqs, power / power.sum(), power, **params))

    return compute


def _entropy(f, share, power):
    nz = share[share > 0]
    return -np.sum(nz * np.log(nz)) / np.log(len(share))


def _spread(f, share, power):
    centroid = np.sum(f * share)
    return np.sqrt(np.sum(share * (f - centroid) ** 2))


def _rolloff(f, share, power):
    return f[np.argmax(np.cumsum(share) >= 0.85 - 1e-12)]


def _flatness(f, share, power):
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(power))) / np.mean(power)


CHANNEL = {
    "mean": lambda x: x.mean(),
    "std": lambda x: x.std(),
    "min": lambda x: x.min(),
    "max": lambda x: x.max(),
    "ptp": lambda x: np.ptp(x),
    "mean_abs": lambda x: np.abs(x).mean(),
    "skew": _moment_stat(scipy.stats.skew),
    "kurtosis": _moment_stat(scipy.stats.kurtosis),
    "median": lambda x: np.median(x),
    "quantile": lambda x, q: np.quantile(x, q),
    "iqr": lambda x: np.quantile(x, 0.75) - np.quantile(x, 0.25),
    "rms": lambda x: np.sqrt(np.mean(x**2)),
    "energy": lambda x: np.sum(x**2),
    "mean_crossing_rate": lambda x: np.count_nonzero(np.diff(x > x.mean())) / (len(x) - 1),
    "abs_sum_of_changes": lambda x: np.abs(np.diff(x)).sum(),
    "mean_abs_change": lambda x: np.abs(np.diff(x)).mean(),
    "autocorr": _autocorr,
    "linear_trend_slope": lambda x: scipy.stats.linregress(np.arange(len(x)), x).slope,
    # A constant series has no sample above its mean (np.mean may round below the value).
    "count_above_mean": lambda x: np.count_nonzero(x > x.mean()) if np.ptp(x) > 0 else 0,
    "length": lambda x: len(x),
}

SPECTRAL = {
    "dominant_freq": _spectral(lambda f, s, p: f[np.argmax(s)]),
    "dominant_power": _spectral(lambda f, s, p: s.max()),
    "spectral_centroid": _spectral(lambda f, s, p: np.sum(f * s)),
    "spectral_spread": _spectral(_spread),
    "spectral_entropy": _spectral(_entropy),
    "spectral_rolloff": _spectral(_rolloff),
    "spectral_flatness": _spectral(_flatness),
    "band_power": _spectral(lambda f, s, p, lo, hi: np.sum(s[(f >= lo) & (f < hi)])),
}


def corr(a, b):
    if _constant(a) or _constant(b):
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def sma(*members):
    return float(np.mean(sum(np.abs(m) for m in members)))
