"""Probability calibration fitted on out-of-fold predictions inside the training data.

The competition scores log loss, so a classifier's probabilities must be honest. A forest
gives probability 0 to classes no tree voted for, and one such row costs ``-log(1e-15)``;
boosted trees are often overconfident. :class:`CalibratedModel` learns a small map from the
base model's probabilities to calibrated ones on inner out-of-fold predictions, grouped by
subject so that the calibration data is as unseen as the real test data.

Groups reach the inner folds through ``fit(X, y, groups=...)``. Inside scikit-learn's tools
(``cross_val_score``, ``GridSearchCV``, a ``Pipeline``), turn on metadata routing,
``sklearn.set_config(enable_metadata_routing=True)``, and pass ``params={"groups": g}``: the
calibrated models request ``groups`` by default, so it reaches them through any Pipeline.
Without groups they calibrate on ungrouped folds and warn once
(:class:`UngroupedCalibrationWarning`).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

from featurekit.proba import EPS

# check_labels, n_features and delegated_tags are imported from here by older code
from featurekit.validation import (  # noqa: F401
    check_labels,
    delegated_tags,
    fit_grouped,
    n_features,
    raise_problems,
)

logger = logging.getLogger(__name__)

METHODS = ("temperature", "logistic")
POOLS = ("mean", "geometric")  # how CalibratedEnsemble combines its members
# Inner folds when cv=None. The map is fitted to out-of-fold models but applied to the model
# refitted on all rows, which on small sets is clearly sharper: 10 folds (each inner model
# on 90% of the rows) narrow that gap (mean test log loss -0.010 over 21 small-set cases,
# 7 aeon datasets x 3 models); above a few hundred rows the gap is small and 3 folds cost
# less (watch windows: no difference).
SMALL_ROWS = 500
INNER_FOLDS_SMALL, INNER_FOLDS = 10, 3


def _log_scaled(proba, floor, temperature, uniform_share):
    """log of ``(1 - share) * softmax(log(proba + floor) / temperature) + share / n_classes``."""
    logp = log_softmax(np.log(proba + floor) / temperature, axis=1)
    return np.logaddexp(np.log1p(-uniform_share) + logp, np.log(uniform_share / proba.shape[1]))


def _nll(params, proba, codes, uniform_share):
    logp = _log_scaled(proba, *np.exp(params), uniform_share)
    return -logp[np.arange(len(codes)), codes].mean()


class TemperatureScaler(BaseEstimator):
    """Map probabilities ``p`` to ``(1 - e) softmax(log(p + floor) / temperature) + e / K``.

    Two parameters fitted by minimum log loss: the temperature spreads or sharpens all
    rows alike, the floor lets classes given probability 0 recover some mass. The share
    ``e = 1 / (n + 2)`` of a uniform vote over the K classes (Laplace's rule of succession
    for n calibration rows) is not fitted: when every calibration row is right, nothing stops
    the fit from sharpening without limit, and a test row that is then wrong costs
    ``-log(1e-15)``. The share caps that at ``log(K (n + 2))`` and costs a right row at most
    ``e`` (0.0006 for 1,800 rows).

    Takes no parameters; the fitted ones are ``temperature_``, ``floor_`` and
    ``uniform_share_``.
    """

    def fit(self, proba: ArrayLike, codes: ArrayLike) -> TemperatureScaler:
        """Fit temperature and floor by minimum log loss.

        Parameters
        ----------
        proba : array of shape (n, n_classes)
            Out-of-fold probabilities.
        codes : int array of shape (n,)
            Column of the true class of each row.

        Returns
        -------
        TemperatureScaler
            ``self``.
        """
        proba = np.asarray(proba, dtype=float)
        self.uniform_share_ = 1.0 / (len(proba) + 2)
        result = minimize(
            _nll,
            x0=np.log([1e-3, 1.0]),
            args=(proba, np.asarray(codes), self.uniform_share_),
            method="L-BFGS-B",
            bounds=[(np.log(1e-8), 0.0), (np.log(0.05), np.log(20.0))],
        )
        self.floor_, self.temperature_ = np.exp(result.x)
        return self

    def transform(self, proba: ArrayLike) -> np.ndarray:
        """Calibrated probabilities.

        Parameters
        ----------
        proba : array of shape (n, n_classes)

        Returns
        -------
        ndarray of shape (n, n_classes)
            Rows summing to 1.
        """
        check_is_fitted(self)
        return np.exp(
            _log_scaled(
                np.asarray(proba, dtype=float), self.floor_, self.temperature_, self.uniform_share_
            )
        )


class _LogisticScaler(BaseEstimator):
    """Multinomial logistic regression on log-probabilities ("matrix scaling", L2-regularized)."""

    def fit(self, proba, codes):
        self.model_ = LogisticRegression(C=1.0, max_iter=2000).fit(np.log(proba + 1e-4), codes)
        return self

    def transform(self, proba):
        out = np.zeros((len(proba), proba.shape[1]))
        out[:, self.model_.classes_] = self.model_.predict_proba(np.log(proba + 1e-4))
        return out


def _scaler(method: str):
    if method not in METHODS:
        raise ValueError(f"unknown calibration method {method!r}; use one of {METHODS}")
    return TemperatureScaler() if method == "temperature" else _LogisticScaler()


class UngroupedCalibrationWarning(UserWarning):
    """Calibration ran on ungrouped inner folds because ``fit`` got no ``groups``.

    Right for independent rows (UCR series): silence it with
    ``warnings.filterwarnings("ignore", category=UngroupedCalibrationWarning)``.
    """


_warned_ungrouped = False
_independent_rows = contextvars.ContextVar("independent_rows", default=False)


@contextlib.contextmanager
def independent_rows() -> Iterator[None]:
    """Inside this block the caller has declared that rows have no subjects (UCR series), so
    calibrating on ungrouped folds is right and :class:`UngroupedCalibrationWarning` is not
    raised (``featurekit.evaluate.cross_validate`` uses it when given no groups).

    Returns
    -------
    context manager
        Resets the declaration on exit (a context variable: threads and tasks each keep
        their own).
    """
    token = _independent_rows.set(True)
    try:
        yield
    finally:
        _independent_rows.reset(token)


def _warn_ungrouped() -> None:
    """Warn, once per process, that calibration fell back to ungrouped folds, naming the fix."""
    global _warned_ungrouped
    if _warned_ungrouped or _independent_rows.get():
        return
    _warned_ungrouped = True
    warnings.warn(
        "calibration fell back to ungrouped inner folds: fit() got no groups, so windows of "
        "one subject can sit on both sides and the calibration map comes out overconfident. "
        "Pass fit(X, y, groups=subjects); inside cross_val_score, GridSearchCV or a Pipeline "
        "call sklearn.set_config(enable_metadata_routing=True) and pass params={'groups': "
        "subjects} (calibrated models request groups by default). Rows without subjects "
        "are fine ungrouped: filter UngroupedCalibrationWarning. (Shown once per process.)",
        UngroupedCalibrationWarning,
        stacklevel=4,
    )


def _inner_splitter(codes, groups, cv: int | None, random_state):
    """Inner folds for calibration: grouped by subject whenever ``groups`` is given.

    None when there is too little data to calibrate: one class, no class with 2 rows, or
    fewer than 2 subjects (ungrouped folds would then put windows of one recording on both
    sides and fit an overconfident map).
    """
    if cv is None:
        cv = INNER_FOLDS_SMALL if len(codes) < SMALL_ROWS else INNER_FOLDS
    n_splits = min(cv, np.bincount(codes).max())
    if np.bincount(codes).size < 2 or n_splits < 2:
        return None
    if groups is None:
        _warn_ungrouped()
        return StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        warnings.warn(
            "calibration skipped: the training data hold one subject, and folds "
            "within a subject would leak; probabilities are the model's own",
            UserWarning,
            stacklevel=3,
        )
        return None
    return StratifiedGroupKFold(min(n_splits, n_groups), shuffle=True, random_state=random_state)


def _out_of_fold_proba(estimator, X, y, groups, splitter) -> np.ndarray:
    """Inner out-of-fold probabilities of a clone of ``estimator``.

    A class with fewer rows than folds cannot have a row in every test fold. That is
    expected with 10 folds on small sets (every row still gets its out-of-fold prediction),
    so scikit-learn's warning about it is silenced here; so is its "Number of classes in
    training fold" warning (an inner training fold without a class gives it probability 0,
    which the calibration map's floor repairs), logged once per call instead.

    With metadata routing on, ``groups`` goes through ``params`` (scikit-learn refuses
    ``groups=`` then) and also reaches an inner model that requests it.
    """
    params = {}
    if groups is not None:
        params = (
            {"params": {"groups": groups}}
            if get_config()["enable_metadata_routing"]
            else {"groups": groups}
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="The least populated class in y has only")
        proba = cross_val_predict(
            clone(estimator), X, y, cv=splitter, method="predict_proba", **params
        )
    missing = [w for w in caught if "Number of classes in training fold" in str(w.message)]
    if missing:
        logger.info(
            "calibration: %d inner training fold(s) of %s lacked a class (its "
            "probability there is 0 until calibrated)",
            len(missing),
            type(estimator).__name__,
        )
    for w in caught:  # the others as they came, each text once (Python's default filter)
        if w not in missing:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, registry=_REISSUED)
    return proba


_REISSUED: dict = {}  # warning registry of the warnings _out_of_fold_proba passes on


def align_proba(proba: ArrayLike, model_classes: ArrayLike, classes: ArrayLike) -> np.ndarray:
    """Columns of ``proba`` (in ``model_classes`` order) placed under the sorted full class
    list ``classes``; classes the model never saw get 0.

    Parameters
    ----------
    proba : array of shape (n, len(model_classes))
    model_classes : array-like
        The classes a model saw, a subset of ``classes``.
    classes : sorted array-like
        The full class list.

    Returns
    -------
    ndarray of shape (n, len(classes))
    """
    out = np.zeros((len(proba), len(classes)))
    out[:, np.searchsorted(classes, model_classes)] = proba
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
    cv : int or None
        Number of inner folds; None takes 10 below 500 rows and 3 above (see
        ``INNER_FOLDS_SMALL``).
    random_state : int
        Seed of the inner fold assignment. With ``groups`` it only breaks ties: subjects are
        dealt to folds by size, so the partition is the same for every seed.

    Notes
    -----
    An estimator that calibrates itself (:class:`CalibratedEnsemble`, or another
    ``CalibratedModel``) is not calibrated twice: it is fitted once with ``method``.
    """

    # groups requested by default: routed to fit through any Pipeline when metadata routing
    # is on (set_fit_request(groups=False) to refuse it)
    __metadata_request__fit = {"groups": True}

    def __init__(
        self,
        estimator: BaseEstimator,
        method: str = "temperature",
        cv: int | None = None,
        random_state: int | None = 0,
    ):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: Any, y: ArrayLike, groups: ArrayLike | None = None) -> CalibratedModel:
        """Fit the calibration map on inner out-of-fold probabilities, then the model on all rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
        y : array-like of shape (n,)
            Class labels.
        groups : array-like of shape (n,), optional
            Subject of each row; the inner folds are grouped by it (without it they are
            ungrouped, with one :class:`UngroupedCalibrationWarning` per process).

        Returns
        -------
        self : object
            The fitted model.

        Raises
        ------
        ValueError
            An unknown ``method``, or invalid labels or groups (see
            :func:`featurekit.validation.check_labels`).
        """
        _scaler(self.method)  # validates the method name before any fitting
        y = check_labels(y, groups)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_features_in_ = n_features(X)
        method_param = calibration_param(self.estimator)
        if method_param is not None:
            # already calibrates on its own inner folds: fit it once, with this method
            self.calibrator_ = None
            self.estimator_ = clone(self.estimator).set_params(**{method_param: self.method})
            fit_grouped(self.estimator_, X, y, groups)
            return self
        splitter = _inner_splitter(codes, groups, self.cv, self.random_state)
        if splitter is None:
            self.calibrator_ = None
        else:
            oof = _out_of_fold_proba(self.estimator, X, y, groups, splitter)
            self.calibrator_ = _scaler(self.method).fit(oof, codes)
        self.estimator_ = fit_grouped(clone(self.estimator), X, y, groups)
        return self

    def __sklearn_tags__(self):
        return delegated_tags(super().__sklearn_tags__(), [self.estimator])

    def predict_proba_raw(self, X: Any) -> np.ndarray:
        """Probabilities of the base model before calibration, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        check_is_fitted(self)
        if hasattr(self.estimator_, "predict_proba_raw"):
            return self.estimator_.predict_proba_raw(X)
        return align_proba(
            self.estimator_.predict_proba(X), self.estimator_.classes_, self.classes_
        )

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        check_is_fitted(self)
        if hasattr(self.estimator_, "predict_proba_raw"):
            return self.estimator_.predict_proba(X)
        proba = self.predict_proba_raw(X)
        return proba if self.calibrator_ is None else self.calibrator_.transform(proba)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,)
        """
        proba = self.predict_proba(X)  # first: an unfitted model raises NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]


class CalibratedEnsemble(ClassifierMixin, BaseEstimator):
    """Soft vote of several classifiers, each calibrated on shared inner out-of-fold predictions.

    Diverse models err on different rows (a forest of random splits, a linear model), so the
    average of their calibrated probabilities beats each of them on log loss. Each member
    gets its own calibration map, fitted on inner out-of-fold probabilities (one set of
    inner folds, grouped by subject when ``groups`` is given), so that an underconfident
    forest and an overconfident linear model enter the vote on the same footing. The vote
    itself is then calibrated once more on the same out-of-fold rows: members that err on
    different rows make a mean of probabilities less confident than the evidence allows
    (with every member right, the mean is still pulled toward the least sure one), and one
    more map, fitted at no extra training cost, restores it. The members are then refitted
    on all the training data.

    Members that see the same columns are averaged (``pool="mean"``); members that see
    different evidence (:class:`featurekit.families.FamilyEnsemble`'s, one per feature
    family) are better multiplied: ``pool="geometric"`` averages their log-probabilities
    (a product of experts, renormalised), so one confident member is not diluted by
    another that has nothing to say about the row.

    Parameters
    ----------
    estimators : list of (name, classifier) pairs
        Classifiers with ``predict_proba``; each is cloned.
    weights : list of float, optional
        Weight of each member in the average; equal weights by default.
    method, cv, random_state
        As in :class:`CalibratedModel`; ``method`` is each member's calibration map, and
        one set of inner folds serves all members.
    pool : {"mean", "geometric"}, default "mean"
        Weighted mean of the members' probabilities, or of their log-probabilities.

    Examples
    --------
    >>> from sklearn.ensemble import ExtraTreesClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> vote = CalibratedEnsemble([("et", ExtraTreesClassifier()), ("lr", LogisticRegression())])
    """

    __metadata_request__fit = {"groups": True}  # see CalibratedModel

    def __init__(
        self,
        estimators: Sequence[tuple[str, BaseEstimator]],
        weights: Sequence[float] | None = None,
        method: str = "temperature",
        cv: int | None = None,
        random_state: int | None = 0,
        pool: str = "mean",
    ):
        self.estimators = estimators
        self.weights = weights
        self.method = method
        self.cv = cv
        self.random_state = random_state
        self.pool = pool

    def _weights(self) -> np.ndarray:
        n = len(self.estimators)
        weights = np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=float)
        problems = []
        if n == 0:
            problems.append("estimators is empty; give at least one (name, classifier) pair")
        if weights.shape != (n,):
            problems.append(f"weights has {weights.size} entries for {n} estimators")
        elif n and (np.any(weights < 0) or weights.sum() <= 0):
            problems.append(f"weights {weights.tolist()} must be >= 0 with a positive sum")
        if self.pool not in POOLS:
            problems.append(f"pool {self.pool!r} is not one of {POOLS}")
        raise_problems("Invalid CalibratedEnsemble", problems)
        return weights / weights.sum()

    def fit(self, X: Any, y: ArrayLike, groups: ArrayLike | None = None) -> CalibratedEnsemble:
        """Fit each member's calibration map on shared inner folds, then the members on all rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
        y : array-like of shape (n,)
            Class labels.
        groups : array-like of shape (n,), optional
            Subject of each row; the inner folds are grouped by it (without it they are
            ungrouped, with one :class:`UngroupedCalibrationWarning` per process).

        Returns
        -------
        self : object
            The fitted model.

        Raises
        ------
        ValueError
            Empty ``estimators``, bad ``weights``, an unknown ``method``, or invalid labels or groups (see
            :func:`featurekit.validation.check_labels`).
        """
        self.weights_ = self._weights()
        _scaler(self.method)
        y = check_labels(y, groups)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_features_in_ = n_features(X)
        splitter = _inner_splitter(codes, groups, self.cv, self.random_state)
        self.estimators_, self.calibrators_, calibrated_oof = [], [], []
        for _, estimator in self.estimators:
            calibrator = None
            if splitter is not None:
                oof = _out_of_fold_proba(estimator, X, y, groups, splitter)
                calibrator = _scaler(self.method).fit(oof, codes)
                calibrated_oof.append(calibrator.transform(oof))
            self.calibrators_.append(calibrator)
            self.estimators_.append(fit_grouped(clone(estimator), X, y, groups))
        self.vote_calibrator_ = None
        if len(calibrated_oof) > 1:
            vote = self._pool(calibrated_oof)
            self.vote_calibrator_ = _scaler(self.method).fit(vote, codes)
        return self

    def __sklearn_tags__(self):
        return delegated_tags(super().__sklearn_tags__(), [e for _, e in self.estimators])

    def _pool(self, probas: list[np.ndarray]) -> np.ndarray:
        if self.pool == "mean":
            return np.average(probas, axis=0, weights=self.weights_)
        logs = np.log(np.clip(probas, EPS, 1.0))  # raw tree votes can be 0
        return softmax(np.average(logs, axis=0, weights=self.weights_), axis=1)

    def _members(self, X, calibrated: bool) -> list[np.ndarray]:
        check_is_fitted(self)
        out = []
        for fitted, calibrator in zip(self.estimators_, self.calibrators_, strict=True):
            proba = align_proba(fitted.predict_proba(X), fitted.classes_, self.classes_)
            out.append(calibrator.transform(proba) if calibrated and calibrator else proba)
        return out

    def predict_proba_raw(self, X: Any) -> np.ndarray:
        """The members' probabilities before calibration, pooled.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        return self._pool(self._members(X, calibrated=False))

    def predict_proba(self, X: Any) -> np.ndarray:
        """The members' calibrated probabilities, pooled, the vote calibrated too.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        vote = self._pool(self._members(X, calibrated=True))
        return vote if self.vote_calibrator_ is None else self.vote_calibrator_.transform(vote)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,)
        """
        proba = self.predict_proba(X)  # first: an unfitted model raises NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]


def calibration_param(estimator: Any) -> str | None:
    """The parameter setting the calibration method of an estimator that calibrates itself on
    its own inner folds, None for any other estimator.

    Self-calibrating estimators expose ``predict_proba_raw`` and a ``method`` parameter
    (CalibratedModel, CalibratedEnsemble, featurekit.families.FamilyEnsemble); a wrapper of
    one (``featurekit.selection.SelectedClassifier``) answers ``"estimator__method"``, so
    wrapping never calibrates twice.

    Parameters
    ----------
    estimator : estimator or any object

    Returns
    -------
    str or None
        ``"method"``, ``"estimator__method"`` (nested as deep as the wrappers go), or None.
    """
    if not hasattr(estimator, "predict_proba_raw"):
        return None
    if "method" in estimator.get_params(deep=False):
        return "method"
    inner = getattr(estimator, "estimator", None)
    name = calibration_param(inner) if isinstance(inner, BaseEstimator) else None
    return None if name is None else f"estimator__{name}"
