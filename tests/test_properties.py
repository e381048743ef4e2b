"""Property tests (hypothesis): random ragged panels through every native feature set.

Panels hold 1-5 series of 3 channels (x, y, z: the cross sets get a magnitude channel),
lengths 0-3 or 4-40, random, constant or piecewise-constant values, each channel at its own
magnitude between 1e-300 and 1e300, as float64, float32 (magnitudes within its range) or
integers. Every registered set that needs no fitting runs through ``fk.extract``; the
fitted ones (interval, rocket, hydra, shape, full) through ``FeatureExtractor`` fitted on a fixed
training panel. What must hold (README, "Features"):

- registered features are NaN exactly where the series is shorter than the feature needs,
  finite elsewhere, except energy (sum of squares), which is inf where float64 cannot hold
  it (samples beyond about 1e150);
- block families (interval, rocket, hydra) are never inf;
- no warning leaks out (the panels use 50 Hz, so no band lies above Nyquist);
- the numba path equals the NumPy path (``FEATUREKIT_NUMBA=0``, read at call time).

The tsfresh bridge (``tsfresh-minimal``; the other tsfresh sets share its code) gives
tsfresh's own values: NaN for an empty series, finite for the others unless squares overflow
(samples beyond about 1e150), and no warning leaks out.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import featurekit as fk
from featurekit.features.registry import FEATURES, parse_feature_name

NATIVE_SETS = ["seed", "stats", "spectral", "cross", "default"]
FITTED_SETS = {
    "interval": dict(reference_length=32),
    "rocket": dict(n_features=84 * 3),
    "hydra": dict(n_groups=4, n_kernels=4),
    "shape": dict(reference_length=32, n_features=84 * 3, n_groups=4, n_kernels=4),
    "full": dict(reference_length=32, n_features=84 * 3, n_groups=4, n_kernels=4),
}
SCALES = [1e-300, 1e-150, 1e-60, 1e-3, 1.0, 1e3, 1e60, 1e150, 1e300]
FLOAT32_SCALES = [1e-30, 1e-3, 1.0, 1e3, 1e30]
CHANNELS = ["x", "y", "z"]
PROPERTY_SETTINGS = settings(
    max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def series(draw):
    """One (length, 3) array: random, constant or runs, a magnitude per channel, a dtype."""
    length = draw(st.one_of(st.integers(0, 3), st.integers(4, 40)))
    kind = draw(st.sampled_from(["random", "constant", "runs"]))
    dtype = draw(st.sampled_from(["float64", "float32", "int64"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "random":
        values = rng.uniform(-1, 1, size=(length, 3))
    elif kind == "constant":
        values = np.full((length, 3), rng.uniform(-1, 1))
    else:
        values = np.repeat(rng.uniform(-1, 1, size=(length // 4 + 1, 3)), 4, axis=0)[:length]
    if dtype == "int64":
        return np.round(values * 1000).astype(np.int64)
    scales = draw(
        st.lists(
            st.sampled_from(FLOAT32_SCALES if dtype == "float32" else SCALES),
            min_size=3,
            max_size=3,
        )
    )
    return (values * np.array(scales)).astype(dtype)


@st.composite
def panels(draw):
    arrays = draw(st.lists(series(), min_size=1, max_size=5))
    return fk.Panel.from_arrays(arrays, channels=CHANNELS, sampling_rate=50.0)


@contextmanager
def numba(enabled: bool):
    old = os.environ.get("FEATUREKIT_NUMBA")
    os.environ["FEATUREKIT_NUMBA"] = "1" if enabled else "0"
    try:
        yield
    finally:
        if old is None:
            del os.environ["FEATUREKIT_NUMBA"]
        else:
            os.environ["FEATUREKIT_NUMBA"] = old


def both_paths(extract) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table on the numba and on the NumPy path, any warning an error."""
    tables = []
    for enabled in (True, False):
        with numba(enabled), warnings.catch_warnings():
            warnings.simplefilter("error")
            tables.append(extract())
    return tables[0], tables[1]


def _largest(panel) -> np.ndarray:
    """Largest |sample| per series (0 for empty ones)."""
    out = np.zeros(len(panel))
    for i in range(len(panel)):
        if panel.lengths[i]:
            out[i] = np.abs(panel.series(i).astype(np.float64)).max()
    return out


def check_registered_columns(table: pd.DataFrame, panel) -> None:
    """NaN exactly below each feature's min_length; finite elsewhere (energy may overflow)."""
    lengths, largest = panel.lengths, _largest(panel)
    for column in table.columns:
        _, feature, params = parse_feature_name(column)
        if feature not in FEATURES:
            continue  # a block's column
        values = table[column].to_numpy()
        short = lengths < FEATURES[feature].min_length_for(params)
        assert np.isnan(values[short]).all(), (column, values[short])
        ok = np.isfinite(values[~short])
        if feature == "energy":  # sum of squares beyond float64's range
            ok |= np.isposinf(values[~short]) & (largest[~short] > 1e150)
        assert ok.all(), (column, values[~short], lengths[~short], largest[~short])


def check_same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    """numba path == NumPy path, to rounding (relative, per column's magnitude)."""
    assert list(fast.columns) == list(slow.columns)
    a, b = fast.to_numpy(), slow.to_numpy()
    assert (np.isnan(a) == np.isnan(b)).all(), fast.columns[(np.isnan(a) != np.isnan(b)).any(0)]
    assert (np.isinf(a) == np.isinf(b)).all()
    finite = np.isfinite(a) & np.isfinite(b)
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf
        close = np.abs(a - b) <= 1e-6 * np.maximum(np.abs(a), np.abs(b)) + 1e-9
    bad = finite & ~close
    assert not bad.any(), [(fast.columns[j], a[i, j], b[i, j]) for i, j in np.argwhere(bad)[:5]]


@pytest.mark.parametrize("name", NATIVE_SETS)
@PROPERTY_SETTINGS
@given(panel=panels())
def test_native_sets(name, panel):
    fast, slow = both_paths(lambda: fk.extract(panel, name, cache=False))
    assert list(fast.index) == list(panel.ids)
    check_registered_columns(fast, panel)
    check_same(fast, slow)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(7)
    train = fk.Panel.from_arrays(
        [rng.normal(size=(int(n), 3)) for n in rng.integers(20, 60, 12)],
        channels=CHANNELS,
        sampling_rate=50.0,
    )
    return {
        name: fk.FeatureExtractor(name, options=options).fit(train)
        for name, options in FITTED_SETS.items()
    }


@pytest.mark.parametrize("name", list(FITTED_SETS))
@PROPERTY_SETTINGS
@given(panel=panels())
def test_fitted_sets(fitted, name, panel):
    fast, slow = both_paths(lambda: fitted[name].transform(panel))
    check_registered_columns(fast, panel)
    blocks = [c for c in fast.columns if parse_feature_name(c)[1] not in FEATURES]
    assert blocks and not np.isinf(fast[blocks].to_numpy()).any()
    check_same(fast, slow)


@PROPERTY_SETTINGS
@given(panel=panels())
def test_tsfresh_bridge(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = fk.extract(panel, "tsfresh-minimal", cache=False)
    assert list(table.index) == list(panel.ids)
    values, empty = table.to_numpy(), panel.lengths == 0
    assert np.isnan(values[empty]).all()
    representable = ~empty & (_largest(panel) <= 1e150)
    assert np.isfinite(values[representable]).all(), table[representable]
