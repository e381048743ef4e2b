"""Statistical features per channel, vectorized over all series of a panel.

Conventions: ``std`` uses ddof=0 (numpy's default); ``skew`` and ``kurtosis`` follow
``scipy.stats.skew``/``kurtosis`` defaults (biased, Fisher) except that a constant series gets
0 for both instead of NaN. Autocorrelation follows tsfresh (normalised by the full-series
variance) and is 0 for a constant series. Series shorter than a feature's ``min_length``
(e.g. an empty series) give NaN; the extractor applies that rule for every feature.
"""

from __future__ import annotations

import numpy as np

from featurekit.features.registry import register_feature
from featurekit.features.segments import Segments

QUANTILES = (0.05, 0.1, 0.25, 0.75, 0.9, 0.95)
AUTOCORR_LAGS = (1, 2, 3, 4, 5)


@register_feature("mean", family="stats", cost=0, degree=1)
def mean(seg: Segments) -> np.ndarray:
    """Arithmetic mean.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.mean


@register_feature("std", family="stats", cost=0, degree=1)
def std(seg: Segments) -> np.ndarray:
    """Standard deviation (ddof=0).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return np.sqrt(seg.central_moment(2))


@register_feature("min", family="stats", cost=0, degree=1)
def minimum(seg: Segments) -> np.ndarray:
    """Smallest value.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.minimum


@register_feature("max", family="stats", cost=0, degree=1)
def maximum(seg: Segments) -> np.ndarray:
    """Largest value.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.maximum


@register_feature("ptp", family="stats", cost=0, degree=1)
def ptp(seg: Segments) -> np.ndarray:
    """Peak to peak: max - min.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.maximum - seg.minimum


@register_feature("mean_abs", family="stats", cost=0, degree=1)
def mean_abs(seg: Segments) -> np.ndarray:
    """Mean of absolute values.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return seg.abs_sum / seg.lengths


@register_feature("skew", family="stats", cost=0, degree=0)
def skew(seg: Segments) -> np.ndarray:
    """Biased Fisher-Pearson skewness; 0 for a constant series.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        value = seg.central_moment(3) / seg.central_moment(2) ** 1.5
    return np.where(seg.is_constant, 0.0, value)


@register_feature("kurtosis", family="stats", cost=0, degree=0)
def kurtosis(seg: Segments) -> np.ndarray:
    """Biased Fisher (excess) kurtosis; 0 for a constant series.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        value = seg.central_moment(4) / seg.central_moment(2) ** 2 - 3.0
    return np.where(seg.is_constant, 0.0, value)


@register_feature("median", family="stats", cost=2, degree=1)
def median(seg: Segments) -> np.ndarray:
    """Median.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.quantile(0.5)


@register_feature("quantile", family="stats", grid=[{"q": q} for q in QUANTILES], cost=2, degree=1)
def quantile(seg: Segments, q: float) -> np.ndarray:
    """Quantile ``q`` with linear interpolation (numpy's default).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.
    q : float
        In [0, 1].

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.quantile(q)


@register_feature("iqr", family="stats", cost=2, degree=1)
def iqr(seg: Segments) -> np.ndarray:
    """Interquartile range, q75 - q25.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.quantile(0.75) - seg.quantile(0.25)


@register_feature("rms", family="stats", cost=0, degree=1)
def rms(seg: Segments) -> np.ndarray:
    """Root mean square.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(seg.sum_of_squares / seg.lengths)


@register_feature("energy", family="stats", cost=0, degree=2)
def energy(seg: Segments) -> np.ndarray:
    """Sum of squares (tsfresh's abs_energy).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.sum_of_squares


@register_feature("mean_crossing_rate", family="stats", min_length=2, cost=0, degree=0)
def mean_crossing_rate(seg: Segments) -> np.ndarray:
    """Fraction of consecutive pairs that cross the mean (x > mean changes).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return seg.mean_crossings / (seg.lengths - 1)


@register_feature("abs_sum_of_changes", family="stats", cost=0, degree=1)
def abs_sum_of_changes(seg: Segments) -> np.ndarray:
    """Sum of |x[t] - x[t-1]|.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.abs_change_sum


@register_feature("mean_abs_change", family="stats", min_length=2, cost=0, degree=1)
def mean_abs_change(seg: Segments) -> np.ndarray:
    """Mean of |x[t] - x[t-1]|.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return seg.abs_change_sum / (seg.lengths - 1)


@register_feature(
    "autocorr",
    family="stats",
    grid=[{"lag": lag} for lag in AUTOCORR_LAGS],
    min_length=lambda params: params["lag"] + 1,
    degree=0,
)
def autocorr(seg: Segments, lag: int) -> np.ndarray:
    """Autocorrelation at ``lag`` as tsfresh defines it; 0 for a constant series.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.
    lag : int
        In samples.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        value = seg.lag_product_sum(lag) / ((seg.lengths - lag) * seg.central_moment(2))
    return np.where(seg.is_constant, 0.0, value)


@register_feature("linear_trend_slope", family="stats", min_length=2, cost=0, degree=1)
def linear_trend_slope(seg: Segments) -> np.ndarray:
    """Least-squares slope against the sample index (per sample); 0 for a constant series.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    n = seg.lengths.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = seg.trend_sum / (n * (n * n - 1) / 12.0)
    return np.where(seg.is_constant, 0.0, value)


@register_feature("count_above_mean", family="stats", cost=0, degree=0)
def count_above_mean(seg: Segments) -> np.ndarray:
    """Number of values strictly above the mean (tsfresh's count_above_mean).

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.above_mean_count


@register_feature("length", family="stats", min_length=0, cost=0, degree=0)
def length(seg: Segments) -> np.ndarray:
    """Number of samples.

    Parameters
    ----------
    seg : Segments
        One channel, all series of the panel at once.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    return seg.lengths.astype(np.float64)


SEED = ("mean", "std", "min", "max", "ptp", "mean_abs", "skew", "kurtosis")
