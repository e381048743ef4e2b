"""Cross-validation on series with fitted families: the blocks (QUANT's reference length,
MiniRocket's biases) are fitted on each training fold only, the stateless columns are
extracted once, and compare's per-fold tables equal a FeatureExtractor fitted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import featurekit as fk
from featurekit.evaluate import cross_validate, cross_validate_models
from featurekit.features import get_feature_set
from featurekit.features import rocket as rocket_module
from featurekit.features.interval import QuantIntervals
from featurekit.features.rocket import MiniRocket
from featurekit.fold_features import FoldFeatures
from featurekit.report import compare

pytestmark = pytest.mark.skipif(rocket_module.numba is None, reason="numba (the fast extra)")

# small: 168 convolution columns, intervals to depth 3
SMALL_FULL = {"n_features": 168, "depth": 3, "n_groups": 4, "n_kernels": 2}


def ragged_panel(n=24, seed=0) -> fk.Panel:
    """Two classes told apart by where a bump sits; lengths 20..99, longer in class b, so
    a fit on all rows and a fit on a fold give different reference lengths."""
    rng = np.random.default_rng(seed)
    arrays, labels = [], []
    for i in range(n):
        label = "ab"[i % 2]
        length = int(rng.integers(20, 60) + (40 if label == "b" else 0))
        t = np.linspace(0, 1, length)
        centre = 0.25 if label == "a" else 0.75
        bump = np.exp(-(((t - centre) / 0.08) ** 2))
        x = np.stack([bump, np.cos(6 * t)], axis=1) + rng.normal(0, 0.3, (length, 2))
        arrays.append(x)
        labels.append(label)
    meta = pd.DataFrame({"label": labels, "group": np.arange(n) % 6})
    return fk.Panel.from_arrays(arrays, channels=["x", "y"], meta=meta, sampling_rate=50.0)


class Spy(ClassifierMixin, BaseEstimator):
    """A logistic regression that records the tables it is fitted on and predicts."""

    seen: list = []

    def fit(self, X, y, groups=None):
        Spy.seen.append(("fit", X.copy()))
        self.model_ = LogisticRegression(max_iter=200).fit(X.fillna(0), y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        Spy.seen.append(("predict", X.copy()))
        return self.model_.predict_proba(X.fillna(0))


def test_blocks_are_fitted_on_each_training_fold_only(monkeypatch):
    """Spy on both blocks' fit: each call sees exactly one fold's training series, and its
    fitted state equals a fit on those series alone, not the fit on every series."""
    panel = ragged_panel()
    calls: list[tuple[str, pd.Index, object]] = []
    for cls in (MiniRocket, QuantIntervals):
        fit = cls.fit

        def spy(self, training, _fit=fit, _name=cls.__name__):
            fitted = _fit(self, training)
            calls.append((_name, training.ids, fitted))
            return fitted

        monkeypatch.setattr(cls, "fit", spy)
    features = get_feature_set("shape", **SMALL_FULL)
    y, groups = panel.meta["label"].to_numpy(), panel.meta["group"].to_numpy()
    result = cross_validate(
        LogisticRegression(max_iter=200),
        FoldFeatures(panel, features),
        y,
        groups,
        cv="group",
        n_splits=3,
        name="lr",
    )
    assert np.isfinite(result.overall["log_loss"])
    monkeypatch.undo()
    assert len(calls) == 2 * 3  # each block once per fold, shared by nothing else
    all_rows = {
        "MiniRocket": MiniRocket(n_features=168).fit(panel),
        "QuantIntervals": QuantIntervals(depth=3).fit(panel),
    }
    for k in range(3):
        train_ids = panel.ids[result.fold != k]
        test_ids = set(panel.ids[result.fold == k])
        fold_calls = [c for c in calls if set(c[1]) == set(train_ids)]
        assert {name for name, _, _ in fold_calls} == {"MiniRocket", "QuantIntervals"}
        for name, ids, fitted in fold_calls:
            assert not test_ids & set(ids)
            alone = (
                MiniRocket(n_features=168) if name == "MiniRocket" else QuantIntervals(depth=3)
            ).fit(panel.loc(list(ids)))
            assert fitted == alone
            if name == "MiniRocket":
                np.testing.assert_array_equal(fitted.state.biases, alone.state.biases)
                assert fitted.state.biases.tolist() != all_rows[name].state.biases.tolist()
            else:
                assert fitted.reference_length == alone.reference_length
    # the reference length differs between some fold and the fit on every row: the test
    # above would see a fit on all rows
    lengths = {c[2].reference_length for c in calls if c[0] == "QuantIntervals"}
    assert lengths - {all_rows["QuantIntervals"].reference_length}


def test_stateless_columns_are_extracted_once(monkeypatch):
    from featurekit import fold_features

    panel = ragged_panel()
    seen = []
    real = fold_features.extract

    def counting(source, feature_set, **kwargs):
        seen.append((len(feature_set.blocks), bool(feature_set.channel)))
        return real(source, feature_set, **kwargs)

    monkeypatch.setattr(fold_features, "extract", counting)
    folds = FoldFeatures(panel, get_feature_set("full", **SMALL_FULL))
    for k in range(3):
        folds.table(np.flatnonzero(np.arange(len(panel)) % 3 != k))
    assert seen.count((0, True)) == 1  # the stateless part, once
    assert seen.count((3, False)) == 3  # the blocks alone, once per fold


def test_set_without_blocks_is_one_extraction():
    panel = ragged_panel()
    folds = FoldFeatures(panel, "seed")
    expected = fk.extract(panel, "seed")
    pd.testing.assert_frame_equal(folds.table(np.arange(5)), expected)
    y, groups = panel.meta["label"], panel.meta["group"]
    on_series = cross_validate("logreg", panel, y, groups, features="seed", cv="group", n_splits=3)
    on_table = cross_validate("logreg", expected, y, groups, cv="group", n_splits=3)
    pd.testing.assert_frame_equal(on_series.oof, on_table.oof)


@pytest.mark.slow
def test_compare_full_family_ensemble_matches_a_fit_by_hand(tmp_path):
    """compare on a ragged panel with the full set: finite results for the family ensemble,
    and every fold's tables equal FeatureExtractor(full).fit(train).transform(rows)."""
    panel = ragged_panel()
    features = get_feature_set("full", **SMALL_FULL)
    y, groups = panel.meta["label"].to_numpy(), panel.meta["group"].to_numpy()
    Spy.seen = []
    table = compare(
        panel,
        y,
        groups,
        models=["family-ensemble", ("spy", Spy())],
        out=tmp_path,
        features=features,
        cv="group",
        n_splits=3,
        calibrate=None,
        verbose=False,
        importance=False,
    )
    assert table["model"].tolist()[0] in ("family-ensemble", "spy")
    assert np.isfinite(table[["log_loss_mean", "accuracy_mean"]].to_numpy()).all()
    assert (tmp_path / "report.html").exists()
    assert "fitted on each training fold only" in (tmp_path / "report.md").read_text()
    fits = [X for what, X in Spy.seen if what == "fit"]
    predicts = [X for what, X in Spy.seen if what == "predict"]
    assert len(fits) == len(predicts) == 3
    for X_train, X_test in zip(fits, predicts, strict=True):
        by_hand = fk.FeatureExtractor(features).fit(panel.loc(list(X_train.index)))
        assert list(X_train.columns) == list(by_hand.get_feature_names_out())
        assert {"interval", "convolution", "stats"} <= {
            fk.features.registry.feature_family(c) for c in X_train.columns
        }
        pd.testing.assert_frame_equal(X_train, by_hand.transform(panel.loc(list(X_train.index))))
        pd.testing.assert_frame_equal(X_test, by_hand.transform(panel.loc(list(X_test.index))))


def test_models_share_one_table_per_fold(monkeypatch):
    panel = ragged_panel()
    folds = FoldFeatures(panel, get_feature_set("rocket", n_features=84))
    built = []
    real = folds.table

    def counting(train):
        built.append(len(train))
        return real(train)

    monkeypatch.setattr(folds, "table", counting)
    results = cross_validate_models(
        ["logreg", ("lr2", LogisticRegression(C=0.1, max_iter=200))],
        folds,
        panel.meta["label"],
        panel.meta["group"],
        cv="group",
        n_splits=3,
    )
    assert list(results) == ["logreg", "lr2"] and len(built) == 3


def test_bad_inputs_say_what_to_pass():
    panel = ragged_panel()
    with pytest.raises(ValueError, match="meta columns"):
        FoldFeatures(panel, "seed", meta=["sensor"])
    with pytest.raises(ValueError, match="given twice"):
        cross_validate("logreg", FoldFeatures(panel, "seed"), panel.meta["label"], features="seed")
    with pytest.raises(TypeError, match="feature table as X"):
        cross_validate("logreg", panel, panel.meta["label"], features=pd.DataFrame())
