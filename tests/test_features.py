"""Every registered feature against a plain per-series reference, plus edge cases."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import featurekit as fk
from featurekit.features import FEATURES, FeatureSet, compute_features, parse_feature_name
from featurekit.features.registry import calls
from tests import reference

ENGINES = ["numba", "numpy"]


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    """Run a test on the compiled kernels and on the NumPy fallback (see features.kernels)."""
    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("FEATUREKIT_NUMBA", "1" if request.param == "numba" else "0")
    return request.param


CHANNEL_FEATURES = sorted(n for n, s in FEATURES.items() if s.scope == "channel")
CASES = [(name, params) for name in CHANNEL_FEATURES for params in FEATURES[name].grid]


def ragged_panel(seed=0, n=40, channels=("x", "y", "z"), min_len=3, max_len=300):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len, n)
    arrays = []
    for i, length in enumerate(lengths):
        t = np.arange(length) / 50.0
        signal = np.sin(2 * np.pi * rng.uniform(0.3, 10) * t)[:, None] * rng.uniform(0.5, 3)
        arrays.append(
            signal + rng.normal(rng.uniform(-2, 2), rng.uniform(0.1, 2), (length, len(channels)))
        )
        if i % 7 == 3:
            arrays[-1][:, 1 % len(channels)] = 4.2  # a constant channel now and then
    rates = rng.choice([25.0, 50.0, 100.0], n)
    return fk.Panel.from_arrays(arrays, channels=list(channels), sampling_rate=rates)


def reference_value(name, params, x, rate):
    if len(x) < FEATURES[name].min_length_for(params):
        return np.nan
    if name in reference.SPECTRAL:
        return reference.SPECTRAL[name](x, rate, **params)
    return reference.CHANNEL[name](x, **params)


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_channel_feature_matches_reference(name, params, engine):
    panel = ragged_panel()
    table = compute_features(panel, FeatureSet(channel=calls([name], **{name: [params]})))
    assert table.shape == (len(panel), panel.n_channels)
    assert (table.dtypes == np.float64).all()
    for i in range(len(panel)):
        series = panel.series(i)
        for j, channel in enumerate(panel.channels):
            column = fk.features.feature_name(channel, name, params)
            expected = reference_value(name, params, series[:, j], panel.sampling_rate[i])
            got = table[column].iloc[i]
            np.testing.assert_allclose(
                got, expected, rtol=1e-6, atol=1e-9, err_msg=f"{column} of series {i}"
            )


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_short_and_constant_series(name, params, engine):
    arrays = [np.empty((0, 1)), np.array([[2.0]]), np.array([[1.0], [3.0]]), np.full((50, 1), 7.5)]
    panel = fk.Panel.from_arrays(arrays, channels=["x"], sampling_rate=10.0)
    spec = FEATURES[name]
    values = compute_features(panel, FeatureSet(channel=calls([name], **{name: [params]})))
    values = values.iloc[:, 0].to_numpy()
    for length, value in zip(panel.lengths, values, strict=True):
        if length < spec.min_length_for(params):
            assert np.isnan(value), f"{name} on length {length} should be NaN"
        else:
            assert np.isfinite(value), f"{name} on length {length} gave {value}"
    constant = values[-1]
    if name in ("skew", "kurtosis", "autocorr") or spec.family == "spectral":
        assert constant == 0.0


def test_cross_features_match_reference(engine):
    panel = ragged_panel(seed=1, n=25)
    table = fk.extract(panel, "cross")
    values = panel.values
    for i in range(len(panel)):
        x, y, z = panel.series(i).T
        np.testing.assert_allclose(
            table["x__corr__with-y"].iloc[i], reference.corr(x, y), rtol=1e-6, atol=1e-12
        )
        np.testing.assert_allclose(
            table["y__corr__with-z"].iloc[i], reference.corr(y, z), rtol=1e-6, atol=1e-12
        )
        np.testing.assert_allclose(table["mag__sma"].iloc[i], reference.sma(x, y, z), rtol=1e-9)
        norm = np.linalg.norm(panel.series(i), axis=1)
        np.testing.assert_allclose(table["mag__std"].iloc[i], norm.std(), rtol=1e-9)
        np.testing.assert_allclose(
            table["mag__spectral_centroid"].iloc[i],
            reference.SPECTRAL["spectral_centroid"](norm, panel.sampling_rate[i]),
            rtol=1e-6,
        )
    assert values is panel.values  # extraction does not modify the panel


def test_float32_panel_gives_the_float64_table(engine):
    """Regression: magnitude channels of float32 panels (the store's dtype) were computed in
    float32, off by up to 7.6e-6 relative."""
    panel = ragged_panel(seed=2, n=20, channels=("ax", "ay", "az"))
    values32 = panel.values.astype(np.float32)
    panel32 = fk.Panel(
        values32, panel.offsets, channels=panel.channels, sampling_rate=panel.sampling_rate
    )
    panel64 = fk.Panel(
        values32.astype(np.float64),
        panel.offsets,
        channels=panel.channels,
        sampling_rate=panel.sampling_rate,
    )
    np.testing.assert_allclose(
        fk.extract(panel32, "default").to_numpy(),
        fk.extract(panel64, "default").to_numpy(),
        rtol=1e-9,
        atol=1e-12,
    )


def test_magnitude_groups_auto_and_explicit():
    rng = np.random.default_rng(0)
    channels = ["ax", "ay", "az", "wx", "wy", "wz", "p"]
    panel = fk.Panel.from_arrays([rng.normal(size=(30, 7))], channels=channels)
    auto = fk.extract(panel, "cross").columns
    assert {"amag__sma", "wmag__sma", "amag__mean", "wmag__band_power__hi-inf__lo-8"} <= set(auto)
    explicit = fk.extract(panel, "cross", magnitude_groups={"acc": ["ax", "ay", "az"]}).columns
    assert "acc__sma" in explicit and "wmag__sma" not in explicit
    with pytest.raises(ValueError, match="unknown channels"):
        fk.extract(panel, "cross", magnitude_groups={"acc": ["ax", "nope"]})


def test_spectral_features_do_not_depend_on_length():
    rate = 50.0
    tables = []
    for length in (1000, 1500):
        t = np.arange(length) / rate
        x = np.sin(2 * np.pi * 2.0 * t) + 0.3 * np.sin(2 * np.pi * 6.0 * t)
        tables.append(
            fk.extract(fk.Panel.from_arrays([x], channels=["x"], sampling_rate=rate), "spectral")
        )
    short, long = tables
    np.testing.assert_allclose(short.to_numpy(), long.to_numpy(), rtol=0.1, atol=0.02)
    assert abs(short["x__dominant_freq"].iloc[0] - 2.0) < 0.05


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # engine: same per example
@given(st.lists(st.integers(0, 40), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_seed_set_on_random_ragged_lengths(engine, lengths, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(n, 2)) * rng.uniform(0.1, 100) for n in lengths]
    table = fk.extract(fk.Panel.from_arrays(arrays, channels=["a", "b"]), "seed")
    for i, x in enumerate(arrays):
        for j, channel in enumerate(["a", "b"]):
            for feature in ("mean", "std", "min", "max", "ptp", "mean_abs", "skew", "kurtosis"):
                got = table[f"{channel}__{feature}"].iloc[i]
                if len(x) == 0:
                    assert np.isnan(got)
                    continue
                expected = reference.CHANNEL[feature](x[:, j])
                np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_column_names_are_clean_unique_and_parse_back():
    panel = ragged_panel(n=5, channels=("ax", "ay", "az", "gyro.1"))
    columns = fk.extract(panel, "default").columns
    assert columns.is_unique
    for column in columns:
        assert re.fullmatch(r"[A-Za-z0-9_.=-]+", column), column
        channel, feature, params = parse_feature_name(column)
        assert feature in FEATURES
        assert channel in panel.channels or channel.endswith("mag")
        assert fk.features.feature_name(channel, feature, params) == column


def test_parse_feature_name():
    assert parse_feature_name("x__quantile__q-0.05") == ("x", "quantile", {"q": 0.05})
    assert parse_feature_name("x__band_power__hi-inf__lo-8") == (
        "x",
        "band_power",
        {"hi": float("inf"), "lo": 8},
    )
    assert parse_feature_name("a__corr__with-b") == ("a", "corr", {"with": "b"})
    with pytest.raises(ValueError, match="not a feature column"):
        parse_feature_name("nocolumn")
    with pytest.raises(ValueError, match="<param>-<value>"):
        parse_feature_name("x__mean__bad")


def test_registry_refuses_duplicates_and_bad_names():
    with pytest.raises(ValueError, match="already registered"):
        fk.features.register_feature("mean", family="stats")(lambda seg: seg.mean)
    with pytest.raises(ValueError, match="no '__'"):
        fk.features.register_feature("bad__name", family="stats")


def test_presets_are_queries_on_the_family():
    """A feature registered with family="stats" joins the stats and default presets."""
    fk.features.register_feature("last", family="stats")(
        lambda seg: seg.values[seg.layout.offsets[1:] - 1]
    )
    try:
        stats = [name for name, _ in fk.get_feature_set("stats").channel]
        assert stats[-1] == "last"
        assert "last" in {name for name, _ in fk.get_feature_set("default").channel}
        assert "last" not in {name for name, _ in fk.get_feature_set("spectral").channel}
    finally:
        FEATURES.pop("last")


def test_seed_set_is_exactly_the_seed_recipe():
    features = {name for name, _ in fk.get_feature_set("seed").channel}
    assert features == {"mean", "std", "min", "max", "ptp", "mean_abs", "skew", "kurtosis"}


def test_feature_set_options():
    bands = fk.extract(ragged_panel(n=3), "spectral", bands=[(0, 1), (1, 3)]).columns
    assert [c for c in bands if c.startswith("x__band_power")] == [
        "x__band_power__hi-1__lo-0",
        "x__band_power__hi-3__lo-1",
    ]
    with pytest.raises(ValueError, match="not used"):
        fk.get_feature_set("seed", bands=[(0, 1)])
    with pytest.raises(ValueError, match="unknown feature sets"):
        fk.get_feature_set("nope")


def test_describe_features_lists_every_column_with_its_registry_entry():
    import featurekit as fk
    from featurekit.features import FEATURES, feature_columns, get_feature_set

    channels = ["ax", "ay", "az"]
    table = fk.describe_features("default", channels=channels)
    assert list(table["column"]) == feature_columns(get_feature_set("default"), channels)
    assert set(table["family"]) == {"stats", "spectral", "cross"}
    row = table.set_index("column").loc["amag__quantile__q-0.05"]
    assert (row["channel"], row["feature"], row["params"]) == ("amag", "quantile", {"q": 0.05})
    assert row["description"] == FEATURES["quantile"].description
    pair = table.set_index("column").loc["ax__corr__with-ay"]
    assert pair["min_length"] == FEATURES["corr"].min_length_for({})
    unfitted = fk.describe_features("rocket", channels=channels)
    assert unfitted["family"].tolist() == ["convolution"]
    rng = np.random.default_rng(0)
    panel = fk.Panel.from_arrays([rng.normal(size=(30, 3)) for _ in range(3)], channels=channels)
    fitted = fk.describe_features(get_feature_set("rocket", n_features=84).fit(panel), channels)
    assert len(fitted) == 84 and set(fitted["feature"]) == {"ppv"}
