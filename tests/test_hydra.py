"""Hydra on ragged panels against a plain per-series NumPy reference, and aeon as oracle."""

from dataclasses import replace

import numpy as np
import pytest

import featurekit as fk
from featurekit.features import hydra as hydra_module
from featurekit.features import parse_feature_name
from featurekit.features.hydra import Hydra, HydraState, hydra_dilations
from featurekit.features.registry import feature_family

pytestmark = pytest.mark.skipif(hydra_module.numba is None, reason="numba (the fast extra) missing")

SMALL = {"n_groups": 4, "n_kernels": 3}  # small g/k: fast tests, same code paths


def random_panel(seed, n=20, n_channels=3, lengths=None):
    """Ragged panel, lengths ~9..200 plus a few shorter than 9 and one empty series."""
    rng = np.random.default_rng(seed)
    if lengths is None:
        lengths = rng.integers(9, 200, n)
        lengths[:5] = [0, 1, 2, 8, 9][:n]
        rng.shuffle(lengths)
    arrays = []
    for length in lengths:
        t = np.arange(length)
        x = np.sin(t[:, None] * rng.uniform(0.01, 0.5, n_channels)) * rng.uniform(1, 5)
        arrays.append(x + rng.normal(rng.uniform(-2, 2), rng.uniform(0.2, 2), (length, n_channels)))
    return fk.Panel.from_arrays(arrays, channels=[f"ch{i}" for i in range(n_channels)])


# --------------------------------------------------------------------------- reference
def conv_reference(x: np.ndarray, dilation: int, w: np.ndarray) -> np.ndarray:
    """Output of kernel ``w`` at each of the len(x) samples, zeros beyond the ends."""
    n, pad = len(x), 4 * dilation
    padded = np.concatenate([np.zeros(pad), x, np.zeros(pad)])
    return sum(w[m] * padded[m * dilation : m * dilation + n] for m in range(9))


def features_reference(panel, state: HydraState) -> np.ndarray:
    """Hydra's counts divided by the number of outputs, series by series, plain NumPy."""
    n_dil, n_rep, h, _ = state.channel_indices.shape
    k = state.weights.shape[2] // h
    rows = []
    for i in range(len(panel)):
        series = panel.series(i).astype(np.float64)
        row = []
        for j in range(n_dil):
            d = int(state.dilations[j])
            for r in range(n_rep):
                x = series if r == 0 else np.diff(series, axis=0)
                soft, hard = np.full((h, k), np.nan), np.full((h, k), np.nan)
                for g in range(h):
                    if len(x) == 0:
                        continue
                    summed = x[:, state.channel_indices[j, r, g]].sum(axis=1)
                    z = np.array(
                        [
                            conv_reference(summed, d, state.weights[j, r, g * k + kk])
                            for kk in range(k)
                        ]
                    )
                    best, worst = z.argmax(axis=0), z.argmin(axis=0)
                    soft[g] = np.bincount(best, weights=z.max(axis=0), minlength=k) / len(x)
                    hard[g] = np.bincount(worst, minlength=k) / len(x)
                row.extend([soft.ravel(), hard.ravel()])
        rows.append(np.concatenate(row))
    return np.array(rows)


# --------------------------------------------------------------------------- tests
@pytest.mark.parametrize("n_channels", [1, 2, 5])
def test_features_equal_per_series_numpy_reference(n_channels):
    train = random_panel(1, n=15, n_channels=n_channels)
    test = random_panel(2, n=12, n_channels=n_channels)
    hydra = Hydra(**SMALL, random_state=n_channels).fit(train)
    state = hydra.state
    assert state.reference_length == train.lengths.max()
    np.testing.assert_array_equal(state.dilations, hydra_dilations(train.lengths.max()))
    assert state.weights.shape == (len(state.dilations), 2, 2 * 3, 9)
    np.testing.assert_allclose(state.weights.sum(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(np.abs(state.weights).sum(axis=-1), 1)
    n_per = 1 if n_channels == 1 else int(np.clip(n_channels // 2, 2, 8))
    assert state.channel_indices.shape == (len(state.dilations), 2, 2, n_per)
    for panel in (train, test):
        got = hydra.transform(panel)
        want = features_reference(panel, state)
        assert got.shape == want.shape == (len(panel), len(hydra.columns(panel.channels)))
        assert got.dtype == np.float64
        assert np.array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        # empty series: NaN; one sample: NaN on the difference's columns only
        assert np.isnan(got[panel.lengths == 0]).all()
        names = hydra.columns(panel.channels)
        diff = np.array([parse_feature_name(n)[2].get("r") == "diff" for n in names])
        one = panel.lengths == 1
        assert np.isnan(got[one][:, diff]).all() and not np.isnan(got[one][:, ~diff]).any()
        assert not np.isnan(got[panel.lengths > 1]).any()
        # hard counts are shares of the positions: each group's sum to 1
        hard = np.array([parse_feature_name(n)[2]["count"] == "min" for n in names])
        sums = got[panel.lengths > 1][:, hard].reshape(-1, 3).sum(axis=1)
        np.testing.assert_allclose(sums, 1.0)


def test_dilations_follow_hydra():
    assert hydra_dilations(9).tolist() == [1]
    assert hydra_dilations(3).tolist() == [1]
    assert hydra_dilations(17).tolist() == [1, 2]
    assert hydra_dilations(427).tolist() == [1, 2, 4, 8, 16, 32]
    assert hydra_dilations(1024).tolist() == [1, 2, 4, 8, 16, 32, 64]


def test_fit_reads_only_lengths_and_channels_and_never_transform_data():
    train = random_panel(3, n=12, n_channels=2)
    a = Hydra(**SMALL, random_state=5).fit(train)
    scrambled = train.replace(values=np.random.default_rng(0).normal(size=train.values.shape))
    assert Hydra(**SMALL, random_state=5).fit(scrambled) == a  # values are not read
    assert Hydra(**SMALL, random_state=6).fit(train) != a
    assert a != Hydra(**SMALL, random_state=5) and hash(a) == hash(
        Hydra(**SMALL, random_state=5).fit(train)
    )
    test = random_panel(4, n=10, n_channels=2)
    digest = a.state.digest
    alone = a.transform(test)
    other = random_panel(5, n=6, n_channels=2).replace(ids=[f"o{i}" for i in range(6)])
    mixed = fk.Panel.concat([other.take([0, 1]), test, other.take([2, 3, 4, 5])])
    np.testing.assert_array_equal(a.transform(mixed)[2:12], alone)  # no cross-series leakage
    for i in range(len(test)):
        np.testing.assert_array_equal(a.transform(test.take([i]))[0], alone[i])
    assert a.state.digest == digest == a.state.with_digest().digest
    # through the extractor: fitted on train, the test panel never changes the state
    extractor = fk.FeatureExtractor("hydra", options={**SMALL}, cache=False).fit(train)
    assert extractor.feature_set_.blocks[0] == Hydra(**SMALL).fit(train)
    np.testing.assert_array_equal(
        extractor.transform(test).to_numpy(), Hydra(**SMALL).fit(train).transform(test)
    )


def test_columns_parse_back_round_trip_through_from_columns():
    train, test = random_panel(6, n=10, n_channels=3), random_panel(7, n=8, n_channels=3)
    extractor = fk.FeatureExtractor("hydra", options={**SMALL}, cache=False).fit(train)
    hydra = extractor.feature_set_.blocks[0]
    table = extractor.transform(test)
    columns = list(table.columns)
    assert len(columns) == len(set(columns)) == len(hydra.state.dilations) * 2 * 2 * 2 * 3
    assert columns[0].endswith("__hydra__count-max__d-1__g-0__k-0")
    for name in columns:
        channel, feature, params = parse_feature_name(name)
        assert feature == "hydra" and feature_family(name) == "convolution"
        assert set(params) - {"r"} == {"count", "d", "g", "k"}
        assert set(channel.split(".")) <= set(test.channels)
    chosen = list(np.random.default_rng(0).permutation(columns)[:25])
    kept = fk.features.from_columns(chosen, blocks=extractor)
    np.testing.assert_array_equal(
        fk.extract(test, kept, cache=False)[chosen].to_numpy(), table[chosen].to_numpy()
    )
    # without blocks= the default block, fitted on the same training series, gives them back
    default = fk.FeatureExtractor("hydra", cache=False).fit(train)
    names = list(default.get_feature_names_out())
    pick = [names[3], names[-1]]
    refitted = fk.FeatureExtractor(fk.features.from_columns(pick), cache=False).fit(train)
    assert list(refitted.get_feature_names_out()) == pick
    np.testing.assert_array_equal(
        refitted.transform(test).to_numpy(), default.transform(test)[pick].to_numpy()
    )


def test_channels_by_name_unfitted_and_bad_parameters_refused():
    train = random_panel(8, n=8, n_channels=2)
    hydra = Hydra(**SMALL).fit(train)
    swapped = train.select_channels(["ch1", "ch0"])
    np.testing.assert_array_equal(hydra.transform(swapped), hydra.transform(train))
    with pytest.raises(ValueError, match="missing"):
        hydra.transform(train.select_channels(["ch0"]))
    with pytest.raises(ValueError, match="not fitted"):
        Hydra().transform(train)
    with pytest.raises(ValueError, match="n_kernels must be"):
        Hydra(n_kernels=1).fit(train)
    with pytest.raises(ValueError, match="every one is empty"):
        Hydra().fit(random_panel(1, n_channels=1, lengths=[0, 0]))
    one = Hydra(n_groups=1, n_kernels=2).fit(train)  # one group: the series only, as Hydra
    assert one.state.weights.shape[1] == 1
    assert not any("r-diff" in n for n in one.columns(train.channels))
    short = Hydra(**SMALL).fit(random_panel(1, n_channels=1, lengths=[1, 3]))
    assert short.state.reference_length == 9 and short.state.dilations.tolist() == [1]


def test_float32_values_give_the_features_of_their_float64_copy():
    train = random_panel(9, n=8, n_channels=2)
    hydra = Hydra(**SMALL).fit(train)
    single = train.replace(values=train.values.astype(np.float32))
    double = train.replace(values=single.values.astype(np.float64))
    np.testing.assert_array_equal(hydra.transform(single), hydra.transform(double))


def test_missing_numba_asks_for_the_fast_extra(monkeypatch):
    train = random_panel(1, n=5, n_channels=1)
    fitted = Hydra(**SMALL).fit(train)
    monkeypatch.setattr(hydra_module, "numba", None)
    with pytest.raises(ImportError, match=r"featurekit\[fast\]"):
        Hydra(**SMALL).fit(train)
    with pytest.raises(ImportError, match=r"featurekit\[fast\]"):
        fitted.transform(train)


def test_shape_and_full_carry_hydra_after_the_other_families():
    shape, full = fk.get_feature_set("shape"), fk.get_feature_set("full")
    assert [type(b).__name__ for b in shape.blocks] == ["QuantIntervals", "MiniRocket", "Hydra"]
    assert full.blocks == shape.blocks and shape.blocks[-1] == Hydra()
    small = fk.get_feature_set("full", n_groups=4, n_kernels=2, random_state=3)
    assert small.blocks[-1] == Hydra(n_groups=4, n_kernels=2, random_state=3)
    assert full.channel == fk.get_feature_set("default").channel


@pytest.mark.parametrize("n_channels", [1, 4])
def test_equal_length_counts_match_aeon_with_its_kernels(n_channels):
    """aeon's HydraTransformer (torch, float32) with its own random kernels put in our state:
    our values times the number of outputs are its counts (up to float32 near-ties)."""
    torch = pytest.importorskip("torch")
    hydra_aeon = pytest.importorskip("aeon.transformations.collection.convolution_based._hydra")
    rng = np.random.default_rng(n_channels)
    X = rng.normal(size=(5, n_channels, 60)).astype(np.float32)
    torch.manual_seed(0)
    internal = hydra_aeon._HydraInternal(60, n_channels, k=8, g=64)
    want = internal(torch.tensor(X)).numpy().astype(np.float64)
    weights = internal.W.numpy()[:, :, :, 0, :].astype(np.float64)
    if n_channels > 1:
        indices = np.stack([i.numpy() for i in internal.idx]).astype(np.int64)
    else:
        indices = np.zeros((*weights.shape[:2], 32, 1), dtype=np.int64)
    panel = fk.Panel.from_arrays([x.T for x in X], channels=[f"c{i}" for i in range(n_channels)])
    dilations = internal.dilations.numpy().astype(np.int64)
    np.testing.assert_array_equal(dilations, hydra_dilations(60))
    state = HydraState(tuple(panel.channels), 60, dilations, weights, indices).with_digest()
    got = replace(Hydra(), state=state).transform(panel)
    outputs = np.tile(np.repeat([60, 59], 2 * 32 * 8), len(dilations))
    close = np.isclose(got * outputs, want, rtol=1e-4, atol=1e-4)
    assert close.mean() > 0.999  # a float32 near-tie may move one count
