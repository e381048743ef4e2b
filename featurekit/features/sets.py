"""The named feature sets: builders that query the registered features by family.

``interval`` (QUANT's interval quantiles) and ``rocket`` (MiniRocket's convolution PPVs) are
block families fitted on training series (see ``FeatureSet.fit``); ``shape`` is all three, and
``full`` adds them to ``default``; ``hydra`` (Hydra's competing-kernel counts, also fitted
and of the convolution family) is in ``shape`` and ``full`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from featurekit.conventions import check_magnitude_groups
from featurekit.features.hydra import Hydra
from featurekit.features.interval import QuantIntervals
from featurekit.features.registry import (
    FeatureSet,
    calls,
    family_members,
    register_feature_set,
)
from featurekit.features.rocket import MiniRocket
from featurekit.features.spectral import DEFAULT_BANDS
from featurekit.features.stats import SEED
from featurekit.features.tsfresh_bridge import freeze_settings
from featurekit.validation import check_bands


def _band_grid(bands) -> dict:
    return {"band_power": [{"lo": lo, "hi": hi} for lo, hi in check_bands(bands)]}


def _groups(magnitude_groups) -> tuple | None:
    if magnitude_groups is None:
        return None
    return check_magnitude_groups(magnitude_groups)


@register_feature_set("seed")
def seed_set() -> FeatureSet:
    """The 8 statistics per channel of seed 000's RandomForest recipe.

    Returns
    -------
    FeatureSet
    """
    return FeatureSet(channel=calls(SEED))


@register_feature_set("stats")
def stats_set() -> FeatureSet:
    """Every registered statistic of the ``stats`` family, per channel.

    Returns
    -------
    FeatureSet
    """
    return FeatureSet(channel=calls(family_members("stats")))


@register_feature_set("spectral")
def spectral_set(*, bands: Sequence[tuple[float, float]] = DEFAULT_BANDS) -> FeatureSet:
    """Spectral features of every channel (band powers over ``bands``, spectral shape).

    Parameters
    ----------
    bands : sequence of (lo, hi), default DEFAULT_BANDS
        Frequency bands in Hz for ``band_power``, one column each.

    Returns
    -------
    FeatureSet

    Raises
    ------
    ValueError
        Invalid bands or magnitude groups.
    """
    return FeatureSet(channel=calls(family_members("spectral"), **_band_grid(bands)))


@register_feature_set("cross")
def cross_set(
    *,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    magnitude_groups: Mapping | Sequence | None = None,
) -> FeatureSet:
    """Pairwise correlations, and per magnitude group: SMA plus stats and spectral features.

    Parameters
    ----------
    bands : sequence of (lo, hi), default DEFAULT_BANDS
        Frequency bands in Hz for ``band_power``, one column each.
    magnitude_groups : dict or sequence of (name, channels), optional
        Channels combined into a magnitude; ``None`` finds x/y/z triples.

    Returns
    -------
    FeatureSet

    Raises
    ------
    ValueError
        Invalid bands or magnitude groups.
    """
    return FeatureSet(
        pair=calls(["corr"]),
        group=calls(["sma"]),
        magnitude=calls(family_members("stats") + family_members("spectral"), **_band_grid(bands)),
        magnitude_groups=_groups(magnitude_groups),
    )


@register_feature_set("default")
def default_set(
    *,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    magnitude_groups: Mapping | Sequence | None = None,
) -> FeatureSet:
    """``stats`` + ``spectral`` + ``cross``: the summary features of every channel.

    Parameters
    ----------
    bands : sequence of (lo, hi), default DEFAULT_BANDS
        Frequency bands in Hz for ``band_power``, one column each.
    magnitude_groups : dict or sequence of (name, channels), optional
        Channels combined into a magnitude; ``None`` finds x/y/z triples.

    Returns
    -------
    FeatureSet

    Raises
    ------
    ValueError
        Invalid bands or magnitude groups.
    """
    return (
        stats_set()
        + spectral_set(bands=bands)
        + cross_set(bands=bands, magnitude_groups=magnitude_groups)
    )


@register_feature_set("interval")
def interval_set(
    *, depth: int = 6, div: int = 4, reference_length: int | None = None
) -> FeatureSet:
    """QUANT's interval quantiles per channel; the columns are fixed by the median training
    length unless ``reference_length`` is given.

    Parameters
    ----------
    depth : int, default 6
        Dyadic levels (1, 2, 4, ... intervals); QUANT's ``interval_depth``.
    div : int, default 4
        One quantile per ``div`` samples of an interval; QUANT's ``quantile_divisor``.
    reference_length : int, optional
        Length that fixes the columns; by default the median training length (set by fit).

    Returns
    -------
    FeatureSet
        Unfitted: fit it on training series before extracting.
    """
    return FeatureSet(blocks=(QuantIntervals(depth=depth, div=div, fixed_length=reference_length),))


@register_feature_set("rocket")
def rocket_set(
    *,
    n_features: int = 10_000,
    random_state: int = 0,
    pooling: Sequence[str] = ("ppv",),
    diff: bool = False,
) -> FeatureSet:
    """MiniRocket's PPV features (multivariate, ragged), fitted on training series.

    Parameters
    ----------
    n_features : int, default 10_000
        Number of PPV columns, rounded down to a multiple of 84 (at least 84); with several
        pooling operators, the number of columns of all of them together.
    random_state : int, default 0
        Seed of the channel combinations and bias quantiles.
    pooling : sequence of str, default ("ppv",)
        Pooling operators among ``("ppv", "mpv", "mipv", "lspv")`` (MultiRocket's).
    diff : bool, default False
        Also convolve the first difference of each series (MultiRocket's), with half of
        ``n_features``.

    Returns
    -------
    FeatureSet
        Unfitted: fit it on training series before extracting.
    """
    return FeatureSet(
        blocks=(
            MiniRocket(
                n_features=n_features,
                random_state=random_state,
                pooling=tuple(pooling),
                diff=diff,
            ),
        )
    )


@register_feature_set("hydra")
def hydra_set(*, n_groups: int = 64, n_kernels: int = 8, random_state: int = 0) -> FeatureSet:
    """Hydra's competing-kernel counts (multivariate, ragged), fitted on training lengths.

    Parameters
    ----------
    n_groups : int, default 64
        Groups of kernels per dilation, half on the series and half on its difference.
    n_kernels : int, default 8
        Kernels per group.
    random_state : int, default 0
        Seed of the kernels and channel combinations.

    Returns
    -------
    FeatureSet
        Unfitted: fit it on training series before extracting.
    """
    return FeatureSet(
        blocks=(Hydra(n_groups=n_groups, n_kernels=n_kernels, random_state=random_state),)
    )


@register_feature_set("shape")
def shape_set(
    *,
    depth: int = 6,
    div: int = 4,
    reference_length: int | None = None,
    n_features: int = 10_000,
    random_state: int = 0,
    pooling: Sequence[str] = ("ppv",),
    diff: bool = False,
    n_groups: int = 64,
    n_kernels: int = 8,
) -> FeatureSet:
    """Local shape: the ``interval``, ``rocket`` and ``hydra`` families.

    Parameters
    ----------
    depth, div, reference_length
        As for :func:`interval_set`.
    n_features, random_state, pooling, diff
        As for :func:`rocket_set` (``random_state`` seeds Hydra too).
    n_groups, n_kernels
        As for :func:`hydra_set`.

    Returns
    -------
    FeatureSet
        Unfitted.
    """
    return (
        interval_set(depth=depth, div=div, reference_length=reference_length)
        + rocket_set(n_features=n_features, random_state=random_state, pooling=pooling, diff=diff)
        + hydra_set(n_groups=n_groups, n_kernels=n_kernels, random_state=random_state)
    )


@register_feature_set("full")
def full_set(
    *,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    magnitude_groups: Mapping | Sequence | None = None,
    depth: int = 6,
    div: int = 4,
    reference_length: int | None = None,
    n_features: int = 10_000,
    random_state: int = 0,
    pooling: Sequence[str] = ("ppv",),
    diff: bool = False,
    n_groups: int = 64,
    n_kernels: int = 8,
) -> FeatureSet:
    """``default`` plus ``shape``: summaries, spectra, cross-channel, intervals, convolutions.

    Parameters
    ----------
    bands, magnitude_groups
        As for :func:`default_set`.
    depth, div, reference_length, n_features, random_state, pooling, diff, n_groups, n_kernels
        As for :func:`shape_set`.

    Returns
    -------
    FeatureSet
        Unfitted.
    """
    return default_set(bands=bands, magnitude_groups=magnitude_groups) + shape_set(
        depth=depth,
        div=div,
        reference_length=reference_length,
        n_features=n_features,
        random_state=random_state,
        pooling=pooling,
        diff=diff,
        n_groups=n_groups,
        n_kernels=n_kernels,
    )


def tsfresh_set(settings: str | dict) -> FeatureSet:
    """Features computed by tsfresh itself, from a profile name or a settings dict.

    Parameters
    ----------
    settings : str or dict
        ``"minimal"``, ``"efficient"``, ``"comprehensive"`` or tsfresh's
        ``{feature: [params, ...] or None}``.

    Returns
    -------
    FeatureSet
        Extraction needs the tsfresh extra.
    """
    return FeatureSet(tsfresh=freeze_settings(settings), name="tsfresh")


for _profile in ("minimal", "efficient", "comprehensive"):
    register_feature_set(f"tsfresh-{_profile}")(lambda _p=_profile: tsfresh_set(_p))
