"""End-to-end recipes on the bundled watch data, behind ``make compare`` and the CLI.

Each recipe composes library calls (datasets, preprocess, extract, evaluate, report) so that
``pipelines/*.py`` and ``featurekit <command>`` stay one-liners. The competition's recipes
(``baseline_competition``, ``competition_features``, ``prepare_competition``) live in
:mod:`featurekit.competition.recipes` and are still importable from here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from featurekit.evaluate import LEAK_WARNING, cross_validate

if TYPE_CHECKING:
    from featurekit.panel import Panel

WINDOW = 200  # 4 s at the watch's 50 Hz
STEP = 100  # 50 % overlap


def watch_windows(*, mirrored: bool = True, size: int = WINDOW, step: int = STEP) -> Panel:
    """``load_watch()`` cut into windows (left side mirrored first, by default).

    Parameters
    ----------
    mirrored : bool, default True
        Mirror left-side devices first (:func:`featurekit.preprocess.mirror`).
    size, step : int
        Window length and step in samples (4 s with 50 % overlap by default).

    Returns
    -------
    Panel
        One series per window; ``meta["parent_id"]`` names its series.
    """
    from featurekit.datasets import load_watch
    from featurekit.preprocess import mirror, windows

    panel = load_watch()
    return windows(mirror(panel) if mirrored else panel, size, step)


def _row(setting: str, result, seconds: float) -> dict:
    return {
        "setting": setting,
        "rows": len(result.y),
        **result.overall,
        "seconds": round(seconds, 1),
    }


def _print_table(table: pd.DataFrame) -> None:
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"), flush=True)


def baseline_watch(
    *, model: str | Any = "seed-rf", features: str = "seed", verbose: bool = True
) -> pd.DataFrame:
    """The seed recipe on ``load_watch()``, validated three ways.

    (a) whole series, leave-one-subject-out; (b) 4-s windows with 50 % overlap,
    GroupKFold(5) by subject; (c) the same windows with a shuffled KFold(5), which leaks
    subjects. Metrics are pooled over the out-of-fold predictions.

    Parameters
    ----------
    model : str or classifier, default "seed-rf"
        A :func:`featurekit.models.make_model` name or an estimator.
    features : str, default "seed"
        A feature-set name.
    verbose : bool, default True
        Print each run and the table.

    Returns
    -------
    DataFrame
        One row per setting: metrics, rows and seconds.
    """
    from featurekit import extract
    from featurekit.datasets import load_watch
    from featurekit.preprocess import windows

    panel = load_watch()
    win = windows(panel, WINDOW, STEP)
    whole, cut = extract(panel, features), extract(win, features)
    runs = [
        ("(a) whole series, leave-one-subject-out", whole, panel.meta, "logo", None),
        ("(b) 4-s windows, GroupKFold(5) by subject", cut, win.meta, "group", "parent_id"),
        ("(c) 4-s windows, shuffled KFold(5) - LEAKY", cut, win.meta, "kfold", None),
    ]
    rows = []
    for setting, X, meta, cv, parent in runs:
        start = time.perf_counter()
        result = cross_validate(
            model,
            X,
            meta["label"],
            meta["group"],
            cv=cv,
            parent=None if parent is None else meta[parent],
            name=model if isinstance(model, str) else "model",
        )
        rows.append(_row(setting, result, time.perf_counter() - start))
        if verbose:
            print(
                f"{setting}: accuracy {result.overall['accuracy']:.3f}, "
                f"log loss {result.overall['log_loss']:.3f}",
                flush=True,
            )
    table = pd.DataFrame(rows)
    if verbose:
        print(f"\nBaseline on load_watch(): `{features}` features + {model}")
        _print_table(table)
        print(f"\n(c) {LEAK_WARNING}")
    return table


# Lighter engines for `make compare`, so all models fit in a few minutes on 2 cores
# (20 fits each: 5 outer folds x (3 inner calibration folds + 1 refit)). Shallower boosted
# trees with a larger learning rate and fewer bins cost ~30x less than the defaults here.
COMPARE_SETTINGS = {
    "rf": dict(n_estimators=200),
    "extratrees": dict(n_estimators=300),
    "xgboost": dict(n_estimators=200, learning_rate=0.1, max_depth=4, max_bin=64),
    "lightgbm": dict(n_estimators=200, learning_rate=0.1, num_leaves=15, max_bin=63),
}


def compare_watch(
    out: str | os.PathLike | None = "reports/compare",
    *,
    models: Sequence[str | tuple[str, Any]] | None = None,
    features: str = "default",
    calibrate: str | None = "temperature",
    cache: str | os.PathLike | bool | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """All models on mirrored ``load_watch()`` 4-s windows, GroupKFold(5) by subject.

    Model names found in ``COMPARE_SETTINGS`` get those lighter engine settings and are
    reported as ``<name>-light``; other names and ``(name, estimator)`` pairs are used as
    given. ``cache`` is passed to :func:`featurekit.extract`.

    Parameters
    ----------
    out : path, default "reports/compare"
        Report folder, as for :func:`featurekit.report.compare`.
    models : list of names or (name, estimator) pairs, optional
        Default: every name of ``featurekit.models.MODELS``.
    features : str, default "default"
    calibrate : str or None, default "temperature"
    cache : path, bool or None
    verbose : bool, default True

    Returns
    -------
    DataFrame
        As :func:`featurekit.report.compare`.
    """
    from featurekit import extract
    from featurekit.models import MODELS, make_model
    from featurekit.report import compare

    def entry(model):
        if not isinstance(model, str) or model not in COMPARE_SETTINGS:
            return model
        if verbose:
            print(f"{model}-light: {COMPARE_SETTINGS[model]}", flush=True)
        return f"{model}-light", make_model(model, **COMPARE_SETTINGS[model])

    win = watch_windows()
    X = extract(win, features, cache=cache)
    return compare(
        X,
        win.meta["label"].to_numpy(),
        win.meta["group"].to_numpy(),
        models=[entry(m) for m in (models or MODELS)],
        out=out,
        cv="group",
        calibrate=calibrate,
        parent=win.meta["parent_id"].to_numpy(),
        verbose=verbose,
    )


_MOVED = ("METADATA_COLUMNS", "baseline_competition", "competition_features", "prepare_competition")


def __getattr__(name: str):
    if name in _MOVED:  # moved to featurekit.competition.recipes in 0.2.0
        from featurekit.competition import recipes

        return getattr(recipes, name)
    raise AttributeError(f"module 'featurekit.recipes' has no attribute {name!r}")
