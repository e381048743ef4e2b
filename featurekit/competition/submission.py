"""Competition submission files: write them right, and check them before uploading.

A submission is ``sample_id`` plus one probability column per activity, in the template's
order, one row per unlabeled id, in plain decimal notation. The seed lost a submission to a
label-encoder mismatch (probabilities under the wrong columns), so the model's classes are
matched to the columns by name, never by position.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from featurekit.competition.schema import ACTIVITIES, ID_COLUMN
from featurekit.proba import EPS, clip_proba  # noqa: F401  (EPS: the metric's floor, re-exported)
from featurekit.validation import raise_problems

_FLOAT_FORMAT = "%.15f"
_SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def _read(table, what: str) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if not os.path.exists(table):
        raise ValueError(f"{what} {table} does not exist")
    return pd.read_csv(table)


def _template_columns(template) -> tuple[list[str], pd.Index | None]:
    """Class columns (in order) and the expected ids (None when the template has no rows)."""
    if template is None:
        return list(ACTIVITIES), None
    frame = _read(template, "template")
    if ID_COLUMN not in frame.columns:
        raise ValueError(f"template has no {ID_COLUMN!r} column (columns: {list(frame.columns)})")
    ids = pd.Index(frame[ID_COLUMN]) if len(frame) else None
    return [str(c) for c in frame.columns if c != ID_COLUMN], ids


def write_submission(ids, proba, classes, path, *, template=None, metadata=None) -> pd.DataFrame:
    """Write a submission CSV and return it as a DataFrame.

    Parameters
    ----------
    ids : array-like of length n
        Sample ids, one per row of ``proba``.
    proba : array of shape (n, n_classes)
        Probabilities, columns in the order of ``classes`` (e.g. ``model.classes_``).
    classes : sequence of str
        Class name of each column of ``proba``; must be exactly the template's activities.
    path : str or Path
        Output CSV.
    template : str, Path or DataFrame, optional
        ``sample_submission.csv``: gives the column order and, when it has rows, the ids
        expected. Without it, the order is :data:`ACTIVITIES`.
    metadata : str, Path or DataFrame, optional
        ``metadata.csv`` (column ``id``): every id must be one of its ids.

    Probabilities are clipped to [1e-15, 1] and renormalized; numbers are written in plain
    decimal notation with 15 decimals.
    """
    columns, expected = _template_columns(template)
    classes = [str(c) for c in np.asarray(classes).tolist()]
    proba = np.asarray(proba, dtype=float)
    ids = pd.Index(np.asarray(ids))
    problems = []
    if proba.ndim != 2 or proba.shape != (len(ids), len(classes)):
        problems.append(f"proba has shape {proba.shape}, expected ({len(ids)}, {len(classes)}) "
                        "(one row per id, one column per class)")
    missing = [c for c in columns if c not in classes]
    extra = [c for c in classes if c not in columns]
    if missing or extra:
        hint = (" - the classes look like integer codes; pass the label names "
                "(model.classes_ of a model fitted on string labels)"
                if all(c.lstrip("-").isdigit() for c in classes) else "")
        problems.append(f"the model's classes do not match the template's columns: missing "
                        f"{missing}, unexpected {extra}{hint}")
    if len(set(classes)) != len(classes):
        problems.append(f"classes are not unique: {classes}")
    if ids.has_duplicates:
        problems.append(f"ids appear more than once: {ids[ids.duplicated()][:10].tolist()}")
    if metadata is not None:
        known = pd.Index(_read(metadata, "metadata")["id"])
        unknown = ids[~ids.isin(known)]
        if len(unknown):
            problems.append(f"{len(unknown)} ids are not in metadata: {unknown[:10].tolist()}")
    if expected is not None:
        absent = expected[~expected.isin(ids)]
        unknown = ids[~ids.isin(expected)]
        if len(absent) or len(unknown):
            problems.append(f"ids differ from the template: {len(absent)} missing (e.g. "
                            f"{absent[:5].tolist()}), {len(unknown)} not in it (e.g. "
                            f"{unknown[:5].tolist()})")
    if proba.ndim == 2 and not np.isfinite(proba).all():
        problems.append(f"proba has NaN/inf in {int((~np.isfinite(proba)).any(axis=1).sum())} rows")
    if problems:
        raise_problems("Cannot write the submission", problems)

    frame = pd.DataFrame(clip_proba(proba), columns=classes)[columns]
    frame.insert(0, ID_COLUMN, ids)
    if expected is not None:
        frame = frame.set_index(ID_COLUMN).loc[expected].reset_index()
    frame.to_csv(path, index=False, float_format=_FLOAT_FORMAT)
    return frame


def validate_submission(path, template=None) -> pd.DataFrame:
    """Check a written submission against the template; raise one ValueError listing problems.

    Checks the header (``sample_id`` + activities in the template's order), one row per id
    (the template's ids when it has rows), probabilities in [0, 1] summing to 1, and no
    scientific notation. Returns the parsed submission.
    """
    columns, expected = _template_columns(template)
    frame = pd.read_csv(path)
    text = pd.read_csv(path, dtype=str)
    problems = []
    header = list(frame.columns)
    if header != [ID_COLUMN, *columns]:
        problems.append(f"header of {path} is {header[:5]}..., expected "
                        f"{[ID_COLUMN, *columns][:5]}... ({len(columns)} activities in the "
                        "template's order)")
    numbers = text[[c for c in columns if c in text]].to_numpy(dtype=str).ravel()
    if any(_SCIENTIFIC.search(v) for v in numbers):
        problems.append(f"{path} uses scientific notation; write plain decimals "
                        "(write_submission does)")
    if ID_COLUMN in frame and frame[ID_COLUMN].duplicated().any():
        problems.append(f"ids repeated: {frame[ID_COLUMN][frame[ID_COLUMN].duplicated()][:10].tolist()}")
    if expected is not None and ID_COLUMN in frame:
        got = pd.Index(frame[ID_COLUMN])
        absent, unknown = expected[~expected.isin(got)], got[~got.isin(expected)]
        if len(absent) or len(unknown):
            problems.append(f"{len(absent)} template ids missing (e.g. {absent[:5].tolist()}), "
                            f"{len(unknown)} ids not in the template (e.g. {unknown[:5].tolist()})")
    present = [c for c in columns if c in frame]
    values = frame[present].to_numpy(dtype=float) if present else np.zeros((0, 0))
    if values.size:
        if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
            problems.append("probabilities must be numbers in [0, 1]")
        sums = values.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-6)
        if len(bad):
            problems.append(f"{len(bad)} rows do not sum to 1, e.g. row {bad[0]} sums to "
                            f"{sums[bad[0]]:.6f}")
    raise_problems(f"Invalid submission {path}", problems)
    return frame
