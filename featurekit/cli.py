"""The ``featurekit`` command: ingest, extract, compare, baseline, submit.

Each subcommand is a thin shell over a library call; ``featurekit <command> --help`` lists
its options with their defaults.

Exit codes: 0 on success; 1 for a user error (a missing file, a bad column, invalid data),
reported as one line on stderr (``--debug`` shows the traceback); 2 for a usage error
(an unknown option or a bad option value), as argparse reports it; 130 on Ctrl-C.

Start-up is kept fast: this module imports only the standard library, and each command
imports what it needs when it runs (``featurekit --help`` loads neither NumPy nor
scikit-learn).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

# The names of featurekit.models.MODELS and featurekit.competition.schema.METADATA_COLUMNS,
# written here so that building the parser imports neither (tests/test_cli_conventions.py
# checks they agree).
MODEL_NAMES = (
    "seed-rf",
    "rf",
    "extratrees",
    "xgboost",
    "lightgbm",
    "logreg",
    "ensemble",
    "family-ensemble",
)
# compare's default models (featurekit.report.DEFAULT_MODELS): the best pipeline of the
# README first, then two fast references
COMPARE_MODELS = ("family-ensemble", "extratrees", "logreg")
CALIBRATIONS = ("temperature", "logistic", "none")
CV_NAMES = ("stratified-group", "group", "logo", "stratified", "kfold", "sequential")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".gz", ".bz2", ".zip", ".xz")

log = logging.getLogger("featurekit.cli")


class UserError(Exception):
    """A problem with the command's input that the user fixes (exit code 1, one line)."""


# ---------------------------------------------------------------------- option types
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (>= 1), got {value}")
    return value


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError(
            "must be >= 1, or negative as in scikit-learn (-1 = all cores), got 0"
        )
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _rate_pair(pair: str) -> tuple[str, float]:
    """``"vicon=100"`` -> ``("vicon", 100.0)``; anything else is a usage error (exit 2).
    Sensor names and rate values are checked by the library (unknown sensors listed)."""
    sensor, sep, hz = pair.partition("=")
    try:
        value = float(hz)
    except ValueError:
        sep = ""
    if not sep or not sensor:
        raise argparse.ArgumentTypeError(f"takes SENSOR=HZ pairs such as vicon=100, got {pair!r}")
    return sensor, value


def _rates(pairs: list[tuple[str, float]] | None) -> dict | None:
    """``[("smartwatch", 50.0), ("vicon", 100.0)]`` -> ``{"smartwatch": 50.0, ...}``."""
    return dict(pairs) if pairs else None


def _existing(path: Path | None, what: str) -> Path | None:
    if path is not None and not Path(path).exists():
        raise UserError(f"{what} {path} does not exist")
    return path


# ---------------------------------------------------------------------- reading series
def _source_kind(args) -> str:
    """``"demo"``, ``"store"``, ``"ts"`` or ``"table"`` for the extract input."""
    if args.demo:
        if args.source is not None or args.store is not None:
            raise UserError("give either an input or --demo, not both")
        return "demo"
    source = args.store if args.store is not None else args.source
    _existing(source, "input")
    args.source = Path(source)
    if args.source.is_dir():
        return "store"
    suffixes = [s.lower() for s in args.source.suffixes]
    if suffixes and suffixes[-1] == ".ts":
        return "ts"
    if suffixes and suffixes[-1] in TABLE_SUFFIXES:
        return "table"
    raise UserError(
        f"{args.source}: not a store directory, a .ts file or a table ({', '.join(TABLE_SUFFIXES)})"
    )


def _read_table(args):
    """A long or wide table as a Panel: tsfresh's long format with ``--kind``/``--value``,
    else one column per channel (``--channels`` regex, default every numeric column)."""
    import pandas as pd

    from featurekit.io.long_table import JUNK, read_long_table
    from featurekit.panel import Panel

    if not args.id:
        raise UserError(f"{args.source}: a table needs --id, the column(s) naming each series")
    path = args.source
    is_parquet = path.suffix.lower() in (".parquet", ".pq")
    df = (
        pd.read_parquet(path)
        if is_parquet
        else pd.read_csv(
            path,
            sep=None if path.suffix.lower() == ".tsv" else ",",
            engine="python" if path.suffix.lower() == ".tsv" else None,
            na_values=list(JUNK),
        )
    )
    wanted = [
        *args.id,
        args.time,
        args.kind,
        args.kind and args.value,
        args.label,
        args.group,
        *(args.channels or []),
    ]
    missing = [c for c in wanted if c and c not in df.columns]
    if missing:
        raise UserError(f"{path}: no column(s) {missing}; columns are {list(df.columns)[:20]}")
    if args.kind:
        if len(args.id) != 1:
            raise UserError("the long format (--kind) takes one --id column")
        column_id = args.id[0]
        per_id = [c for c in (args.label, args.group) if c]
        meta = df.groupby(column_id, sort=False)[per_id].first() if per_id else None
        panel = Panel.from_long(
            df, column_id, args.time, args.kind, args.value, meta=meta, sampling_rate=args.rate
        )
        if meta is not None:
            panel.meta.rename(columns={args.label: "label", args.group: "group"}, inplace=True)
        return panel
    excluded = {*args.id, args.time, args.label, args.group}
    values = args.channels or [
        c for c in df.columns if c not in excluded and pd.api.types.is_numeric_dtype(df[c])
    ]
    if not values:
        raise UserError(f"{path}: no numeric channel column besides {sorted(excluded - {None})}")
    panel, report = read_long_table(
        df,
        id_columns=args.id,
        value_columns=values,
        label_column=args.label,
        group_column=args.group,
        sort_column=args.time,
        sampling_rate=args.rate,
    )
    for line in report.summary().splitlines():
        log.info(line)
    return panel


def _panels(args):
    """The series to extract, one Panel at a time, and a description of them.

    A store is streamed one stored chunk at a time (``iter_store``) and each chunk is
    prepared as in the competition recipe (NaN filled, left mirrored, Vicon positions
    differentiated), so memory holds one chunk, never the store.
    """
    kind = _source_kind(args)
    if kind == "demo":
        from featurekit.datasets import load_watch
        from featurekit.preprocess import mirror

        return [mirror(load_watch())], "the bundled watch data (load_watch(), mirrored)"
    if kind == "store":
        from tqdm.auto import tqdm

        from featurekit.competition.recipes import prepare_competition
        from featurekit.io import iter_store, store_chunks

        n_chunks = len(store_chunks(args.source))
        chunks = tqdm(
            iter_store(args.source),
            total=n_chunks,
            desc="extract",
            unit="chunk",
            disable=args.quiet,
        )
        return (
            (prepare_competition(c) for c in chunks),
            f"store {args.source} ({n_chunks} chunks, prepared as the competition recipe)",
        )
    if kind == "ts":
        from featurekit.io import read_ts

        panel = read_ts(args.source, sampling_rate=args.rate)
    else:
        panel = _read_table(args)
    return [panel], f"{args.source}: {panel!r}"


def _feature_table(args):
    """The feature table of the input series (windows first with ``--window``), indexed by
    ``id``, with the series' metadata columns."""
    import pandas as pd

    from featurekit import extract
    from featurekit.logs import collapse_warnings
    from featurekit.preprocess import windows

    if args.step is not None and args.window is None:
        raise UserError("--step needs --window")
    panels, what = _panels(args)
    log.info("reading %s", what)
    tables = []
    with collapse_warnings():
        for panel in panels:
            if args.window:
                panel = windows(panel, args.window, args.step or args.window)
            X = extract(panel, args.features, n_jobs=args.n_jobs, progress=False)
            meta = panel.meta[[c for c in panel.meta.columns if c not in X.columns]]
            tables.append(X.join(meta))
    table = pd.concat(tables)
    return table.drop(columns=[c for c in table.columns if c == "id"]).rename_axis("id")


def _extract(args) -> None:
    table = _feature_table(args)
    table.reset_index().to_parquet(args.out, index=False)  # ids once, as column `id`
    n_features = sum("__" in str(c) for c in table.columns)
    print(
        f"wrote {args.out}: {len(table)} rows, {n_features} features + meta "
        f"{[c for c in table.columns if '__' not in str(c)]}"
    )


# ---------------------------------------------------------------------- feature files
def _model_inputs(
    columns, label: str, group: str | None, keep: list[str]
) -> tuple[list[str], list[str]]:
    """``(features, metadata)`` columns fed to the model: an allow-list, not a deny-list.

    Features are named ``<channel>__<feature>`` (a name no metadata column can have); the
    metadata used are the competition recipe's ``METADATA_COLUMNS`` (body_part, sensor)
    and ``--keep``. Anything else (ids, targets, windows, the store's per-file bookkeeping
    such as ``file`` or ``nan_samples``) identifies series or the split, not the activity.
    """
    from featurekit.competition.schema import METADATA_COLUMNS

    features = [c for c in columns if "__" in c]
    allowed = {*METADATA_COLUMNS, *keep} - {label, group}
    return features, [c for c in columns if c in allowed and "__" not in c]


def _split_table(path, label: str, group: str | None, keep: list[str], table=None):
    """The feature file (indexed by its ``id`` column), or ``table`` extracted from ``path``,
    and its model inputs."""
    import pandas as pd

    if table is None:
        _existing(path, "feature file")
        table = pd.read_parquet(path)
        if "id" in table.columns:
            table = table.set_index("id")
    missing = [c for c in [label, group, *keep] if c and c not in table.columns]
    if missing:
        raise UserError(f"{path}: no column(s) {missing}; columns are {list(table.columns)[:20]}")
    features, meta = _model_inputs(table.columns, label, group, keep)
    if not features:
        raise UserError(
            f"{path}: no feature column (named <channel>__<feature>); columns "
            f"are {list(table.columns)[:20]}"
        )
    print(f"{path}: model inputs are {len(features)} features + {meta}")
    return table, table[features + meta]


def _model(name: str, select: bool, random_state: int = 0):
    from featurekit.models import make_model

    model = make_model(name, random_state=random_state)
    if select:
        from featurekit.selection import with_selection

        model = with_selection(model)
    return model


def _is_feature_file(args) -> bool:
    """Whether compare's input is a feature Parquet (else series to extract first)."""
    source = args.source if args.source is not None else args.store
    return (
        not args.demo
        and args.store is None
        and not args.id
        and source is not None
        and source.suffix.lower() in (".parquet", ".pq")
    )


def _series_group(args, columns) -> str | None:
    """The subject column of series read for compare: ``group`` when the series have one
    (a store, the demo, a table read with ``--group``), else none (a .ts file: rows are
    independent, so use ``--cv stratified``)."""
    if args.group and "group" in columns:
        return "group"
    if args.group:
        log.info("the series have no subject (group) column: rows are taken as independent")
    return None


def _fitted_set(args) -> bool:
    """Whether ``--features`` holds families fitted on training series (interval, rocket,
    shape, full): compare must then fit them inside each training fold."""
    from featurekit.features import get_feature_set

    return bool(get_feature_set(args.features).blocks)


def _fold_features(args):
    """compare's input series as a FoldFeatures (windows first with ``--window``): the
    set's fitted families are fitted on each training fold; returns it with the series'
    metadata table. The series are held in memory (a store's chunks are joined)."""
    import numpy as np

    from featurekit.fold_features import FoldFeatures
    from featurekit.panel import Panel
    from featurekit.preprocess import windows

    if args.step is not None and args.window is None:
        raise UserError("--step needs --window")
    panels, what = _panels(args)
    log.info("reading %s", what)
    panels = list(panels)
    panel = panels[0] if len(panels) == 1 else Panel.concat(panels)
    if args.window:
        panel = windows(panel, args.window, args.step or args.window)
    if args.label not in panel.meta.columns:
        raise UserError(
            f"{args.source or 'the series'}: no label column {args.label!r} in the series' "
            f"metadata {list(panel.meta.columns)}"
        )
    args.group = _series_group(args, panel.meta.columns)
    labeled = panel.meta[args.label].notna().to_numpy()
    panel = panel.take(np.flatnonzero(labeled)) if not labeled.all() else panel
    _, meta = _model_inputs(list(panel.meta.columns), args.label, args.group, args.keep)
    missing = [c for c in args.keep if c not in panel.meta.columns]
    if missing:
        raise UserError(f"{args.source}: no column(s) {missing} in {list(panel.meta.columns)}")
    folds = FoldFeatures(panel, args.features, meta=meta, n_jobs=args.n_jobs)
    print(
        f"{args.source or 'the series'}: {len(panel)} labeled series; set {args.features!r} "
        f"fitted on each training fold + {meta}"
    )
    return folds, panel.meta


def _compare(args) -> None:
    from featurekit.report import _summary_table, compare

    if _is_feature_file(args):
        table, X = _split_table(args.source, args.label, args.group, args.keep)
    else:
        args.label = "label"  # the series' meta columns
        if args.window and not args.parent:
            args.parent = "parent_id"  # score series too, from their windows
        if _fitted_set(args):
            X, table = _fold_features(args)  # labeled series only
        else:
            extracted = _feature_table(args)
            args.group = _series_group(args, extracted.columns)
            table, X = _split_table(
                args.source or "the series", args.label, args.group, args.keep, table=extracted
            )
    labeled = table[args.label].notna().to_numpy()
    if not labeled.all():
        table, X = table[labeled], X[labeled]
    if args.parent and args.parent not in table.columns:
        raise UserError(f"{args.source}: no --parent column {args.parent!r}")
    names = list(MODEL_NAMES) if "all" in args.models else list(dict.fromkeys(args.models))
    models = {f"{m}+select": _model(m, True) for m in names} if args.select else names
    results = compare(
        X,
        table[args.label].astype(str).to_numpy(),
        table[args.group].to_numpy() if args.group else None,
        models=models,
        out=args.out,
        cv=args.cv,
        n_splits=args.n_splits,
        calibrate=None if args.calibrate == "none" else args.calibrate,
        parent=table[args.parent].to_numpy() if args.parent else None,
        verbose=not args.quiet,
        progress=not args.quiet,
    )
    print("mean ± sd over folds, sorted by log loss:")
    print(_summary_table(results).to_string(index=False))
    print(f"report: {args.out / 'report.html'}")


def _baseline(args) -> None:
    if args.data:
        from featurekit.competition.recipes import baseline_competition

        _existing(args.data, "competition folder")
        baseline_competition(
            args.data,
            args.out or ".",
            model=args.model,
            calibrate=None if args.calibrate == "none" else args.calibrate,
            n_jobs=args.n_jobs,
            sampling_rates=_rates(args.rates),
        )
    else:
        from featurekit.recipes import baseline_watch

        baseline_watch(model=args.model)


def _ingest(args) -> None:
    from featurekit.competition.ingest import ingest_competition

    _existing(args.data, "competition folder")
    ingest_competition(args.data, args.store, n_jobs=args.n_jobs, sampling_rates=_rates(args.rates))


def _submit(args) -> None:
    from featurekit.competition.submission import validate_submission, write_submission

    if args.validate:
        _existing(args.validate, "submission")
        _existing(args.template, "template")
        validate_submission(args.validate, args.template)
        print(f"{args.validate} is a valid submission")
        return
    if not (args.train and args.test):
        raise UserError("submit needs --train and --test feature files (or --validate FILE)")
    for path, what in ((args.template, "template"), (args.metadata, "metadata file")):
        _existing(path, what)
    from featurekit.calibration import CalibratedModel
    from featurekit.validation import fit_grouped

    train, X = _split_table(args.train, args.label, args.group, args.keep)
    test, X_test = _split_table(args.test, args.label, None, args.keep)
    labeled = train[args.label].notna().to_numpy()
    model = _model(args.model, args.select)
    if args.calibrate != "none":
        model = CalibratedModel(model, method=args.calibrate)
    groups = train.loc[labeled, args.group].to_numpy() if args.group else None
    # inner folds (calibration, the ensemble) by subject
    fit_grouped(model, X[labeled], train.loc[labeled, args.label].astype(str).to_numpy(), groups)
    write_submission(
        X_test.index,
        model.predict_proba(X_test[X.columns]),
        model.classes_,
        args.out,
        template=args.template,
        metadata=args.metadata,
    )
    validate_submission(args.out, args.template)
    print(f"wrote {args.out}: {len(X_test)} rows")


# ---------------------------------------------------------------------- the parser
class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Each option's default after its help, unless the help already says it (options
    without a default say what happens without them); descriptions kept as written."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        default = action.default
        if isinstance(default, (list, tuple)):
            default = " ".join(map(str, default)) or "none"
        default = {None: "none", False: "off"}.get(default, default)
        return f"{text} (default: {default})"


def _source_options(p, *, labels: bool = True, feature_file: bool = False) -> None:
    p.add_argument(
        "source",
        nargs="?",
        type=Path,
        metavar="INPUT",
        help=(
            "a feature Parquet from `featurekit extract`, or series to extract first: "
            if feature_file
            else ""
        )
        + "a store directory from `featurekit ingest` (streamed chunk by chunk, "
        "prepared as the competition recipe), a .ts file, or a table "
        "(.csv, .tsv, .parquet) with one row per sample (needs --id)",
    )
    p.add_argument(
        "--store", type=Path, help="the store directory (same as INPUT; kept for older scripts)"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="use the bundled watch data (load_watch(), mirrored) instead of INPUT",
    )
    p.add_argument(
        "--id",
        nargs="+",
        metavar="COLUMN",
        help="table: column(s) identifying each series (tsfresh's column_id); "
        "several columns make one id, e.g. --id user_name num_window",
    )
    p.add_argument(
        "--time",
        metavar="COLUMN",
        help="table: column ordering the samples of a series (tsfresh's "
        "column_sort) (default: file order)",
    )
    p.add_argument(
        "--kind",
        metavar="COLUMN",
        help="table in tsfresh's long format: the column naming the channel of "
        "each row (column_kind) (default: none, one column per channel)",
    )
    p.add_argument(
        "--value",
        default="value",
        metavar="COLUMN",
        help="table in tsfresh's long format: the value column (column_value)",
    )
    p.add_argument(
        "--channels",
        nargs="+",
        metavar="COLUMN",
        help="table: the channel columns (default: every numeric column but id, "
        "time, label and group)",
    )
    if labels:
        p.add_argument(
            "--label",
            dest="label",
            metavar="COLUMN",
            help="table: the class column, kept as meta column `label`",
        )
        p.add_argument(
            "--group",
            dest="group",
            metavar="COLUMN",
            help="table: the subject column, kept as meta column `group`",
        )
    p.add_argument(
        "--rate",
        type=_positive_float,
        metavar="HZ",
        help=".ts file or table: sampling rate in Hz (default: 1, time in samples)",
    )


def _extraction_options(p, default_features: str = "default", fitted: str = "") -> None:
    p.add_argument(
        "--features",
        default=default_features,
        help="feature set: seed, stats, spectral, cross, default, interval, "
        "rocket, shape, full, tsfresh-minimal... (featurekit.list_feature_sets())" + fitted,
    )
    p.add_argument(
        "--window",
        type=_positive_int,
        metavar="SAMPLES",
        help="cut windows of this many samples first (default: whole series)",
    )
    p.add_argument(
        "--step",
        type=_positive_int,
        metavar="SAMPLES",
        help="window step in samples (default: --window, no overlap)",
    )
    p.add_argument("--n-jobs", type=_n_jobs, default=1, help="parallel chunks (-1 = all cores)")


def _model_options(p, default_calibrate: str) -> None:
    p.add_argument("--label", default="label", help="target column")
    p.add_argument("--group", default="group", help="subject column")
    p.add_argument(
        "--keep",
        nargs="*",
        default=[],
        metavar="COLUMN",
        help="metadata columns to use as features (e.g. side); body_part and "
        "sensor are always used when present",
    )
    p.add_argument(
        "--calibrate",
        default=default_calibrate,
        choices=CALIBRATIONS,
        help="probability calibration on inner folds grouped by subject",
    )
    p.add_argument(
        "--select",
        action="store_true",
        help="put featurekit.selection.with_selection's relevance filter "
        "(tsfresh's FRESH tests) before each model, refitted per fold",
    )


def _rates_option(p) -> None:
    p.add_argument(
        "--rates",
        nargs="*",
        metavar="SENSOR=HZ",
        type=_rate_pair,
        help="sampling rates as SENSOR=HZ, e.g. smartwatch=50 vicon=100 (default: "
        "none, time is counted in samples)",
    )


def _parser() -> argparse.ArgumentParser:
    from featurekit import __version__

    parser = argparse.ArgumentParser(
        prog="featurekit",
        formatter_class=_Formatter,
        description="Wearable-sensor series to features, models and calibrated submissions.",
        epilog="Exit codes: 0 success, 1 user error (one line on stderr), 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"featurekit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="only warnings and errors (no progress or log lines)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "ingest",
        formatter_class=_Formatter,
        help="read a competition folder once into a Parquet store",
        description="Read a competition folder once into a chunked Parquet "
        "store, resumably, and write report.csv next to it.",
    )
    p.add_argument("data", type=Path, help="folder with train.csv, metadata.csv, unlabeled/")
    p.add_argument("store", type=Path, help="output store directory")
    p.add_argument("--n-jobs", type=_n_jobs, default=-1, help="parallel readers (-1 = all cores)")
    _rates_option(p)
    p.set_defaults(run=_ingest)

    p = sub.add_parser(
        "extract",
        formatter_class=_Formatter,
        help="feature table (Parquet) from a store, a .ts file or a table",
        description="Extract a feature table from series: a store, a .ts file, "
        "a long table, or --demo. The Parquet has one row per "
        "series (or window), ids in column `id`, the features "
        "(<channel>__<feature>) and the series' metadata.",
    )
    _source_options(p)
    _extraction_options(p)
    p.add_argument("--out", type=Path, default=Path("features.parquet"), help="output file")
    p.set_defaults(run=_extract, parser=p)

    p = sub.add_parser(
        "compare",
        formatter_class=_Formatter,
        help="cross-validate models on a feature file or on series, write a report",
        description="Cross-validate models grouped by subject on a feature "
        "file, or on series whose features are extracted first "
        "(--features, --window); write report.html, report.md, "
        "results.csv and out-of-fold predictions. Models get the "
        "<channel>__<feature> columns, body_part/sensor and "
        "--keep.",
    )
    _source_options(p, labels=False, feature_file=True)
    _extraction_options(
        p,
        "full",
        "; with series, the fitted families of interval, rocket, shape and full are "
        "fitted on each training fold only (not used with a feature file)",
    )
    p.add_argument(
        "--models",
        nargs="+",
        default=list(COMPARE_MODELS),
        choices=(*MODEL_NAMES, "all"),
        metavar="MODEL",
        help=f"models to compare, from {', '.join(MODEL_NAMES)}, or all of them: all "
        "(xgboost, lightgbm and rf on the ~20,000 columns of full are slow)",
    )
    p.add_argument(
        "--cv",
        default="stratified-group",
        choices=CV_NAMES,
        help="split; stratified (for independent rows), kfold and sequential "
        "ignore subjects and leak when the table has them",
    )
    p.add_argument("--n-splits", type=_positive_int, default=5, help="number of folds")
    p.add_argument(
        "--parent",
        metavar="COLUMN",
        help="series id column of windows (e.g. parent_id): also score series "
        "by averaging their windows (default: rows are series)",
    )
    p.add_argument("--out", type=Path, default=Path("reports/compare"), help="report folder")
    _model_options(p, "temperature")
    p.set_defaults(run=_compare, parser=p)

    p = sub.add_parser(
        "baseline",
        formatter_class=_Formatter,
        help="seed recipe: load_watch() figures, or a competition folder's "
        "CV figures and submission.csv",
    )
    p.add_argument("--data", type=Path, help="competition folder (default: the bundled watch data)")
    p.add_argument(
        "--out", type=Path, default=Path("."), help="where submission.csv and the store go"
    )
    p.add_argument("--model", default="seed-rf", choices=MODEL_NAMES, help="model")
    p.add_argument(
        "--calibrate",
        default="none",
        choices=CALIBRATIONS,
        help="probability calibration on inner folds grouped by subject",
    )
    p.add_argument("--n-jobs", type=_n_jobs, default=1, help="parallel jobs (-1 = all cores)")
    _rates_option(p)
    p.set_defaults(run=_baseline)

    p = sub.add_parser(
        "submit",
        formatter_class=_Formatter,
        help="fit on labeled features, write and validate a submission",
    )
    p.add_argument(
        "--train", type=Path, help="labeled feature Parquet (required unless --validate)"
    )
    p.add_argument(
        "--test",
        type=Path,
        help="feature Parquet of the ids to predict (required unless --validate)",
    )
    p.add_argument(
        "--template",
        type=Path,
        help="sample_submission.csv (default: none, columns from the model's classes)",
    )
    p.add_argument(
        "--metadata", type=Path, help="metadata.csv; every id must be in it (default: not checked)"
    )
    p.add_argument("--model", default="seed-rf", choices=MODEL_NAMES, help="model")
    p.add_argument(
        "--validate", type=Path, metavar="SUBMISSION", help="only check this submission file"
    )
    p.add_argument("--out", type=Path, default=Path("submission.csv"), help="output file")
    _model_options(p, "temperature")
    p.set_defaults(run=_submit)
    return parser


def _one_line(error: BaseException) -> str:
    """The error's text on one line: a multi-line problem list joined with ``; ``."""
    text = str(error) or type(error).__name__
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = str(error.args[0])
    lines = [line.strip().removeprefix("- ") for line in text.splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    head, rest = lines[0], lines[1:]
    return head + (" " if head.endswith(":") else "; ") + "; ".join(rest) if rest else head


USER_ERRORS = (UserError, ValueError, TypeError, KeyError, OSError, ImportError)
"""What a command reports as one line (exit 1): bad data and arguments (ValueError,
TypeError, KeyError), files that are missing, unreadable or unwritable (OSError), a missing
optional dependency (ImportError, whose message names the ``pip install``)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``featurekit`` console script; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 for a user error, 130 on Ctrl-C (usage errors exit 2 from argparse).
    """
    parser = _parser()
    args = parser.parse_args(argv)  # usage errors exit 2 here, as argparse does
    if args.command in ("extract", "compare") and not (args.source or args.store or args.demo):
        args.parser.error(
            "no input: give "
            + ("a feature Parquet, or " if args.command == "compare" else "")
            + "a store directory (from `featurekit ingest`), a .ts file or a "
            "table (.csv/.parquet, with --id), or --demo for the bundled "
            "watch data"
        )
    from featurekit.logs import console_logging

    try:
        with console_logging(logging.WARNING if args.quiet else logging.INFO):
            args.run(args)
    except KeyboardInterrupt:
        print(f"featurekit {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as error:
        if args.debug:
            raise
        print(f"featurekit {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
