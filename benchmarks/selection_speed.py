"""Relevance-table speed: ``featurekit.selection.relevance_table`` against tsfresh's
``calculate_relevance_table(n_jobs=0)`` on one core, same table, same tests, one run each.

The table (default 10,000 columns x 5,000 rows, 3 classes) mixes what feature tables hold:
continuous columns (a tenth of them shifted for one class), rounded columns with many ties,
two-valued columns and constants. Both run tsfresh's default scheme (Mann-Whitney U for
each class against the rest, Fisher's exact test for two-valued columns, Benjamini-Yekutieli
at FDR 0.05, multiclass=False); the script also checks that they agree (same relevant set,
largest p-value difference). Prints a table and writes ``benchmarks/results/selection_speed.md``.

    .venv/bin/python benchmarks/selection_speed.py            # 10,000 x 5,000, ~5 min
    .venv/bin/python benchmarks/selection_speed.py --quick    # 300 x 1,000 smoke run
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import single_thread_env  # noqa: E402

single_thread_env()  # before numpy is imported: one core

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import fmt, machine_info, markdown_table, measure, write_results  # noqa: E402

from featurekit.selection import relevance_table  # noqa: E402

TARGET = 20.0


def make_table(n_rows: int, n_columns: int, n_classes: int = 3, seed: int = 0):
    """A feature-table-like DataFrame and integer class labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_rows)
    values = rng.normal(size=(n_columns, n_rows))  # column-major, as a pandas float block
    shifted = rng.random(n_columns) < 0.1
    values[shifted] += (y == rng.integers(0, n_classes))[None, :] * rng.uniform(
        0, 0.5, (shifted.sum(), 1)
    )
    tied = rng.random(n_columns) < 0.1
    values[tied] = np.round(values[tied])
    binary = rng.random(n_columns) < 0.02
    values[binary] = values[binary] > 0.5
    values[rng.random(n_columns) < 0.01] = 1.0
    X = pd.DataFrame(values.T, columns=[f"c{i:05d}" for i in range(n_columns)])
    return X, pd.Series(y)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--columns", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="300 columns x 1,000 rows; the results file is left alone",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.columns = 1_000, 300
    from tsfresh.feature_selection.relevance import calculate_relevance_table

    X, y = make_table(args.rows, args.columns, args.classes)
    ours = measure(lambda: relevance_table(X, y), max_repeats=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tsfresh warns about every constant column
        theirs = measure(lambda: calculate_relevance_table(X, y, n_jobs=0), max_repeats=1)
    table, expected = ours.result, theirs.result.loc[ours.result.index]
    same = (table["relevant"].to_numpy() == expected["relevant"].to_numpy(bool)).all()
    gap = np.nanmax(np.abs(table["p_value"].to_numpy(float) - expected["p_value"].to_numpy(float)))
    ratio = theirs.wall / ours.wall
    cpu_ratio = theirs.cpu / ours.cpu
    rows = [
        [
            "featurekit relevance_table",
            fmt(ours.wall),
            fmt(ours.cpu),
            fmt(ours.peak_rss_delta),
            "1.0",
            "1.0",
        ],
        [
            "tsfresh calculate_relevance_table (n_jobs=0)",
            fmt(theirs.wall),
            fmt(theirs.cpu),
            fmt(theirs.peak_rss_delta),
            fmt(ratio),
            fmt(cpu_ratio),
        ],
    ]
    kinds = table["type"].value_counts()
    text = "\n\n".join(
        [
            "# Relevance table speed",
            f"{args.columns:,} columns x {args.rows:,} rows, {args.classes} classes "
            f"({kinds.get('real', 0):,} real, {kinds.get('binary', 0):,} two-valued, "
            f"{kinds.get('constant', 0):,} constant), one core, one run each; "
            f"`.venv/bin/python benchmarks/selection_speed.py`.",
            markdown_table(
                ["method", "wall s", "CPU s", "peak MiB", "tsfresh / featurekit (wall)", "(CPU)"],
                rows,
            ),
            f"- agreement: same relevant set: {same} ({int(table['relevant'].sum())} relevant); "
            f"largest p-value difference {gap:.1e}",
            f"- {'PASS' if ratio >= TARGET else 'FAIL'}: featurekit is {ratio:.0f}x tsfresh in "
            f"wall time, {cpu_ratio:.0f}x in CPU time (target >= {TARGET:.0f}x; on a loaded "
            "machine CPU time is the fairer measure, both run single-threaded)",
            machine_info(("numpy", "scipy", "pandas", "tsfresh", "featurekit")),
        ]
    )
    print(text)
    if not args.quick:
        print(f"\nwritten to {write_results('selection_speed', text)}")
    return 0 if same and gap < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
