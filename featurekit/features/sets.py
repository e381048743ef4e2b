"""The named feature sets: builders that query the registered features by family."""

from __future__ import annotations

from featurekit.features.registry import (
    FeatureSet,
    calls,
    family_members,
    register_feature_set,
)
from featurekit.features.spectral import DEFAULT_BANDS
from featurekit.features.stats import SEED
from featurekit.features.tsfresh_bridge import freeze_settings


def _band_grid(bands) -> dict:
    return {"band_power": [{"lo": float(lo), "hi": float(hi)} for lo, hi in bands]}


def _groups(magnitude_groups) -> tuple | None:
    if magnitude_groups is None:
        return None
    items = magnitude_groups.items() if hasattr(magnitude_groups, "items") else magnitude_groups
    return tuple((str(name), tuple(members)) for name, members in items)


@register_feature_set("seed")
def seed_set() -> FeatureSet:
    """The 8 statistics per channel of seed 000's RandomForest recipe."""
    return FeatureSet(channel=calls(SEED))


@register_feature_set("stats")
def stats_set() -> FeatureSet:
    return FeatureSet(channel=calls(family_members("stats")))


@register_feature_set("spectral")
def spectral_set(*, bands=DEFAULT_BANDS) -> FeatureSet:
    return FeatureSet(channel=calls(family_members("spectral"), **_band_grid(bands)))


@register_feature_set("cross")
def cross_set(*, bands=DEFAULT_BANDS, magnitude_groups=None) -> FeatureSet:
    """Pairwise correlations, and per magnitude group: SMA plus stats and spectral features."""
    return FeatureSet(
        pair=calls(["corr"]),
        group=calls(["sma"]),
        magnitude=calls(family_members("stats") + family_members("spectral"),
                        **_band_grid(bands)),
        magnitude_groups=_groups(magnitude_groups),
    )


@register_feature_set("default")
def default_set(*, bands=DEFAULT_BANDS, magnitude_groups=None) -> FeatureSet:
    return stats_set() + spectral_set(bands=bands) + cross_set(
        bands=bands, magnitude_groups=magnitude_groups
    )


def tsfresh_set(settings: str | dict) -> FeatureSet:
    """Features computed by tsfresh itself, from a profile name or a settings dict."""
    return FeatureSet(tsfresh=freeze_settings(settings), name="tsfresh")


for _profile in ("minimal", "efficient", "comprehensive"):
    register_feature_set(f"tsfresh-{_profile}")(lambda _p=_profile: tsfresh_set(_p))
