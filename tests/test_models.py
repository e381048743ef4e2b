"""make_model: every recipe fits string labels, one-hot metadata, NaN, and the GPU switch."""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from featurekit import models
from featurekit.calibration import CalibratedEnsemble, CalibratedModel
from featurekit.evaluate import cross_validate
from featurekit.models import MODELS, LabelEncodedClassifier, feature_importances, make_model

SMALL = {
    "seed-rf": {"n_estimators": 10},
    "rf": {"n_estimators": 10},
    "extratrees": {"n_estimators": 10},
    "xgboost": {"n_estimators": 10},
    "lightgbm": {"n_estimators": 10},
    "logreg": {},
}
PIPELINES = [m for m in MODELS if not m.endswith("ensemble")]


@pytest.fixture(scope="module")
def table():
    X, y = make_classification(240, 8, n_informative=5, n_classes=3, random_state=0)
    X = pd.DataFrame(X, columns=[f"ax__f{i}" for i in range(8)])
    X["side"] = np.where(np.arange(240) % 2, "left", "right")
    X["body_part"] = pd.Categorical(np.where(np.arange(240) % 3, "hand", "foot"))
    return X, np.array(["walk", "idle", "typing"])[y]


@pytest.mark.parametrize("name", PIPELINES)
def test_every_model_fits_string_labels_and_metadata(name, table):
    X, y = table
    model = make_model(name, **SMALL[name]).fit(X, y)
    assert list(model.classes_) == sorted(set(y))
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert (model.predict(X) == y).mean() > 0.7
    names = list(model[:-1].get_feature_names_out())
    assert {"side_left", "side_right", "body_part_foot", "body_part_hand"} <= set(names)
    imp = feature_importances(model)
    assert len(imp) == len(names) and np.isclose(imp.sum(), 1)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone.predict_proba(X), proba)


@pytest.mark.parametrize("name", PIPELINES)
def test_nan_columns_are_handled(name, table):
    X, y = table
    X = X.copy()
    X.iloc[::5, 0] = np.nan
    X["ax__empty"] = np.nan
    proba = make_model(name, **SMALL[name]).fit(X, y).predict_proba(X)
    assert np.isfinite(proba).all()


def test_seed_rf_is_seed_recipe(table):
    X, y = table
    num = X.select_dtypes("number")
    ours = make_model("seed-rf").fit(num, y).predict_proba(num)
    scaled = StandardScaler().fit_transform(num)
    seed = RandomForestClassifier(n_estimators=300, random_state=42, n_jobs=-1).fit(scaled, y)
    np.testing.assert_allclose(ours, seed.predict_proba(scaled))


def test_xgboost_is_silent_and_keeps_labels(table, capfd):
    X, y = table
    model = make_model("xgboost", n_estimators=5).fit(X, y)
    assert capfd.readouterr().out == ""
    engine = model.named_steps["model"].estimator_
    assert engine.get_params()["verbosity"] == 0 and engine.get_params()["tree_method"] == "hist"
    make_model("lightgbm", n_estimators=5).fit(X, y)
    assert capfd.readouterr().out == ""


def test_label_encoded_classifier_with_absent_class():
    from xgboost import XGBClassifier

    X = np.arange(20.0)[:, None]
    y = np.array(["b", "c"] * 10)  # class "a" absent in this fold, codes still 0..k-1
    clf = LabelEncodedClassifier(XGBClassifier(n_estimators=3, verbosity=0)).fit(X, y)
    assert list(clf.classes_) == ["b", "c"]
    assert set(clf.predict(X)) <= {"b", "c"}


def test_gpu_falls_back_with_one_warning(monkeypatch):
    monkeypatch.setattr(models, "cuda_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="no CUDA device") as record:
        model = make_model("xgboost", gpu=True)
    assert len(record) == 1
    assert model.named_steps["model"].estimator.get_params()["device"] == "cpu"


def test_gpu_sets_cuda_device_when_present(monkeypatch):
    monkeypatch.setattr(models, "cuda_available", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = make_model("xgboost", gpu=True)
    assert model.named_steps["model"].estimator.get_params()["device"] == "cuda"


def test_cuda_probe_answers_here():
    models.cuda_available.cache_clear()
    if not Path("/dev/nvidia0").exists():  # no GPU on this machine: the real probe says so
        assert models.cuda_available() is False
    else:
        assert models.cuda_available() in (True, False)


def test_bad_names():
    with pytest.raises(ValueError, match="unknown model 'svm'"):
        make_model("svm")
    with pytest.raises(ValueError, match="only available for 'xgboost'"):
        make_model("rf", gpu=True)


def _members():
    return [
        ("extratrees", make_model("extratrees", n_estimators=20, n_jobs=1)),
        ("logreg", make_model("logreg")),
    ]


@pytest.mark.slow
def test_ensemble_is_the_mean_of_separately_calibrated_members(table):
    X, y = table
    groups = np.repeat([f"user{i}" for i in range(6)], 40)
    vote = make_model("ensemble", members=_members()).fit(X, y, groups=groups)
    assert isinstance(vote, CalibratedEnsemble)
    reference = np.mean(
        [CalibratedModel(m).fit(X, y, groups=groups).predict_proba(X) for _, m in _members()],
        axis=0,
    )
    np.testing.assert_allclose(vote.predict_proba(X), vote.vote_calibrator_.transform(reference))
    raw = np.mean([m.fit(X, y).predict_proba(X) for _, m in _members()], axis=0)
    np.testing.assert_allclose(vote.predict_proba_raw(X), raw)
    assert list(vote.classes_) == sorted(set(y))
    np.testing.assert_array_equal(vote.predict(X), vote.classes_[reference.argmax(axis=1)])
    clone = pickle.loads(pickle.dumps(vote))
    np.testing.assert_allclose(clone.predict_proba(X), vote.predict_proba(X))


def test_vote_calibration_restores_the_confidence_of_independent_evidence():
    """Two members that each see half of the evidence: the mean of their calibrated
    probabilities is underconfident, and the calibration of the vote sharpens it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    y = np.where(X[:, 0] + X[:, 1] + 0.3 * rng.normal(size=3000) > 0, "up", "down")
    halves = [
        (name, make_pipeline(FunctionTransformer(lambda a, i=i: a[:, [i]]), LogisticRegression()))
        for i, name in enumerate(["first", "second"])
    ]
    vote = CalibratedEnsemble(halves).fit(X[:1000], y[:1000])
    members = np.mean(vote._members(X[1000:], calibrated=True), axis=0)
    assert vote.vote_calibrator_.temperature_ < 0.9
    assert log_loss(y[1000:], vote.predict_proba(X[1000:])) < log_loss(y[1000:], members) - 0.02


@pytest.mark.slow
def test_ensemble_default_members_and_weights(table):
    X, y = table
    vote = make_model("ensemble", weights=[3, 1])
    assert [name for name, _ in vote.estimators] == list(models.ENSEMBLE_MEMBERS)
    X = X.copy()
    X.iloc[::7, 1] = np.nan  # NaN reaches both members: trees route it, logreg imputes
    vote.set_params(estimators=_members()).fit(X, y)
    members = [CalibratedModel(m).fit(X, y).predict_proba(X) for _, m in _members()]
    weighted = 0.75 * members[0] + 0.25 * members[1]
    np.testing.assert_allclose(vote.predict_proba(X), vote.vote_calibrator_.transform(weighted))


@pytest.mark.slow
def test_calibrated_model_does_not_calibrate_an_ensemble_twice(table):
    X, y = table
    groups = np.repeat([f"user{i}" for i in range(6)], 40)
    alone = CalibratedEnsemble(_members(), method="logistic").fit(X, y, groups=groups)
    wrapped = CalibratedModel(CalibratedEnsemble(_members()), method="logistic")
    wrapped.fit(X, y, groups=groups)
    assert wrapped.calibrator_ is None and wrapped.estimator_.method == "logistic"
    np.testing.assert_allclose(wrapped.predict_proba(X), alone.predict_proba(X))
    np.testing.assert_allclose(wrapped.predict_proba_raw(X), alone.predict_proba_raw(X))


@pytest.mark.slow
def test_ensemble_in_cross_validate_with_a_class_absent_from_training(table):
    X, y = table
    y = y.astype(object)
    groups = np.repeat([f"user{i}" for i in range(6)], 40)
    y[groups == "user0"] = "rare"  # in training folds only when user0 is not the test fold
    result = cross_validate(
        make_model("ensemble", members=_members()),
        X,
        y,
        groups,
        cv="group",
        n_splits=3,
        calibrate="temperature",
    )
    assert list(result.oof.columns) == ["idle", "rare", "typing", "walk"]
    np.testing.assert_allclose(result.oof.sum(axis=1), 1)
    assert np.isfinite(result.folds.log_loss).all() and "log_loss_raw" in result.folds


def test_ensemble_bad_parameters_listed_together(table):
    X, y = table
    with pytest.raises(ValueError, match="weights has 3 entries for 2") as err:
        CalibratedEnsemble(_members(), weights=[1, 1, 1]).fit(X, y)
    assert "Invalid CalibratedEnsemble" in str(err.value)
    with pytest.raises(ValueError, match="must be >= 0"):
        CalibratedEnsemble(_members(), weights=[1, -1]).fit(X, y)
    with pytest.raises(ValueError, match="estimators is empty"):
        CalibratedEnsemble([]).fit(X, y)
    with pytest.raises(ValueError, match="unknown calibration method 'platt'"):
        CalibratedEnsemble(_members(), method="platt").fit(X, y)


# scikit-learn's estimator checks on featurekit's meta-estimators, around deterministic
# scikit-learn models. Around XGBoost, LabelEncodedClassifier still fails six checks, all on
# XGBoost's own behaviour (its error messages, and histogram splits that make weights
# differ slightly from repeated rows), not on the wrapper.
# cv=3 inner folds instead of the default 10 on these small sets: the same checks, about 3x
# cheaper (the sparse checks refit every wrapped model for each of ~10 sparse formats).
@parametrize_with_checks(
    [
        CalibratedModel(LogisticRegression(), cv=3),
        CalibratedEnsemble(
            [("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(random_state=0))], cv=3
        ),
        LabelEncodedClassifier(LogisticRegression()),
    ]
)
def test_meta_estimators_pass_sklearn_checks(estimator, check):
    """Regression: predict before fit raised AttributeError, n_features_in_ was missing, and
    2-D, missing or NaN targets crashed instead of being refused (15 failed checks)."""
    check(estimator)


def test_lightgbm_learns_on_a_few_dozen_rows():
    """Regression: with LightGBM's min_child_samples=20 no tree split BasicMotions' 40
    training series: a constant model, accuracy 0.25 and log loss ln 4, silently."""
    from sklearn.metrics import log_loss

    X, y = make_classification(
        80, 8, n_informative=5, n_classes=4, n_clusters_per_class=1, random_state=3
    )
    X = pd.DataFrame(X, columns=[f"x__f{i}" for i in range(8)])
    model = make_model("lightgbm", n_estimators=50, n_jobs=1).fit(X[:40], y[:40])
    booster = model.steps[-1][1] if hasattr(model, "steps") else model
    assert booster.min_child_samples_ == 2 and booster.get_params()["min_child_samples"] == 20
    proba = model.predict_proba(X[40:])
    assert log_loss(y[40:], proba, labels=range(4)) < 0.8 * np.log(4)
    X, y = make_classification(1000, 8, n_classes=3, n_informative=4, random_state=0)
    big = make_model("lightgbm", n_estimators=5, n_jobs=1).fit(
        pd.DataFrame(X, columns=[f"x__f{i}" for i in range(8)]), y
    )
    booster = big.steps[-1][1] if hasattr(big, "steps") else big
    assert booster.min_child_samples_ == 20


def test_xgboost_probabilities_are_float64_rows_summing_to_one():
    """Regression: XGBoost's float32 probabilities made sklearn's log_loss warn that rows
    do not sum to one (off by 1.2e-7)."""
    X, y = make_classification(
        200, 6, n_informative=4, n_classes=5, n_clusters_per_class=1, random_state=0
    )
    X = pd.DataFrame(X, columns=[f"x__f{i}" for i in range(6)])
    proba = make_model("xgboost", n_estimators=20, n_jobs=1).fit(X, y).predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
