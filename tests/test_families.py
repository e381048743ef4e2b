"""FamilyEnsemble: one calibrated member per family group, read from the column names."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from featurekit.families import (
    FamilyColumns,
    FamilyEnsemble,
    RidgeProbaClassifier,
    columns_of,
)


def _table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["a", "b", "c"], n // 3)
    signal = (y == "b") * 2.0 + (y == "c") * 4.0
    X = pd.DataFrame(
        {
            "x__mean": signal + rng.normal(size=n),
            "x__std": rng.normal(size=n),
            "x__dominant_freq": signal + rng.normal(size=n) * 2,
            "sensor": rng.choice(["watch", "vicon"], size=n),
        }
    )
    return X, y


def test_columns_are_selected_by_family_and_other_keeps_the_rest():
    X, _ = _table()
    assert columns_of(X.columns, ["stats"]) == ["x__mean", "x__std"]
    assert columns_of(X.columns, ["spectral"]) == ["x__dominant_freq"]
    assert columns_of(X.columns, ["other"]) == ["sensor"]
    selector = FamilyColumns(["spectral"]).fit(X)
    assert list(selector.transform(X).columns) == ["x__dominant_freq"]
    with pytest.raises(ValueError, match="no column of the families"):
        FamilyColumns(["convolution"]).fit(X)


def test_ridge_probabilities_rank_like_its_decisions():
    X, y = _table()
    numeric = X[["x__mean", "x__std"]]
    model = RidgeProbaClassifier().fit(numeric, y)
    proba = model.predict_proba(numeric)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        np.argmax(proba, axis=1), np.argmax(model.decision_function(numeric), axis=1)
    )
    binary = RidgeProbaClassifier().fit(numeric[y != "c"], y[y != "c"])
    p2 = binary.predict_proba(numeric[y != "c"])
    assert p2.shape[1] == 2
    assert np.mean(binary.predict(numeric[y != "c"]) == y[y != "c"]) > 0.8


@pytest.mark.slow
def test_members_without_columns_are_left_out():
    X, y = _table()
    numeric = X.drop(columns="sensor")
    members = [
        ("stats", ("stats",), LogisticRegression()),
        ("conv", ("convolution",), RidgeProbaClassifier()),
        ("spec", ("spectral",), LogisticRegression()),
    ]
    model = FamilyEnsemble(members).fit(numeric, y)
    assert model.members_ == ["stats", "spec"]
    proba = model.predict_proba(numeric)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(model.predict(numeric) == y) > 0.8
    with pytest.raises(ValueError, match="no column of any member"):
        FamilyEnsemble([members[1]]).fit(numeric, y)


def test_members_are_pooled_as_a_product_of_experts_then_calibrated():
    X, y = _table()
    numeric = X.drop(columns="sensor")
    members = [
        ("stats", ("stats",), LogisticRegression()),
        ("spec", ("spectral",), LogisticRegression()),
    ]
    model = FamilyEnsemble(members).fit(numeric, y)
    calibrated = model.ensemble_._members(numeric, calibrated=True)
    product = np.exp(np.mean(np.log(calibrated), axis=0))
    product /= product.sum(axis=1, keepdims=True)
    expected = model.ensemble_.vote_calibrator_.transform(product)
    np.testing.assert_allclose(model.predict_proba(numeric), expected)
    mean = FamilyEnsemble(members, pool="mean").fit(numeric, y)
    assert not np.allclose(mean.predict_proba(numeric), model.predict_proba(numeric))
    with pytest.raises(ValueError, match="pool 'median' is not one of"):
        FamilyEnsemble(members, pool="median").fit(numeric, y)


@pytest.mark.slow
def test_grouped_fit_and_a_plain_array_is_refused():
    X, y = _table()
    groups = np.tile(np.arange(6), len(y) // 6)
    model = FamilyEnsemble(cv=3).fit(X.drop(columns="sensor"), y, groups=groups)
    assert model.members_ == ["trees"]
    with pytest.raises(TypeError, match="DataFrame"):
        FamilyEnsemble().fit(X.drop(columns="sensor").to_numpy(), y)


def test_make_model_family_ensemble_one_hot_encodes_metadata_for_the_trees():
    from featurekit.models import make_model

    X, y = _table()
    model = make_model("family-ensemble", class_weight="balanced", random_state=3)
    assert model.get_params()["random_state"] == 3
    model.fit(X, y)
    assert model.members_ == ["trees"]
    assert np.mean(model.predict(X) == y) > 0.8
