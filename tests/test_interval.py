"""The QUANT interval family against aeon's QUANTTransformer and a plain per-series reference."""

import numpy as np
import pytest

from featurekit.features import parse_feature_name
from featurekit.features.interval import QuantIntervals, numba
from featurekit.panel import Panel

pytestmark = pytest.mark.skipif(numba is None, reason="numba (the fast extra) missing")


def equal_length_panel(rng, n_series, n_channels, length):
    X = rng.normal(size=(n_series, n_channels, length)) * rng.uniform(0.5, 20, (1, n_channels, 1))
    X += rng.normal(0, 5, (n_series, n_channels, 1))
    return X, Panel.from_arrays([x.T for x in X], channels=[f"c{i}" for i in range(n_channels)])


def ragged_panel(rng, lengths, n_channels=3):
    arrays = [rng.normal(size=(n, n_channels)).cumsum(axis=0) for n in lengths]
    return Panel.from_arrays(arrays, channels=["ax", "ay", "az"][:n_channels])


# ---------------------------------------------------------------------- aeon as the oracle
def aeon_quant_float64(X, monkeypatch):
    """aeon's QUANTTransformer code run in float64: ``.float()`` keeps float64 and torch's
    default dtype (its linspace and quantile levels) is float64."""
    torch = pytest.importorskip("torch")
    from aeon.transformations.collection.interval_based import QUANTTransformer

    default = torch.get_default_dtype()
    monkeypatch.setattr(torch.Tensor, "float", lambda self: self.to(torch.float64))
    torch.set_default_dtype(torch.float64)
    try:
        return np.asarray(QUANTTransformer().fit(X).transform(X), dtype=np.float64)
    finally:
        torch.set_default_dtype(default)


@pytest.mark.parametrize("length", [3, 4, 5, 9, 16, 31, 64, 100, 257, 500])
def test_equals_aeon_quant_in_float64(length, monkeypatch):
    rng = np.random.default_rng(length)
    X, panel = equal_length_panel(rng, 5, 3, length)
    expected = aeon_quant_float64(X, monkeypatch)
    block = QuantIntervals().fit(panel)
    got = block.transform(panel)
    assert got.shape == expected.shape == (5, len(block.columns(panel.channels)))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(X).max())


def test_equals_aeon_quant_as_shipped_float32():
    torch = pytest.importorskip("torch")
    from aeon.transformations.collection.interval_based import QUANTTransformer

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X, panel = equal_length_panel(rng, 4, 2, 1024)
    expected = QUANTTransformer().fit(X).transform(X)  # float32 throughout
    got = QuantIntervals().fit(panel).transform(panel)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("depth,div", [(1, 1), (3, 2), (4, 8), (8, 4)])
def test_equals_aeon_quant_other_parameters(depth, div, monkeypatch):
    torch = pytest.importorskip("torch")
    from aeon.transformations.collection.interval_based import QUANTTransformer

    rng = np.random.default_rng(depth)
    X, panel = equal_length_panel(rng, 3, 2, 300)
    monkeypatch.setattr(torch.Tensor, "float", lambda self: self.to(torch.float64))
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        expected = QUANTTransformer(interval_depth=depth, quantile_divisor=div).fit(X).transform(X)
    finally:
        torch.set_default_dtype(default)
    got = QuantIntervals(depth=depth, div=div).fit(panel).transform(panel)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(X).max())


# ---------------------------------------------------------------------- plain reference
def reference_features(x, reference, depth=6, div=4):
    """QUANT features of one series ``x`` (samples, channels), the plain way: representation
    lengths, levels, shifts and quantile counts of the reference length; boundaries from the
    series' own representation length; NaN for an empty interval."""
    L = len(x)
    out = []
    for ch in range(x.shape[1]):
        s = x[:, ch].astype(np.float64)
        d = np.diff(s)
        smooth = np.convolve(np.pad(d, 2, mode="edge"), np.ones(5), "valid") / 5 if len(d) else d
        reps = [
            s,
            smooth,
            np.diff(s, 2) if L >= 2 else s[:0],
            np.abs(np.fft.rfft(s)) if L else s[:0],
        ]
        ref_lengths = [reference, reference - 1, reference - 2, reference // 2 + 1]
        for z, ref_len in zip(reps, ref_lengths, strict=True):
            for n in 2 ** np.arange(min(depth, int(np.log2(ref_len)) + 1)):
                ref_bounds = np.floor(np.linspace(0, ref_len, n + 1)).astype(int)
                ref_widths = np.diff(ref_bounds)
                bounds = np.floor(np.linspace(0, len(z), n + 1)).astype(int)
                intervals = [(bounds[j], bounds[j + 1], ref_widths[j]) for j in range(n)]
                if n > 1 and np.sort(ref_widths)[(n - 1) // 2] > 1:
                    shift = int(np.ceil(len(z) / n / 2))
                    intervals += [(a + shift, b + shift, w) for a, b, w in intervals[:-1]]
                for a, b, ref_width in intervals:
                    k = 1 + (ref_width - 1) // div
                    if b <= a:
                        out.extend([np.nan] * k)
                    elif k == 1:
                        out.append(np.median(z[a:b]))
                    else:
                        q = np.quantile(z[a:b], np.linspace(0, 1, k))
                        q[1::2] -= z[a:b].mean()
                        out.extend(q)
    return np.array(out)


@pytest.mark.slow
def test_ragged_panel_equals_plain_per_series_reference():
    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 300, 60)
    lengths[:8] = [0, 1, 2, 3, 5, 17, 31, 299]
    panel = ragged_panel(rng, lengths)
    block = QuantIntervals().fit(panel)
    assert block.reference_length == int(np.median(lengths[lengths > 0]))
    got = block.transform(panel)
    assert got.shape == (len(lengths), len(block.columns(panel.channels)))
    for i in range(len(panel)):
        x = panel.values[panel.offsets[i] : panel.offsets[i + 1]]
        expected = reference_features(x, block.reference_length)
        np.testing.assert_array_equal(
            np.isnan(got[i]),
            np.isnan(expected),
            err_msg=f"NaN pattern of series {i} (length {len(x)})",
        )
        np.testing.assert_allclose(
            got[i], expected, rtol=1e-9, atol=1e-9, err_msg=f"series {i} (length {len(x)})"
        )
    assert np.isnan(got[0]).all()  # the empty series
    # every interval has a sample once the spectrum (length // 2 + 1 bins) has 32
    assert not np.isnan(got[lengths >= 62]).any()


@pytest.mark.parametrize("fixed_length,lengths", [(64, [40, 64, 65, 500]), (1000, [3, 20, 999])])
def test_fixed_reference_length_and_long_series(fixed_length, lengths):
    rng = np.random.default_rng(fixed_length)
    panel = ragged_panel(rng, lengths, n_channels=2)
    block = QuantIntervals(depth=5, div=3, fixed_length=fixed_length).fit(panel)
    assert block.reference_length == fixed_length
    got = block.transform(panel)
    for i in range(len(panel)):
        x = panel.values[panel.offsets[i] : panel.offsets[i + 1]]
        np.testing.assert_allclose(
            got[i], reference_features(x, fixed_length, 5, 3), rtol=1e-9, atol=1e-9
        )


def test_float32_input_is_computed_in_float64():
    rng = np.random.default_rng(1)
    panel = ragged_panel(rng, [50, 80, 120])
    single = Panel(panel.values.astype(np.float32), panel.offsets, channels=panel.channels)
    block = QuantIntervals().fit(panel)
    got = block.transform(single)
    for i in range(3):
        x = single.values[single.offsets[i] : single.offsets[i + 1]].astype(np.float64)
        np.testing.assert_allclose(
            got[i], reference_features(x, block.reference_length), rtol=1e-9, atol=1e-9
        )


def test_constant_series_give_their_value_and_zeros():
    panel = Panel.from_arrays([np.full((64, 1), 3.0), np.full((64, 1), -2.0)])
    block = QuantIntervals().fit(panel)
    got = block.transform(panel)
    names = block.columns(panel.channels)
    for col, name in enumerate(names):
        params = parse_feature_name(name)[2]
        if params["rep"] == "x" and (params["q"] % 2 == 0):
            np.testing.assert_allclose(got[:, col], [3.0, -2.0])
        elif params["rep"] in ("d1", "d2"):
            assert (got[:, col] == 0).all()


# ---------------------------------------------------------------------- fitted state, names
def test_fitted_state_depends_only_on_the_fit_panel():
    rng = np.random.default_rng(2)
    train = ragged_panel(rng, rng.integers(20, 200, 30))
    test = ragged_panel(rng, rng.integers(0, 400, 25))
    block = QuantIntervals().fit(train)
    # other values, same lengths: the same state
    same_lengths = Panel(
        rng.normal(size=train.values.shape), train.offsets, channels=train.channels
    )
    assert QuantIntervals().fit(same_lengths) == block
    assert hash(QuantIntervals().fit(same_lengths)) == hash(block)
    first = block.transform(test)
    assert block == QuantIntervals().fit(train)  # transforming changed nothing
    np.testing.assert_array_equal(block.transform(test), first)
    # a series' row does not depend on the other series it is transformed with
    subset = Panel.from_arrays(
        [test.values[test.offsets[i] : test.offsets[i + 1]] for i in (3, 0, 7)],
        channels=test.channels,
    )
    np.testing.assert_array_equal(block.transform(subset), first[[3, 0, 7]])
    assert QuantIntervals().fit(test) != block or test.lengths.tolist() == train.lengths.tolist()


def test_unfitted_block_refuses_and_parameters_are_checked():
    from sklearn.exceptions import NotFittedError

    block = QuantIntervals()
    assert not block.is_fitted
    with pytest.raises(NotFittedError):
        block.columns(["x"])
    with pytest.raises(NotFittedError):
        block.transform(Panel.from_arrays([np.zeros((10, 1))]))
    with pytest.raises(ValueError, match="depth.*\n.*div"):
        QuantIntervals(depth=0, div=0).fit(Panel.from_arrays([np.zeros((10, 1))]))
    with pytest.raises(ValueError, match="empty"):
        QuantIntervals().fit(Panel.from_arrays([np.zeros((0, 1))]))
    assert QuantIntervals().fit(Panel.from_arrays([np.zeros((2, 1))])).reference_length == 3


def test_columns_parse_and_are_unique_in_aeon_order():
    block = QuantIntervals(reference_length=1024)
    assert block.is_fitted
    names = block.columns(["ax", "ay"])
    assert len(names) == len(set(names)) == 2 * 8994  # aeon's 26,982 for 3 channels
    assert names[0] == "ax__quant__i-0__n-1__q-0__rep-x__shift-0"
    parsed = [parse_feature_name(name) for name in names]
    assert {p[0] for p in parsed[:8994]} == {"ax"}
    assert [p[2]["rep"] for p in parsed[:8994]] == sorted(
        (p[2]["rep"] for p in parsed[:8994]), key=["x", "d1", "d2", "fft"].index
    )
    assert all(set(p[2]) == {"i", "n", "q", "rep", "shift"} for p in parsed)


def test_empty_panel_and_empty_series():
    block = QuantIntervals(reference_length=100)
    empty = Panel(np.zeros((0, 2)), [0], channels=["a", "b"])
    assert block.transform(empty).shape == (0, len(block.columns(["a", "b"])))
    only_empty = Panel(np.zeros((0, 2)), [0, 0, 0], channels=["a", "b"])
    assert np.isnan(block.transform(only_empty)).all()


def test_near_ties_in_reverse_order_are_sorted_exactly_and_quickly():
    """Values agreeing in all but their last mantissa bits share a sort key; decreasing ones
    would make the key sort's fix-up quadratic: the exact fallback takes over."""
    n = 20_000
    x = 1e6 + np.arange(n)[::-1] * np.spacing(1e6)  # 1e6 + k ulp, decreasing
    x[::7] += 0.25  # and a few distinct values
    panel = Panel.from_arrays([np.column_stack([x, -x])], channels=["a", "b"])
    block = QuantIntervals(depth=3).fit(panel)
    got = block.transform(panel)
    np.testing.assert_allclose(
        got[0], reference_features(panel.values, n, depth=3), rtol=1e-12, atol=1e-7
    )  # rounding at the 1e6 scale


# ---------------------------------------------------------------------- the merge tree
@pytest.mark.parametrize("reference", [100, 1024])
def test_merge_tree_on_odd_and_short_lengths_equals_plain_reference(reference):
    """Every length from 1 to 70, lengths around powers of two, leaves of 17 samples
    (1,040 samples: ceil(1040 / 64) = 17), trees deeper than the levels (5,001 samples) and
    the shifted intervals' one-sample fixes (lengths not divisible by 2**depth), against the
    plain per-series reference."""
    lengths = [*range(1, 71), 127, 128, 129, 255, 257, 513, 1023, 1025, 1040, 1089, 5001]
    rng = np.random.default_rng(reference)
    panel = ragged_panel(rng, lengths, n_channels=1)
    block = QuantIntervals(fixed_length=reference).fit(panel)
    got = block.transform(panel)
    for i, length in enumerate(lengths):
        x = panel.values[panel.offsets[i] : panel.offsets[i + 1]]
        expected = reference_features(x, reference)
        np.testing.assert_array_equal(np.isnan(got[i]), np.isnan(expected), err_msg=f"{length}")
        np.testing.assert_allclose(got[i], expected, rtol=1e-9, atol=1e-9, err_msg=f"{length}")


def test_merge_tree_with_ties_equals_plain_reference():
    """Many equal values (a few distinct levels): merges and end fixes meet ties everywhere."""
    rng = np.random.default_rng(5)
    lengths = [9, 33, 100, 513, 1000]
    arrays = [rng.integers(-2, 3, size=(n, 2)).astype(float) for n in lengths]
    panel = Panel.from_arrays(arrays, channels=["a", "b"])
    block = QuantIntervals().fit(panel)
    got = block.transform(panel)
    for i, x in enumerate(arrays):
        np.testing.assert_allclose(
            got[i], reference_features(x, block.reference_length), rtol=1e-9, atol=1e-9
        )


def test_nan_runs_leave_the_other_intervals_unchanged():
    """Values should be finite (the extractor refuses NaN); a NaN run must still not disturb
    the intervals around it, and the intervals holding it get NaN (their mean)."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(600, 1)).cumsum(axis=0)
    x[200:207] = np.nan
    panel = Panel.from_arrays([x], channels=["a"])
    block = QuantIntervals(fixed_length=600).fit(panel)
    got = block.transform(panel)[0]
    expected = reference_features(x, 600)  # np.quantile: NaN for an interval with a NaN
    finite = np.isfinite(expected)
    assert finite.sum() > len(expected) // 4  # the x, d1 and d2 intervals away from the run
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-9, atol=1e-9)
    names = block.columns(panel.channels)
    odd = np.array([parse_feature_name(name)[2]["q"] % 2 == 1 for name in names])
    assert np.isnan(got[~finite & odd]).all()


def test_sorting_network_sorts_every_leaf():
    from featurekit.features.interval import _sort_leaf

    rng = np.random.default_rng(3)
    for m in range(18):
        for _ in range(50):
            src = rng.integers(-3, 4, size=17).astype(np.int64)
            dst = np.full(17, 99, dtype=np.int64)
            _sort_leaf(src, np.uint64(0), np.uint64(m), dst)
            np.testing.assert_array_equal(dst[:m], np.sort(src[:m]))
            assert (dst[m:] == 99).all()
    # 0-1 principle: a comparator network that sorts every 0/1 input sorts every input
    bits = (np.arange(1 << 16)[:, None] >> np.arange(16)) & 1
    for row in bits[rng.permutation(len(bits))[:3000]]:
        dst = np.empty(17, dtype=np.int64)
        _sort_leaf(row.astype(np.int64), np.uint64(0), np.uint64(16), dst)
        np.testing.assert_array_equal(dst[:16], np.sort(row))


def test_large_result_in_plain_pages_is_an_ordinary_array(monkeypatch):
    from featurekit.features import interval

    rng = np.random.default_rng(4)
    panel = ragged_panel(rng, [50, 80, 120])
    block = QuantIntervals().fit(panel)
    expected = block.transform(panel)
    monkeypatch.setattr(interval, "_PLAIN_PAGES_BYTES", 0)  # every result mapped
    got = block.transform(panel)
    assert got.dtype == np.float64 and got.flags.c_contiguous and got.flags.writeable
    np.testing.assert_array_equal(got, expected)
    got[0, 0] = 1.5  # writable, and a copy survives the mapping
    kept = got[:1].copy()
    del got
    assert kept[0, 0] == 1.5
