"""Channel conventions, written once: names, x/y/z triples, magnitudes, mirror and gravity.

Imported by the Panel (the name rule), by preprocessing (mirroring, magnitudes, gravity) and
by the feature layer (magnitude groups of the ``cross`` set) alike, so that the two sides
cannot drift apart. This module imports nothing from featurekit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "ACCELEROMETER_TRIPLES",
    "CHANNEL_NAME",
    "CHANNEL_NAME_CHARS",
    "GRAVITY_CUTOFF_HZ",
    "MIRROR_PSEUDOVECTOR_AXES",
    "MIRROR_VECTOR_AXES",
    "check_magnitude_groups",
    "default_accelerometer",
    "default_mirror_signs",
    "is_channel_name",
    "magnitude_groups",
    "magnitude_name",
    "safe_channel_name",
    "xyz_triples",
]

# ---------------------------------------------------------------------------- names
CHANNEL_NAME_CHARS = "A-Za-z0-9_.="
"""Characters of a channel (or name part), as a regex class body; ``-`` comes on top.

LightGBM and XGBoost accept them in column names; ``__`` is reserved as the separator of
``<channel>__<feature>[__<param>-<value>…]``."""
CHANNEL_NAME = re.compile(rf"^[{CHANNEL_NAME_CHARS}-]+$")
_UNSAFE = re.compile(rf"[^{CHANNEL_NAME_CHARS}-]")


def is_channel_name(name: object) -> bool:
    """Whether ``name`` is a valid channel (or name part): ``[A-Za-z0-9_.=-]+`` without ``__``.

    Parameters
    ----------
    name : object
        Anything; only a string can be valid.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_channel_name("acc_x"), is_channel_name("acc x"), is_channel_name("a__b")
    (True, False, False)
    """
    return isinstance(name, str) and bool(CHANNEL_NAME.match(name)) and "__" not in name


def safe_channel_name(column: object) -> str:
    """A valid channel name made from any column label: other characters become ``_``,
    runs of ``_`` shrink to one, and an empty result is ``c``.

    Parameters
    ----------
    column : object
        A column label (read with ``str``).

    Returns
    -------
    str

    Examples
    --------
    >>> safe_channel_name("gyros belt (x)")
    'gyros_belt_x'
    """
    name = _UNSAFE.sub("_", str(column))
    return re.sub(r"_{2,}", "_", name).strip("_") or "c"


# ---------------------------------------------------------------------------- x/y/z triples
_AXIS = re.compile(r"^(.*?)([xyzXYZ])$")


def xyz_triples(channels: Sequence[str]) -> list[tuple[str, tuple[str, str, str]]]:
    """Channels named ``<prefix>x, <prefix>y, <prefix>z`` (any case), as (prefix, triple).

    Parameters
    ----------
    channels : sequence of str

    Returns
    -------
    list of (str, (str, str, str))
        In order of the prefixes' first appearance.

    Examples
    --------
    >>> xyz_triples(["ax", "ay", "az", "wx", "wy", "wz", "t"])
    [('a', ('ax', 'ay', 'az')), ('w', ('wx', 'wy', 'wz'))]
    """
    by_prefix: dict[str, dict[str, str]] = {}
    for channel in channels:
        match = _AXIS.match(channel)
        if match:
            by_prefix.setdefault(match.group(1), {})[match.group(2).lower()] = channel
    return [
        (prefix, tuple(axes[a] for a in "xyz"))
        for prefix, axes in by_prefix.items()
        if set(axes) == {"x", "y", "z"}
    ]


# ---------------------------------------------------------------------------- magnitudes
def magnitude_name(prefix: str) -> str:
    """Name of the magnitude channel of the triple ``<prefix>x, <prefix>y, <prefix>z``:
    ``<prefix>mag`` (the ``cross`` feature set's and :func:`featurekit.preprocess.add_magnitude`'s).

    Parameters
    ----------
    prefix : str

    Returns
    -------
    str

    Examples
    --------
    >>> magnitude_name(""), magnitude_name("a"), magnitude_name("acc_")
    ('mag', 'amag', 'acc_mag')
    """
    return f"{prefix}mag"


def check_magnitude_groups(
    groups: Mapping[str, Sequence[str] | str] | Iterable[tuple[str, Sequence[str] | str]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``{name: channels}`` (or ``[(name, channels), ...]``) as ``((name, (channel, ...)),
    ...)``; a name that is not a valid channel name (``a__b`` would give columns that
    :func:`featurekit.parse_feature_name` cannot read back) or a group without channels is
    refused, every problem in one ValueError.

    Parameters
    ----------
    groups : dict or iterable of (name, channels)
        A single channel may be given as a string.

    Returns
    -------
    tuple of (str, tuple of str)

    Raises
    ------
    TypeError
        ``groups`` is a string or not made of pairs.
    ValueError
        Invalid group names or empty groups (all listed).

    Examples
    --------
    >>> check_magnitude_groups({"acc": ["x", "y", "z"]})
    (('acc', ('x', 'y', 'z')),)
    """
    if isinstance(groups, (str, bytes)):
        raise TypeError(f"magnitude_groups must be a dict {{name: [channels]}}, got {groups!r}")
    try:
        items = list(groups.items() if hasattr(groups, "items") else groups)
        resolved = [
            (name, tuple([members] if isinstance(members, str) else members))
            for name, members in items
        ]
    except (TypeError, ValueError):
        raise TypeError(
            "magnitude_groups must be a dict {name: [channels]} or a list of "
            f"(name, [channels]) pairs, got {groups!r:.80}"
        ) from None
    problems = []
    for name, members in resolved:
        if not is_channel_name(name):
            problems.append(
                f"group name {name!r} must use only [{CHANNEL_NAME_CHARS}-] and no "
                "'__' (it becomes the magnitude channel's name)"
            )
        if not members:
            problems.append(f"group {name!r} names no channel")
    if problems:
        raise ValueError("Invalid magnitude_groups:\n  - " + "\n  - ".join(problems))
    return tuple((name, tuple(str(m) for m in members)) for name, members in resolved)


def magnitude_groups(channels: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """Every x/y/z triple among ``channels`` as ``{magnitude_name(prefix): triple}``.

    Parameters
    ----------
    channels : sequence of str

    Returns
    -------
    dict

    Examples
    --------
    >>> magnitude_groups(["ax", "ay", "az"])
    {'amag': ('ax', 'ay', 'az')}
    """
    return {magnitude_name(prefix): triple for prefix, triple in xyz_triples(channels)}


# ---------------------------------------------------------------------------- mirroring
MIRROR_VECTOR_AXES = ("x", "ax", "acc_x")
"""x components of true vectors (acceleration, position): negated by a reflection x -> -x."""
MIRROR_PSEUDOVECTOR_AXES = ("wy", "wz", "gyro_y", "gyro_z")
"""y and z components of angular velocity, a pseudovector: negated by the same reflection."""


def default_mirror_signs(channels: Sequence[str]) -> dict[str, int]:
    """Sign map that reflects left-side devices across their x axis.

    A reflection ``x -> -x`` negates the x component of a true vector (acceleration,
    position): ``{"x": -1}`` or ``{"ax": -1}``. Angular velocity is a pseudovector: under
    the same reflection its x component keeps its sign and y and z flip, so accel+gyro data
    gets ``{"ax": -1, "wy": -1, "wz": -1}``.

    Parameters
    ----------
    channels : sequence of str

    Returns
    -------
    dict
        ``{channel: -1}`` for the channels of :data:`MIRROR_VECTOR_AXES` and
        :data:`MIRROR_PSEUDOVECTOR_AXES` present.

    Raises
    ------
    ValueError
        None of those channels is present.

    Examples
    --------
    >>> default_mirror_signs(["ax", "ay", "az", "wx", "wy", "wz"])
    {'ax': -1, 'wy': -1, 'wz': -1}
    """
    channels = set(channels)
    signs = {}
    for x in MIRROR_VECTOR_AXES:
        if x in channels:
            signs[x] = -1
    for w in MIRROR_PSEUDOVECTOR_AXES:
        if w in channels:
            signs[w] = -1
    if not signs:
        raise ValueError(
            f"no default mirror for channels {sorted(channels)}; pass axes=[...] "
            "or signs={channel: -1, ...}"
        )
    return signs


# ---------------------------------------------------------------------------- gravity
GRAVITY_CUTOFF_HZ = 0.3
"""Low-pass cutoff separating gravity from body motion: the usual choice for human motion."""
ACCELEROMETER_TRIPLES = (("ax", "ay", "az"), ("x", "y", "z"), ("acc_x", "acc_y", "acc_z"))
"""Accelerometer channels looked for, in this order, when none are named."""


def default_accelerometer(channels: Sequence[str]) -> list[str] | None:
    """The first of :data:`ACCELEROMETER_TRIPLES` present among ``channels``, else None.

    Parameters
    ----------
    channels : sequence of str

    Returns
    -------
    list of str or None

    Examples
    --------
    >>> default_accelerometer(["ax", "ay", "az", "wx", "wy", "wz"])
    ['ax', 'ay', 'az']
    """
    for triple in ACCELEROMETER_TRIPLES:
        if set(triple) <= set(channels):
            return list(triple)
    return None
