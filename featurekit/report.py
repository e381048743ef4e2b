"""Compare models on one feature table and write a report folder.

``compare`` cross-validates each model with :func:`featurekit.evaluate.cross_validate` and
writes ``report.md`` (models sorted by log loss, mean ± std over folds), ``results.csv``,
``oof_<model>.parquet``, ``confusion_<model>.png`` per model and ``importance.png``.
It takes any DataFrame, so embeddings joined to handcrafted features compare the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from featurekit.evaluate import LEAK_WARNING, CVResult, cross_validate, is_leaky

_METRICS = ("log_loss", "log_loss_raw", "accuracy", "macro_f1", "fit_seconds")


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(result: CVResult, path) -> None:
    """Row-normalized out-of-fold confusion matrix as a PNG."""
    plt = _figure()
    counts = result.confusion.to_numpy()
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(5, 0.45 * len(result.classes) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ticks = np.arange(len(result.classes))
    ax.set_xticks(ticks, result.confusion.columns, rotation=90, fontsize=7)
    ax.set_yticks(ticks, result.confusion.index, fontsize=7)
    for i, j in zip(*np.nonzero(counts), strict=True):
        ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=6,
                color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{result.name}: accuracy {result.overall['accuracy']:.3f}, "
                 f"log loss {result.overall['log_loss']:.3f}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_importance(importances: pd.Series, path, *, title: str, top: int = 30) -> None:
    """Horizontal bar chart of the ``top`` largest importances."""
    plt = _figure()
    best = importances.sort_values(ascending=False).head(top)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(best) + 1.5))
    ax.barh(best.index, best.to_numpy())
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("importance (share of total)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _models(models) -> list[tuple[str, object]]:
    if isinstance(models, dict):
        return list(models.items())
    return [(m, m) if isinstance(m, str) else tuple(m) for m in models]


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


def compare(
    features: pd.DataFrame,
    y,
    groups=None,
    models=("seed-rf", "rf", "extratrees", "xgboost", "lightgbm", "logreg"),
    out=None,
    *,
    cv: str = "stratified-group",
    n_splits: int = 5,
    calibrate: str | None = "temperature",
    parent=None,
    random_state: int = 0,
    verbose: bool = True,
) -> pd.DataFrame:
    """Cross-validate several models on one feature table; write and print the comparison.

    Parameters
    ----------
    features : DataFrame
        One row per series or window; numeric features plus optional categorical columns.
    y, groups : array-like
        Class and subject of each row.
    models : list of names, (name, estimator) pairs, or dict
        Names go to :func:`featurekit.models.make_model`.
    out : str or Path, optional
        Report folder (created); nothing is written when None.
    cv, n_splits, calibrate, parent, random_state
        As in :func:`featurekit.evaluate.cross_validate`.

    Returns
    -------
    DataFrame
        One row per model, sorted by mean log loss: ``<metric>_mean``/``_std`` columns and,
        with ``parent``, ``series_<metric>`` after averaging windows back to their series.
    """
    rows, results = [], {}
    for name, model in _models(models):
        result = cross_validate(model, features, y, groups, cv=cv, n_splits=n_splits,
                                calibrate=calibrate, parent=parent,
                                random_state=random_state, name=name)
        row = result.summary()
        if parent is not None:
            row.update({f"series_{k}": v for k, v in result.series_scores().items()})
        rows.append(row)
        results[name] = result
        if verbose:
            print(f"  {name}: log loss {row['log_loss_mean']:.3f}, "
                  f"accuracy {row['accuracy_mean']:.3f}", flush=True)
    table = pd.DataFrame(rows).sort_values("log_loss_mean", kind="stable").reset_index(drop=True)
    shown = _summary_table(table)
    if verbose:
        if is_leaky(cv, groups is not None):
            print(LEAK_WARNING)
        print(shown.to_string(index=False))
    if out is not None:
        _write(Path(out), table, shown, results, features, y, groups, cv, n_splits, calibrate)
    return table


def _write(out, table, shown, results, features, y, groups, cv, n_splits, calibrate):
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "results.csv", index=False)
    for name, result in results.items():
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        oof = result.oof.copy()
        oof.index = oof.index.astype(str)
        oof.insert(0, "fold", result.fold)
        oof.insert(0, "y", np.asarray(result.y).astype(str))
        if result.groups is not None:
            oof.insert(0, "group", result.groups.astype(str))
        oof.to_parquet(out / f"oof_{safe}.parquet")
        plot_confusion(result, out / f"confusion_{safe}.png")
    ranked = [results[m] for m in table["model"] if results[m].importances is not None]
    if ranked:
        plot_importance(ranked[0].importances, out / "importance.png",
                        title=f"{ranked[0].name}: mean importance over folds")
    lines = [
        "# Model comparison",
        "",
        f"{len(features)} rows, {features.shape[1]} feature columns, "
        f"{len(np.unique(y))} classes"
        + (f", {len(np.unique(groups))} groups" if groups is not None else "")
        + f". Split: `{cv}`, {n_splits} folds. Calibration: {calibrate or 'none'}"
        + (" (log_loss after, log_loss_raw before)." if calibrate else "."),
        "",
    ]
    if is_leaky(cv, groups is not None):
        lines += [f"**{LEAK_WARNING}**", ""]
    lines += ["Mean ± std over folds, sorted by log loss:", "", _markdown(shown), ""]
    if "series_log_loss" in table:
        series = table[["model", "series_log_loss", "series_accuracy", "series_macro_f1"]]
        lines += ["Series level (window log-probabilities averaged per series, pooled):", "",
                  _markdown(series.round(3)), ""]
    lines += ["Files: `results.csv`, `oof_<model>.parquet`, `confusion_<model>.png`"
              + (", `importance.png`" if ranked else "") + "."]
    (out / "report.md").write_text("\n".join(lines) + "\n")
