"""Competition submission files: write them right, and check them before uploading.

A submission is ``sample_id`` plus one probability column per activity, in the template's
order, one row per unlabeled id, in plain decimal notation. The seed lost a submission to a
label-encoder mismatch (probabilities under the wrong columns), so the model's classes are
matched to the columns by name, never by position.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

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


SUM_TOLERANCE = 1e-3
"""How far a row of probabilities may sum from 1 and still be renormalized (rounding);
farther, it is not a probability row (raw scores, logits) and is refused."""


def _probability_problems(proba: np.ndarray, ids: pd.Index) -> list[str]:
    """Values outside [0, 1] and rows far from summing to 1, with the first offending row:
    clipping raw scores (5, 4, -3) would write a valid-looking but meaningless file."""
    problems = []
    outside = (proba < 0) | (proba > 1)
    if outside.any():
        r, c = np.argwhere(outside)[0]
        problems.append(
            f"{int(outside.any(axis=1).sum())} rows hold values outside [0, 1], "
            f"e.g. id {ids[r]} column {c}: {float(proba[r, c])!r} (pass probabilities, "
            "e.g. model.predict_proba, not scores or logits)"
        )
    sums = proba.sum(axis=1)
    far = np.flatnonzero(np.abs(sums - 1) > SUM_TOLERANCE)
    if len(far):
        problems.append(
            f"{len(far)} rows do not sum to 1 (more than {SUM_TOLERANCE:g} off), "
            f"e.g. id {ids[far[0]]} sums to {sums[far[0]]:.6g}"
        )
    return problems


def write_submission(
    ids: ArrayLike,
    proba: ArrayLike,
    classes: Sequence[str] | ArrayLike,
    path: str | os.PathLike,
    *,
    template: str | os.PathLike | pd.DataFrame | None = None,
    metadata: str | os.PathLike | pd.DataFrame | None = None,
) -> pd.DataFrame:
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

    Probabilities must lie in [0, 1] with rows summing to 1 (to within
    :data:`SUM_TOLERANCE`); they are clipped to [1e-15, 1] and renormalized; numbers are
    written in plain decimal notation with 15 decimals.

    Returns
    -------
    DataFrame
        What was written: ``sample_id`` then one column per activity.

    Raises
    ------
    ValueError
        Every problem found (shape, classes, ids, probabilities) in one message.
    TypeError
        ``proba`` is not numeric.
    """
    columns, expected = _template_columns(template)
    classes = [str(c) for c in np.asarray(classes).tolist()]
    try:
        proba = np.asarray(proba, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"proba must be an (n, n_classes) array of numbers: {error}") from None
    ids = pd.Index(np.asarray(ids))
    if len(ids) == 0:
        raise ValueError("ids is empty: a submission needs at least one row")
    if ids.dtype.kind == "f":  # a float column (e.g. after a merge met NaN): 236.0 -> 236,
        values = ids.to_numpy()  # not written as 236.000000000000000
        whole = np.isfinite(values) & (values == np.round(values))
        if not whole.all():
            raise ValueError(
                f"ids must be whole numbers (or strings), got {ids[~whole][:5].tolist()}"
            )
        ids = pd.Index(values.astype(np.int64))
    problems = []
    if proba.ndim != 2 or proba.shape != (len(ids), len(classes)):
        problems.append(
            f"proba has shape {proba.shape}, expected ({len(ids)}, {len(classes)}) "
            "(one row per id, one column per class)"
        )
    missing = [c for c in columns if c not in classes]
    extra = [c for c in classes if c not in columns]
    if missing or extra:
        hint = (
            " - the classes look like integer codes; pass the label names "
            "(model.classes_ of a model fitted on string labels)"
            if all(c.lstrip("-").isdigit() for c in classes)
            else ""
        )
        problems.append(
            f"the model's classes do not match the template's columns: missing "
            f"{missing}, unexpected {extra}{hint}"
        )
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
            problems.append(
                f"ids differ from the template: {len(absent)} missing (e.g. "
                f"{absent[:5].tolist()}), {len(unknown)} not in it (e.g. "
                f"{unknown[:5].tolist()})"
            )
    if proba.ndim == 2 and not np.isfinite(proba).all():
        problems.append(f"proba has NaN/inf in {int((~np.isfinite(proba)).any(axis=1).sum())} rows")
    elif proba.ndim == 2 and proba.size:
        problems += _probability_problems(proba, ids)
    if problems:
        raise_problems("Cannot write the submission", problems)

    frame = pd.DataFrame(clip_proba(proba), columns=classes)[columns]
    frame.insert(0, ID_COLUMN, ids)
    if expected is not None:
        frame = frame.set_index(ID_COLUMN).loc[expected].reset_index()
    frame.to_csv(path, index=False, float_format=_FLOAT_FORMAT)
    return frame


def _template_ids_text(template) -> pd.Index | None:
    """The template's ids as written (text), or None without a template or rows."""
    if template is None:
        return None
    frame = (
        template.astype(str)
        if isinstance(template, pd.DataFrame)
        else pd.read_csv(template, dtype=str, keep_default_na=False)
    )
    if ID_COLUMN not in frame or frame.empty:
        return None
    return pd.Index(frame[ID_COLUMN].str.strip())


def validate_submission(
    path: str | os.PathLike, template: str | os.PathLike | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Check a written submission against the template; raise one ValueError listing problems.

    Checks the header (``sample_id`` + activities in the template's order), one row per id
    (the template's ids when it has rows), probabilities in [0, 1] summing to 1, and no
    scientific notation.

    Parameters
    ----------
    path : path
        The submission CSV.
    template : path or DataFrame, optional
        ``sample_submission.csv``, as for :func:`write_submission`.

    Returns
    -------
    DataFrame
        The parsed submission.

    Raises
    ------
    ValueError
        Listing every problem found.
    """
    columns, _ = _template_columns(template)
    expected = _template_ids_text(template)
    try:
        text = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"Invalid submission {path}: the file is empty (no header, no rows)"
        ) from None
    frame = pd.read_csv(path)
    problems = []
    if text.empty:
        problems.append(f"{path} has a header but no rows: a submission needs one row per id")
    header = list(frame.columns)
    if header != [ID_COLUMN, *columns]:
        problems.append(
            f"header of {path} is {header[:5]}..., expected "
            f"{[ID_COLUMN, *columns][:5]}... ({len(columns)} activities in the "
            "template's order)"
        )
    numbers = text[[c for c in columns if c in text]].to_numpy(dtype=str).ravel()
    if any(_SCIENTIFIC.search(v) for v in numbers):
        problems.append(
            f"{path} uses scientific notation; write plain decimals (write_submission does)"
        )
    if ID_COLUMN in frame and frame[ID_COLUMN].duplicated().any():
        problems.append(
            f"ids repeated: {frame[ID_COLUMN][frame[ID_COLUMN].duplicated()][:10].tolist()}"
        )
    if expected is not None and ID_COLUMN in text:
        got = pd.Index(text[ID_COLUMN].str.strip())  # as written: 236.0 is not 236
        absent, unknown = expected[~expected.isin(got)], got[~got.isin(expected)]
        if len(absent) or len(unknown):
            problems.append(
                f"{len(absent)} template ids missing (e.g. {absent[:5].tolist()}), "
                f"{len(unknown)} ids not in the template (e.g. {unknown[:5].tolist()})"
            )
    present = [c for c in columns if c in frame]
    cells = text[present].apply(lambda c: c.str.strip())
    numeric = cells.apply(pd.to_numeric, errors="coerce")
    junk = numeric.isna().to_numpy()
    if junk.any():
        r, c = np.argwhere(junk)[0]
        row_id = text[ID_COLUMN].iloc[r] if ID_COLUMN in text else "?"
        problems.append(
            f"{int(junk.sum())} cells are not numbers, first {cells.iat[r, c]!r} "
            f"at data row {r + 1} ({ID_COLUMN} {row_id}) column {present[c]!r}"
        )
    values = numeric.to_numpy(dtype=float) if present else np.zeros((0, 0))
    if values.size and not junk.any():
        if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
            problems.append("probabilities must be numbers in [0, 1]")
        sums = values.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-6)
        if len(bad):
            problems.append(
                f"{len(bad)} rows do not sum to 1, e.g. row {bad[0]} sums to {sums[bad[0]]:.6f}"
            )
    raise_problems(f"Invalid submission {path}", problems)
    return frame
