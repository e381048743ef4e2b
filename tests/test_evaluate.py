"""cross_validate, calibration, window aggregation and compare, against plain references."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from featurekit.calibration import CalibratedModel, TemperatureScaler
from featurekit.evaluate import aggregate_windows, cross_validate, scores
from featurekit.models import make_model
from featurekit.proba import clip_proba
from featurekit.report import compare


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        400, 8, n_informative=5, n_classes=4, n_clusters_per_class=1, random_state=1
    )
    X = pd.DataFrame(X, columns=[f"c__f{i}" for i in range(8)])
    labels = np.array(["a", "b", "c", "d"])[y]
    groups = np.repeat([f"user{i}" for i in range(8)], 50)
    return X, labels, groups


def rf():
    return make_model("rf", n_estimators=15, n_jobs=1)


def test_metrics_match_a_plain_loop(data):
    X, y, groups = data
    result = cross_validate(rf(), X, y, groups, n_splits=4)
    splitter = StratifiedGroupKFold(4, shuffle=True, random_state=0)
    for k, (train, test) in enumerate(splitter.split(X, y, groups)):
        assert set(groups[train]).isdisjoint(groups[test])
        model = rf().fit(X.iloc[train], y[train])
        proba = model.predict_proba(X.iloc[test])
        np.testing.assert_allclose(result.oof.iloc[test], clip_proba(proba))
        fold = result.folds.iloc[k]
        assert fold.log_loss == pytest.approx(
            log_loss(y[test], clip_proba(proba), labels=["a", "b", "c", "d"])
        )
        assert fold.accuracy == pytest.approx(accuracy_score(y[test], model.predict(X.iloc[test])))
    assert (result.fold >= 0).all() and not result.leaky
    assert result.confusion.to_numpy().sum() == len(y)
    assert list(result.per_class_f1.index) == ["a", "b", "c", "d"]
    assert {"fit_seconds", "predict_seconds", "macro_f1"} <= set(result.folds)


def test_class_absent_from_a_fold_scores_with_all_labels(data):
    X, y, groups = data
    y = y.astype(object)
    y[groups == "user0"] = "rare"  # only one subject has "rare": absent from most train folds
    result = cross_validate(rf(), X, y, groups, cv="group", n_splits=4)
    assert list(result.classes) == ["a", "b", "c", "d", "rare"]
    test_fold = result.fold[groups == "user0"][0]
    assert result.oof["rare"][result.fold == test_fold].max() <= 1e-14  # never seen in training
    assert np.isfinite(result.folds.log_loss).all()


def test_single_class_and_bad_inputs_raise_one_listing_error(data):
    X, y, groups = data
    with pytest.raises(ValueError, match="single class"):
        cross_validate(rf(), X, np.full(len(y), "a"), groups)
    X_bad = X.copy()
    X_bad.iloc[3, 2] = np.inf
    with pytest.raises(ValueError) as err:
        cross_validate(rf(), X_bad, y, None)
    assert "c__f2" in str(err.value) and "needs groups" in str(err.value)
    with pytest.raises(ValueError, match="2 groups cannot fill 5 folds"):
        cross_validate(rf(), X, y, np.arange(len(y)) % 2)


def test_leaky_split_is_flagged(data):
    X, y, groups = data
    result = cross_validate(rf(), X, y, cv="kfold")
    assert result.leaky and result.cv == "kfold"


def test_stratified_split_for_independent_rows(data):
    """Rows without subjects (UCR series): a shuffled StratifiedKFold, seeded, not flagged."""
    X, y, _ = data
    result = cross_validate(rf(), X, y, cv="stratified", n_splits=4, random_state=3)
    splitter = StratifiedKFold(4, shuffle=True, random_state=3)
    for k, (_, test) in enumerate(splitter.split(X, y)):
        np.testing.assert_array_equal(np.flatnonzero(result.fold == k), test)
    assert not result.leaky and result.cv == "stratified"


def test_stratified_split_ignoring_given_subjects_is_flagged(data):
    X, y, groups = data
    result = cross_validate(rf(), X, y, groups, cv="stratified", n_splits=4)
    assert result.leaky
    assert not set(groups[result.fold == 0]).isdisjoint(groups[result.fold == 1])


def test_missing_groups_error_points_to_stratified(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="cv='stratified'"):
        cross_validate(rf(), X, y)


def test_stratified_split_refuses_windows_of_one_series_in_two_folds(data):
    X, y, _ = data
    parent = np.arange(len(y)) // 2
    y = y[parent * 2]  # both windows of a series share its label
    with pytest.raises(ValueError, match="several folds"):
        cross_validate(rf(), X, y, cv="stratified", parent=parent)


def test_parent_spanning_folds_raises(data):
    X, y, groups = data
    parent = np.arange(len(y)) // 2
    with pytest.raises(ValueError, match="several groups"):
        cross_validate(rf(), X, y, np.arange(len(y)) % 8, parent=parent)


def test_series_level_scores_average_log_probabilities(data):
    X, y, groups = data
    frame = pd.DataFrame({"g": groups, "y": y})
    parent = (frame.y + "_" + (frame.groupby("y").cumcount() // 5).astype(str)).to_numpy()
    frame["p"] = parent
    frame["g"] = frame.groupby("p")["g"].transform("first")
    result = cross_validate(rf(), X, y, frame["g"].to_numpy(), parent=parent, n_splits=4)
    # plain reference: mean of log-probabilities per parent, then softmax
    logp = np.log(result.oof.to_numpy())
    ref = {p: softmax(logp[parent == p].mean(axis=0)) for p in np.unique(parent)}
    series = aggregate_windows(result.oof, parent)
    for p, row in ref.items():
        np.testing.assert_allclose(series.loc[p], row)
    labels = pd.Series(y).groupby(parent).first()
    expected = scores(labels.loc[series.index], series.to_numpy(), result.classes)
    assert result.series_scores() == pytest.approx(expected)


def test_temperature_scaler_recovers_known_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3000, 5)) * 3
    true = softmax(logits, axis=1)
    codes = np.array([rng.choice(5, p=row) for row in true])
    overconfident = softmax(logits * 2.5, axis=1)  # a model 2.5x too sharp
    scaler = TemperatureScaler().fit(overconfident, codes)
    assert scaler.temperature_ == pytest.approx(2.5, rel=0.1)
    before = log_loss(codes, overconfident)
    after = log_loss(codes, scaler.transform(overconfident))
    assert after < before


def test_temperature_scaler_caps_the_loss_after_perfect_calibration_rows():
    """Regression: with every calibration row right, the fit sharpened without limit and a
    0.6/0.2/0.1/0.1 test row came out at 0.99999, costing 11.8 when the second class was
    true. The uniform share caps any row's loss at log(K (n + 2))."""
    rng = np.random.default_rng(0)
    n, k = 60, 4
    codes = rng.integers(0, k, n)
    proba = rng.dirichlet(np.ones(k), n) * 0.3
    proba[np.arange(n), codes] += 0.7
    scaler = TemperatureScaler().fit(proba / proba.sum(axis=1, keepdims=True), codes)
    out = scaler.transform(np.array([[0.6, 0.2, 0.1, 0.1], [1.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    assert -np.log(out.min()) <= np.log(k * (n + 2)) + 1e-9
    assert out[0, 0] > 0.9  # still sharpened: the calibration rows do say it is confident


@pytest.mark.slow
@pytest.mark.parametrize("method", ["temperature", "logistic"])
def test_calibration_reports_before_and_after(data, method):
    X, y, groups = data
    model = make_model("xgboost", n_estimators=15, learning_rate=0.8, max_depth=3, n_jobs=1)
    result = cross_validate(model, X, y, groups, calibrate=method, n_splits=4)
    assert result.oof_raw is not None
    assert result.folds.log_loss.mean() < result.folds.log_loss_raw.mean()


def test_calibrated_model_inner_folds_are_grouped(data, monkeypatch):
    X, y, groups = data
    seen = []
    import featurekit.calibration as cal

    real = cal.cross_val_predict

    def spy(estimator, X, y, groups=None, cv=None, method=None):
        for train, test in cv.split(X, y, groups):
            seen.append(set(groups[train]) & set(groups[test]))
        return real(estimator, X, y, groups=groups, cv=cv, method=method)

    monkeypatch.setattr(cal, "cross_val_predict", spy)
    CalibratedModel(rf(), cv=3).fit(X, y, groups=groups)
    assert len(seen) == 3 and all(not s for s in seen)


@pytest.mark.parametrize("n_subjects", [2, 1])
def test_calibration_with_fewer_subjects_than_folds_stays_grouped(data, n_subjects, monkeypatch):
    """Regression: with fewer subjects than inner folds the calibration folds fell back to
    ungrouped StratifiedKFold, splitting each subject's rows across folds (overconfident
    calibration: watch log loss 0.68 raw -> 0.91 calibrated)."""
    X, y, groups = data
    keep = np.isin(groups, np.unique(groups)[:n_subjects])
    X, y, groups = X[keep], y[keep], groups[keep]
    import featurekit.calibration as cal

    seen = []
    real = cal.cross_val_predict

    def spy(estimator, X, y, groups=None, cv=None, method=None):
        seen.extend(
            set(groups[train]) & set(groups[test]) for train, test in cv.split(X, y, groups)
        )
        return real(estimator, X, y, groups=groups, cv=cv, method=method)

    monkeypatch.setattr(cal, "cross_val_predict", spy)
    if n_subjects == 1:
        with pytest.warns(UserWarning, match="calibration skipped"):
            model = CalibratedModel(rf(), cv=3).fit(X, y, groups=groups)
        assert model.calibrator_ is None and not seen
    else:
        CalibratedModel(rf(), cv=3).fit(X, y, groups=groups)
        assert len(seen) == 2 and all(not shared for shared in seen)


@pytest.mark.parametrize(("n_rows", "expected"), [(120, 10), (499, 10), (500, 3), (2000, 3)])
def test_inner_folds_by_default_10_on_small_sets_3_on_large(n_rows, expected):
    from featurekit.calibration import _inner_splitter

    codes = np.arange(n_rows) % 4
    assert _inner_splitter(codes, None, None, 0).get_n_splits() == expected
    groups = np.arange(n_rows) % 6  # fewer subjects than folds: one subject per fold
    assert _inner_splitter(codes, groups, None, 0).get_n_splits() == min(expected, 6)
    assert _inner_splitter(codes, None, 5, 0).get_n_splits() == 5  # an explicit cv wins


@pytest.mark.slow
def test_compare_writes_report(data, tmp_path, caplog):
    X, y, groups = data
    X = X.assign(side=np.where(np.arange(len(y)) % 2, "left", "right"))
    with caplog.at_level("INFO", logger="featurekit"):  # progress is logged, not printed
        table = compare(
            X, y, groups, models=["logreg", ("small-rf", rf())], out=tmp_path, n_splits=4
        )
    assert list(table.log_loss_mean) == sorted(table.log_loss_mean)
    assert any("small-rf fold 4/4" in r.getMessage() for r in caplog.records)
    report = (tmp_path / "report.md").read_text()
    assert "sorted by log loss" in report and "log_loss_raw" in report
    for name in ("logreg", "small-rf"):
        oof = pd.read_parquet(tmp_path / f"oof_{name}.parquet")
        assert len(oof) == len(y) and set("abcd") <= set(oof.columns)
        assert (tmp_path / f"confusion_{name}.png").stat().st_size > 1000
    assert (tmp_path / "importance.png").stat().st_size > 1000
    assert set(pd.read_csv(tmp_path / "results.csv").model) == {"logreg", "small-rf"}


def test_compare_leaky_report_says_so(data, tmp_path):
    X, y, _ = data
    compare(X, y, None, models=["logreg"], out=tmp_path, cv="kfold", calibrate=None, verbose=False)
    assert "LEAKY" in (tmp_path / "report.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize(("with_groups", "leaky"), [(True, True), (False, False)])
def test_compare_stratified_report_is_leaky_only_with_subjects(data, tmp_path, with_groups, leaky):
    """Regression: compare kept its own leak rule (kfold, sequential), so cv='stratified'
    ignoring given subjects wrote no LEAKY warning."""
    X, y, groups = data
    compare(
        X,
        y,
        groups if with_groups else None,
        models=["logreg"],
        out=tmp_path,
        cv="stratified",
        calibrate=None,
        verbose=False,
    )
    assert ("LEAKY" in (tmp_path / "report.md").read_text()) == leaky


def test_fit_grouped_hands_groups_to_models_that_split_internally():
    from sklearn.dummy import DummyClassifier

    from featurekit.evaluate import fit_grouped

    class RecordsGroups(DummyClassifier):
        def fit(self, X, y, groups=None):
            self.groups_seen_ = groups
            return super().fit(X, y)

    X, y, groups = np.zeros((6, 1)), np.array([0, 1] * 3), np.array([1, 1, 2, 2, 3, 3])
    assert fit_grouped(RecordsGroups(), X, y, groups).groups_seen_ is groups
    assert fit_grouped(DummyClassifier(), X, y, groups).predict(X).shape == (6,)
