"""Each preprocessing step against a plain per-series numpy/scipy reference on ragged panels."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from featurekit import preprocess as pp
from featurekit.panel import Panel


def _panel(lengths, channels=("x", "y", "z"), seed=0, rates=None):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(n, len(channels))).cumsum(axis=0) for n in lengths]
    if rates is None:
        rates = rng.choice([25.0, 50.0, 100.0], len(lengths))
    meta = pd.DataFrame(
        {
            "label": rng.choice(["a", "b"], len(lengths)),
            "group": rng.integers(0, 3, len(lengths)),
            "side": np.resize(["left", "right"], len(lengths)),
            "sensor": np.resize(["vicon", "smartwatch", "smartwatch"], len(lengths)),
        }
    )
    return Panel.from_arrays(
        arrays,
        channels=list(channels),
        meta=meta,
        sampling_rate=rates,
        ids=[f"s{i}" for i in range(len(lengths))],
    )


LENGTHS = [40, 3, 0, 2, 97, 250, 64, 64, 5, 181]


# ---------------------------------------------------------------------------- derivatives
def test_acceleration_matches_np_gradient_per_series():
    panel = _panel(LENGTHS)
    out = pp.positions_to_acceleration(panel)
    assert out.lengths.tolist() == LENGTHS
    for i in np.flatnonzero(panel.lengths):
        dt = 1 / panel.sampling_rate[i]
        ref = np.gradient(np.gradient(panel.series(i), dt, axis=0), dt, axis=0)
        np.testing.assert_allclose(out.series(i), ref, atol=1e-9)


def test_acceleration_recovers_sinusoid_in_metres_per_s2():
    rate, f = 100.0, 1.5
    t = np.arange(1000) / rate
    amplitude = 0.05  # metres
    pos = amplitude * np.sin(2 * np.pi * f * t)
    panel = Panel.from_arrays([pos[:, None]], channels=["x"], sampling_rate=rate)
    expected = -amplitude * (2 * np.pi * f) ** 2 * np.sin(2 * np.pi * f * t)[5:-5]
    peak = np.abs(expected).max()  # 4.44 m/s^2
    # central differences are biased by ~(w dt)^2 / 12 = 0.7%; an 11-sample fit by ~2%
    for smooth, tolerance in ((None, 0.01), ((11, 3), 0.025)):
        acc = pp.positions_to_acceleration(panel, smooth=smooth).values[5:-5, 0]
        np.testing.assert_allclose(acc, expected, atol=tolerance * peak)


@pytest.mark.parametrize("smooth", [(5, 2), (7, 3), (11, 4)])
def test_savgol_matches_scipy_per_series(smooth):
    panel = _panel([40, 97, 250, 11, 12, 64], seed=1)
    out = pp.positions_to_acceleration(panel, smooth=smooth)
    for i in range(len(panel)):
        ref = signal.savgol_filter(
            panel.series(i),
            *smooth,
            deriv=2,
            delta=1 / panel.sampling_rate[i],
            axis=0,
            mode="interp",
        )
        np.testing.assert_allclose(out.series(i), ref, rtol=1e-7, atol=1e-7)


def test_acceleration_where_converts_only_selected_series():
    panel = _panel(LENGTHS)
    out = pp.positions_to_acceleration(panel, where={"sensor": "vicon"})
    vicon = panel.meta["sensor"].eq("vicon").to_numpy()
    for i in range(len(panel)):
        if vicon[i]:
            assert not np.allclose(out.series(i), panel.series(i))
        else:
            np.testing.assert_array_equal(out.series(i), panel.series(i))
    same = pp.positions_to_acceleration(panel, where=lambda m: m["sensor"] == "vicon")
    np.testing.assert_array_equal(same.values, out.values)
    np.testing.assert_array_equal(
        pp.positions_to_acceleration(panel, where=vicon).values, out.values
    )


def test_acceleration_bad_input():
    panel = _panel([10, 1, 0])
    with pytest.raises(ValueError, match=r"\['s1'\] have fewer than 2"):
        pp.positions_to_acceleration(panel)
    with pytest.raises(ValueError, match="fewer than 5"):
        pp.positions_to_acceleration(_panel([10, 4]), smooth=(5, 2))
    with pytest.raises(ValueError, match="odd window"):
        pp.positions_to_acceleration(_panel([10]), smooth=(4, 2))
    with pytest.raises(ValueError, match="columns \\['nope'\\]"):
        pp.positions_to_acceleration(panel, where={"nope": 1})
    with pytest.raises(ValueError, match="one boolean per series"):
        pp.positions_to_acceleration(panel, where=[True])
    with pytest.warns(UserWarning, match=r"\['s0'\] have sampling_rate 1.0 Hz"):
        pp.positions_to_acceleration(_panel([10, 12], rates=[1.0, 100.0]))
    # an empty series among the selected is fine
    assert pp.positions_to_acceleration(_panel([10, 0])).lengths.tolist() == [10, 0]


# ---------------------------------------------------------------------------- mirror
def test_mirror_default_accel_only_flips_x_of_left_series():
    panel = _panel(LENGTHS)
    out = pp.mirror(panel)
    left = panel.meta["side"].eq("left").to_numpy()
    for i in range(len(panel)):
        expected = panel.series(i) * ([-1, 1, 1] if left[i] else [1, 1, 1])
        np.testing.assert_array_equal(out.series(i), expected)
    assert out.meta["mirrored"].tolist() == left.tolist()
    np.testing.assert_array_equal(pp.mirror(out).values, panel.values)  # an involution


def test_mirror_default_accel_gyro_treats_angular_velocity_as_pseudovector():
    channels = ["ax", "ay", "az", "wx", "wy", "wz"]
    assert pp.default_mirror_signs(channels) == {"ax": -1, "wy": -1, "wz": -1}
    panel = _panel([20, 30], channels=channels)
    out = pp.mirror(panel, where=[True, False])
    np.testing.assert_array_equal(out.series(0), panel.series(0) * [-1, 1, 1, 1, -1, -1])
    np.testing.assert_array_equal(out.series(1), panel.series(1))


def test_mirror_reflection_is_consistent_with_physics():
    """A rotation about z seen in a mirror x -> -x turns the other way: wz flips, wx not."""
    rng = np.random.default_rng(3)
    omega = rng.normal(size=3)
    r = rng.normal(size=3)
    velocity = np.cross(omega, r)
    m = np.diag([-1.0, 1.0, 1.0])
    omega_mirrored = np.array([1.0, -1.0, -1.0]) * omega  # the default sign map
    np.testing.assert_allclose(np.cross(omega_mirrored, m @ r), m @ velocity)


def test_mirror_explicit_axes_and_signs():
    panel = _panel([10, 10])
    out = pp.mirror(panel, axes=["y", "z"], where={"side": ["left", "right"]})
    np.testing.assert_array_equal(out.values, panel.values * [1, -1, -1])
    out = pp.mirror(panel, signs={"z": -1}, where=np.array([False, True]))
    np.testing.assert_array_equal(out.series(1), panel.series(1) * [1, 1, -1])
    with pytest.raises(ValueError, match=r"unknown channels \['q'\]"):
        pp.mirror(panel, signs={"q": -1})
    with pytest.raises(ValueError, match="no 'side' column"):
        pp.mirror(panel.replace(meta=panel.meta.drop(columns="side")))
    with pytest.raises(ValueError, match="no default mirror"):
        pp.mirror(_panel([5], channels=["u", "v"]))


# ---------------------------------------------------------------------------- fill_nan
def _with_nans(panel, seed=0, frac=0.15):
    rng = np.random.default_rng(seed)
    values = panel.values.copy()
    values[rng.random(values.shape) < frac] = np.nan
    return panel.replace(values=values)


def _reference_fill(x, method):
    if not len(x):
        return x
    frame = pd.DataFrame(x)
    if method == "ffill":
        return frame.ffill().bfill().to_numpy()
    t = np.arange(len(x))
    out = x.copy()
    for c in range(x.shape[1]):
        ok = ~np.isnan(x[:, c])
        out[:, c] = np.interp(t, t[ok], x[ok, c])
    return out


@pytest.mark.parametrize("method", ["ffill", "linear"])
def test_fill_nan_matches_pandas_and_interp_per_series(method):
    panel = _with_nans(_panel(LENGTHS))
    # a leading NaN right after a series with a valid last sample must not borrow it
    values = panel.values.copy()
    values[panel.offsets[4]] = np.nan
    panel = panel.replace(values=values)
    out, counts, dropped = pp.fill_nan(panel, method, all_nan="drop")
    kept = [i for i in range(len(panel)) if panel.ids[i] not in dropped]
    assert list(out.ids) == [panel.ids[i] for i in kept]
    for j, i in enumerate(kept):
        np.testing.assert_allclose(out.series(j), _reference_fill(panel.series(i), method))
        assert counts.iloc[j] == np.isnan(panel.series(i)).sum()
    assert not np.isnan(out.values).any()


def test_fill_nan_all_nan_series_raise_or_drop():
    panel = _panel([5, 4, 6, 0])
    values = panel.values.copy()
    values[panel.offsets[1] : panel.offsets[2]] = np.nan  # s1 entirely NaN
    values[panel.offsets[2] : panel.offsets[3], 2] = np.nan  # s2: channel z entirely NaN
    values[panel.offsets[0] + 1, 0] = np.nan
    panel = panel.replace(values=values)
    with pytest.raises(ValueError, match=r"2 series.*'s1': \['x', 'y', 'z'\].*'s2': \['z'\]"):
        pp.fill_nan(panel)
    out, counts, dropped = pp.fill_nan(panel, all_nan="drop")
    assert dropped.tolist() == ["s1", "s2"]
    assert out.ids.tolist() == ["s0", "s3"] and counts.tolist() == [1, 0]
    assert out.series(0)[1, 0] == out.series(0)[0, 0]


def test_fill_nan_without_nan_is_identity_and_arguments_checked():
    panel = _panel([5, 7])
    out, counts, dropped = pp.fill_nan(panel)
    np.testing.assert_array_equal(out.values, panel.values)
    assert counts.sum() == 0 and len(dropped) == 0
    with pytest.raises(ValueError, match="method"):
        pp.fill_nan(panel, "mean")
    with pytest.raises(ValueError, match="all_nan"):
        pp.fill_nan(panel, all_nan="zero")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=6), st.integers(0, 10**6))
def test_fill_nan_property_never_crosses_series(lengths, seed):
    panel = _with_nans(_panel(lengths, channels=("x",), seed=seed), seed=seed, frac=0.4)
    out, _, dropped = pp.fill_nan(panel, all_nan="drop")
    for j, pid in enumerate(out.ids):
        i = panel.ids.get_loc(pid)
        np.testing.assert_allclose(out.series(j), _reference_fill(panel.series(i), "ffill"))
        # every filled value comes from the same series
        assert set(out.series(j)[:, 0]) <= set(panel.series(i)[:, 0])
    assert len(out) + len(dropped) == len(panel)


# ---------------------------------------------------------------------------- magnitude
def test_add_magnitude_default_triples_and_explicit_groups():
    channels = ["ax", "ay", "az", "wx", "wy", "wz", "t"]
    panel = _panel([10, 3, 0], channels=channels)
    out = pp.add_magnitude(panel)
    assert out.channels == [*channels, "amag", "wmag"]  # the cross set's names (0.2.0)
    np.testing.assert_allclose(out.values[:, 7], np.linalg.norm(panel.values[:, :3], axis=1))
    np.testing.assert_allclose(out.values[:, 8], np.linalg.norm(panel.values[:, 3:6], axis=1))
    assert pp.add_magnitude(_panel([4])).channels[-1] == "mag"
    out = pp.add_magnitude(panel, {"horiz": ["ax", "ay"]})
    np.testing.assert_allclose(out.values[:, -1], np.hypot(panel.values[:, 0], panel.values[:, 1]))
    with pytest.raises(ValueError, match="no x/y/z triple"):
        pp.add_magnitude(_panel([4], channels=["u"]))
    with pytest.raises(ValueError, match="already exist"):
        pp.add_magnitude(out, {"horiz": ["ax"]})


# ---------------------------------------------------------------------------- filters
def _reference_lowpass(x, rate, cutoff, order=4):
    sos = signal.butter(order, cutoff, fs=rate, output="sos")
    padlen = min(pp._default_padlen(sos), len(x) - 1)
    return signal.sosfiltfilt(sos, x, axis=0, padlen=padlen)


def test_lowpass_matches_sosfiltfilt_per_series():
    panel = _panel(LENGTHS, seed=2)
    out = pp.lowpass(panel, 5.0)
    assert out.lengths.tolist() == LENGTHS
    for i in np.flatnonzero(panel.lengths):
        ref = _reference_lowpass(panel.series(i), panel.sampling_rate[i], 5.0)
        np.testing.assert_allclose(out.series(i), ref, atol=1e-10)


def test_lowpass_removes_fast_component_and_selected_channels_only():
    rate = 50.0
    t = np.arange(2000) / rate
    slow, fast = np.sin(2 * np.pi * 0.5 * t), 0.5 * np.sin(2 * np.pi * 10 * t)
    panel = Panel.from_arrays(
        [np.column_stack([slow + fast, slow + fast])], channels=["a", "b"], sampling_rate=rate
    )
    out = pp.lowpass(panel, 3.0, channels=["a"])
    np.testing.assert_allclose(out.values[100:-100, 0], slow[100:-100], atol=0.01)
    np.testing.assert_array_equal(out.values[:, 1], panel.values[:, 1])


def test_filters_refuse_nan_and_bad_cutoff():
    panel = _with_nans(_panel([50, 60]), frac=0.05)
    with pytest.raises(ValueError, match="fill_nan"):
        pp.lowpass(panel, 2.0)
    with pytest.raises(ValueError, match="Nyquist"):
        pp.lowpass(_panel([50], rates=[10.0]), 6.0)
    with pytest.raises(ValueError, match="fill_nan"):
        pp.positions_to_acceleration(panel, smooth=(5, 2))


def test_split_gravity_sums_back_and_matches_reference():
    panel = _panel([300, 120, 0, 2], channels=("ax", "ay", "az", "wx"), seed=4)
    out = pp.split_gravity(panel, 0.3)
    assert out.channels[-6:] == ["ax_grav", "ay_grav", "az_grav", "ax_body", "ay_body", "az_body"]
    for i in range(len(panel)):
        x = panel.series(i)[:, :3]
        grav = out.series(i)[:, 4:7]
        if len(x):
            np.testing.assert_allclose(
                grav, _reference_lowpass(x, panel.sampling_rate[i], 0.3), atol=1e-10
            )
        np.testing.assert_allclose(grav + out.series(i)[:, 7:10], x)
    with pytest.raises(ValueError, match="no accelerometer triple"):
        pp.split_gravity(_panel([10], channels=["u"]))


# ---------------------------------------------------------------------------- resample
def test_resample_matches_np_interp_per_series():
    panel = _panel(
        LENGTHS + [1, 0], seed=5, rates=[25, 50, 30, 100, 30, 20, 50, 40, 10, 60, 50, 50]
    )
    out = pp.resample(panel, 40.0, antialias=False)
    assert (out.sampling_rate == 40).all()
    for i in range(len(panel)):
        n, r = panel.lengths[i], panel.sampling_rate[i]
        m = 0 if n == 0 else max(1, round(n * 40 / r))
        assert out.lengths[i] == m
        if n:
            pos = np.minimum(np.arange(m) * r / 40, n - 1)
            ref = np.column_stack(
                [np.interp(pos, np.arange(n), panel.series(i)[:, c]) for c in range(3)]
            )
            np.testing.assert_allclose(out.series(i), ref, atol=1e-12)


def test_resample_antialias_removes_aliasing():
    rate = 100.0
    t = np.arange(3000) / rate
    slow, fast = np.sin(2 * np.pi * 1 * t), np.sin(2 * np.pi * 23 * t)  # 23 Hz folds to 2 Hz
    panel = Panel.from_arrays([(slow + fast)[:, None]], channels=["x"], sampling_rate=rate)
    plain = pp.resample(panel, 25.0, antialias=False).values[50:-50, 0]
    clean = pp.resample(panel, 25.0).values[50:-50, 0]
    truth = np.sin(2 * np.pi * 1 * np.arange(750) / 25.0)[50:-50]
    assert np.abs(clean - truth).max() < 0.05 < np.abs(plain - truth).max()


# ---------------------------------------------------------------------------- windows
def _reference_windows(panel, size, step):
    out = []
    for i in range(len(panel)):
        x = panel.series(i)
        for k, start in enumerate(range(0, len(x) - size + 1, step)):
            out.append((f"{panel.ids[i]}_w{k}", x[start : start + size], start))
    return out


@pytest.mark.parametrize(("size", "step"), [(10, 5), (16, 16), (3, 7)])
def test_windows_match_slicing_reference(size, step):
    panel = _panel(LENGTHS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pp.windows(panel, size, step)
    ref = _reference_windows(panel, size, step)
    assert out.ids.tolist() == [r[0] for r in ref]
    for j, (_, x, start) in enumerate(ref):
        np.testing.assert_array_equal(out.series(j), x)
        assert out.meta["start"].iloc[j] == start
        assert out.meta["end"].iloc[j] == start + size
    parents = panel.meta.loc[out.meta["parent_id"]]
    assert out.meta["label"].tolist() == parents["label"].tolist()
    assert out.meta["group"].tolist() == parents["group"].tolist()
    np.testing.assert_array_equal(
        out.sampling_rate, panel.sampling_rate[panel.ids.get_indexer(out.meta["parent_id"])]
    )


def test_windows_in_seconds_use_each_series_rate():
    panel = _panel([200, 200], rates=[50.0, 100.0])
    out = pp.windows(panel, "1s", "0.5s")
    assert out.lengths[out.meta["parent_id"].eq("s0").to_numpy()].tolist() == [50] * 7
    assert out.lengths[out.meta["parent_id"].eq("s1").to_numpy()].tolist() == [100] * 3
    same = pp.windows(panel, 1.0, 0.5, seconds=True)
    np.testing.assert_array_equal(same.values, out.values)
    with pytest.raises(ValueError, match="'4 sec'"):
        pp.windows(panel, "4 sec")
    with pytest.raises(ValueError, match="seconds=True"):
        pp.windows(panel, 2.5)


def test_windows_short_series_drop_keep_raise():
    panel = _panel([30, 4, 0])
    with pytest.warns(UserWarning, match=r"2 series are shorter.*\['s1', 's2'\]"):
        out = pp.windows(panel, 10)
    assert out.meta["parent_id"].unique().tolist() == ["s0"]
    kept = pp.windows(panel, 10, short="keep")
    assert kept.ids.tolist() == ["s0_w0", "s0_w1", "s0_w2", "s1_w0"]
    np.testing.assert_array_equal(kept.series(3), panel.series(1))
    with pytest.raises(ValueError, match="shorter than one window"):
        pp.windows(panel, 10, short="raise")


# ---------------------------------------------------------------------------- sklearn
def test_panel_transformer_in_a_pipeline():
    panel = _with_nans(_panel([80, 90, 70], seed=6), frac=0.05)
    pipe = make_pipeline(
        pp.PanelTransformer(pp.fill_nan, kw_args={"method": "linear"}),
        pp.PanelTransformer(pp.mirror),
        pp.PanelTransformer(pp.lowpass, kw_args={"cutoff_hz": 5.0}),
    )
    out = pipe.fit_transform(panel)
    filled = pp.fill_nan(panel, "linear").panel
    expected = pp.lowpass(pp.mirror(filled), 5.0)
    np.testing.assert_allclose(out.values, expected.values)
    assert clone(pipe).get_params()["paneltransformer-3__kw_args"] == {"cutoff_hz": 5.0}
    with pytest.raises(TypeError, match="expects a featurekit Panel"):
        pp.PanelTransformer(pp.mirror).fit(np.zeros((3, 3)))
