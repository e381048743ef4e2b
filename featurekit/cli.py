"""The ``featurekit`` command: ingest, extract, compare, baseline, submit.

Each subcommand is a thin shell over a library call; ``featurekit <command> --help`` lists
its options.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from featurekit.models import MODELS
from featurekit.competition.schema import METADATA_COLUMNS


def _rates(pairs: list[str] | None) -> dict | None:
    """``["smartwatch=50", "vicon=100"]`` -> ``{"smartwatch": 50.0, "vicon": 100.0}``."""
    if not pairs:
        return None
    rates = {}
    for pair in pairs:
        sensor, sep, hz = pair.partition("=")
        try:
            rates[sensor] = float(hz)
        except ValueError:
            sep = ""
        if not sep or not sensor:
            raise ValueError(f"--rates takes SENSOR=HZ pairs such as vicon=100, got {pair!r}")
    return rates


def _ingest(args) -> None:
    from featurekit.competition.ingest import ingest_competition

    ingest_competition(args.data, args.store, n_jobs=args.n_jobs,
                       sampling_rates=_rates(args.rates))


def _panels(store):
    """The series to extract, one Panel at a time.

    A store is streamed one stored chunk at a time (``iter_store``) and each chunk is
    prepared as in the competition recipe, so memory holds one chunk, never the store.
    Without a store: the mirrored watch dataset.
    """
    if store is None:
        from featurekit.datasets import load_watch
        from featurekit.preprocess import mirror

        return [mirror(load_watch())]
    from tqdm.auto import tqdm

    from featurekit.io import iter_store, store_chunks
    from featurekit.competition.recipes import prepare_competition

    chunks = tqdm(iter_store(store), total=len(store_chunks(store)), desc="extract",
                  unit="chunk")
    return (prepare_competition(chunk) for chunk in chunks)


def _extract(args) -> None:
    from featurekit import extract
    from featurekit.preprocess import windows

    tables = []
    for panel in _panels(args.store):
        if args.window:
            panel = windows(panel, args.window, args.step or args.window)
        X = extract(panel, args.features, n_jobs=args.n_jobs, progress=False)
        meta = [c for c in panel.meta.columns if c not in X.columns]
        tables.append(X.join(panel.meta[meta]))
    table = pd.concat(tables)
    table.to_parquet(args.out)
    print(f"wrote {args.out}: {len(table)} rows, {X.shape[1]} features + meta {meta}")


def _model_inputs(columns, label: str, group: str | None,
                  keep: list[str]) -> tuple[list[str], list[str]]:
    """``(features, metadata)`` columns fed to the model: an allow-list, not a deny-list.

    Features are named ``<channel>__<feature>`` (a name no metadata column can have); the
    metadata used are the competition recipe's ``METADATA_COLUMNS`` (body_part, sensor)
    and ``--keep``. Anything else (ids, targets, windows, the store's per-file bookkeeping
    such as ``file`` or ``nan_samples``) identifies series or the split, not the activity.
    """
    features = [c for c in columns if "__" in c]
    allowed = {*METADATA_COLUMNS, *keep} - {label, group}
    return features, [c for c in columns if c in allowed and "__" not in c]


def _split_table(path, label: str, group: str | None, keep: list[str]):
    """The feature file and its model inputs (see ``_model_inputs``)."""
    table = pd.read_parquet(path)
    missing = [c for c in [label, group, *keep] if c and c not in table.columns]
    if missing:
        raise SystemExit(f"{path}: no column(s) {missing}; columns are {list(table.columns)[:20]}")
    features, meta = _model_inputs(table.columns, label, group, keep)
    if not features:
        raise ValueError(f"{path}: no feature column (named <channel>__<feature>); columns "
                         f"are {list(table.columns)[:20]}")
    print(f"{path}: model inputs are {len(features)} features + {meta}")
    return table, table[features + meta]


def _compare(args) -> None:
    from featurekit.report import compare

    table, X = _split_table(args.features, args.label, args.group, args.keep)
    labeled = table[args.label].notna().to_numpy()
    parent = table.loc[labeled, args.parent].to_numpy() if args.parent else None
    compare(X[labeled], table.loc[labeled, args.label].astype(str).to_numpy(),
            table.loc[labeled, args.group].to_numpy() if args.group else None,
            models=args.models, out=args.out, cv=args.cv, n_splits=args.n_splits,
            calibrate=None if args.calibrate == "none" else args.calibrate, parent=parent)


def _baseline(args) -> None:
    if args.data:
        from featurekit.competition.recipes import baseline_competition

        baseline_competition(args.data, args.out or ".", model=args.model,
                             calibrate=None if args.calibrate == "none"
                             else args.calibrate, n_jobs=args.n_jobs,
                             sampling_rates=_rates(args.rates))
    else:
        from featurekit.recipes import baseline_watch

        baseline_watch(model=args.model)


def _submit(args) -> None:
    from featurekit.calibration import CalibratedModel
    from featurekit.competition.submission import validate_submission, write_submission
    from featurekit.models import make_model
    from featurekit.validation import fit_grouped

    if args.validate:
        validate_submission(args.validate, args.template)
        print(f"{args.validate} is a valid submission")
        return
    if not (args.train and args.test):
        raise SystemExit("submit needs --train and --test feature files (or --validate FILE)")
    train, X = _split_table(args.train, args.label, args.group, args.keep)
    test, X_test = _split_table(args.test, args.label, None, args.keep)
    labeled = train[args.label].notna().to_numpy()
    model = make_model(args.model)
    if args.calibrate != "none":
        model = CalibratedModel(model, method=args.calibrate)
    groups = train.loc[labeled, args.group].to_numpy() if args.group else None
    # inner folds (calibration, the ensemble) by subject
    fit_grouped(model, X[labeled], train.loc[labeled, args.label].astype(str).to_numpy(), groups)
    write_submission(X_test.index, model.predict_proba(X_test[X.columns]), model.classes_, args.out,
                     template=args.template, metadata=args.metadata)
    validate_submission(args.out, args.template)
    print(f"wrote {args.out}: {len(X_test)} rows")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="featurekit", description="Wearable-sensor series to features, models and "
        "calibrated submissions.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="read a competition folder once into a Parquet store")
    p.add_argument("data", type=Path, help="folder with train.csv, metadata.csv, unlabeled/")
    p.add_argument("store", type=Path, help="output store directory")
    p.add_argument("--n-jobs", type=int, default=-1)
    p.add_argument("--rates", nargs="*", metavar="SENSOR=HZ", help="sampling rates as SENSOR=HZ, e.g. smartwatch=50 vicon=100 "
                   "(without them time is counted in samples)")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("extract", help="feature table (Parquet) from a store or load_watch()")
    p.add_argument("--store", type=Path, help="store from `featurekit ingest` (default: the "
                   "watch dataset), streamed chunk by chunk; NaN filled, left mirrored, Vicon "
                   "positions differentiated")
    p.add_argument("--features", default="default", help="feature set (seed, stats, default...)")
    p.add_argument("--window", type=int, help="cut windows of this many samples first")
    p.add_argument("--step", type=int, help="window step in samples (default: --window)")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("features.parquet"))
    p.set_defaults(run=_extract)

    def model_options(p, default_calibrate):
        p.add_argument("--label", default="label", help="target column")
        p.add_argument("--group", default="group", help="subject column")
        p.add_argument("--keep", nargs="*", default=[], help="metadata columns to use as "
                       "features (e.g. side); body_part/sensor are always used when present")
        p.add_argument("--calibrate", default=default_calibrate,
                       choices=["temperature", "logistic", "none"])

    p = sub.add_parser("compare", help="cross-validate models on a feature file, write a report")
    p.add_argument("features", type=Path, help="Parquet from `featurekit extract`; models "
                   "get its <channel>__<feature> columns, body_part/sensor and --keep")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--cv", default="stratified-group",
                   choices=["stratified-group", "group", "logo", "stratified", "kfold",
                            "sequential"],
                   help="stratified (for independent rows), kfold and sequential ignore "
                        "subjects and leak when the table has them")
    p.add_argument("--n-splits", type=int, default=5)
    p.add_argument("--parent", help="series id column of windows (e.g. parent_id)")
    p.add_argument("--out", type=Path, default=Path("reports/compare"))
    model_options(p, "temperature")
    p.set_defaults(run=_compare)

    p = sub.add_parser("baseline", help="seed recipe: load_watch() figures, or a competition "
                       "folder's CV figures and submission.csv")
    p.add_argument("--data", type=Path, help="competition folder (default: load_watch())")
    p.add_argument("--out", type=Path, help="where submission.csv and the store go (default .)")
    p.add_argument("--model", default="seed-rf", choices=MODELS)
    p.add_argument("--calibrate", default="none", choices=["temperature", "logistic", "none"])
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--rates", nargs="*", metavar="SENSOR=HZ", help="sampling rates as SENSOR=HZ, e.g. smartwatch=50 vicon=100 "
                   "(without them time is counted in samples)")
    p.set_defaults(run=_baseline)

    p = sub.add_parser("submit", help="fit on labeled features, write and validate a submission")
    p.add_argument("--train", type=Path, help="labeled feature Parquet")
    p.add_argument("--test", type=Path, help="feature Parquet of the ids to predict")
    p.add_argument("--template", type=Path, help="sample_submission.csv")
    p.add_argument("--metadata", type=Path, help="metadata.csv; every id must be in it")
    p.add_argument("--model", default="seed-rf", choices=MODELS)
    p.add_argument("--validate", type=Path, help="only check this submission file")
    p.add_argument("--out", type=Path, default=Path("submission.csv"))
    model_options(p, "temperature")
    p.set_defaults(run=_submit)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``featurekit`` console script."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except ValueError as err:  # validation errors: print them whole, no traceback
        print(f"featurekit {args.command}: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
