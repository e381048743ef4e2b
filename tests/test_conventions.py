"""The channel conventions are one rule each, shared by the Panel, preprocessing and features."""

import numpy as np
import pytest

import featurekit as fk
from featurekit import conventions as cv
from featurekit import preprocess as pp
from featurekit.features.cross import auto_magnitude_groups, xyz_triples


@pytest.mark.parametrize(
    "name, ok",
    [
        ("ax", True),
        ("acc_x.1=2-3", True),
        ("a b", False),
        ("a__b", False),
        ("", False),
        ("é", False),
    ],
)
def test_channel_name_rule_is_the_panels(name, ok):
    assert cv.is_channel_name(name) is ok
    if ok:
        fk.Panel.from_arrays([np.zeros((2, 1))], channels=[name])
    else:
        with pytest.raises(ValueError, match="channel names"):
            fk.Panel.from_arrays([np.zeros((2, 1))], channels=[name])


def test_safe_channel_name_always_gives_a_valid_name():
    for column in ["gyros belt (x)", "__", "a__b", "μT", "x [m]", 3]:
        assert cv.is_channel_name(cv.safe_channel_name(column)), column


def test_features_and_preprocess_share_the_triple_and_magnitude_names():
    channels = ["ax", "ay", "az", "wx", "wy", "wz", "acc_x", "acc_y", "acc_z", "x", "y", "z"]
    assert xyz_triples is cv.xyz_triples
    assert dict(auto_magnitude_groups(channels)) == cv.magnitude_groups(channels)
    lengths = [5, 7]
    panel = fk.Panel.from_arrays([np.ones((n, len(channels))) for n in lengths], channels=channels)
    added = pp.add_magnitude(panel).channels[len(channels) :]
    assert added == list(cv.magnitude_groups(channels)) == ["amag", "wmag", "acc_mag", "mag"]


def test_mirror_and_gravity_defaults():
    assert pp.default_mirror_signs is cv.default_mirror_signs
    assert cv.default_mirror_signs(["x", "y", "z"]) == {"x": -1}
    with pytest.raises(ValueError, match="no default mirror"):
        cv.default_mirror_signs(["a", "b"])
    assert cv.default_accelerometer(["x", "y", "z", "ax", "ay", "az"]) == ["ax", "ay", "az"]
    assert cv.default_accelerometer(["t"]) is None
