"""Models that give each feature family the learner that suits it, calibrated and averaged.

Thousands of convolution columns (PPVs: shares, nearly all weakly informative) drown the
few hundred summary and interval columns when one forest sees them all, while a linear
model on the convolution columns is what MiniRocket itself uses. :class:`FamilyEnsemble`
therefore trains one member per group of families, each on its own columns (read from
the column names with :func:`featurekit.features.registry.feature_family`), calibrates each
on inner out-of-fold predictions (grouped by subject when ``groups`` is given) and pools
them with :class:`~featurekit.calibration.CalibratedEnsemble`: as a product of experts
(mean log-probability), since each member sees different evidence, and the pooled vote is
calibrated once more. A member whose families
have no column in ``X`` is left out, so the same model fits a ``default`` table or a
``full`` one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
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


def columns_of(columns: Iterable, families: Iterable[str]) -> list[str]:
    """The columns whose family is in ``families`` (``"other"`` = no featurekit family).

    Parameters
    ----------
    columns : iterable
        Column names (read with ``str``).
    families : iterable of str
        Family names, as :func:`featurekit.features.registry.feature_family` gives them.

    Returns
    -------
    list
        The matching columns, in order.
    """
    wanted = set(families)
    return [c for c in columns if (feature_family(str(c)) or OTHER) in wanted]


class FamilyColumns(TransformerMixin, BaseEstimator):
    """Keep the DataFrame columns of the given feature families (fitted: their names).

    Parameters
    ----------
    families : sequence of str, default SUMMARY
        Family names; ``"other"`` stands for columns of no featurekit family.
    """

    def __init__(self, families: Sequence[str] = SUMMARY):
        self.families = families

    def fit(self, X: pd.DataFrame, y: Any = None) -> FamilyColumns:
        """Record the columns of ``X`` whose family is kept.

        Parameters
        ----------
        X : DataFrame
            A feature table (families are read from the column names).
        y : ignored

        Returns
        -------
        FamilyColumns
            ``self``.

        Raises
        ------
        TypeError
            ``X`` is not a DataFrame.
        ValueError
            No column of ``X`` belongs to the families.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "FamilyColumns reads families from column names: X must be a "
                f"DataFrame from featurekit.extract, got {type(X).__name__}"
            )
        self.columns_ = columns_of(X.columns, self.families)
        if not self.columns_:
            raise ValueError(f"X has no column of the families {list(self.families)}")
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The kept columns of ``X``.

        Parameters
        ----------
        X : DataFrame
            A feature table with the columns seen in ``fit``.

        Returns
        -------
        DataFrame
        """
        check_is_fitted(self)
        return X[self.columns_]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the kept columns.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of object
        """
        check_is_fitted(self)
        return np.asarray(self.columns_, dtype=object)


class RidgeProbaClassifier(ClassifierMixin, BaseEstimator):
    """MiniRocket's learner (scaling + ``RidgeClassifierCV``) with probabilities.

    ``predict_proba`` is the softmax of the ridge decision values (for two classes, of
    ``(-d, d)``); they are only a ranking until calibrated, which :class:`FamilyEnsemble`
    does on inner folds (a temperature on these values is a calibrated ridge).

    Parameters
    ----------
    alphas : sequence of float, default RIDGE_ALPHAS
        Regularization strengths tried by ``RidgeClassifierCV`` (MiniRocket's grid).
    class_weight : "balanced", dict or None
    """

    def __init__(
        self, alphas: Sequence[float] = RIDGE_ALPHAS, class_weight: str | dict | None = None
    ):
        self.alphas = alphas
        self.class_weight = class_weight

    def fit(self, X: ArrayLike, y: ArrayLike) -> RidgeProbaClassifier:
        """Fit scaling and ridge; NaN become 0.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
        y : array-like of shape (n,)

        Returns
        -------
        RidgeProbaClassifier
            ``self``.
        """
        ridge = RidgeClassifierCV(alphas=np.asarray(self.alphas), class_weight=self.class_weight)
        self.model_ = make_pipeline(StandardScaler(with_mean=False), ridge)
        self.model_.fit(np.nan_to_num(np.asarray(X, dtype=float)), y)
        self.classes_ = self.model_.classes_
        self.n_features_in_ = np.shape(X)[1]
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Ridge decision values (NaN in ``X`` read as 0).

        Parameters
        ----------
        X : array-like of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,) for two classes, else (n, n_classes)
        """
        check_is_fitted(self)
        return self.model_.decision_function(np.nan_to_num(np.asarray(X, dtype=float)))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Softmax of the decision values (uncalibrated).

        Parameters
        ----------
        X : array-like of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores])
        return softmax(scores, axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The class with the largest decision value.

        Parameters
        ----------
        X : array-like of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,)
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def default_members(
    random_state: int = 0, class_weight: str | dict | None = None
) -> list[tuple[str, tuple, object]]:
    """``(name, families, learner)`` per member; fixed a priori, not tuned per dataset.

    - summaries, intervals and other columns (metadata are one-hot encoded): extremely
      randomised trees with QUANT's split settings (entropy, 10% of the columns per
      split), which handle thousands of interval quantiles;
    - convolution PPVs: a calibrated ridge, MiniRocket's own learner.

    Parameters
    ----------
    random_state : int, default 0
        Seed of the trees.
    class_weight : "balanced", dict or None
        Passed to both learners.

    Returns
    -------
    list of (str, tuple of str, estimator)
    """
    from featurekit.models import make_model

    trees = make_model(
        "extratrees",
        n_estimators=300,
        max_features=0.1,
        criterion="entropy",
        random_state=random_state,
        class_weight=class_weight,
    )
    return [
        ("trees", (*SUMMARY, "interval", OTHER), trees),
        ("convolution", ("convolution",), RidgeProbaClassifier(class_weight=class_weight)),
    ]


class FamilyEnsemble(ClassifierMixin, BaseEstimator):
    """One calibrated member per family group, pooled (see the module docstring).

    Parameters
    ----------
    members : list of (name, families, classifier), optional
        Which families each member sees and its learner; ``None`` = :func:`default_members`.
    weights : list of float, optional
        Weights of the members present in ``X`` (equal by default).
    method, cv, random_state
        Calibration, as in :class:`~featurekit.calibration.CalibratedEnsemble`;
        ``random_state`` also seeds the default members.
    pool : {"geometric", "mean"}, default "geometric"
        How the calibrated members are combined (see ``CalibratedEnsemble``).
    class_weight : "balanced", dict or None
        Passed to the default members' learners.
    """

    # groups requested by default, as CalibratedModel's: metadata routing brings them here
    __metadata_request__fit = {"groups": True}

    def __init__(
        self,
        members: Sequence[tuple[str, Sequence[str], Any]] | None = None,
        weights: Sequence[float] | None = None,
        method: str = "temperature",
        cv: int | None = None,
        random_state: int | None = 0,
        class_weight: str | dict | None = None,
        pool: str = "geometric",
    ):
        self.members = members
        self.class_weight = class_weight
        self.weights = weights
        self.method = method
        self.cv = cv
        self.random_state = random_state
        self.pool = pool

    def fit(self, X: pd.DataFrame, y: ArrayLike, groups: ArrayLike | None = None) -> FamilyEnsemble:
        """Fit one calibrated member per family group present in ``X``.

        Parameters
        ----------
        X : DataFrame
            A feature table (families are read from the column names).
        y : array-like of shape (n,)
        groups : array-like of shape (n,), optional
            Subject of each row, for the inner calibration folds.

        Returns
        -------
        FamilyEnsemble
            ``self``.

        Raises
        ------
        TypeError
            ``X`` is not a DataFrame.
        ValueError
            No member's families have a column in ``X``, or as
            :meth:`CalibratedEnsemble.fit <featurekit.calibration.CalibratedEnsemble.fit>`.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "FamilyEnsemble reads families from column names: X must be a "
                f"DataFrame from featurekit.extract, got {type(X).__name__}"
            )
        members = (
            self.members
            if self.members is not None
            else default_members(self.random_state, self.class_weight)
        )
        present = [
            (name, make_pipeline(FamilyColumns(families), clone(learner)))
            for name, families, learner in members
            if columns_of(X.columns, families)
        ]
        if not present:
            raise ValueError(f"X has no column of any member's families: {list(X.columns)[:5]}")
        self.members_ = [name for name, _ in present]
        self.ensemble_ = CalibratedEnsemble(
            present,
            weights=self.weights,
            method=self.method,
            cv=self.cv,
            random_state=self.random_state,
            pool=self.pool,
        )
        self.ensemble_.fit(X, y, groups=groups)
        self.classes_ = self.ensemble_.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba_raw(self, X: pd.DataFrame) -> np.ndarray:
        """The members' probabilities before calibration, pooled.

        Parameters
        ----------
        X : DataFrame
            A feature table with the columns seen in ``fit``.

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        check_is_fitted(self)
        return self.ensemble_.predict_proba_raw(X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The members' calibrated probabilities, pooled, the vote calibrated too.

        Parameters
        ----------
        X : DataFrame
            A feature table with the columns seen in ``fit``.

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        check_is_fitted(self)
        return self.ensemble_.predict_proba(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The most probable class of each row.

        Parameters
        ----------
        X : DataFrame
            A feature table with the columns seen in ``fit``.

        Returns
        -------
        ndarray of shape (n,)
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
