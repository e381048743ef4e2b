"""Spectral features: bands above the Nyquist frequency are named in a warning."""

import warnings

import numpy as np
import pytest

import featurekit as fk
from featurekit.features import FeatureSet, compute_features, feature_name
from featurekit.features.registry import calls
from featurekit.features.spectral import DEFAULT_BANDS
from tests import reference

# Default bands that start at or above 0.5 Hz, the Nyquist frequency at 1 sample per second.
ABOVE_NYQUIST_AT_1HZ = ["0.5-1 Hz", "1-2 Hz", "2-4 Hz", "4-8 Hz", "8-inf Hz"]


def noise_panel(rates, n_channels=2, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 200, len(rates))
    arrays = [rng.normal(size=(length, n_channels)) for length in lengths]
    return fk.Panel.from_arrays(
        arrays,
        channels=[f"c{i}" for i in range(n_channels)],
        sampling_rate=np.asarray(rates, dtype=float),
    )


def extract_with_default_filter(panel, **options):
    """The table and the warnings Python's default filter shows (each message once)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        table = fk.extract(panel, "spectral", cache=False, **options)
    return table, [str(w.message) for w in caught if w.category is UserWarning]


def test_bands_above_nyquist_warn_once_each_at_rate_1():
    # 2 channels, 3 chunks: the default filter still shows one warning per band
    panel = noise_panel([1.0] * 6)
    _, messages = extract_with_default_filter(panel, chunk_size=2)
    assert len(messages) == len(ABOVE_NYQUIST_AT_1HZ)
    for band, message in zip(ABOVE_NYQUIST_AT_1HZ, messages, strict=True):
        assert message.startswith(f"band_power {band} ")
        assert "Nyquist frequency of every series (0.5 Hz; highest sampling rate 1 Hz)" in message
        assert "read_ts(..., sampling_rate=...)" in message
        assert "bands=" in message


def test_band_above_nyquist_names_its_columns():
    table, messages = extract_with_default_filter(noise_panel([1.0] * 3))
    assert "(*__band_power__hi-2__lo-1)" in messages[1]
    assert "c0__band_power__hi-2__lo-1" in table.columns


def test_no_warning_at_50_hz():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fk.extract(noise_panel([50.0] * 6), "default", cache=False, chunk_size=2)


def test_warns_only_for_bands_above_every_series_nyquist():
    # one series at 4 Hz (Nyquist 2 Hz) keeps 0.5-1 and 1-2 Hz meaningful for the chunk
    _, messages = extract_with_default_filter(noise_panel([1.0, 1.0, 4.0]))
    assert [m.split(" Hz ")[0] for m in messages] == [
        "band_power 2-4",
        "band_power 4-8",
        "band_power 8-inf",
    ]
    assert all("(2 Hz; highest sampling rate 4 Hz)" in m for m in messages)


def test_band_values_at_rate_1_are_unchanged():
    panel = noise_panel([1.0] * 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = fk.extract(panel, "spectral", cache=False)
    for i in range(len(panel)):
        x = panel.series(i)[:, 0]
        for lo, hi in DEFAULT_BANDS:
            column = feature_name("c0", "band_power", {"lo": lo, "hi": hi})
            expected = reference.SPECTRAL["band_power"](x, 1.0, lo=lo, hi=hi)
            assert table[column].iloc[i] == pytest.approx(expected, abs=1e-12)


def test_a_panel_without_series_computes_without_warning():
    empty = fk.Panel(np.empty((0, 1)), [0], channels=["c0"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = compute_features(empty, FeatureSet(channel=calls(["band_power"])))
    assert table.shape == (0, len(DEFAULT_BANDS))
