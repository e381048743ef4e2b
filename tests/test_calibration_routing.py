"""Subjects reach calibration's inner folds inside scikit-learn's tools: metadata routing
(on and off), the once-only warning when they do not, and no flood of fold warnings."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import featurekit.calibration as calibration
from featurekit import FeatureExtractor, extract
from featurekit.calibration import (
    CalibratedEnsemble,
    CalibratedModel,
    UngroupedCalibrationWarning,
)
from featurekit.evaluate import cross_validate
from featurekit.families import OTHER, SUMMARY, FamilyEnsemble


@pytest.fixture(scope="module")
def watch(watch_panel):
    panel = watch_panel
    return (
        panel,
        extract(panel, "seed"),
        panel.meta["label"].to_numpy(),
        panel.meta["group"].to_numpy(),
    )


@pytest.fixture
def fresh_warning(monkeypatch):
    """The ungrouped warning not yet shown in this process."""
    monkeypatch.setattr(calibration, "_warned_ungrouped", False)


def _forest():
    return RandomForestClassifier(20, random_state=0)


@pytest.mark.parametrize("routing", [False, True])
@pytest.mark.parametrize(
    "make",
    [
        lambda: CalibratedModel(_forest()),
        lambda: CalibratedEnsemble(
            [
                ("rf", _forest()),
                ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
            ]
        ),
        lambda: FamilyEnsemble([("trees", (*SUMMARY, OTHER), _forest())]),
    ],
    ids=["CalibratedModel", "CalibratedEnsemble", "FamilyEnsemble"],
)
def test_direct_fit_with_groups(watch, routing, make, fresh_warning):
    _, table, y, groups = watch
    with config_context(enable_metadata_routing=routing), warnings.catch_warnings():
        warnings.simplefilter("error", UngroupedCalibrationWarning)
        model = make().fit(table, y, groups=groups)  # crashed with routing on
    assert model.predict_proba(table).shape == (len(y), 7)
    assert model.get_metadata_routing().fit.requests["groups"] is True


@pytest.mark.slow
def test_grouped_calibration_in_cross_val_score_matches_evaluate(watch, fresh_warning):
    """With routing on, groups reach CalibratedModel through the Pipeline: its inner folds
    are those featurekit.evaluate gives it, so the out-of-fold probabilities are equal."""
    panel, table, y, groups = watch
    expected = cross_validate(_forest(), table, y, groups, cv="group", calibrate="temperature")
    pipe = Pipeline([("fe", FeatureExtractor("seed")), ("m", CalibratedModel(_forest()))])
    with config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("error", UngroupedCalibrationWarning)
        got = cross_val_predict(
            pipe, panel, y, cv=GroupKFold(5), params={"groups": groups}, method="predict_proba"
        )
        scores = cross_val_score(
            pipe, panel, y, cv=GroupKFold(5), params={"groups": groups}, scoring="neg_log_loss"
        )
    np.testing.assert_allclose(np.clip(got, 1e-15, 1), expected.oof.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(-scores, expected.folds["log_loss"], rtol=1e-6)


@pytest.mark.slow
def test_without_routing_a_step_parameter_carries_groups(watch, fresh_warning):
    _, table, y, groups = watch
    expected = cross_validate(_forest(), table, y, groups, cv="group", calibrate="temperature")
    pipe = Pipeline([("m", CalibratedModel(_forest()))])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UngroupedCalibrationWarning)
        got = cross_val_predict(
            pipe,
            table,
            y,
            groups=groups,
            cv=GroupKFold(5),
            params={"m__groups": groups},
            method="predict_proba",
        )
    np.testing.assert_allclose(np.clip(got, 1e-15, 1), expected.oof.to_numpy(), atol=1e-9)


@pytest.mark.parametrize("routing", [False, True])
def test_missing_groups_warn_once_naming_the_fix(watch, routing, fresh_warning):
    _, table, y, groups = watch
    with (
        config_context(enable_metadata_routing=routing),
        warnings.catch_warnings(record=True) as seen,
    ):
        warnings.simplefilter("always")
        cross_val_score(
            CalibratedModel(_forest()),
            table,
            y,
            cv=GroupKFold(3),
            **({"params": {"groups": groups}} if routing else {"groups": groups}),
        )
    ungrouped = [w for w in seen if w.category is UngroupedCalibrationWarning]
    if routing:  # routed: grouped, no warning
        assert ungrouped == []
        return
    assert len(ungrouped) == 1  # three fits, one warning
    text = str(ungrouped[0].message)
    assert "enable_metadata_routing=True" in text and "params={'groups'" in text


def test_rows_without_subjects_do_not_warn(watch, fresh_warning):
    _, table, y, _ = watch
    with warnings.catch_warnings():
        warnings.simplefilter("error", UngroupedCalibrationWarning)
        cross_validate(_forest(), table, y, cv="stratified", n_splits=3, calibrate="temperature")


def test_fold_class_warnings_are_collapsed(caplog, fresh_warning):
    """A class held by one subject is missing from some inner training folds: scikit-learn
    warns once per such fold; calibration logs one line instead."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=list("abcd"))
    groups = np.repeat(np.arange(12), 10)
    y = np.where(groups == 0, "rare", np.where(np.arange(120) % 2, "a", "b"))
    with (
        warnings.catch_warnings(record=True) as seen,
        caplog.at_level(logging.INFO, logger="featurekit"),
    ):
        warnings.simplefilter("always")
        CalibratedModel(_forest(), cv=4).fit(X, y, groups=groups)
    assert not [w for w in seen if "Number of classes in training fold" in str(w.message)]
    assert any("lacked a class" in r.getMessage() for r in caplog.records)
