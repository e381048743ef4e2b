"""Classifier recipes for feature tables: one name, one scikit-learn Pipeline.

Every model takes a DataFrame from ``extract`` (numeric feature columns) and, when present,
categorical metadata columns (``object``/``str``/``category`` dtype, e.g. sensor, body_part,
side), which enter as one-hot columns. Missing values: the tree models (``seed-rf``, ``rf``,
``extratrees``, ``xgboost``, ``lightgbm``) route NaN natively; ``logreg`` imputes the column
median (columns that are entirely NaN are dropped). Infinite values are rejected by
:func:`featurekit.evaluate.check_inputs`.

``ensemble`` is a :class:`~featurekit.calibration.CalibratedEnsemble` of ``extratrees`` and
``logreg``: two models that err differently (random-split trees on raw features, a linear
model on standardized ones), each temperature-calibrated on inner subject-grouped folds,
averaged with equal weights. The pair and the equal weights are a general default fixed a
priori, not tuned on any dataset.
"""

from __future__ import annotations

import functools
import json
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from lightgbm import LGBMClassifier
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted

from featurekit.calibration import CalibratedEnsemble
from featurekit.validation import check_labels, delegated_tags, n_features

if TYPE_CHECKING:
    import pandas as pd

MODELS = (
    "seed-rf",
    "rf",
    "extratrees",
    "xgboost",
    "lightgbm",
    "logreg",
    "ensemble",
    "family-ensemble",
)
ENSEMBLE_MEMBERS = ("extratrees", "logreg")


class LabelEncodedClassifier(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on integer-coded labels and report the original labels.

    XGBoost wants labels ``0..k-1``; this wrapper lets it take string labels (or a
    training fold where some class is absent) while ``classes_`` keeps the real names.

    Parameters
    ----------
    estimator : classifier
        Cloned and fitted on ``LabelEncoder``-coded targets.
    class_weight : "balanced", dict or None
        Turned into per-sample weights, for engines without a ``class_weight`` parameter.
    """

    def __init__(self, estimator: BaseEstimator, class_weight: str | dict | None = None):
        self.estimator = estimator
        self.class_weight = class_weight

    def fit(
        self, X: Any, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> LabelEncodedClassifier:
        """Fit a clone of ``estimator`` on the integer codes of ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
        y : array-like of shape (n,)
            Class labels, checked by :func:`featurekit.validation.check_labels`.
        sample_weight : array-like of shape (n,), optional
            Multiplied by the class weights when both are given.

        Returns
        -------
        LabelEncodedClassifier
            ``self``.

        Raises
        ------
        ValueError
            Labels missing, continuous, 2-D or mixing numbers and strings.
        """
        y = check_labels(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, y)
            sample_weight = weights if sample_weight is None else weights * sample_weight
        self.estimator_ = clone(self.estimator).fit(
            X, encoder.transform(y), sample_weight=sample_weight
        )
        self.n_features_in_ = n_features(X)
        return self

    def __sklearn_tags__(self):
        return delegated_tags(super().__sklearn_tags__(), [self.estimator])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
            float64 rows summing to 1 (uniform when the fit saw a single class).
        """
        check_is_fitted(self)
        proba = self.estimator_.predict_proba(X)
        if proba.shape[1] != len(self.classes_):  # xgboost on one class returns one column
            proba = np.ones((len(proba), len(self.classes_)))
        # float64 rows summing to 1: XGBoost's float32 rows are off by ~1e-7, which
        # sklearn.metrics.log_loss warns about
        proba = np.asarray(proba, dtype=np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row, as an original label.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,)
        """
        proba = self.predict_proba(X)  # first: an unfitted model raises NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    @property
    def feature_importances_(self):
        check_is_fitted(self)
        return self.estimator_.feature_importances_


@functools.lru_cache(maxsize=1)
def cuda_available() -> bool:
    """True when XGBoost can train on a CUDA device here (checked once with a tiny fit).

    Returns
    -------
    bool
        False when XGBoost was built without CUDA or the tiny fit on ``device="cuda"``
        fails or falls back to the CPU.
    """
    import xgboost

    if str(xgboost.build_info().get("USE_CUDA", False)).lower() not in ("true", "1", "on"):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = xgboost.DMatrix(np.zeros((4, 1)), label=[0, 1, 0, 1])
            booster = xgboost.train({"device": "cuda", "verbosity": 0}, data, num_boost_round=1)
        device = json.loads(booster.save_config())["learner"]["generic_param"]["device"]
    except Exception:  # any failure to reach a GPU means: no usable GPU
        return False
    return device.startswith("cuda")


def _preprocessor(numeric) -> ColumnTransformer:
    """Numeric columns through ``numeric``; non-numeric columns one-hot encoded."""
    return ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_include=np.number)),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_exclude=np.number),
            ),
        ],
        verbose_feature_names_out=False,
    )


def _xgboost(gpu, class_weight, random_state, params):
    from xgboost import XGBClassifier

    device = "cpu"
    if gpu:
        if cuda_available():
            device = "cuda"
        else:
            warnings.warn(
                "make_model('xgboost', gpu=True): no CUDA device is visible to XGBoost, "
                "training on the CPU instead.",
                RuntimeWarning,
                stacklevel=3,
            )
    settings = dict(
        n_estimators=400,
        learning_rate=0.05,
        max_depth=6,
        subsample=0.8,
        colsample_bytree=0.5,
        tree_method="hist",
        device=device,
        verbosity=0,
        random_state=random_state,
        n_jobs=-1,
    )
    settings.update(params)
    return LabelEncodedClassifier(XGBClassifier(**settings), class_weight=class_weight)


class SmallDataLGBMClassifier(LGBMClassifier):
    """LightGBM whose minimum leaf size shrinks on small training sets.

    With LightGBM's ``min_child_samples=20`` no tree can split a training set of a few dozen
    rows (a UCR-size set, or BasicMotions' 40 series): the model is then constant, log loss
    ln(K), without a word. Here a fit on ``n`` rows uses
    ``min(min_child_samples, max(2, n // 20))``, so from 400 rows on LightGBM's own setting
    holds. The value used is ``min_child_samples_``; ``get_params`` is left untouched.
    """

    def fit(self, X: Any, y: ArrayLike, **kwargs: Any) -> SmallDataLGBMClassifier:
        """LightGBM's fit with ``min_child_samples`` scaled to the number of rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
        y : array-like of shape (n,)
        **kwargs
            Passed to ``LGBMClassifier.fit``.

        Returns
        -------
        SmallDataLGBMClassifier
            ``self``.
        """
        configured = self.min_child_samples
        self.min_child_samples_ = min(configured, max(2, np.shape(X)[0] // 20))
        self.min_child_samples = self.min_child_samples_  # LightGBM reads its params in fit
        try:
            return super().fit(X, y, **kwargs)
        finally:
            self.min_child_samples = configured


def _lightgbm(class_weight, random_state, params):
    settings = dict(
        n_estimators=400,
        learning_rate=0.05,
        num_leaves=31,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        class_weight=class_weight,
        random_state=random_state,
        verbose=-1,
        n_jobs=-1,
    )
    settings.update(params)
    return SmallDataLGBMClassifier(**settings)


def _ensemble(class_weight, random_state, params) -> CalibratedEnsemble:
    members = params.pop("members", ENSEMBLE_MEMBERS)
    estimators = [
        (m, make_model(m, class_weight=class_weight, random_state=random_state))
        if isinstance(m, str)
        else tuple(m)
        for m in members
    ]
    return CalibratedEnsemble(estimators, random_state=random_state, **params)


class LabeledPipeline(Pipeline):
    """scikit-learn's Pipeline whose ``fit`` first checks the labels with
    :func:`featurekit.validation.check_labels`: scikit-learn's forests and logistic
    regression turn ``[1, "1", "a"]`` into classes ``'1'`` and ``'a'`` without a word.

    Parameters
    ----------
    steps : list of (name, estimator)
        As for scikit-learn's Pipeline (and its other parameters).
    """

    def fit(self, X: Any, y: ArrayLike | None = None, **params: Any) -> LabeledPipeline:
        """Check the labels, then fit as a Pipeline.

        Parameters
        ----------
        X : array-like or DataFrame
        y : array-like, optional
        **params
            Passed to ``Pipeline.fit``.

        Returns
        -------
        LabeledPipeline
            ``self``.

        Raises
        ------
        ValueError
            Labels missing, continuous, 2-D or mixing numbers and strings.
        """
        if y is not None:
            check_labels(y)
        return super().fit(X, y, **params)


def make_model(
    name: str,
    *,
    gpu: bool = False,
    class_weight: str | dict | None = None,
    random_state: int = 0,
    **params: Any,
) -> Pipeline | CalibratedEnsemble:
    """A classifier pipeline by name: preprocessing (scaling, one-hot) plus an engine.

    Parameters
    ----------
    name : str
        One of ``MODELS``. ``seed-rf`` is seed 000's recipe exactly: StandardScaler +
        RandomForestClassifier(n_estimators=300, random_state=42, n_jobs=-1); its seed stays
        42 whatever ``random_state`` says. ``ensemble`` returns a
        :class:`~featurekit.calibration.CalibratedEnsemble` of ``members`` (model names or
        ``(name, estimator)`` pairs; default ``ENSEMBLE_MEMBERS``), each itself a pipeline;
        it calibrates itself, and its ``**params`` go to ``CalibratedEnsemble``.
        ``family-ensemble`` returns a :class:`~featurekit.families.FamilyEnsemble` (one
        calibrated member per feature family, for tables with ``interval``/``rocket``
        columns; the best pipeline); its ``**params`` go to it.
    gpu : bool
        XGBoost only: train with ``device="cuda"``; without a CUDA device it falls back to the
        CPU with one ``RuntimeWarning``.
    class_weight : "balanced", dict or None
        Passed to the engine (as sample weights for XGBoost).
    random_state : int
        Seed of the engine.
    **params
        Overrides of the engine's parameters, e.g. ``n_estimators=50``.

    Returns
    -------
    Pipeline, CalibratedEnsemble or FamilyEnsemble
        A Pipeline with steps ``prep`` (a ColumnTransformer) and ``model``; for
        ``ensemble`` a CalibratedEnsemble of such pipelines, for ``family-ensemble`` a
        FamilyEnsemble.

    Raises
    ------
    ValueError
        An unknown name, or ``gpu=True`` with another model than ``xgboost``.

    Examples
    --------
    >>> model = make_model("rf", n_estimators=50)
    >>> list(model.named_steps)
    ['prep', 'model']
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {list(MODELS)}")
    if gpu and name != "xgboost":
        raise ValueError(f"gpu=True is only available for 'xgboost', not {name!r}")
    if name == "ensemble":
        return _ensemble(class_weight, random_state, dict(params))
    if name == "family-ensemble":
        from featurekit.families import FamilyEnsemble

        return FamilyEnsemble(random_state=random_state, class_weight=class_weight, **params)
    numeric = "passthrough"
    if name == "seed-rf":
        settings = dict(n_estimators=300, random_state=42, n_jobs=-1, class_weight=class_weight)
        model = RandomForestClassifier(**{**settings, **params})
        numeric = StandardScaler()
    elif name == "rf":
        settings = dict(
            n_estimators=500, n_jobs=-1, random_state=random_state, class_weight=class_weight
        )
        model = RandomForestClassifier(**{**settings, **params})
    elif name == "extratrees":
        settings = dict(
            n_estimators=500, n_jobs=-1, random_state=random_state, class_weight=class_weight
        )
        model = ExtraTreesClassifier(**{**settings, **params})
    elif name == "xgboost":
        model = _xgboost(gpu, class_weight, random_state, params)
    elif name == "lightgbm":
        model = _lightgbm(class_weight, random_state, params)
    else:
        settings = dict(C=1.0, max_iter=3000, class_weight=class_weight, random_state=random_state)
        model = LogisticRegression(**{**settings, **params})
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    return LabeledPipeline([("prep", _preprocessor(numeric)), ("model", model)])


def feature_importances(pipeline: Pipeline) -> pd.Series | None:
    """Importance per input column of a fitted pipeline, or None if the engine has none.

    Parameters
    ----------
    pipeline : Pipeline
        Fitted; its last step's ``feature_importances_`` (or mean absolute ``coef_``) is read.

    Returns
    -------
    Series or None
        Indexed by the names after preprocessing (one-hot columns appear as
        ``<column>_<value>``), normalized to sum to 1 when the sum is positive.
    """
    import pandas as pd

    model = pipeline.steps[-1][1]
    values = getattr(model, "feature_importances_", None)
    if values is None and hasattr(model, "coef_"):
        values = np.abs(model.coef_).mean(axis=0)
    if values is None:
        return None
    names = pipeline[:-1].get_feature_names_out()
    values = np.asarray(values, dtype=float)
    total = values.sum()
    return pd.Series(values / total if total > 0 else values, index=names)
