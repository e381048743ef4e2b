"""The competition's recipes: ingest -> preprocess -> features -> grouped CV -> submission.

Behind ``make baseline DATA=...`` and ``featurekit baseline``; each composes library calls
(ingest, preprocess, extract, evaluate, submission) so that the scripts stay one-liners.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from featurekit.competition.schema import (
    META_ALIASES,
    METADATA_COLUMNS,
    METADATA_CSV,
    POSITION_SENSOR,
    SAMPLE_SUBMISSION_CSV,
    SENSOR_COLUMN,
)
from featurekit.evaluate import cross_validate
from featurekit.panel import Panel
from featurekit.recipes import _print_table, _row
from featurekit.validation import fit_grouped

__all__ = [
    "METADATA_COLUMNS",
    "baseline_competition",
    "competition_features",
    "prepare_competition",
]


def prepare_competition(panel: Panel) -> Panel:
    """Per-chunk preprocessing of competition series: fill NaN (dropping series with an
    all-NaN channel), mirror left-side devices, Vicon positions to acceleration.

    Parameters
    ----------
    panel : Panel
        A chunk of a competition store (meta with ``side`` and ``sensor``).

    Returns
    -------
    Panel
        Fewer series when some had an all-NaN channel.
    """
    from featurekit.preprocess import fill_nan, mirror, positions_to_acceleration

    filled = fill_nan(panel, all_nan="drop").panel
    return positions_to_acceleration(mirror(filled), where={SENSOR_COLUMN: POSITION_SENSOR})


def competition_features(
    data_dir: str | os.PathLike,
    store: str | os.PathLike,
    *,
    features: str = "seed",
    n_jobs: int = 1,
    sampling_rates: dict | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ingest -> fill NaN -> mirror left -> Vicon positions to acceleration -> features.

    The store is streamed chunk by chunk, so memory holds one chunk at a time.
    ``sampling_rates`` (e.g. ``{"smartwatch": 50, "vicon": 100}``) are recorded in the store;
    without them time is counted in samples and Vicon acceleration is per sample squared.
    Returns ``(X, meta)``: the feature table (plus ``body_part``/``sensor`` as categorical
    columns, one-hot encoded by the models) and the metadata of every series, labeled and
    unlabeled. Series whose channels are entirely NaN cannot be filled; they are left out
    of ``X`` and flagged in ``meta["dropped"]``.

    Parameters
    ----------
    data_dir : path
        The competition folder.
    store : path
        Store directory, written (or resumed) by the ingest.
    features : str, default "seed"
        A feature-set name for :func:`featurekit.extract`.
    n_jobs : int, default 1
    sampling_rates : dict, optional
    progress : bool, default False

    Returns
    -------
    X : DataFrame
    meta : DataFrame
    """
    from featurekit import extract
    from featurekit.competition.ingest import ingest_competition
    from featurekit.io import read_series

    ingest_competition(
        data_dir, store, n_jobs=n_jobs, progress=progress, sampling_rates=sampling_rates
    )
    meta = read_series(store).set_index("id", drop=False)
    for name, column in META_ALIASES.items():
        meta[name] = meta[column]
    X = extract(store, features, preprocess=prepare_competition, n_jobs=n_jobs, progress=progress)
    for column in METADATA_COLUMNS:
        X[column] = meta.loc[X.index, column].astype("category").to_numpy()
    meta["dropped"] = ~meta.index.isin(X.index)
    return X, meta


def baseline_competition(
    data_dir: str | os.PathLike,
    out: str | os.PathLike = ".",
    *,
    store: str | os.PathLike | None = None,
    model: str = "seed-rf",
    features: str = "seed",
    calibrate: str | None = None,
    n_splits: int = 5,
    n_jobs: int = 1,
    sampling_rates: dict | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """The seed recipe on a competition folder: user-grouped CV, then ``submission.csv``.

    Fits ``model`` on every labeled series and writes ``<out>/submission.csv`` for the ids
    of ``metadata.csv`` (columns in ``sample_submission.csv``'s order). Series that could
    not be filled (all NaN) get the training class frequencies. ``calibrate`` (e.g.
    ``"temperature"``) wraps the model as in :func:`featurekit.evaluate.cross_validate`.

    Parameters
    ----------
    data_dir : path
        The competition folder.
    out : path, default "."
        Where ``submission.csv`` (and by default the store) go.
    store : path, optional
        Store directory; default ``<out>/featurekit-store``.
    model : str, default "seed-rf"
        A :func:`featurekit.models.make_model` name.
    features : str, default "seed"
    calibrate : str, optional
    n_splits : int, default 5
        At most the number of users.
    n_jobs : int, default 1
    sampling_rates : dict, optional
    verbose : bool, default True
        Print the table and progress.

    Returns
    -------
    DataFrame
        The CV table (one row).
    """
    from featurekit.calibration import CalibratedModel
    from featurekit.competition.submission import validate_submission, write_submission
    from featurekit.models import make_model

    data_dir, out = Path(data_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store = Path(store) if store is not None else out / "featurekit-store"
    X, meta = competition_features(
        data_dir,
        store,
        features=features,
        n_jobs=n_jobs,
        sampling_rates=sampling_rates,
        progress=verbose,
    )
    labeled = meta.index[meta["label"].notna() & ~meta["dropped"]]
    y, groups = meta.loc[labeled, "label"].astype(str), meta.loc[labeled, "group"]
    start = time.perf_counter()
    result = cross_validate(
        model,
        X.loc[labeled],
        y.to_numpy(),
        groups.to_numpy(),
        cv="stratified-group",
        n_splits=min(n_splits, groups.nunique()),
        calibrate=calibrate,
    )
    table = pd.DataFrame(
        [
            _row(
                f"series, StratifiedGroupKFold({n_splits}) by user",
                result,
                time.perf_counter() - start,
            )
        ]
    )
    if verbose:
        print(f"\nBaseline on {data_dir}: `{features}` features + body_part/sensor + {model}")
        _print_table(table)

    fitted = make_model(model)
    if calibrate is not None:
        fitted = CalibratedModel(fitted, method=calibrate)
    fit_grouped(fitted, X.loc[labeled], y.to_numpy(), groups.to_numpy())
    template = pd.read_csv(data_dir / SAMPLE_SUBMISSION_CSV)
    test_ids = pd.read_csv(data_dir / METADATA_CSV)["id"]
    prior = y.value_counts(normalize=True).reindex(fitted.classes_).to_numpy()
    proba = np.tile(prior, (len(test_ids), 1))
    known = test_ids.isin(X.index).to_numpy()
    proba[known] = fitted.predict_proba(X.loc[test_ids[known]])
    path = out / "submission.csv"
    write_submission(
        test_ids, proba, fitted.classes_, path, template=template, metadata=data_dir / METADATA_CSV
    )
    validate_submission(path, template)
    if verbose:
        print(
            f"wrote {path} ({len(test_ids)} rows; {int((~known).sum())} unfillable series "
            "given the class frequencies)"
        )
    return table
