"""MiniRocket on ragged panels against a plain per-series NumPy reference, and aeon as oracle."""

import numpy as np
import pytest

import featurekit as fk
from featurekit.features import parse_feature_name
from featurekit.features import rocket as rocket_module
from featurekit.features.registry import feature_family
from featurekit.features.rocket import (
    KERNEL_TAPS,
    POOLING,
    MiniRocket,
    MiniRocketState,
    _quantiles,
)

pytestmark = pytest.mark.skipif(
    rocket_module.numba is None, reason="numba (the fast extra) missing"
)


def random_panel(seed, n=30, n_channels=3, integer=False, lengths=None):
    """Ragged panel, lengths ~9..300 plus a few shorter than 9 and one empty series."""
    rng = np.random.default_rng(seed)
    if lengths is None:
        lengths = rng.integers(9, 300, n)
        lengths[:5] = [0, 1, 4, 8, 9][:n]
        rng.shuffle(lengths)
    arrays = []
    for length in lengths:
        t = np.arange(length)
        x = np.sin(t[:, None] * rng.uniform(0.01, 0.5, n_channels)) * rng.uniform(1, 5)
        x = x + rng.normal(rng.uniform(-2, 2), rng.uniform(0.2, 2), (length, n_channels))
        arrays.append(np.round(x * 10) if integer else x)
    return fk.Panel.from_arrays(arrays, channels=[f"ch{i}" for i in range(n_channels)])


# --------------------------------------------------------------------------- reference
def conv_reference(x: np.ndarray, dilation: int, taps) -> np.ndarray:
    """Kernel output at each of the len(x) samples, zeros beyond the ends ("same" padding)."""
    n, pad = len(x), 4 * dilation
    padded = np.concatenate([np.zeros(pad), x, np.zeros(pad)])
    weights = np.full(9, -1.0)
    weights[list(taps)] = 2.0
    return sum(weights[m] * padded[m * dilation : m * dilation + n] for m in range(9))


def combination_output(series: np.ndarray, state: MiniRocketState, c: int) -> np.ndarray:
    j, k = divmod(c, 84)
    members = state.channel_indices[state.channel_ptr[c] : state.channel_ptr[c + 1]]
    return sum(
        conv_reference(series[:, m], int(state.dilations[j]), KERNEL_TAPS[k]) for m in members
    )


def pooled_reference(output: np.ndarray, bias: float, operator: str) -> float:
    """One pooling operator of the outputs ``output`` (one half: padded or unpadded)."""
    m = len(output)
    positive = output > bias
    where = np.flatnonzero(positive)
    if operator == "ppv":
        return np.mean(positive)
    if len(where) == 0:
        return {"mpv": 0.0, "mipv": -1.0, "lspv": 0.0}[operator]
    if operator == "mpv":
        return np.mean(output[where] - bias)
    if operator == "mipv":
        return where.mean() / m
    assert operator == "lspv"
    edges = np.diff(np.concatenate([[0], positive.astype(np.int8), [0]]))
    return np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) / m


def features_reference(
    panel, state: MiniRocketState, slack: float = 0.0, pooling=("ppv",)
) -> np.ndarray:
    """PPVs (or the ``pooling`` operators, operator-major) of every series; with ``slack``,
    those for biases moved up by ``slack`` times their size (for PPV, a lower bound when
    rounding may put an output on either side)."""
    first = state.first_feature
    n_biases = len(state.biases)
    out = np.full((len(panel), len(pooling) * n_biases), np.nan)
    for i in range(len(panel)):
        series = panel.series(i)
        n = len(series)
        if n == 0:
            continue
        for c in range(len(state.channel_ptr) - 1):
            j, k = divmod(c, 84)
            d = int(state.dilations[j])
            output = combination_output(series, state, c)
            padded = (j + k) % 2 == 0
            if not padded and n > 8 * d:
                output = output[4 * d : n - 4 * d]
            for f in range(first[c], first[c] + state.n_per_dilation[j]):
                bias = state.biases[f] + slack * max(abs(state.biases[f]), 1.0)
                for o, operator in enumerate(pooling):
                    out[i, o * n_biases + f] = pooled_reference(output, bias, operator)
    return out


def biases_reference(train, state: MiniRocketState) -> np.ndarray:
    first = state.first_feature
    quantiles = _quantiles(len(state.biases))
    biases = np.empty(len(state.biases))
    for c in range(len(state.channel_ptr) - 1):
        j = c // 84
        series = train.series(int(state.bias_series[c]))
        f = slice(first[c], first[c] + state.n_per_dilation[j])
        biases[f] = np.quantile(combination_output(series, state, c), quantiles[f])
    return biases


# --------------------------------------------------------------------------- tests
@pytest.mark.slow
@pytest.mark.parametrize("n_channels", [1, 2, 4])
@pytest.mark.parametrize("integer", [True, False])
def test_features_equal_per_series_numpy_reference(n_channels, integer):
    train = random_panel(1, n=25, n_channels=n_channels, integer=integer)
    test = random_panel(2, n=20, n_channels=n_channels, integer=integer)
    rocket = MiniRocket(n_features=840, random_state=n_channels).fit(train)
    state = rocket.state
    assert len(state.biases) == 840
    assert (state.dilations * 8 <= state.reference_length - 1).all()
    assert state.reference_length == train.lengths.max()
    assert (train.lengths[state.bias_series] > 0).all()  # never the empty series
    np.testing.assert_allclose(state.biases, biases_reference(train, state), rtol=1e-12, atol=1e-9)
    for panel in (train, test):
        got = rocket.transform(panel)
        want = features_reference(panel, state)
        assert got.shape == want.shape and got.dtype == np.float64
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.isnan(got[panel.lengths == 0]).all()
        assert not np.isnan(got[panel.lengths > 0]).any()
        if integer:  # outputs are exact integers in any summation order: bit-equal
            np.testing.assert_array_equal(got, want)
        else:  # rounding may put an output within ~1 ulp of its bias on either side
            low = features_reference(panel, state, slack=1e-12)
            high = features_reference(panel, state, slack=-1e-12)
            inside = (low <= got) & (got <= high)
            assert inside[panel.lengths > 0].all()
            assert np.mean(got[panel.lengths > 0] != want[panel.lengths > 0]) < 1e-3


@pytest.mark.parametrize("n_channels", [1, 3])
@pytest.mark.parametrize("integer", [True, False])
def test_pooling_operators_equal_per_series_numpy_reference(n_channels, integer):
    """MPV, MIPV and LSPV (MultiRocket) over the same padded/unpadded outputs as PPV, in one
    pass: equal to the plain per-series reference, the PPV block equal to PPV alone."""
    train = random_panel(21, n=14, n_channels=n_channels, integer=integer)
    test = random_panel(22, n=12, n_channels=n_channels, integer=integer)
    rocket = MiniRocket(n_features=700, pooling=POOLING, random_state=n_channels).fit(train)
    alone = MiniRocket(n_features=168, random_state=n_channels).fit(train)
    assert rocket.state.digest == alone.state.digest  # 700 // 4 -> 168 triples, same fit
    n = len(rocket.state.biases)
    assert n == 168 and rocket != alone
    for panel in (train, test):
        got = rocket.transform(panel)
        assert got.shape == (len(panel), 4 * n) and got.dtype == np.float64
        np.testing.assert_array_equal(got[:, :n], alone.transform(panel))
        want = features_reference(panel, rocket.state, pooling=POOLING)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.isnan(got[panel.lengths == 0]).all()
        full = panel.lengths > 0
        ppv, mpv, mipv, lspv = (got[full, o * n : (o + 1) * n] for o in range(4))
        assert (mpv >= 0).all() and (lspv <= ppv).all() and (lspv >= 0).all()
        assert ((mipv >= 0) & (mipv < 1) | (mipv == -1)).all()
        none = ppv == 0
        assert (mpv[none] == 0).all() and (mipv[none] == -1).all() and (lspv[none] == 0).all()
        assert (mipv[~none] >= 0).all() and (lspv[~none] > 0).all() and (mpv[~none] > 0).all()
        if integer:  # exact outputs: the same positive outputs; MPV sums in another order
            np.testing.assert_array_equal(
                np.delete(got, np.s_[n : 2 * n], 1)[full],
                np.delete(want, np.s_[n : 2 * n], 1)[full],
            )
            np.testing.assert_allclose(got[full, n : 2 * n], want[full, n : 2 * n], rtol=1e-12)
        else:  # where an output lies within rounding of the bias, every operator may differ
            low = features_reference(panel, rocket.state, slack=1e-12)
            high = features_reference(panel, rocket.state, slack=-1e-12)
            clear = np.tile(low == high, 4)[full]  # bias series shorter than 9 tie often
            assert clear.mean() > 0.98
            inside = (low <= got[:, :n]) & (got[:, :n] <= high)
            assert inside[full].all()
            np.testing.assert_allclose(got[full][clear], want[full][clear], rtol=1e-9, atol=1e-12)
    # any subset, in the order given: the same columns, the same fitted state
    two = MiniRocket(n_features=336, pooling=("lspv", "ppv"), random_state=n_channels).fit(train)
    assert two.state.digest == rocket.state.digest
    got = rocket.transform(test)
    np.testing.assert_array_equal(two.transform(test), np.hstack([got[:, 3 * n :], got[:, :n]]))
    names = rocket.columns(train.channels)
    assert two.columns(train.channels) == names[3 * n :] + names[:n]


def test_pooling_columns_parse_back_and_rebuild_from_columns():
    train, test = random_panel(23, n=10, n_channels=2), random_panel(24, n=6, n_channels=2)
    assert fk.get_feature_set("rocket").blocks[0] == MiniRocket()  # PPV alone by default
    extractor = fk.FeatureExtractor("rocket", options={"pooling": POOLING}, cache=False).fit(train)
    rocket = extractor.feature_set_.blocks[0]
    assert rocket.pooling == POOLING and "pooling=" in repr(rocket)
    assert "pooling" not in repr(MiniRocket())
    table = extractor.transform(test)
    columns = list(table.columns)
    assert len(columns) == len(set(columns)) == 4 * 2436
    for o, operator in enumerate(POOLING):
        for name in columns[o * 2436 : (o + 1) * 2436]:
            channel, feature, params = parse_feature_name(name)
            assert feature == operator and sorted(params) == ["b", "d", "k"]
            assert feature_family(name) == "convolution"
        assert columns[o * 2436].endswith(f"__{operator}__b-0__d-1__k-0")
    chosen = list(np.random.default_rng(0).permutation(columns)[:40])
    kept = fk.features.from_columns(chosen, blocks=extractor)
    pd_equal = np.testing.assert_array_equal
    pd_equal(fk.extract(test, kept, cache=False)[chosen].to_numpy(), table[chosen].to_numpy())
    refitted = fk.FeatureExtractor(fk.features.from_columns(chosen), cache=False).fit(train)
    assert list(refitted.get_feature_names_out()) == chosen
    pd_equal(refitted.transform(test).to_numpy(), table[chosen].to_numpy())
    ppv_only = fk.FeatureExtractor("rocket", cache=False).fit(train)
    with pytest.raises(ValueError, match=r"block families \['mpv'\]"):
        fk.features.from_columns(["ch0__mpv__b-0__d-1__k-0"], blocks=ppv_only)
    for bad in [(), ("ppv", "ppv"), ("max",), "ppv"]:
        with pytest.raises(ValueError, match="pooling must be"):
            MiniRocket(n_features=84, pooling=bad).fit(train)


def differenced(panel):
    """The first difference of every series, one panel (plain NumPy)."""
    arrays = [panel.series(i)[1:] - panel.series(i)[:-1] for i in range(len(panel))]
    return fk.Panel.from_arrays(arrays, channels=panel.channels)


def test_difference_representation_is_minirocket_on_the_differenced_series():
    train, test = random_panel(25, n=14, n_channels=2), random_panel(26, n=10, n_channels=2)
    pooling = ("ppv", "lspv")
    rocket = MiniRocket(n_features=1344, pooling=pooling, diff=True, random_state=3).fit(train)
    series = MiniRocket(n_features=672, pooling=pooling, random_state=3).fit(train)
    diff = MiniRocket(n_features=672, pooling=pooling, random_state=4).fit(differenced(train))
    assert rocket.state.digest == series.state.digest
    assert rocket.diff_state.digest == diff.state.digest
    assert rocket.diff_state.reference_length == train.lengths.max() - 1
    got = rocket.transform(test)
    want = np.hstack([series.transform(test), diff.transform(differenced(test))])
    np.testing.assert_array_equal(got, want)
    assert got.shape == (len(test), 4 * 336)
    one = test.lengths == 1  # no difference: NaN there only
    assert one.any() and np.isnan(got[one, 672:]).all() and not np.isnan(got[one, :672]).any()
    names = rocket.columns(test.channels)
    assert names == series.columns(test.channels) + [
        f"{name}__r-diff" for name in diff.columns(test.channels)
    ]
    assert parse_feature_name(names[-1])[2]["r"] == "diff"
    assert {feature_family(name) for name in names} == {"convolution"}
    chosen = [names[5], names[700], names[-1]]
    kept = fk.features.from_columns(chosen, blocks=[rocket])
    table = fk.extract(test, kept, cache=False)
    np.testing.assert_array_equal(table.to_numpy(), got[:, [5, 700, len(names) - 1]])
    assert "diff=True" in repr(rocket) and rocket != MiniRocket(n_features=1344).fit(train)
    assert not MiniRocket(diff=True).is_fitted
    with pytest.raises(ValueError, match="2 samples"):
        MiniRocket(diff=True).fit(random_panel(1, n_channels=1, lengths=[1, 1, 0]))


def test_no_cross_series_leakage_and_state_is_untouched_by_transform():
    train = random_panel(3, n=20, n_channels=3)
    rocket = MiniRocket(n_features=504).fit(train)
    before = [a.copy() for a in rocket.state.arrays()]
    digest, key = rocket.state.digest, hash(rocket)
    b = random_panel(4, n=15, n_channels=3)
    alone = rocket.transform(b)
    other = random_panel(5, n=12, n_channels=3)
    other = other.replace(ids=[f"other{i}" for i in range(len(other))])
    mixed = fk.Panel.concat(
        [other.take([0, 1, 2]), b.take(np.arange(15)[::-1]), other.take(np.arange(3, 12))]
    )
    together = rocket.transform(mixed)
    np.testing.assert_array_equal(together[3:18][::-1], alone)
    for i in range(len(b)):  # and one series at a time
        np.testing.assert_array_equal(rocket.transform(b.take([i]))[0], alone[i])
    for old, new in zip(before, rocket.state.arrays(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert rocket.state.digest == digest and hash(rocket) == key
    # refitting on the same training series gives the same state, whatever was transformed
    assert MiniRocket(n_features=504).fit(train) == rocket


def test_fit_depends_on_training_series_only_and_is_reproducible():
    train = random_panel(6, n=20, n_channels=2)
    a = MiniRocket(n_features=252, random_state=7).fit(train)
    b = MiniRocket(n_features=252, random_state=7).fit(train)
    c = MiniRocket(n_features=252, random_state=8).fit(train)
    assert a == b and hash(a) == hash(b) and a != c
    assert a != MiniRocket(n_features=252, random_state=7)  # fitted vs unfitted
    assert MiniRocket() == MiniRocket() and hash(MiniRocket()) == hash(MiniRocket())
    shifted = train.replace(values=train.values + 1.0)
    assert MiniRocket(n_features=252, random_state=7).fit(shifted) != a


def test_columns_are_unique_parse_back_and_carry_the_family():
    train = random_panel(7, n=10, n_channels=3)
    rocket = MiniRocket(n_features=1000).fit(train)
    columns = rocket.columns(train.channels)
    assert len(columns) == len(set(columns)) == 924 == rocket.transform(train).shape[1]
    for name in columns:
        channel, feature, params = parse_feature_name(name)
        assert feature == "ppv" and sorted(params) == ["b", "d", "k"]
        assert set(channel.split(".")) <= set(train.channels)
        assert feature_family(name) == "convolution"
    assert columns[0].endswith("__ppv__b-0__d-1__k-0")
    uni = MiniRocket(n_features=84).fit(train.select_channels(["ch1"]))
    assert uni.columns(["ch1"])[:2] == ["ch1__ppv__b-0__d-1__k-0", "ch1__ppv__b-0__d-1__k-1"]


def test_channels_are_matched_by_name_and_unfitted_use_is_refused():
    train = random_panel(8, n=10, n_channels=3)
    rocket = MiniRocket(n_features=168).fit(train)
    reordered = train.select_channels(["ch2", "ch0", "ch1"])
    np.testing.assert_array_equal(rocket.transform(reordered), rocket.transform(train))
    with pytest.raises(ValueError, match="missing"):
        rocket.transform(train.select_channels(["ch0", "ch1"]))
    with pytest.raises(ValueError, match="not fitted"):
        MiniRocket().transform(train)
    with pytest.raises(ValueError, match="not fitted"):
        MiniRocket().columns(train.channels)
    empty = fk.Panel.from_arrays([np.zeros((0, 3))], channels=train.channels)
    with pytest.raises(ValueError, match="empty"):
        MiniRocket().fit(empty)
    assert rocket.transform(train.take([])).shape == (0, 168)
    broken = train.values.copy()
    broken[train.offsets[4] + 2, 1] = np.nan
    with pytest.raises(ValueError, match=r"finite: NaN or inf in series \[4\]"):
        MiniRocket().fit(train.replace(values=broken))


def test_short_training_series_and_n_features_rounding():
    train = random_panel(9, n_channels=1, lengths=[3, 5, 0, 7], integer=True)
    rocket = MiniRocket(n_features=10).fit(train)  # at least 84 features, reference 9
    assert rocket.state.reference_length == 9 and list(rocket.state.dilations) == [1]
    got = rocket.transform(train)
    np.testing.assert_array_equal(got, features_reference(train, rocket.state))
    assert MiniRocket().fit(random_panel(1, n_channels=1)).transform(train).shape[1] == 9996


@pytest.mark.slow
def test_float32_values_give_the_features_of_their_float64_copy():
    train = random_panel(10, n=12, n_channels=2)
    single = train.replace(values=train.values.astype(np.float32))
    double = train.replace(values=single.values.astype(np.float64))
    rocket = MiniRocket(n_features=336).fit(double)
    assert MiniRocket(n_features=336).fit(single) == rocket
    np.testing.assert_array_equal(rocket.transform(single), rocket.transform(double))


def test_missing_numba_asks_for_the_fast_extra(monkeypatch):
    monkeypatch.setattr(rocket_module, "numba", None)
    with pytest.raises(ImportError, match=r"featurekit\[fast\]"):
        MiniRocket().fit(random_panel(1, n=3))


# --------------------------------------------------------------------------- aeon as oracle
def _aeon_state(parameters, n_channels: int) -> MiniRocketState:
    sizes, indices, dilations, per_dilation, biases = parameters
    n_combos = 84 * len(dilations)
    return MiniRocketState(
        channels=tuple(f"c{i}" for i in range(n_channels)),
        reference_length=0,
        dilations=np.asarray(dilations, np.int64),
        n_per_dilation=np.asarray(per_dilation, np.int64),
        channel_ptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        channel_indices=np.asarray(indices, np.int64),
        bias_series=np.zeros(n_combos, np.int64),
        biases=np.asarray(biases, np.float64),
    ).with_digest()


@pytest.mark.parametrize("n_channels", [1, 3])
def test_equal_length_features_match_aeon_with_aeon_parameters(n_channels):
    """Same kernels, dilations, padding and PPV as aeon's MiniRocket given its fitted state
    (aeon computes in float32: outputs within rounding of a bias may flip)."""
    convolution_based = pytest.importorskip("aeon.transformations.collection.convolution_based")
    rng = np.random.default_rng(11)
    X = rng.normal(size=(12, n_channels, 120)).cumsum(axis=2).astype(np.float32)
    aeon = convolution_based.MiniRocket(n_kernels=1000, random_state=0, n_jobs=1).fit(X)
    want = aeon.transform(X)
    panel = fk.Panel.from_arrays(list(X.transpose(0, 2, 1).astype(np.float64)))
    ours = MiniRocket(n_features=1000, state=_aeon_state(aeon.parameters, n_channels))
    got = ours.transform(panel)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 2 / 120 + 1e-6
    assert np.mean(np.abs(got - want) > 1e-6) < 2e-3


def test_gunpoint_accuracy_comparable_to_aeon():
    datasets = pytest.importorskip("aeon.datasets")
    convolution_based = pytest.importorskip("aeon.transformations.collection.convolution_based")
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, y_train = datasets.load_classification("GunPoint", split="train")
    X_test, y_test = datasets.load_classification("GunPoint", split="test")

    def accuracy(train_features, test_features):
        model = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))
        return model.fit(train_features, y_train).score(test_features, y_test)

    aeon = convolution_based.MiniRocket(random_state=0, n_jobs=1).fit(X_train)
    theirs = accuracy(aeon.transform(X_train), aeon.transform(X_test))

    def panel(X):
        return fk.Panel.from_arrays(list(X.transpose(0, 2, 1)))

    rocket = MiniRocket(random_state=0).fit(panel(X_train))
    ours = accuracy(rocket.transform(panel(X_train)), rocket.transform(panel(X_test)))
    assert ours >= theirs - 0.03 and ours >= 0.93, (ours, theirs)
