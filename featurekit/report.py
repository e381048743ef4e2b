"""Compare models on one feature table and write a report folder.

``compare`` cross-validates each model with :func:`featurekit.evaluate.cross_validate_models`
(fold by fold; on series, the fitted families are fitted on each training fold only)
(one log line per fold under the ``featurekit`` logger, and a tqdm bar advancing once per
model and fold) and writes:

- ``report.html``: one self-contained page (figures embedded as PNG, opens from disk): the
  data, the CV scheme (and the leak warning when it applies), a summary table whose metrics
  are each given as the mean ± sd over folds *and* pooled over all out-of-fold rows (each
  labelled), per-class F1, a reliability diagram and a confusion matrix per model, and the
  importances of the model ranked first (permutation importance on a held-out fold, per
  column, per channel and per feature family, beside the forests' MDI), with versions;
- ``report.md`` (the summary table), ``results.csv``, ``oof_<model>.parquet``,
  ``confusion_<model>.png`` and ``importance.png``.

It takes any DataFrame (or series and a feature set), so embeddings joined to handcrafted features compare the same way.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from featurekit.evaluate import (
    LEAK_WARNING,
    CVResult,
    _fold_source,
    _named_models,
    cross_validate_models,
    is_leaky,
)
from featurekit.features.registry import FeatureSet
from featurekit.fold_features import FoldFeatures
from featurekit.logs import collapse_warnings, console_logging
from featurekit.proba import clip_proba

logger = logging.getLogger(__name__)

_METRICS = ("log_loss", "log_loss_raw", "accuracy", "macro_f1", "fit_seconds")
# summary metrics of the HTML report: (key, label, lower is better)
_HTML_METRICS = (
    ("accuracy", "accuracy", False),
    ("balanced_accuracy", "balanced accuracy", False),
    ("macro_f1", "macro-F1", False),
    ("log_loss", "log loss", True),
    ("brier", "Brier score", True),
    ("ece", "ECE", True),
)


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig, path=None) -> bytes:
    """The figure as PNG bytes (also written to ``path`` when given); closes it."""
    plt = _figure()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


# ---------------------------------------------------------------------- metrics
def calibration_bins(
    y: ArrayLike, proba: ArrayLike, classes: ArrayLike, n_bins: int = 10
) -> pd.DataFrame:
    """Top-label reliability: per confidence bin, the mean confidence (the highest class
    probability), the accuracy of the predicted class and the row count.

    Parameters
    ----------
    y : array-like of shape (n,)
        True classes.
    proba : array of shape (n, n_classes)
        Probabilities, columns in the order of ``classes``.
    classes : array-like of shape (n_classes,)
    n_bins : int, default 10
        Equal-width bins over [0, 1].

    Returns
    -------
    DataFrame
        One row per non-empty bin: ``confidence``, ``accuracy``, ``count``, ``lo``, ``hi``.
    """
    proba = np.asarray(proba, dtype=float)
    confidence = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y)
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    frame = pd.DataFrame({"bin": which, "confidence": confidence, "correct": correct})
    table = frame.groupby("bin").agg(
        confidence=("confidence", "mean"), accuracy=("correct", "mean"), count=("correct", "size")
    )
    table["lo"], table["hi"] = edges[table.index], edges[table.index + 1]
    return table


def expected_calibration_error(
    y: ArrayLike, proba: ArrayLike, classes: ArrayLike, n_bins: int = 10
) -> float:
    """Top-label ECE: the row-weighted mean gap |accuracy - confidence| over equal bins.

    Parameters
    ----------
    y : array-like of shape (n,)
        True classes.
    proba : array of shape (n, n_classes)
        Probabilities, columns in the order of ``classes``.
    classes : array-like of shape (n_classes,)
    n_bins : int, default 10

    Returns
    -------
    float
    """
    bins = calibration_bins(y, proba, classes, n_bins)
    return float(
        np.sum(bins["count"] * (bins["accuracy"] - bins["confidence"]).abs()) / bins["count"].sum()
    )


def brier_score(y: ArrayLike, proba: ArrayLike, classes: ArrayLike) -> float:
    """Multiclass Brier score: mean over rows of the squared distance to the one-hot truth.

    Parameters
    ----------
    y : array-like of shape (n,)
        True classes.
    proba : array of shape (n, n_classes)
        Probabilities, columns in the order of ``classes``.
    classes : array-like of shape (n_classes,)

    Returns
    -------
    float
        0 is perfect, 2 the worst.
    """
    onehot = (np.asarray(y)[:, None] == np.asarray(classes)[None, :]).astype(float)
    return float(np.mean(np.sum((np.asarray(proba, dtype=float) - onehot) ** 2, axis=1)))


def _scores(y, proba, classes) -> dict:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, log_loss

    proba = clip_proba(np.asarray(proba, dtype=float))
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    return {
        "accuracy": accuracy_score(y, pred),
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, labels=classes, average="macro", zero_division=0),
        "log_loss": log_loss(y, proba, labels=classes),
        "brier": brier_score(y, proba, classes),
        "ece": expected_calibration_error(y, proba, classes),
    }


def detailed_scores(result: CVResult) -> pd.DataFrame:
    """Rows ``fold 0..k-1`` and ``pooled``: accuracy, balanced accuracy, macro-F1, log loss,
    Brier score and ECE of one cross-validation's out-of-fold probabilities.

    Parameters
    ----------
    result : CVResult

    Returns
    -------
    DataFrame
    """
    y, proba, classes = (
        np.asarray(result.y).astype(str),
        result.oof.to_numpy(),
        np.asarray(result.oof.columns),
    )
    rows = {
        f"fold {k}": _scores(y[result.fold == k], proba[result.fold == k], classes)
        for k in np.unique(result.fold[result.fold >= 0])
    }
    rows["pooled"] = _scores(y, proba, classes)
    return pd.DataFrame(rows).T


# ---------------------------------------------------------------------- figures
def plot_confusion(result: CVResult, path: str | os.PathLike | None = None) -> bytes:
    """Out-of-fold confusion matrix, coloured and annotated by row percentage (with counts),
    with a colour bar; PNG bytes (also written to ``path``).

    Parameters
    ----------
    result : CVResult
    path : path, optional
        Also write the PNG there.

    Returns
    -------
    bytes
        The PNG.
    """
    plt = _figure()
    counts = result.confusion.to_numpy()
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(5, 0.5 * len(result.classes) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(100 * rates, cmap="Blues", vmin=0, vmax=100)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="% of the true class")
    ticks = np.arange(len(result.classes))
    ax.set_xticks(ticks, result.confusion.columns, rotation=90, fontsize=7)
    ax.set_yticks(ticks, result.confusion.index, fontsize=7)
    for i, j in zip(*np.nonzero(counts), strict=True):
        ax.text(
            j,
            i,
            f"{100 * rates[i, j]:.0f}%\n{counts[i, j]}",
            ha="center",
            va="center",
            fontsize=6,
            color="white" if rates[i, j] > 0.5 else "black",
        )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(
        f"{result.name} (pooled out-of-fold): accuracy "
        f"{result.overall['accuracy']:.3f}, log loss {result.overall['log_loss']:.3f}",
        fontsize=9,
    )
    fig.tight_layout()
    return _png(fig, path)


def plot_reliability(results: list[CVResult], path: str | os.PathLike | None = None) -> bytes:
    """One reliability diagram per model (pooled out-of-fold, top label): accuracy against
    confidence per bin, the diagonal of perfect calibration, bar widths by row count.

    Parameters
    ----------
    results : list of CVResult
        One panel each, three per row.
    path : path, optional
        Also write the PNG there.

    Returns
    -------
    bytes
        The PNG.
    """
    plt = _figure()
    n = len(results)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax, result in zip(axes.flat, results, strict=False):
        y = np.asarray(result.y).astype(str)
        bins = calibration_bins(y, result.oof.to_numpy(), np.asarray(result.oof.columns))
        ece = expected_calibration_error(y, result.oof.to_numpy(), np.asarray(result.oof.columns))
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
        ax.bar(
            bins["lo"],
            bins["accuracy"],
            width=bins["hi"] - bins["lo"],
            align="edge",
            alpha=0.35,
            edgecolor="tab:blue",
            label="accuracy per bin",
        )
        ax.plot(bins["confidence"], bins["accuracy"], marker="o", color="tab:blue")
        for _, b in bins.iterrows():
            ax.text(b["lo"] + 0.05, 0.02, f"{int(b['count'])}", ha="center", fontsize=6)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("confidence (highest probability)")
        ax.set_ylabel("accuracy")
        ax.set_title(f"{result.name}: ECE {ece:.3f} (pooled)", fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return _png(fig, path)


def plot_importance(
    importances: pd.Series | pd.DataFrame,
    path: str | os.PathLike | None = None,
    *,
    title: str,
    top: int = 30,
    xlabel: str = "importance",
) -> bytes:
    """Horizontal bars of the ``top`` largest values of one Series, or of several Series
    side by side (a DataFrame, one column each); PNG bytes (also written to ``path``).

    Parameters
    ----------
    importances : Series or DataFrame
        Indexed by name; a DataFrame is ranked by its first column.
    path : path, optional
        Also write the PNG there.
    title : str
    top : int, default 30
        How many bars.
    xlabel : str, default "importance"

    Returns
    -------
    bytes
        The PNG.
    """
    plt = _figure()
    frame = importances.to_frame() if isinstance(importances, pd.Series) else importances
    best = frame.sort_values(frame.columns[0], ascending=False).head(top)[::-1].fillna(0)
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(best) + 1.6))
    height = 0.8 / frame.shape[1]
    for k, column in enumerate(best.columns):
        ax.barh(
            np.arange(len(best)) + k * height,
            best[column].to_numpy(),
            height=height,
            label=str(column),
        )
    ax.set_yticks(np.arange(len(best)) + 0.4 - height / 2, best.index, fontsize=7)
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9)
    if frame.shape[1] > 1:
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _png(fig, path)


# ---------------------------------------------------------------------- importance
def _on_columns(model, X: pd.DataFrame, columns):
    """``model`` (fitted) seen through a subset of columns: the others keep their held-out
    values, so scikit-learn's permutation_importance permutes only ``columns``."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class OnColumns(ClassifierMixin, BaseEstimator):
        def __init__(self, model=None, X=None, columns=None):
            self.model, self.X, self.columns = model, X, columns

        def fit(self, X, y=None):  # never called: permutation_importance does not refit
            return self

        def predict_proba(self, X_sub):
            X = self.X.copy()
            X[list(self.columns)] = np.asarray(X_sub)
            return self.model.predict_proba(X)

        def predict(self, X_sub):
            return self.classes_[np.argmax(self.predict_proba(X_sub), axis=1)]

    view = OnColumns(model, X, list(columns))
    view.classes_ = model.classes_
    return view


def _log_loss_increase(model, X, y, classes, columns, rng, n_repeats) -> float:
    """Mean increase of log loss when ``columns`` are permuted together (one row order)."""
    from sklearn.metrics import log_loss

    from featurekit.calibration import align_proba

    def loss(data):
        proba = align_proba(model.predict_proba(data), model.classes_, classes)
        return log_loss(y, clip_proba(proba), labels=classes)

    base, losses = loss(X), []
    for _ in range(n_repeats):
        shuffled = X.copy()
        shuffled[columns] = X[columns].to_numpy()[rng.permutation(len(X))]
        losses.append(loss(shuffled))
    return float(np.mean(losses) - base)


def permutation_importances(
    model: Any,
    X: pd.DataFrame,
    y: ArrayLike,
    groups: ArrayLike | None,
    fold: np.ndarray,
    *,
    n_repeats: int = 3,
    max_rows: int = 2000,
    max_columns: int = 60,
    prior: pd.Series | None = None,
    random_state: int = 0,
    held_out: int = 0,
) -> dict:
    """Permutation importance of ``model`` refitted on all folds but ``held_out`` and scored
    on that fold, as the increase in log loss.

    Returns ``{"column": Series, "channel": Series, "family": Series}``. Per column it is
    ``sklearn.inspection.permutation_importance`` on at most ``max_columns`` columns (the
    largest of ``prior``, e.g. MDI, when there are more) and ``max_rows`` held-out rows;
    per channel (``<channel>__...``) and per feature family, all the columns of a group are
    permuted together.

    Parameters
    ----------
    model : classifier
        Unfitted; cloned and fitted here.
    X : DataFrame
    y, groups : array-like
        Classes and subjects (groups may be None) of the rows of ``X``.
    fold : int array
        Test fold of each row (``CVResult.fold``).
    held_out : int, default 0
        The fold held out.
    n_repeats : int, default 3
    max_rows, max_columns : int
        Caps on held-out rows and on columns scored one by one.
    prior : Series, optional
        Importance ranking the columns when there are more than ``max_columns``.
    random_state : int, default 0

    Returns
    -------
    dict of Series
        ``"column"``, ``"channel"`` and ``"family"``.
    """
    from sklearn.base import clone
    from sklearn.inspection import permutation_importance

    from featurekit.calibration import independent_rows
    from featurekit.features.registry import feature_family
    from featurekit.validation import fit_grouped

    rng = np.random.default_rng(random_state)
    y = np.asarray(y).astype(str)
    train, test = np.flatnonzero(fold != held_out), np.flatnonzero(fold == held_out)
    if len(test) > max_rows:
        test = np.sort(rng.choice(test, max_rows, replace=False))
    # no groups: rows without subjects, ungrouped calibration is right (as in cross_validate)
    with independent_rows() if groups is None else contextlib.nullcontext():
        fitted = fit_grouped(
            clone(model),
            X.iloc[train],
            y[train],
            None if groups is None else np.asarray(groups)[train],
        )
    held, classes = X.iloc[test], np.unique(y)
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    columns = numeric
    if len(numeric) > max_columns:
        order = (
            prior.reindex(numeric).fillna(0).sort_values(ascending=False).index
            if prior is not None
            else numeric
        )
        columns = list(order[:max_columns])
    view = _on_columns(fitted, held, columns)
    result = permutation_importance(
        view,
        held[columns],
        y[test],
        scoring="neg_log_loss",
        n_repeats=n_repeats,
        random_state=random_state,
    )
    out = {"column": pd.Series(result.importances_mean, index=columns)}
    for kind, key in (
        ("channel", lambda c: str(c).split("__")[0] if "__" in str(c) else "metadata"),
        ("family", lambda c: feature_family(str(c)) or "other"),
    ):
        members: dict[str, list] = {}
        for c in X.columns:
            members.setdefault(key(c), []).append(c)
        out[kind] = pd.Series(
            {
                name: _log_loss_increase(fitted, held, y[test], classes, cols, rng, n_repeats)
                for name, cols in members.items()
            }
        ).sort_values(ascending=False)
    return out


# ---------------------------------------------------------------------- compare
def _markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.to_numpy()]
    return "\n".join(lines)


def _summary_table(results: pd.DataFrame) -> pd.DataFrame:
    shown = pd.DataFrame({"model": results["model"]})
    for metric in _METRICS:
        if f"{metric}_mean" in results and results[f"{metric}_mean"].notna().any():
            shown[metric] = [
                "n/a" if np.isnan(m) else f"{m:.3f} ± {s:.3f}"
                for m, s in zip(results[f"{metric}_mean"], results[f"{metric}_std"], strict=True)
            ]
    return shown


# Fast enough for ~20,000 columns (the ``full`` set) and the best of issue 10 first; every
# model of featurekit.models.MODELS runs when asked for by name.
DEFAULT_MODELS = ("family-ensemble", "extratrees", "logreg")


def compare(
    X: pd.DataFrame | FoldFeatures | Any,
    y: ArrayLike,
    groups: ArrayLike | None = None,
    models: Sequence[str | tuple[str, Any]] | Mapping[str, Any] = DEFAULT_MODELS,
    out: str | os.PathLike | None = None,
    *,
    features: str | FeatureSet | list[str] | None = None,
    cv: str = "stratified-group",
    n_splits: int = 5,
    calibrate: str | None = "temperature",
    parent: ArrayLike | None = None,
    random_state: int = 0,
    verbose: bool = True,
    importance: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Cross-validate several models on one feature table, or on series; write and log the
    comparison.

    Parameters
    ----------
    X : DataFrame, FoldFeatures or series
        A feature table (one row per series or window; numeric features plus optional
        categorical columns), or series with ``features`` (a Panel, or anything
        :func:`~featurekit.extraction.as_panel` reads), or a
        :class:`~featurekit.fold_features.FoldFeatures`. With series, the set's fitted
        families (``interval``, ``rocket``, ``shape``, ``full``) are fitted on each training
        fold only, once per fold for all models; the other columns are extracted once.
    y, groups : array-like
        Class and subject of each row.
    models : list of names, (name, estimator) pairs, or dict
        Names go to :func:`featurekit.models.make_model`. By default ``DEFAULT_MODELS``:
        the family ensemble, extratrees and logreg.
    out : str or Path, optional
        Report folder (created); nothing is written when None.
    features : str, list of str or FeatureSet, optional
        With series ``X``: the feature set (``"default"`` for a Panel when None).
    cv, n_splits, calibrate, parent, random_state
        As in :func:`featurekit.evaluate.cross_validate`.
    verbose : bool
        Log progress (one line per fold, one per model) and the table on stderr through the
        ``featurekit`` logger when the application has not configured logging.
    importance : bool
        With ``out``: refit the model ranked first once more for the permutation importance
        of ``report.html`` (about one fold's fit), on the last fold held out.
    progress : bool, default True
        A tqdm bar on stderr advancing once per (model, fold), naming the model being
        fitted; as tqdm decides, it is hidden when stderr is not a terminal (a log file, a
        pipe), and shown in notebooks. Log lines are written above it. False hides it.

    Returns
    -------
    DataFrame
        One row per model, sorted by mean log loss: ``<metric>_mean``/``_std`` columns (over
        folds) and, with ``parent``, ``series_<metric>`` after averaging windows back to
        their series (pooled).

    Examples
    --------
    >>> compare(panel, panel.meta["label"], panel.meta["group"],
    ...         features="full", out="reports/full")  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    models = _named_models(models)
    # total set by the first fold (leave-one-group-out has one fold per subject)
    bar = tqdm(desc="compare", unit="fold", disable=None if progress else True)
    with (
        console_logging(logging.INFO if verbose else logging.WARNING),
        collapse_warnings(),
        bar,
        _log_above(bar),
    ):
        return _compare(
            X,
            y,
            groups,
            models,
            out,
            features=features,
            cv=cv,
            n_splits=n_splits,
            calibrate=calibrate,
            parent=parent,
            random_state=random_state,
            importance=importance,
            bar=bar,
        )


def _log_above(bar) -> Any:
    """While ``bar`` shows, write the ``featurekit`` logger's console lines above it (tqdm's
    ``logging_redirect_tqdm``) instead of through it; nothing when the bar is hidden or the
    logger has no console handler (records then go where the application sends them)."""
    import contextlib

    from tqdm.contrib.logging import logging_redirect_tqdm

    package = logging.getLogger("featurekit")
    console = any(type(h) is logging.StreamHandler for h in package.handlers)
    if bar.disable or not console:
        return contextlib.nullcontext()
    return logging_redirect_tqdm([package])


def _bar_hooks(bar, n_models: int):
    """``on_fit`` and ``on_fold`` for cross_validate_models: name the model being fitted,
    advance ``bar`` once it is scored (sizing the bar at the first fold)."""

    def on_fit(name: str, k: int, n_folds: int) -> None:
        if bar.total is None:
            bar.total = n_folds * n_models
        bar.set_postfix_str(name)

    def on_fold(name: str, k: int, n_folds: int) -> None:
        bar.update()

    return on_fit, on_fold


def _compare(
    X,
    y,
    groups,
    models,
    out,
    *,
    features,
    cv,
    n_splits,
    calibrate,
    parent,
    random_state,
    importance,
    bar,
):
    source = _fold_source(X, features)
    if isinstance(source, FoldFeatures):
        logger.info("%r", source)
    logger.info(
        "%d models (%s), %d folds, fold by fold",
        len(models),
        ", ".join(name for name, _ in models),
        n_splits,
    )
    start = time.perf_counter()
    on_fit, on_fold = _bar_hooks(bar, len(models))
    results = cross_validate_models(
        models,
        source,
        y,
        groups,
        cv=cv,
        n_splits=n_splits,
        calibrate=calibrate,
        parent=parent,
        random_state=random_state,
        on_fit=on_fit,
        on_fold=on_fold,
    )
    estimators = dict(models)
    rows = []
    for name, result in results.items():
        row = result.summary()
        if parent is not None:
            row.update({f"series_{k}": v for k, v in result.series_scores().items()})
        rows.append(row)
        logger.info(
            "%s: log loss %.3f, accuracy %.3f (fold means), fit %.0f s over all folds",
            name,
            row["log_loss_mean"],
            row["accuracy_mean"],
            row.get("fit_seconds_mean", 0.0) * len(result.folds),
        )
    logger.info("compared in %.0f s", time.perf_counter() - start)
    table = pd.DataFrame(rows).sort_values("log_loss_mean", kind="stable").reset_index(drop=True)
    shown = _summary_table(table)
    if is_leaky(cv, groups is not None):
        logger.warning(LEAK_WARNING)
    # the returned table is the product (the CLI prints it); the log has it for the record
    logger.debug("mean ± sd over folds, sorted by log loss:\n%s", shown.to_string(index=False))
    if out is not None:
        held_out = int(next(iter(results.values())).fold.max())
        # the held-out fold's table: the one just built for the last fold (kept, not rebuilt)
        train = np.flatnonzero(next(iter(results.values())).fold != held_out)
        context = dict(
            features=source.table(train) if isinstance(source, FoldFeatures) else source,
            feature_set=source.feature_set.name if isinstance(source, FoldFeatures) else None,
            y=y,
            groups=groups,
            cv=cv,
            n_splits=n_splits,
            calibrate=calibrate,
            random_state=random_state,
            held_out=held_out,
        )
        _write(Path(out), table, shown, results, estimators, importance, **context)
    return table


def _estimator(model, calibrate, random_state):
    """The estimator cross_validate fitted for ``model`` (a name or an estimator)."""
    if isinstance(model, str):
        from featurekit.models import make_model

        model = make_model(model, random_state=random_state)
    if calibrate is not None:
        from featurekit.calibration import CalibratedModel

        model = CalibratedModel(model, method=calibrate, random_state=random_state)
    return model


def _write(
    out,
    table,
    shown,
    results,
    estimators,
    importance,
    *,
    features,
    feature_set,
    y,
    groups,
    cv,
    n_splits,
    calibrate,
    random_state,
    held_out,
):
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "results.csv", index=False)
    confusions = {}
    for name, result in results.items():
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        oof = result.oof.copy()
        oof.index = oof.index.astype(str)
        oof.insert(0, "fold", result.fold)
        oof.insert(0, "y", np.asarray(result.y).astype(str))
        if result.groups is not None:
            oof.insert(0, "group", result.groups.astype(str))
        oof.to_parquet(out / f"oof_{safe}.parquet")
        confusions[name] = plot_confusion(result, out / f"confusion_{safe}.png")
    best = results[table["model"].iloc[0]]
    figures = {
        "reliability": plot_reliability(
            [results[m] for m in table["model"]], out / "reliability.png"
        )
    }
    permutation = None
    if importance:
        logger.info("permutation importance of %s on held-out fold %d", best.name, held_out)
        try:
            permutation = permutation_importances(
                _estimator(estimators[best.name], calibrate, random_state),
                features,
                y,
                groups,
                best.fold,
                prior=best.importances,
                random_state=random_state,
                held_out=held_out,
            )
        except Exception as error:  # a report without this section beats no report
            logger.warning("permutation importance skipped: %s", error)
    if permutation is not None:
        column = permutation["column"].rename("permutation (log loss increase)")
        if best.importances is not None:
            mdi = best.importances / best.importances.sum()
            scale = column.abs().max() / max(mdi.max(), 1e-12)
            column = pd.concat([column, (mdi * scale).rename("MDI (scaled)")], axis=1)
        figures["importance"] = plot_importance(
            column,
            out / "importance.png",
            xlabel="increase in log loss when permuted",
            title=f"{best.name} (ranked first): permutation importance on held-out fold "
            f"{held_out}" + (", MDI scaled to it" if best.importances is not None else ""),
        )
        for kind in ("channel", "family"):
            figures[f"importance_{kind}"] = plot_importance(
                permutation[kind],
                xlabel="increase in log loss when permuted together",
                title=f"{best.name}: permutation importance per {kind} (held-out fold {held_out})",
            )
    elif best.importances is not None:
        figures["importance"] = plot_importance(
            best.importances,
            out / "importance.png",
            xlabel="MDI (share of total)",
            title=f"{best.name} (ranked first): mean MDI over folds",
        )
    (out / "report.md").write_text(
        _markdown_report(
            table,
            shown,
            features,
            y,
            groups,
            cv,
            n_splits,
            calibrate,
            "importance" in figures,
            feature_set=feature_set,
        )
    )
    (out / "report.html").write_text(
        _html_report(
            table,
            results,
            figures,
            confusions,
            features,
            y,
            groups,
            cv,
            n_splits,
            calibrate,
            feature_set=feature_set,
        ),
        encoding="utf-8",
    )
    logger.info("wrote %s (report.html, report.md, results.csv, oof_*.parquet)", out)


def _data_line(features, y, groups, feature_set=None) -> str:
    line = (
        f"{len(features)} rows, {features.shape[1]} feature columns, "
        f"{len(np.unique(y))} classes"
        + (f", {len(np.unique(groups))} groups" if groups is not None else "")
    )
    if feature_set is not None:
        line += (
            f"; features: set {feature_set!r} extracted from the series, its fitted "
            "families (if any) fitted on each training fold only (columns counted on the "
            "last fold)"
        )
    return line


def _markdown_report(
    table, shown, features, y, groups, cv, n_splits, calibrate, has_importance, feature_set=None
) -> str:
    lines = [
        "# Model comparison",
        "",
        _data_line(features, y, groups, feature_set)
        + f". Split: `{cv}`, {n_splits} folds. Calibration: {calibrate or 'none'}"
        + (" (log_loss after, log_loss_raw before)." if calibrate else "."),
        "",
    ]
    if is_leaky(cv, groups is not None):
        lines += [f"**{LEAK_WARNING}**", ""]
    lines += ["Mean ± std over folds, sorted by log loss:", "", _markdown(shown), ""]
    if "series_log_loss" in table:
        series = table[["model", "series_log_loss", "series_accuracy", "series_macro_f1"]]
        lines += [
            "Series level (window log-probabilities averaged per series, pooled):",
            "",
            _markdown(series.round(3)),
            "",
        ]
    lines += [
        "Figures and the pooled metrics: `report.html`. Files: `results.csv`, "
        "`oof_<model>.parquet`, `confusion_<model>.png`, `reliability.png`"
        + (", `importance.png`" if has_importance else "")
        + "."
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- HTML
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td { white-space: nowrap; }
th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
.leak { background: #fde2e2; border: 1px solid #c00; padding: 0.6em; font-weight: bold; }
.note { color: #555; font-size: 0.9em; } img { max-width: 100%; }
.best { font-weight: bold; }
"""


def _img(data: bytes, alt: str) -> str:
    return (
        f'<img alt="{html.escape(alt)}" '
        f'src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'
    )


def _versions() -> str:
    import featurekit

    names = ["numpy", "pandas", "scipy", "sklearn", "matplotlib", "lightgbm", "xgboost", "numba"]
    found = [f"featurekit {featurekit.__version__}", f"Python {sys.version.split()[0]}"]
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            label = "scikit-learn" if name == "sklearn" else name
            found.append(f"{label} {getattr(module, '__version__', '?')}")
    return ", ".join(found)


def _feature_summary(features) -> str:
    from featurekit.features.registry import feature_family

    families = pd.Series([feature_family(str(c)) or "other" for c in features.columns])
    channels = {str(c).split("__")[0] for c in features.columns if "__" in str(c)}
    counts = ", ".join(f"{k} {v}" for k, v in families.value_counts().items())
    return f"{features.shape[1]} columns over {len(channels)} channels; per family: {counts}"


def _html_report(
    table,
    results,
    figures,
    confusions,
    features,
    y,
    groups,
    cv,
    n_splits,
    calibrate,
    feature_set=None,
) -> str:
    esc = html.escape
    order = list(table["model"])
    details = {m: detailed_scores(results[m]) for m in order}
    header = "".join(
        f"<th>{esc(label)}<br><small>fold mean ± sd</small></th>"
        f"<th>{esc(label)}<br><small>pooled</small></th>"
        for _, label, _ in _HTML_METRICS
    )
    body = []
    for rank, model in enumerate(order, 1):
        frame = details[model]
        folds = frame.drop(index="pooled")
        cells = "".join(
            f"<td>{folds[key].mean():.3f} ± {folds[key].std(ddof=0):.3f}</td>"
            f"<td>{frame.loc['pooled', key]:.3f}</td>"
            for key, _, _ in _HTML_METRICS
        )
        fit = results[model].folds.get("fit_seconds")
        seconds = f"<td>{fit.sum():.1f}</td>" if fit is not None else "<td></td>"
        css = ' class="best"' if rank == 1 else ""
        body.append(f"<tr{css}><td>{rank}. {esc(model)}</td>{cells}{seconds}</tr>")
    summary = (
        f"<table><tr><th>model (by fold-mean log loss)</th>{header}"
        f"<th>fit s<br><small>all folds</small></th></tr>{''.join(body)}</table>"
    )
    classes = [str(c) for c in results[order[0]].per_class_f1.index]
    f1_rows = "".join(
        f"<tr><td>{esc(m)}</td>"
        + "".join(f"<td>{results[m].per_class_f1.get(c, np.nan):.2f}</td>" for c in classes)
        + "</tr>"
        for m in order
    )
    per_class = (
        f"<table><tr><th>model</th>{''.join(f'<th>{esc(c)}</th>' for c in classes)}"
        f"</tr>{f1_rows}</table>"
    )
    leak = f'<p class="leak">{esc(LEAK_WARNING)}</p>' if is_leaky(cv, groups is not None) else ""
    series = ""
    if "series_log_loss" in table:
        rows = "".join(
            f"<tr><td>{esc(r.model)}</td><td>{r.series_log_loss:.3f}</td>"
            f"<td>{r.series_accuracy:.3f}</td><td>{r.series_macro_f1:.3f}</td></tr>"
            for r in table.itertuples()
        )
        series = (
            "<h2>Series level</h2><p class='note'>Window log-probabilities averaged per "
            "series, then scored pooled over all series.</p><table><tr><th>model</th>"
            f"<th>log loss</th><th>accuracy</th><th>macro-F1</th></tr>{rows}</table>"
        )
    raw = ""
    if calibrate and "log_loss_raw_mean" in table:
        raw = (
            "<p class='note'>Log loss before calibration (fold mean): "
            + ", ".join(f"{esc(r.model)} {r.log_loss_raw_mean:.3f}" for r in table.itertuples())
            + ".</p>"
        )
    importance = ""
    if "importance" in figures:
        importance = "<h2>Importance of the model ranked first</h2>" + _img(
            figures["importance"], "importance per column"
        )
        for kind in ("channel", "family"):
            if f"importance_{kind}" in figures:
                importance += _img(figures[f"importance_{kind}"], f"importance per {kind}")
    confusion = "".join(f"<h3>{esc(m)}</h3>{_img(confusions[m], f'confusion {m}')}" for m in order)
    splitter = {
        "stratified-group": "StratifiedGroupKFold (shuffled)",
        "group": "GroupKFold",
        "logo": "LeaveOneGroupOut",
        "stratified": "StratifiedKFold (shuffled)",
        "kfold": "KFold (shuffled)",
        "sequential": "KFold (not shuffled)",
    }.get(cv, cv)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>featurekit model comparison</title>
<style>{_CSS}</style></head><body>
<h1>Model comparison</h1>
<p><b>Data:</b> {esc(_data_line(features, y, groups, feature_set))}.<br>
<b>Features:</b> {esc(_feature_summary(features))}.<br>
<b>Cross-validation:</b> {esc(cv)} = {esc(splitter)}, {n_splits} folds{
        ", grouped by subject" if cv in ("stratified-group", "group", "logo") else ""
    }.<br>
<b>Calibration:</b> {esc(calibrate or "none")}{
        " (on inner folds of each training fold, grouped by subject)" if calibrate else ""
    }.</p>
{leak}
<h2>Summary</h2>
<p class="note"><b>fold mean ± sd</b>: the metric on each test fold, then its mean and
standard deviation over the {n_splits} folds. <b>pooled</b>: the metric once over all
out-of-fold predictions together. Log loss, Brier score and ECE (expected calibration error,
top label, 10 bins): lower is better.</p>
{summary}
{raw}
{series}
<h2>Per-class F1 (pooled)</h2>
{per_class}
<h2>Reliability (pooled out-of-fold)</h2>
<p class="note">Accuracy of the predicted class against its probability, per bin of
probability; on the diagonal a model is calibrated. The numbers are the rows per bin.</p>
{_img(figures["reliability"], "reliability diagrams")}
{importance}
<h2>Confusion matrices (pooled out-of-fold)</h2>
{confusion}
<p class="note">Versions: {esc(_versions())}.</p>
</body></html>
"""
