"""The compiled kernels against plain per-series numpy, and both engines against each other."""

import numpy as np
import pytest

import featurekit as fk
from featurekit.features import FeatureSet, kernels
from featurekit.features.registry import calls
from tests.test_features import ragged_panel

pytestmark = pytest.mark.skipif(kernels.numba is None, reason="numba (the fast extra) missing")


def per_series_sums(x: np.ndarray) -> dict:
    """Every kernel column of one series, computed the plain way."""
    if len(x) == 0:
        return dict.fromkeys(kernels.MOMENT_SUMS + kernels.SHAPE_SUMS, 0.0) | {
            "min": np.nan,
            "max": np.nan,
        }
    c = x - x.mean()
    return {
        "sum": x.sum(),
        "abs_sum": np.abs(x).sum(),
        "sum_sq": (x * x).sum(),
        "min": x.min(),
        "max": x.max(),
        "c2": (c**2).sum(),
        "c3": (c**3).sum(),
        "c4": (c**4).sum(),
        "abs_change": np.abs(np.diff(x)).sum(),
        "above": np.count_nonzero(c > 0),
        "crossings": np.count_nonzero(np.diff(c > 0)),
        "trend": (np.arange(len(x)) * c).sum(),
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_sums_match_per_series_numpy(dtype):
    rng = np.random.default_rng(3)
    lengths = rng.integers(0, 60, 200)
    lengths[:3] = [0, 1, 5]  # empty, single and 4-lane-remainder series come first
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = (rng.normal(3, 2, (offsets[-1], 2)) * rng.uniform(0.1, 100)).astype(dtype)
    moments = kernels.moment_sums(values, offsets)
    means = moments[:, :, 0] / np.maximum(lengths, 1)[:, None]
    shapes = kernels.shape_sums(values, offsets, means)
    assert moments.dtype == shapes.dtype == np.float64
    for i in range(len(lengths)):
        for ch in range(2):
            x = values[offsets[i] : offsets[i + 1], ch].astype(np.float64)
            expected = per_series_sums(x)
            got = dict(zip(kernels.MOMENT_SUMS, moments[i, ch], strict=True))
            got |= dict(zip(kernels.SHAPE_SUMS, shapes[i, ch], strict=True))
            for name, value in expected.items():
                np.testing.assert_allclose(
                    got[name],
                    value,
                    rtol=1e-9,
                    atol=1e-9,
                    err_msg=f"{name} of series {i}, channel {ch}",
                )


def test_lag_sums_match_per_series_numpy():
    rng = np.random.default_rng(4)
    lengths = rng.integers(0, 12, 60)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = rng.normal(size=(offsets[-1], 2))
    means = rng.normal(size=(len(lengths), 2))
    sums = kernels.lag_sums(values, offsets, means, 6)
    for i in range(len(lengths)):
        for ch in range(2):
            c = values[offsets[i] : offsets[i + 1], ch] - means[i, ch]
            for lag in range(1, 7):
                expected = (c[lag:] * c[: len(c) - lag]).sum() if len(c) > lag else 0.0
                np.testing.assert_allclose(
                    sums[i, ch, lag - 1], expected, atol=1e-12, err_msg=f"lag {lag} of series {i}"
                )


def test_min_max_lanes_find_extremes_anywhere():
    for n in range(1, 12):
        for where in range(n):
            x = np.zeros((n, 1))
            x[where] = 5.0
            sums = kernels.moment_sums(x, [0, n])[0, 0]
            assert sums[kernels.MOMENT_SUMS.index("max")] == 5.0, (n, where)
            x[where] = -5.0
            sums = kernels.moment_sums(x, [0, n])[0, 0]
            assert sums[kernels.MOMENT_SUMS.index("min")] == -5.0, (n, where)


def test_missing_numba_says_which_install_fixes_it(monkeypatch):
    monkeypatch.setattr(kernels, "numba", None)
    assert not kernels.enabled()
    with pytest.raises(ImportError, match=r"featurekit\[fast\]"):
        kernels.moment_sums(np.zeros((3, 1)), [0, 3])


def test_switch_off_with_environment_variable(monkeypatch):
    assert kernels.enabled()
    monkeypatch.setenv("FEATUREKIT_NUMBA", "0")
    assert not kernels.enabled()


@pytest.mark.parametrize("feature_set", ["default", "seed"])
def test_engines_give_the_same_table(feature_set, monkeypatch):
    panel = ragged_panel(seed=5, n=30, channels=("ax", "ay", "az", "p"))
    compiled = fk.extract(panel, feature_set)
    monkeypatch.setenv("FEATUREKIT_NUMBA", "0")
    plain = fk.extract(panel, feature_set)
    assert compiled.columns.equals(plain.columns)
    np.testing.assert_allclose(compiled.to_numpy(), plain.to_numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("engine", ["1", "0"])
@pytest.mark.parametrize("value", [4.2, 0.1, -1e5 / 3])
def test_constant_series_mean_is_exact(value, engine, monkeypatch):
    """Regression: a rounded mean put every sample of a constant series 'above the mean'."""
    monkeypatch.setenv("FEATUREKIT_NUMBA", engine)
    panel = fk.Panel.from_arrays([np.full((n, 1), value) for n in (7, 300, 1001)], channels=["x"])
    names = ["mean", "count_above_mean", "mean_crossing_rate", "std"]
    table = fk.extract(panel, FeatureSet(channel=calls(names)))
    assert (table["x__mean"] == value).all()
    assert (table["x__count_above_mean"] == 0).all()
    assert (table["x__mean_crossing_rate"] == 0).all()
    assert (table["x__std"] == 0).all()


@pytest.mark.parametrize("channels", [("x", "y"), ("x", "y", "z", "w")])
def test_band_shares_of_edges_the_plan_did_not_name(channels):
    """The compiled spectral pass keeps the shares below the plan's band edges only; a band
    asked for afterwards is computed again with its edges, and matches the plain one (with
    4 channels the running sums of a series' rows run side by side)."""
    from featurekit.features.segments import ChannelBlock, Layout, Segments
    from tests import reference

    panel = ragged_panel(seed=8, n=12, channels=channels)
    rates = np.linspace(20.0, 100.0, len(panel))
    layout = Layout(panel.offsets, rates)
    block = ChannelBlock(panel.values, layout)
    block.band_edges = (0.0, 2.0)
    segments = [Segments(panel.values[:, ch], layout, block, ch) for ch in range(len(channels))]
    # edges off every bin: a bin exactly on an edge falls on either side with the rounding
    # of its frequency, here and in the reference alike
    for lo, hi in [(0.0, 2.0), (1.3, 6.9), (2.9, np.inf), (0.0, np.inf)]:
        for ch, seg in enumerate(segments):
            got = seg.band_share(lo, hi)
            for i in range(len(panel)):
                x = panel.values[panel.offsets[i] : panel.offsets[i + 1], ch]
                expected = (
                    reference.SPECTRAL["band_power"](x, rates[i], lo=lo, hi=hi)
                    if len(x) > 1
                    else np.nan
                )
                np.testing.assert_allclose(got[i], expected, rtol=1e-9, atol=1e-12)
    assert block.spectra[2] == (0.0, 1.3, 2.0, 2.9, 6.9, np.inf)


@pytest.mark.parametrize("n_channels", [1, 3, 4, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_gathering_kernels_match_per_series_numpy(n_channels, dtype):
    """centred_sums, quantiles and fill_centered read each series' rows once for all its
    channels (4 channels, 3 axes and a magnitude, take a path of their own)."""
    rng = np.random.default_rng(n_channels)
    lengths = rng.integers(0, 40, 50)
    lengths[:3] = [0, 1, 2]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = rng.normal(1, 3, (offsets[-1], n_channels)).astype(dtype)
    means = kernels.moment_sums(values, offsets)[:, :, 0] / np.maximum(lengths, 1)[:, None]
    shapes, lags, pairs = kernels.centred_sums(values, offsets, means, 3)
    qs = [0.05, 0.5, 0.9]
    stats = [values.min(initial=0.0), values.max(initial=0.0), 1.0, 3.0]
    found = kernels.quantiles(
        values, offsets, qs, *(np.full((len(lengths), n_channels), v) for v in stats)
    )
    positions = np.arange(len(lengths))[::-1]
    padded = kernels.fill_centered(values, offsets[:-1], lengths, means, positions, 45)
    for i in range(len(lengths)):
        x = values[offsets[i] : offsets[i + 1]].astype(np.float64)
        c = x - means[i]
        r = len(lengths) - 1 - i  # fill_centered's row block of series i
        for ch in range(n_channels):
            expected = per_series_sums(x[:, ch])
            got = dict(zip(kernels.SHAPE_SUMS, shapes[i, ch], strict=True))
            for name in ("abs_change", "trend"):
                np.testing.assert_allclose(got[name], expected[name], rtol=1e-9, atol=1e-9)
            for lag in range(1, 4):
                product = (c[lag:, ch] * c[: len(c) - lag, ch]).sum() if len(c) > lag else 0.0
                np.testing.assert_allclose(lags[i, ch, lag - 1], product, atol=1e-9)
            if len(x):
                np.testing.assert_allclose(found[i, ch], np.quantile(x[:, ch], qs), rtol=1e-12)
            row = padded[r * n_channels + ch]
            np.testing.assert_array_equal(row[: len(x)], c[:, ch])
            assert not row[len(x) :].any()
        combos = [(a, b) for a in range(n_channels) for b in range(a + 1, n_channels)]
        for at, (a, b) in enumerate(combos):
            np.testing.assert_allclose(pairs[i, at], (c[:, a] * c[:, b]).sum(), atol=1e-9)


def test_magnitude_buffer_is_kept_per_thread_and_never_shared_by_nested_calls(monkeypatch):
    """Chunks reuse one buffer for their input and magnitude channels (fresh pages per chunk
    cost as much as the pass filling them); a pass that starts while another holds it (the
    rescaled rows of extreme series) gets its own, and tables do not depend on the reuse."""
    from featurekit.features import compute, get_feature_set

    panel = ragged_panel(seed=9, n=40, channels=("x", "y", "z"))
    feature_set = get_feature_set("default")
    plan, columns, last_use, groups = compute._cached_plan(feature_set, tuple(panel.channels))
    out = np.empty((len(panel), len(columns)))
    block = compute._plan_columns(panel, plan, last_use, groups, out)
    assert np.shares_memory(block.values, compute._NORMS.buffer)
    monkeypatch.setattr(compute._NORMS, "busy", True)
    nested = compute._plan_columns(panel.take(np.arange(5)), plan, last_use, groups, out[:5])
    assert not np.shares_memory(nested.values, compute._NORMS.buffer)
    monkeypatch.setattr(compute._NORMS, "busy", False)

    chunked = fk.extract(panel, "default", chunk_size=7)
    whole = fk.extract(panel, "default", chunk_size=1000)
    huge = panel.replace(values=panel.values * 1e250)  # rescaled rows: a nested pass
    np.testing.assert_array_equal(chunked.to_numpy(), whole.to_numpy())
    monkeypatch.setenv("FEATUREKIT_NUMBA", "0")
    plain = fk.extract(panel, "default")
    plain_huge = fk.extract(huge, "default")
    monkeypatch.delenv("FEATUREKIT_NUMBA")
    np.testing.assert_allclose(whole.to_numpy(), plain.to_numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        fk.extract(huge, "default").to_numpy(), plain_huge.to_numpy(), rtol=1e-9, atol=1e-9
    )
    with pytest.raises(ValueError, match="C-contiguous float64"):
        kernels.with_norms(panel.values, [[0, 1, 2]], out=np.empty((3, 4)))
