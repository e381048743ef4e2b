"""Probability calibration fitted on out-of-fold predictions inside the training data.

The competition scores log loss, so a classifier's probabilities must be honest. A forest
gives probability 0 to classes no tree voted for, and one such row costs ``-log(1e-15)``;
boosted trees are often overconfident. :class:`CalibratedModel` learns a small map from the
base model's probabilities to calibrated ones on inner out-of-fold predictions, grouped by
subject so that the calibration data is as unseen as the real test data.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

METHODS = ("temperature", "logistic")


def _nll(params, proba, codes):
    floor, temperature = np.exp(params)
    logp = log_softmax(np.log(proba + floor) / temperature, axis=1)
    return -logp[np.arange(len(codes)), codes].mean()


class TemperatureScaler(BaseEstimator):
    """Map probabilities ``p`` to ``softmax(log(p + floor) / temperature)``.

    Two parameters fitted by minimum log loss: the temperature spreads or sharpens all
    rows alike, the floor lets classes given probability 0 recover some mass.
    """

    def fit(self, proba, codes):
        proba = np.asarray(proba, dtype=float)
        result = minimize(
            _nll, x0=np.log([1e-3, 1.0]), args=(proba, np.asarray(codes)),
            method="L-BFGS-B", bounds=[(np.log(1e-8), 0.0), (np.log(0.05), np.log(20.0))],
        )
        self.floor_, self.temperature_ = np.exp(result.x)
        return self

    def transform(self, proba):
        check_is_fitted(self)
        return softmax(np.log(np.asarray(proba, dtype=float) + self.floor_)
                       / self.temperature_, axis=1)


class _LogisticScaler(BaseEstimator):
    """Multinomial logistic regression on log-probabilities ("matrix scaling", L2-regularized)."""

    def fit(self, proba, codes):
        self.model_ = LogisticRegression(C=1.0, max_iter=2000).fit(np.log(proba + 1e-4), codes)
        return self

    def transform(self, proba):
        out = np.zeros((len(proba), proba.shape[1]))
        out[:, self.model_.classes_] = self.model_.predict_proba(np.log(proba + 1e-4))
        return out


class CalibratedModel(ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are calibrated on inner out-of-fold predictions.

    ``fit`` runs an inner cross-validation (grouped by ``groups`` when given), fits the
    calibration map on those out-of-fold probabilities, then refits the base model on all
    of the training data.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    method : {"temperature", "logistic"}
        ``temperature``: :class:`TemperatureScaler` (two parameters, robust on small data);
        ``logistic``: multinomial logistic regression on log-probabilities.
    cv : int
        Number of inner folds.
    random_state : int
        Seed of the inner fold assignment.
    """

    def __init__(self, estimator, method: str = "temperature", cv: int = 3, random_state=0):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        if self.method not in METHODS:
            raise ValueError(f"unknown calibration method {self.method!r}; use one of {METHODS}")
        y = np.asarray(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        n_splits = min(self.cv, np.bincount(codes).max())
        if groups is not None and len(np.unique(groups)) >= self.cv:
            splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=self.random_state)
        else:
            splitter = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        if len(self.classes_) < 2 or n_splits < 2:
            self.calibrator_ = None
        else:
            oof = cross_val_predict(clone(self.estimator), X, y, groups=groups, cv=splitter,
                                    method="predict_proba")
            scaler = TemperatureScaler() if self.method == "temperature" else _LogisticScaler()
            self.calibrator_ = scaler.fit(oof, codes)
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self

    def predict_proba_raw(self, X) -> np.ndarray:
        """Probabilities of the base model before calibration, columns in ``classes_`` order."""
        check_is_fitted(self)
        proba = self.estimator_.predict_proba(X)
        out = np.zeros((len(proba), len(self.classes_)))
        out[:, np.searchsorted(self.classes_, self.estimator_.classes_)] = proba
        return out

    def predict_proba(self, X) -> np.ndarray:
        proba = self.predict_proba_raw(X)
        return proba if self.calibrator_ is None else self.calibrator_.transform(proba)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

