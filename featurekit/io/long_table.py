"""Read a long table (one row per sample, key columns naming the series) into a Panel.

This is the shape of the Weight Lifting Exercises CSV of seed 003: rows of 150+ columns, a
series being one ``(user_name, num_window)`` group, raw sensor columns such as
``gyros_belt_x`` beside per-window summary columns (``kurtosis_roll_belt``, ...) that are empty
or ``#DIV/0!`` on all rows but one per window. The reader keeps the raw columns, drops the
mostly-empty ones and reports what it dropped, coerced or found suspicious instead of
silently fixing it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from featurekit.conventions import is_channel_name, safe_channel_name
from featurekit.io.report import IngestReport, new_table
from featurekit.panel import Panel
from featurekit.validation import format_problems

#: Cells read as NaN besides pandas' defaults (spreadsheet errors, blanks).
JUNK = ("#DIV/0!", "#VALUE!", "#N/A", "#NUM!", "#REF!", "", " ")


def _as_list(columns) -> list[str]:
    if columns is None:
        return []
    return [columns] if isinstance(columns, str) else list(columns)


def _check(df: pd.DataFrame, ids, values, label, group, sort) -> list[str]:
    """Names of the requested columns missing from ``df``, in one list of messages."""
    problems = []
    for what, names in (
        ("id_columns", ids),
        ("value_columns", values),
        ("label_column", _as_list(label)),
        ("group_column", _as_list(group)),
        ("sort_column", _as_list(sort)),
    ):
        missing = [c for c in names if c not in df.columns]
        if missing:
            problems.append(f"{what} {missing} not in the table")
    if not ids:
        problems.append("id_columns is empty: name the columns that identify a series")
    if not values:
        problems.append("value_columns selects no column")
    return problems


def read_long_table(
    path_or_df: str | os.PathLike | pd.DataFrame,
    *,
    id_columns: str | Sequence[str],
    value_columns: str | Sequence[str],
    label_column: str | None = None,
    group_column: str | None = None,
    sort_column: str | Sequence[str] | None = None,
    max_nan_fraction: float = 0.5,
    min_class_size: int = 2,
    na_values: Sequence[str] = JUNK,
    sampling_rate: float | None = None,
    read_csv_kwargs: dict | None = None,
) -> tuple[Panel, IngestReport]:
    """Group rows into series by key columns; junk cells become NaN, problems are reported.

    Parameters
    ----------
    path_or_df : path or DataFrame
        A CSV (read with ``na_values`` as extra NaN tokens) or a table already loaded.
    id_columns : str or list of str
        Columns whose values together name a series, e.g. ``["user_name", "num_window"]``.
        With several, ids are the values joined by ``":"`` (e.g. ``"eurico:1"``).
    value_columns : str or list of str
        The channel columns, or a regular expression such as ``"^(gyros|accel|magnet)_"``.
    label_column, group_column : str, optional
        Columns giving each series' class and subject (taken from its first row).
    sort_column : str or list of str, optional
        Order of the rows within a series (stable; the file order by default).
    max_nan_fraction : float
        Value columns with a larger fraction of NaN cells are dropped and reported.
    min_class_size : int
        Classes with fewer series are reported (not removed): a split needs them.
    na_values : list of str
        Tokens read as NaN besides pandas' defaults.
    sampling_rate : float, optional
        Samples per second (1.0 if unknown).
    read_csv_kwargs : dict, optional
        Passed to :func:`pandas.read_csv` (e.g. ``{"skiprows": 3}``).

    Returns
    -------
    panel : Panel
        One series per key; ``meta`` holds the key columns, ``label`` and ``group``.
    report : IngestReport
        Dropped columns, coerced cells, rows without a key, mixed labels, small classes.

    Raises
    ------
    ValueError
        An empty file, named columns missing (all listed), every value column mostly NaN,
        or value columns whose channel names clash.

    Examples
    --------
    >>> panel, report = read_long_table(  # doctest: +SKIP
    ...     "wle.csv", id_columns=["user_name", "num_window"],
    ...     value_columns="^(gyros|accel|magnet)_", label_column="classe",
    ...     group_column="user_name", sort_column=["raw_timestamp_part_1", "raw_timestamp_part_2"])
    """
    t0 = time.perf_counter()
    source = "<DataFrame>"
    if isinstance(path_or_df, pd.DataFrame):
        df = path_or_df
    else:
        source = str(path_or_df)
        try:
            df = pd.read_csv(
                path_or_df, na_values=list(na_values), low_memory=False, **(read_csv_kwargs or {})
            )
        except pd.errors.EmptyDataError:
            raise ValueError(
                f"cannot read {source}: the file is empty (no header, no rows)"
            ) from None
    ids, sort = _as_list(id_columns), _as_list(sort_column)
    if isinstance(value_columns, str):
        pattern = re.compile(value_columns)
        values = [c for c in df.columns if pattern.search(str(c))]
    else:
        values = list(value_columns)
    problems = _check(df, ids, values, label_column, group_column, sort)
    if df.empty:
        problems.insert(
            0,
            "the table has a header but no data rows"
            if len(df.columns)
            else "the table is empty (no header, no rows)",
        )
    if problems:
        raise ValueError(
            format_problems(f"cannot read {source}", problems)
            + f"\n  (the table has columns {list(df.columns)[:30]}...)"
        )
    rows = []

    def report(id, problem, detail, action):
        rows.append(dict(id=id, file=source, problem=problem, detail=detail, action=action))

    keyless = df[ids].isna().any(axis=1).to_numpy()
    if keyless.any():
        report(
            "",
            "missing_key",
            f"{int(keyless.sum())} rows with an empty {ids}, first at "
            f"row {int(np.flatnonzero(keyless)[0])}",
            "skipped those rows",
        )
        df = df[~keyless]

    numbers = {}
    for column in values:
        raw = df[column]
        number = pd.to_numeric(raw, errors="coerce")
        junk = number.isna() & raw.notna() & ~raw.astype(str).str.strip().isin(na_values)
        nan_fraction = float(number.isna().mean()) if len(number) else 1.0
        if nan_fraction > max_nan_fraction:
            report(
                "",
                "mostly_nan_column",
                f"column {column!r}: {nan_fraction:.0%} NaN "
                f"(> max_nan_fraction={max_nan_fraction})",
                "dropped the column",
            )
            continue
        if junk.any():
            report(
                "",
                "non_numeric",
                f"column {column!r}: {int(junk.sum())} non-numeric "
                f"cells, e.g. {raw[junk].iloc[0]!r}",
                "repaired: coerced to NaN",
            )
        numbers[column] = number.to_numpy(np.float64)
    if not numbers:
        raise ValueError(
            f"{source}: every value column is more than {max_nan_fraction:.0%} "
            f"NaN ({values[:10]}...); raise max_nan_fraction or pick other columns"
        )

    key = df[ids].astype(str).agg(":".join, axis=1) if len(ids) > 1 else df[ids[0]]
    order_columns = [df.groupby(ids, sort=True).ngroup().rename("_series")]
    order_columns += [df[c] for c in sort]
    order = pd.concat(order_columns, axis=1).reset_index(drop=True)
    order = order.sort_values(list(order.columns), kind="stable").index.to_numpy()
    codes = order_columns[0].to_numpy()[order]
    lengths = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    firsts = order[starts[:-1]]

    channels = [safe_channel_name(c) for c in numbers]
    renamed = [(c, n) for c, n in zip(numbers, channels, strict=True) if c != n]
    for column, name in renamed:
        report(
            "",
            "renamed_column",
            f"column {column!r} is channel {name!r}",
            "renamed (channel names use [A-Za-z0-9_.=-])",
        )
    if len(set(channels)) != len(channels) or not all(is_channel_name(c) for c in channels):
        raise ValueError(
            f"{source}: value columns {list(numbers)} give clashing channel names "
            f"{channels}; rename the columns first"
        )
    panel_values = np.column_stack([numbers[c][order] for c in numbers])

    series_ids = key.to_numpy()[firsts].tolist()
    meta = df[ids].iloc[firsts].reset_index(drop=True)
    if label_column is not None:
        labels = df[label_column].to_numpy()[order]
        frame = pd.DataFrame({"s": codes, "label": labels})
        n_labels = frame.groupby("s")["label"].nunique(dropna=False).to_numpy()
        majority = frame.groupby("s")["label"].agg(lambda s: s.mode(dropna=False).iloc[0])
        meta["label"] = majority.to_numpy()
        for s in np.flatnonzero(n_labels > 1):
            counts = frame.loc[frame["s"] == s, "label"].value_counts(dropna=False).to_dict()
            report(
                series_ids[s], "mixed_labels", f"labels {counts}", "kept the most frequent label"
            )
        sizes = meta["label"].value_counts()
        for cls, size in sizes[sizes < min_class_size].items():
            members = [series_ids[i] for i in np.flatnonzero(meta["label"] == cls)]
            report(
                "",
                "small_class",
                f"class {cls!r} has {size} series (< min_class_size="
                f"{min_class_size}): {members[:10]}",
                "kept; drop or merge it before a stratified or grouped split",
            )
    if group_column is not None:
        meta["group"] = df[group_column].to_numpy()[firsts]
    nan_rows = np.isnan(panel_values).any(axis=1)
    if nan_rows.any():
        per_series = np.add.reduceat(nan_rows.astype(np.int64), starts[:-1])
        for s in np.flatnonzero(per_series):
            report(
                series_ids[s],
                "nan",
                f"{per_series[s]} of {lengths[s]} samples hold NaN",
                "kept (fill with featurekit.preprocess.fill_nan)",
            )
    panel = Panel(
        panel_values,
        starts,
        ids=series_ids,
        channels=channels,
        meta=meta,
        sampling_rate=sampling_rate,
    )
    return panel, IngestReport(
        table=new_table(rows),
        n_series=len(panel),
        n_files=1,
        n_samples=len(panel_values),
        seconds=time.perf_counter() - t0,
        source=source,
    )
