"""Models that give each feature family the learner that suits it, calibrated and averaged.

Thousands of convolution columns (PPVs: shares, nearly all weakly informative) drown the
few hundred summary and interval columns when one forest sees them all, while a linear
model on the convolution columns is what MiniRocket itself uses. :class:`FamilyEnsemble`
therefore trains one member per group of families, each on its own columns (read from
the column names with :func:`featurekit.features.registry.feature_family`), calibrates each
on inner out-of-fold predictions (grouped by subject when ``groups`` is given) and averages
them, as :class:`~featurekit.calibration.CalibratedEnsemble` does. A member whose families
have no column in ``X`` is left out, so the same model fits a ``default`` table or a
``full`` one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from featurekit.calibration import CalibratedEnsemble
from featurekit.features.registry import feature_family

SUMMARY = ("stats", "spectral", "cross", "tsfresh")
OTHER = "other"  # columns of no featurekit family: metadata, embeddings
RIDGE_ALPHAS = tuple(np.logspace(-3, 3, 10))  # MiniRocket's RidgeClassifierCV grid


def columns_of(columns, families) -> list[str]:
    """The columns whose family is in ``families`` (``"other"`` = no featurekit family)."""
    wanted = set(families)
    return [c for c in columns if (feature_family(str(c)) or OTHER) in wanted]


class FamilyColumns(TransformerMixin, BaseEstimator):
    """Keep the DataFrame columns of the given feature families (fitted: their names)."""

    def __init__(self, families=SUMMARY):
        self.families = families

    def fit(self, X: pd.DataFrame, y=None):
        if not isinstance(X, pd.DataFrame):
            raise TypeError("FamilyColumns reads families from column names: X must be a "
                            f"DataFrame from featurekit.extract, got {type(X).__name__}")
        self.columns_ = columns_of(X.columns, self.families)
        if not self.columns_:
            raise ValueError(f"X has no column of the families {list(self.families)}")
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        return X[self.columns_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self.columns_, dtype=object)


class RidgeProbaClassifier(ClassifierMixin, BaseEstimator):
    """MiniRocket's learner (scaling + ``RidgeClassifierCV``) with probabilities.

    ``predict_proba`` is the softmax of the ridge decision values (for two classes, of
    ``(-d, d)``); they are only a ranking until calibrated, which :class:`FamilyEnsemble`
    does on inner folds (a temperature on these values is a calibrated ridge).
    """

    def __init__(self, alphas=RIDGE_ALPHAS, class_weight=None):
        self.alphas = alphas
        self.class_weight = class_weight

    def fit(self, X, y):
        ridge = RidgeClassifierCV(alphas=np.asarray(self.alphas), class_weight=self.class_weight)
        self.model_ = make_pipeline(StandardScaler(with_mean=False), ridge)
        self.model_.fit(np.nan_to_num(np.asarray(X, dtype=float)), y)
        self.classes_ = self.model_.classes_
        self.n_features_in_ = np.shape(X)[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.model_.decision_function(np.nan_to_num(np.asarray(X, dtype=float)))

    def predict_proba(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores])
        return softmax(scores, axis=1)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def default_members(random_state: int = 0, class_weight=None) -> list[tuple[str, tuple, object]]:
    """``(name, families, learner)`` per member; fixed a priori, not tuned per dataset.

    - summaries, intervals and other columns (metadata are one-hot encoded): extremely
      randomised trees with QUANT's split settings (entropy, 10% of the columns per
      split), which handle thousands of interval quantiles;
    - convolution PPVs: a calibrated ridge, MiniRocket's own learner.
    """
    from featurekit.models import make_model

    trees = make_model("extratrees", n_estimators=300, max_features=0.1, criterion="entropy",
                       random_state=random_state, class_weight=class_weight)
    return [
        ("trees", (*SUMMARY, "interval", OTHER), trees),
        ("convolution", ("convolution",), RidgeProbaClassifier(class_weight=class_weight)),
    ]


class FamilyEnsemble(ClassifierMixin, BaseEstimator):
    """One calibrated member per family group, averaged (see the module docstring).

    Parameters
    ----------
    members : list of (name, families, classifier), optional
        Which families each member sees and its learner; ``None`` = :func:`default_members`.
    weights : list of float, optional
        Weights of the members present in ``X`` (equal by default).
    method, cv, random_state
        Calibration, as in :class:`~featurekit.calibration.CalibratedEnsemble`;
        ``random_state`` also seeds the default members.
    class_weight : "balanced", dict or None
        Passed to the default members' learners.
    """

    # groups requested by default, as CalibratedModel's: metadata routing brings them here
    __metadata_request__fit = {"groups": True}

    def __init__(self, members=None, weights=None, method: str = "temperature",
                 cv: int | None = None, random_state=0, class_weight=None):
        self.members = members
        self.class_weight = class_weight
        self.weights = weights
        self.method = method
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y, groups=None):
        if not isinstance(X, pd.DataFrame):
            raise TypeError("FamilyEnsemble reads families from column names: X must be a "
                            f"DataFrame from featurekit.extract, got {type(X).__name__}")
        members = self.members if self.members is not None else default_members(
            self.random_state, self.class_weight)
        present = [(name, make_pipeline(FamilyColumns(families), clone(learner)))
                   for name, families, learner in members if columns_of(X.columns, families)]
        if not present:
            raise ValueError(f"X has no column of any member's families: {list(X.columns)[:5]}")
        self.members_ = [name for name, _ in present]
        self.ensemble_ = CalibratedEnsemble(present, weights=self.weights, method=self.method,
                                            cv=self.cv, random_state=self.random_state)
        self.ensemble_.fit(X, y, groups=groups)
        self.classes_ = self.ensemble_.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba_raw(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.ensemble_.predict_proba_raw(X)

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.ensemble_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
