"""The block hook: a family computed over the whole panel, fitted on training series."""

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pytest

import featurekit as fk
from featurekit.features.registry import (
    BLOCKS,
    Block,
    FeatureSet,
    feature_family,
    feature_name,
    register_block,
)


@dataclass(frozen=True)
class _ShiftedMean:
    """Toy fitted block: each channel's mean minus the training panel's grand mean."""

    center: tuple | None = None
    family: ClassVar[str] = "toy"
    feature: ClassVar[str] = "shifted_mean_toy"

    @property
    def is_fitted(self) -> bool:
        return self.center is not None

    def fit(self, panel):
        return replace(self, center=tuple(panel.values.mean(axis=0).tolist()))

    def columns(self, channels):
        return [feature_name(c, self.feature) for c in channels]

    def transform(self, panel):
        sums = np.add.reduceat(panel.values, panel.offsets[:-1], axis=0)
        return sums / panel.lengths[:, None] - np.asarray(self.center)


if _ShiftedMean.feature not in BLOCKS:
    register_block(_ShiftedMean)


def _panels():
    rng = np.random.default_rng(0)
    train = fk.Panel.from_arrays([rng.normal(size=(n, 2)) for n in (5, 9, 3)], channels=["x", "y"])
    test = fk.Panel.from_arrays([rng.normal(size=(n, 2)) + 10 for n in (4, 7)], channels=["x", "y"])
    return train, test


def test_block_follows_protocol_and_parses_to_its_family():
    assert isinstance(_ShiftedMean(), Block)
    assert feature_family("x__shifted_mean_toy") == "toy"
    assert feature_family("x__mean") == "stats"
    assert feature_family("not a column") is None


def test_unfitted_block_is_refused_with_the_fix():
    train, _ = _panels()
    with pytest.raises(ValueError, match="FeatureExtractor"):
        fk.extract(train, FeatureSet(blocks=(_ShiftedMean(),)))


def test_feature_extractor_fits_blocks_on_training_series_only():
    train, test = _panels()
    features = FeatureSet(channel=(("mean", ()),), blocks=(_ShiftedMean(),))
    extractor = fk.FeatureExtractor(features, cache=False).fit(train)
    table = extractor.transform(test)
    assert list(table.columns) == [
        "x__mean",
        "y__mean",
        "x__shifted_mean_toy",
        "y__shifted_mean_toy",
    ]
    expected = table[["x__mean", "y__mean"]].to_numpy() - train.values.mean(axis=0)
    np.testing.assert_allclose(table[["x__shifted_mean_toy", "y__shifted_mean_toy"]], expected)
    assert list(extractor.get_feature_names_out()) == list(table.columns)
