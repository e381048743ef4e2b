"""End-to-end recipes behind ``make baseline``, ``make compare`` and the CLI.

Each recipe composes library calls (datasets, preprocess, extract, evaluate, report,
submission) so that ``pipelines/*.py`` and ``featurekit <command>`` stay one-liners.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from featurekit.evaluate import LEAK_WARNING, cross_validate, fit_grouped

WINDOW = 200  # 4 s at the watch's 50 Hz
STEP = 100  # 50 % overlap
METADATA_COLUMNS = ("body_part", "sensor")


def watch_windows(*, mirrored: bool = True, size: int = WINDOW, step: int = STEP):
    """``load_watch()`` cut into windows (left side mirrored first, by default)."""
    from featurekit.datasets import load_watch
    from featurekit.preprocess import mirror, windows

    panel = load_watch()
    return windows(mirror(panel) if mirrored else panel, size, step)


def _row(setting: str, result, seconds: float) -> dict:
    return {"setting": setting, "rows": len(result.y), **result.overall,
            "seconds": round(seconds, 1)}


def _print_table(table: pd.DataFrame) -> None:
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"), flush=True)


def baseline_watch(*, model="seed-rf", features: str = "seed",
                   verbose: bool = True) -> pd.DataFrame:
    """The seed recipe on ``load_watch()``, validated three ways.

    (a) whole series, leave-one-subject-out; (b) 4-s windows with 50 % overlap,
    GroupKFold(5) by subject; (c) the same windows with a shuffled KFold(5), which leaks
    subjects. Metrics are pooled over the out-of-fold predictions.
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
        result = cross_validate(model, X, meta["label"], meta["group"], cv=cv,
                                parent=None if parent is None else meta[parent],
                                name=model if isinstance(model, str) else "model")
        rows.append(_row(setting, result, time.perf_counter() - start))
        if verbose:
            print(f"{setting}: accuracy {result.overall['accuracy']:.3f}, "
                  f"log loss {result.overall['log_loss']:.3f}", flush=True)
    table = pd.DataFrame(rows)
    if verbose:
        print(f"\nBaseline on load_watch(): `{features}` features + {model}")
        _print_table(table)
        print(f"\n(c) {LEAK_WARNING}")
    return table


def prepare_competition(panel):
    """Per-chunk preprocessing of competition series: fill NaN (dropping series with an
    all-NaN channel), mirror left-side devices, Vicon positions to acceleration."""
    from featurekit.preprocess import fill_nan, mirror, positions_to_acceleration

    filled = fill_nan(panel, all_nan="drop").panel
    return positions_to_acceleration(mirror(filled), where={"sensor": "vicon"})


def competition_features(data_dir, store, *, features: str = "seed", n_jobs: int = 1,
                         sampling_rates: dict | None = None, progress: bool = False):
    """Ingest -> fill NaN -> mirror left -> Vicon positions to acceleration -> features.

    The store is streamed chunk by chunk, so memory holds one chunk at a time.
    ``sampling_rates`` (e.g. ``{"smartwatch": 50, "vicon": 100}``) are recorded in the store;
    without them time is counted in samples and Vicon acceleration is per sample squared.
    Returns ``(X, meta)``: the feature table (plus ``body_part``/``sensor`` as categorical
    columns, one-hot encoded by the models) and the metadata of every series, labeled and
    unlabeled. Series whose channels are entirely NaN cannot be filled; they are left out
    of ``X`` and flagged in ``meta["dropped"]``.
    """
    from featurekit import extract
    from featurekit.io import ingest_competition, read_series

    ingest_competition(data_dir, store, n_jobs=n_jobs, progress=progress,
                       sampling_rates=sampling_rates)
    meta = read_series(store).set_index("id", drop=False)
    meta["label"], meta["group"] = meta["activity"], meta["userid"]
    X = extract(store, features, preprocess=prepare_competition, n_jobs=n_jobs,
                progress=progress)
    for column in METADATA_COLUMNS:
        X[column] = meta.loc[X.index, column].astype("category").to_numpy()
    meta["dropped"] = ~meta.index.isin(X.index)
    return X, meta


def baseline_competition(data_dir, out=".", *, store=None, model: str = "seed-rf",
                         features: str = "seed", calibrate: str | None = None,
                         n_splits: int = 5, n_jobs: int = 1,
                         sampling_rates: dict | None = None,
                         verbose: bool = True) -> pd.DataFrame:
    """The seed recipe on a competition folder: user-grouped CV, then ``submission.csv``.

    Fits ``model`` on every labeled series and writes ``<out>/submission.csv`` for the ids
    of ``metadata.csv`` (columns in ``sample_submission.csv``'s order). Series that could
    not be filled (all NaN) get the training class frequencies. ``calibrate`` (e.g.
    ``"temperature"``) wraps the model as in :func:`featurekit.evaluate.cross_validate`.
    Returns the CV table.
    """
    from featurekit.calibration import CalibratedModel
    from featurekit.models import make_model
    from featurekit.submission import validate_submission, write_submission

    data_dir, out = Path(data_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store = Path(store) if store is not None else out / "featurekit-store"
    X, meta = competition_features(data_dir, store, features=features, n_jobs=n_jobs,
                                   sampling_rates=sampling_rates, progress=verbose)
    labeled = meta.index[meta["label"].notna() & ~meta["dropped"]]
    y, groups = meta.loc[labeled, "label"].astype(str), meta.loc[labeled, "group"]
    start = time.perf_counter()
    result = cross_validate(model, X.loc[labeled], y.to_numpy(), groups.to_numpy(),
                            cv="stratified-group", n_splits=min(n_splits, groups.nunique()),
                            calibrate=calibrate)
    table = pd.DataFrame([_row(f"series, StratifiedGroupKFold({n_splits}) by user", result,
                               time.perf_counter() - start)])
    if verbose:
        print(f"\nBaseline on {data_dir}: `{features}` features + body_part/sensor + {model}")
        _print_table(table)

    fitted = make_model(model)
    if calibrate is not None:
        fitted = CalibratedModel(fitted, method=calibrate)
    fit_grouped(fitted, X.loc[labeled], y.to_numpy(), groups.to_numpy())
    template = pd.read_csv(data_dir / "sample_submission.csv")
    test_ids = pd.read_csv(data_dir / "metadata.csv")["id"]
    prior = y.value_counts(normalize=True).reindex(fitted.classes_).to_numpy()
    proba = np.tile(prior, (len(test_ids), 1))
    known = test_ids.isin(X.index).to_numpy()
    proba[known] = fitted.predict_proba(X.loc[test_ids[known]])
    path = out / "submission.csv"
    write_submission(test_ids, proba, fitted.classes_, path, template=template,
                     metadata=data_dir / "metadata.csv")
    validate_submission(path, template)
    if verbose:
        print(f"wrote {path} ({len(test_ids)} rows; {int((~known).sum())} unfillable series "
              "given the class frequencies)")
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


def compare_watch(out="reports/compare", *, models=None, features: str = "default",
                  calibrate: str | None = "temperature", cache=None,
                  verbose: bool = True) -> pd.DataFrame:
    """All models on mirrored ``load_watch()`` 4-s windows, GroupKFold(5) by subject.

    Model names found in ``COMPARE_SETTINGS`` get those lighter engine settings and are
    reported as ``<name>-light``; other names and ``(name, estimator)`` pairs are used as
    given. ``cache`` is passed to :func:`featurekit.extract`.
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
    return compare(X, win.meta["label"].to_numpy(), win.meta["group"].to_numpy(),
                   models=[entry(m) for m in (models or MODELS)], out=out, cv="group",
                   calibrate=calibrate, parent=win.meta["parent_id"].to_numpy(),
                   verbose=verbose)
