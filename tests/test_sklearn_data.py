"""Panels as scikit-learn data: indexing through ``_safe_indexing``, FeatureExtractor inputs
(Panel, aeon 3-D arrays, lists of arrays, tsfresh long tables) and whole Pipelines inside
``cross_val_score``, ``cross_validate`` and ``GridSearchCV`` with subject-grouped folds."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from featurekit import FeatureExtractor, Panel, extract
from featurekit.extraction import as_panel


def _small_panel(n=12, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(rng.integers(20, 60), 3)) for _ in range(n)]
    meta = pd.DataFrame({"label": np.arange(n) % 2, "group": np.arange(n) // 2})
    return Panel.from_arrays(
        arrays, channels=["x", "y", "z"], meta=meta, ids=[f"s{i}" for i in range(n)]
    )


def _same(a: Panel, b: Panel):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert list(a.ids) == list(b.ids)
    pd.testing.assert_frame_equal(a.meta, b.meta)


@pytest.mark.parametrize(
    "key", [np.array([5, 0, 3]), [2, 7], np.arange(12) % 3 == 0, slice(2, 9, 2), np.int64(4)]
)
def test_safe_indexing_takes_series(key):
    panel = _small_panel()
    got = _safe_indexing(panel, key)
    positions = np.arange(len(panel))[key]
    _same(got, panel.take(np.atleast_1d(positions)))


def test_len_shape_and_no_array_conversion():
    panel = _small_panel()
    assert len(panel) == panel.shape[0] == 12 and panel.shape == (12,)
    with pytest.raises(TypeError, match="no 2-D array form"):
        np.asarray(panel)
    with pytest.raises(IndexError, match="by series only"):
        panel[0, 1]


def test_indexing_copies_the_samples_once():
    rng = np.random.default_rng(1)
    panel = Panel.from_arrays([rng.normal(size=(5_000, 3)) for _ in range(200)])
    rows = rng.permutation(200)[:150]
    tracemalloc.start()
    got = _safe_indexing(panel, rows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert got.values.nbytes == 150 * 5_000 * 3 * 8
    # the selected samples once, plus one int64 index per sample (a third of 3 channels)
    assert peak < got.values.nbytes * (1 + 1 / 3) * 1.05
    # consecutive series are a view, no copy at all
    assert np.shares_memory(panel[10:20].values, panel.values)


def test_short_repr_with_many_channels():
    panel = Panel.from_arrays([np.zeros((4, 40))], channels=[f"ch{i}" for i in range(40)])
    text = repr(panel)
    assert "40 channels" in text and "ch20" not in text and len(text) < 150
    assert "<pre>" in panel._repr_html_()


# ---------------------------------------------------------------- FeatureExtractor inputs
def test_extractor_reads_aeon_arrays_lists_and_long_tables():
    rng = np.random.default_rng(2)
    X3 = rng.normal(size=(6, 2, 40))  # aeon: (n_series, n_channels, length)
    expected = extract(Panel.from_numpy3d(X3), "seed")
    fe = FeatureExtractor("seed")
    pd.testing.assert_frame_equal(fe.fit_transform(X3), expected)
    # a list of (n_channels, length) arrays, of unequal lengths
    ragged = [rng.normal(size=(2, n)) for n in (30, 41, 52)]
    as_rows = Panel.from_arrays([a.T for a in ragged])  # from_arrays: (length, n_channels)
    pd.testing.assert_frame_equal(fe.fit_transform(ragged), extract(as_rows, "seed"))
    # tsfresh's long table
    long = as_rows.to_long()
    got = fe.fit_transform(long)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), extract(as_rows, "seed").reset_index(drop=True)
    )
    # 2-D: univariate series
    assert FeatureExtractor("seed").fit_transform(X3[:, 0, :]).shape == (6, 8)


def test_extractor_refuses_a_transposed_list_and_unknown_inputs():
    rng = np.random.default_rng(3)
    transposed = [rng.normal(size=(n, 3)) for n in (30, 41, 52)]  # (length, channels)
    with pytest.raises(ValueError, match="look like \\(length, n_channels\\)"):
        FeatureExtractor("seed").fit(transposed)
    with pytest.raises(TypeError, match="FeatureExtractor takes a featurekit.Panel"):
        FeatureExtractor("seed").fit({"a": 1})
    with pytest.raises(ValueError, match="3-D"):
        FeatureExtractor("seed").fit(np.zeros(5))


def test_extractor_sampling_rate_for_arrays():
    X3 = np.random.default_rng(4).normal(size=(3, 1, 200))
    assert as_panel(X3, sampling_rate=50).sampling_rate.tolist() == [50.0] * 3
    panel = Panel.from_numpy3d(X3, sampling_rate=20)
    assert as_panel(panel, sampling_rate=50) is panel  # a Panel keeps its own rate


# ---------------------------------------------------------------- inside scikit-learn's CV
@pytest.fixture(scope="module")
def watch(watch_panel):
    panel = watch_panel
    return panel, panel.meta["label"].to_numpy(), panel.meta["group"].to_numpy()


def test_cross_val_score_on_a_panel(watch):
    panel, y, groups = watch
    pipe = Pipeline(
        [("fe", FeatureExtractor("seed")), ("m", RandomForestClassifier(50, random_state=0))]
    )
    got = cross_val_score(pipe, panel, y, groups=groups, cv=GroupKFold(5))
    # the same folds by hand, on feature tables extracted once
    table = extract(panel, "seed")
    ref = [
        pipe.named_steps["m"].fit(table.iloc[tr], y[tr]).score(table.iloc[te], y[te])
        for tr, te in GroupKFold(5).split(table, y, groups)
    ]
    np.testing.assert_allclose(got, ref)
    assert got.mean() > 0.7


@pytest.mark.slow
def test_grid_search_over_feature_sets(watch):
    panel, y, groups = watch
    pipe = Pipeline(
        [("fe", FeatureExtractor("seed")), ("m", RandomForestClassifier(30, random_state=0))]
    )
    search = GridSearchCV(pipe, {"fe__features": ["seed", "stats"]}, cv=GroupKFold(3))
    search.fit(panel, y, groups=groups)
    assert list(search.cv_results_["param_fe__features"]) == ["seed", "stats"]
    assert search.best_estimator_.predict(panel[:5]).shape == (5,)


@pytest.mark.slow
def test_rocket_is_fitted_on_each_training_fold(watch):
    panel, y, groups = watch
    pipe = Pipeline(
        [
            ("fe", FeatureExtractor("rocket", options={"n_features": 840})),
            ("m", RidgeClassifierCV()),
        ]
    )
    folds = list(GroupKFold(3).split(panel, y, groups))
    result = cross_validate(pipe, panel, y, groups=groups, cv=GroupKFold(3), return_estimator=True)
    assert result["test_score"].mean() > 0.7
    states = [repr(e.named_steps["fe"].feature_set_.blocks) for e in result["estimator"]]
    assert len(set(states)) == 3  # one fitted state per fold
    alone = FeatureExtractor("rocket", options={"n_features": 840}).fit(panel[folds[0][0]])
    assert repr(alone.feature_set_.blocks) == states[0]  # the training fold's series only
