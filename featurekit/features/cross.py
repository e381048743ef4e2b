"""Cross-channel features: pairwise correlation, magnitude channels, signal magnitude area.

A magnitude group is a set of channels forming one vector (e.g. x, y, z of an accelerometer);
its magnitude channel ``sqrt(x**2 + y**2 + z**2)`` is named ``<prefix>mag`` and receives the
set's ``magnitude`` features (by default the stats and spectral ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from featurekit.conventions import (
    check_magnitude_groups,
    magnitude_name,
    xyz_triples,  # noqa: F401  (the one x/y/z rule; re-exported)
)
from featurekit.features import kernels
from featurekit.features.registry import register_feature
from featurekit.features.segments import Segments


def auto_magnitude_groups(channels: Sequence[str]) -> tuple:
    """Every x/y/z triple as ``("<prefix>mag", channels)``.

    Parameters
    ----------
    channels : sequence of str

    Returns
    -------
    tuple of (str, (str, str, str))
    """
    return tuple((magnitude_name(prefix), triple) for prefix, triple in xyz_triples(channels))


def resolve_magnitude_groups(groups: Mapping | Sequence | None, channels: Sequence[str]) -> tuple:
    """Groups as ``((name, (channel, ...)), ...)``; ``None`` means automatic triples.

    Parameters
    ----------
    groups : dict, sequence of (name, channels), or None
    channels : sequence of str
        The panel's channels; every member must be one of them.

    Returns
    -------
    tuple of (str, tuple of str)

    Raises
    ------
    ValueError
        Invalid groups, or members that are not channels.
    TypeError
        ``groups`` of the wrong shape.
    """
    if groups is None:
        return auto_magnitude_groups(channels)
    resolved = check_magnitude_groups(groups)
    unknown = sorted({c for _, members in resolved for c in members} - set(channels))
    if unknown:
        raise ValueError(f"magnitude groups name unknown channels {unknown}; have {list(channels)}")
    return resolved


def magnitude(components: Sequence[np.ndarray]) -> np.ndarray:
    """Euclidean norm, sample by sample, of equally long 1-D component arrays, in float64
    (a float32 store's samples are squared and summed without losing digits).

    Parameters
    ----------
    components : sequence of 1-D arrays

    Returns
    -------
    ndarray of float64
    """
    total = np.square(components[0], dtype=np.float64)
    for component in components[1:]:
        total += np.square(component, dtype=np.float64)
    return np.sqrt(total, out=total)


def magnitude_columns(values: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """:func:`magnitude` of the ``columns`` of a (samples, channels) array: one compiled pass
    over its rows with numba (equal to the bit), NumPy's passes over each column without.

    Parameters
    ----------
    values : array of shape (n_samples, n_channels)
    columns : sequence of int
        Positions of the components.

    Returns
    -------
    ndarray of float64, shape (n_samples,)
    """
    if kernels.enabled():
        return kernels.norm(values, columns)
    return magnitude([values[:, c] for c in columns])


@register_feature("corr", family="cross", scope="pair", degree=0)
def corr(a: Segments, b: Segments) -> np.ndarray:
    """Pearson correlation of two channels within each series; 0 if either is constant.

    Parameters
    ----------
    a, b : Segments
        Two channels of the same panel.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    products = a.product_sum(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = products / (a.lengths * np.sqrt(a.central_moment(2) * b.central_moment(2)))
    return np.where(a.is_constant | b.is_constant, 0.0, value)


@register_feature("sma", family="cross", scope="group", cost=0, degree=1)
def sma(members: Sequence[Segments]) -> np.ndarray:
    """Signal magnitude area: mean over time of the sum of absolute values of the members.

    Parameters
    ----------
    members : sequence of Segments
        The channels of one magnitude group.

    Returns
    -------
    ndarray of shape (n_series,)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return sum(m.abs_sum for m in members) / members[0].lengths
