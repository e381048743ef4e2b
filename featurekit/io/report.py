"""What a reader found wrong with its input, and what it did about it.

Readers never stop at the first bad file: they repair or skip it and add one row to an
:class:`IngestReport` (``id, file, problem, detail, action``). The report is printed as a short
summary at the end and saved as ``report.csv`` beside the data.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

COLUMNS = ["id", "file", "problem", "detail", "action"]

#: Every problem a reader may report, with what it means.
PROBLEMS = {
    "missing": "an id listed in train.csv/metadata.csv has no series file",
    "empty": "the file (or the rows kept from it) holds no samples",
    "wrong_header": "the header is not the one the sensor's layout needs",
    "truncated": "the last line is cut short (fewer fields, no final newline)",
    "malformed_rows": "rows with the wrong number of fields, not at the end of the file",
    "non_numeric": "cells that are not numbers",
    "nan": "the series holds NaN samples",
    "nan_only": "every sample of the series is NaN",
    "unknown_measurement": "smartwatch rows with a measurement type other than the 3 known",
    "unknown_sensor": "a sensor other than smartwatch or vicon",
    "bad_id": "an id that is not an integer",
    "duplicate_id": "an id listed more than once in train.csv/metadata.csv",
    "orphan_file": "a series file whose id is in neither train.csv nor metadata.csv",
    "length_mismatch": "rows read differ from sequence_length in the CSV",
    "read_error": "the file could not be read at all (or is not a regular file)",
    "non_finite": "cells that are inf, or beyond float32's range in a float32 store",
    "mostly_nan_column": "a column dropped because most of its cells are NaN",
    "small_class": "a class with too few series for a stratified/grouped split",
    "mixed_labels": "one series whose rows carry more than one label",
    "missing_key": "rows whose id/key columns are empty",
    "renamed_column": "a column renamed to a valid channel name",
}

#: What became of the input a report row is about, by how its action starts (first match):
#: changed and kept ("repaired: ...", rows or columns dropped, a column renamed), left out
#: ("skipped", "skipped this row, kept the first"), otherwise kept as it was and flagged.
OUTCOMES = (
    ("repaired", ("repaired", "skipped those rows", "dropped", "renamed")),
    ("skipped", ("skipped",)),
)
_SHOWN_PROBLEMS = 6  # problems listed by name in the short repr


def outcome(action: str) -> str:
    """``"repaired"``, ``"skipped"`` or ``"kept"``: what a report row's action did.

    Parameters
    ----------
    action : str
        The ``action`` cell of a report row.

    Returns
    -------
    str
        See :data:`OUTCOMES`; ``"kept"`` when no prefix matches (kept unchanged, flagged).

    Examples
    --------
    >>> outcome("repaired: coerced to NaN"), outcome("skipped"), outcome("kept (fill_nan)")
    ('repaired', 'skipped', 'kept')
    """
    for name, prefixes in OUTCOMES:
        if str(action).startswith(prefixes):
            return name
    return "kept"


def new_table(rows: list[dict] | None = None) -> pd.DataFrame:
    """A report table with the standard columns (``id`` kept as object: ints or strings).

    Parameters
    ----------
    rows : list of dict, optional
        Rows keyed by ``COLUMNS``; none gives an empty table.

    Returns
    -------
    DataFrame
    """
    table = pd.DataFrame(rows or [], columns=COLUMNS)
    return table.astype({"id": object, "file": str, "problem": str, "detail": str, "action": str})


@dataclass
class IngestReport:
    """Problems found while reading, one row each, plus totals.

    Parameters
    ----------
    table, n_series, n_files, n_samples, seconds, source, files_reused, files_reread
        The attributes below; all default to empty or 0.

    Attributes
    ----------
    table : DataFrame
        Columns ``id, file, problem, detail, action``, one row per problem found.
    n_series : int
        Series written to the store (or returned in the Panel).
    n_files : int
        Files (or groups) read.
    n_samples : int
        Samples kept in all.
    seconds : float
        Wall time of the read.
    source : str
        What was read (a directory or a file).
    files_reused : int
        Files not read again because an earlier run stored them and they are unchanged.
    files_reread : int
        Files read again because they (or a file of their chunk) changed since an earlier run.
    """

    table: pd.DataFrame = field(default_factory=new_table)
    n_series: int = 0
    n_files: int = 0
    n_samples: int = 0
    seconds: float = 0.0
    source: str = ""
    files_reused: int = 0
    files_reread: int = 0

    def add(
        self, id: object, file: str | os.PathLike, problem: str, detail: str, action: str
    ) -> None:
        """Add one row (for small reports; bulk readers build ``table`` directly).

        Parameters
        ----------
        id : int or str
            The series concerned.
        file : path
            The file read.
        problem : str
            A key of ``PROBLEMS``.
        detail : str
            What was found.
        action : str
            What the reader did about it.
        """
        row = new_table(
            [dict(id=id, file=str(file), problem=problem, detail=detail, action=action)]
        )
        self.table = row if self.table.empty else pd.concat([self.table, row], ignore_index=True)

    @property
    def counts(self) -> pd.Series:
        """Number of report rows per problem, most frequent first."""
        return self.table["problem"].value_counts().rename("n")

    def of(self, problem: str) -> pd.DataFrame:
        """The rows of one problem.

        Parameters
        ----------
        problem : str
            A key of ``PROBLEMS``.

        Returns
        -------
        DataFrame
        """
        return self.table[self.table["problem"] == problem]

    def outcomes(self) -> pd.DataFrame:
        """Report rows per problem and outcome (see :func:`outcome`).

        Returns
        -------
        DataFrame
            Indexed by problem (most frequent first), columns ``n``, ``repaired``,
            ``skipped``, ``kept``.
        """
        outcomes = self.table["action"].map(outcome)
        table = pd.crosstab(self.table["problem"], outcomes).reindex(
            columns=["repaired", "skipped", "kept"], fill_value=0
        )
        table.insert(0, "n", table.sum(axis=1))
        table = table.reindex(self.counts.index).astype(int)
        table.index.name, table.columns.name = "problem", None
        return table

    def _headline(self) -> str:
        return (
            f"{self.source or '?'}: {self.n_files:,} file{'s' * (self.n_files != 1)} read, "
            f"{self.n_series:,} series, {self.n_samples:,} samples in {self.seconds:.1f} s"
        )

    def _outcome_line(self) -> str:
        totals = self.table["action"].map(outcome).value_counts()
        parts = [f"{int(totals.get(k, 0)):,} {k}" for k in ("repaired", "skipped", "kept")]
        return f"{len(self.table):,} problems: {', '.join(parts)}"

    def __repr__(self) -> str:
        """A few lines, not the table: totals, problems by outcome, then by kind."""
        lines = [f"IngestReport({self._headline()})"]
        if self.files_reused:
            lines.append(f"  {self.files_reused:,} files reused from an earlier run")
        lines.append(f"  {self._outcome_line()}")
        counts = self.counts
        if len(counts):
            shown = ", ".join(f"{p} {n:,}" for p, n in counts.iloc[:_SHOWN_PROBLEMS].items())
            more = len(counts) - _SHOWN_PROBLEMS
            lines.append(f"  by problem: {shown}{f', and {more} more' if more > 0 else ''}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The totals and one table row per problem with its outcomes and meaning."""
        esc = html.escape
        head = f"<p><b>IngestReport</b> {esc(self._headline())}"
        if self.files_reused:
            head += f"; {self.files_reused:,} files reused from an earlier run"
        head += f"<br>{esc(self._outcome_line())}</p>"
        if self.table.empty:
            return head
        header = "".join(
            f"<th>{c}</th>" for c in ("problem", "n", "repaired", "skipped", "kept", "meaning")
        )
        rows = "".join(
            f"<tr><td>{esc(str(problem))}</td>"
            + "".join(f"<td>{int(v):,}</td>" for v in counts)
            + f"<td>{esc(PROBLEMS.get(str(problem), ''))}</td></tr>"
            for problem, counts in self.outcomes().iterrows()
        )
        return f"{head}<table><tr>{header}</tr>{rows}</table>"

    def summary(self) -> str:
        """A few lines: totals, then one line per problem with its count and an example.

        Returns
        -------
        str
        """
        lines = [
            f"read {self.source}: {self.n_series} series, {self.n_samples} samples "
            f"from {self.n_files} file{'s' * (self.n_files != 1)} in {self.seconds:.1f} s; "
            f"{len(self.table)} problems"
        ]
        if self.files_reused or self.files_reread:
            read = self.n_files - self.files_reused
            lines.append(
                f"  resumed: {self.files_reused} files reused from an earlier run "
                f"(unchanged), {read} read now, {self.files_reread} of them again "
                "because their chunk's files changed"
            )
        for problem, n in self.counts.items():
            first = self.of(problem).iloc[0]
            lines.append(
                f"  {problem:<20} {n:>6}  e.g. id {first['id']} ({first['file']}): "
                f"{first['detail']} -> {first['action']}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write the table as CSV.

        Parameters
        ----------
        path : path
        """
        self.table.to_csv(path, index=False)

    @classmethod
    def read_csv(cls, path: str | os.PathLike, **totals: int | float | str) -> IngestReport:
        """Read a table written by :meth:`to_csv` (totals may be passed as keywords).

        Parameters
        ----------
        path : path
            The CSV; ``source`` becomes its directory.
        **totals
            Other fields, e.g. ``n_series=...``.

        Returns
        -------
        IngestReport
        """
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        return cls(
            table=new_table(table.to_dict("records")), source=str(Path(path).parent), **totals
        )
