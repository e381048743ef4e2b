"""Reader for the aeon / UEA ``.ts`` time-series classification format.

A ``.ts`` file has comment lines (``#`` or ``%``), a header of ``@key value`` lines, then
``@data`` followed by one case per line: channels separated by ``:``, values by ``,``, the
class label (if ``@classLabel true``) or regression target (``@targetLabel true``) last.
``?`` is a missing value. Channels of one case share a length; cases may differ.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from featurekit.panel import Panel
from featurekit.validation import raise_problems

_TIMESTAMPED = re.compile(r"\(([^()]*),([^(),]*)\)")
_COLON_OUTSIDE_PARENS = re.compile(r":(?![^()]*\))")
_MAX_PROBLEMS = 20


def read_ts(
    path: str | PathLike,
    *,
    channels: list[str] | None = None,
    sampling_rate: float | None = None,
) -> Panel:
    """Read a ``.ts`` file into a Panel, class labels into ``meta["label"]``.

    Parameters
    ----------
    path : path-like
        The ``.ts`` file.
    channels : list of str, optional
        Channel names; defaults to ``dim_0, dim_1, ...``.
    sampling_rate : float, optional
        Samples per second (the format does not store it); defaults to 1.0.

    Returns
    -------
    Panel
        Ids ``0..n-1`` in file order. ``meta["label"]`` holds class labels as strings,
        ``meta["target"]`` regression targets as floats. The parsed header is kept in
        ``panel.meta.attrs["ts_header"]``. With ``@timeStamps true`` only the values are
        kept (the time stamps are dropped).

    Raises
    ------
    ValueError
        One error listing every malformed line by file name and line number.
    """
    path = Path(path)
    header: dict[str, object] = {}
    cases: list[np.ndarray] = []
    labels: list[str] = []
    problems: list[str] = []
    in_data = False

    for lineno, raw in enumerate(_lines(_decode(path)), start=1):
        line = raw.strip()
        if not line or line[0] in "#%":
            continue
        if not in_data:
            in_data = _parse_header_line(line, header, path, lineno, problems)
            continue
        try:
            case, label = _parse_case(line, header)
        except ValueError as err:
            problems.append(f"{path.name}:{lineno}: {err}")
            if len(problems) >= _MAX_PROBLEMS:
                break
            continue
        cases.append(case)
        labels.append(label)

    if not in_data and not problems:
        problems.append(f"{path.name}: no '@data' line; is this a .ts file?")
    problems += _check_cases(cases, labels, header, path)
    if problems:
        more = " (stopped after the first problems)" if len(problems) >= _MAX_PROBLEMS else ""
        raise_problems(f"cannot read {path}{more}", problems)
    return _to_panel(cases, labels, header, channels, sampling_rate)


def _lines(text: str) -> list[str]:
    """Lines split at \\n, \\r\\n or \\r only (as a file opened in text mode), so line
    numbers match an editor's."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _decode(path: Path) -> str:
    """The file's text as UTF-8 (with or without a byte-order mark, as Windows editors
    write it); a UTF-16 file or a byte that is not UTF-8 is one clear error naming the file,
    the line and the fix, never a replacement character (``é`` and ``è`` would both become
    ``\ufffd``: one class)."""
    data = path.read_bytes()
    head = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        head and head.count(b"\x00") > len(head) // 4
    ):
        raise ValueError(
            f"cannot read {path}: the file is UTF-16 encoded (byte-order mark or "
            "NUL bytes); read_ts reads UTF-8: re-save it as UTF-8, e.g. "
            f"iconv -f UTF-16 -t UTF-8 {path.name} > {path.stem}-utf8{path.suffix}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        bad = data[err.start : err.start + 1].hex()
        raise ValueError(
            f"cannot read {path}: line {line} holds byte 0x{bad}, which is not UTF-8 (the file "
            "looks Latin-1 / cp1252 encoded); read_ts reads UTF-8: re-save it as UTF-8, e.g. "
            f"iconv -f latin1 -t UTF-8 {path.name} > {path.stem}-utf8{path.suffix}"
        ) from None


def _parse_header_line(line: str, header: dict, path: Path, lineno: int, problems: list) -> bool:
    """Store one ``@key value`` line in ``header``; True once ``@data`` is reached."""
    if not line.startswith("@"):
        problems.append(f"{path.name}:{lineno}: data before '@data' (expected '@key value')")
        return False
    key, _, rest = line[1:].partition(" ")
    key, rest = key.lower(), rest.strip()
    if key == "data":
        return True
    words = rest.split()
    if key in ("classlabel", "targetlabel"):
        flag = words[0].lower() if words else ""
        if flag not in ("true", "false"):
            problems.append(f"{path.name}:{lineno}: @{key} must be 'true' or 'false', got {rest!r}")
            return False
        header[key] = flag == "true"
        if key == "classlabel":
            header["classes"] = words[1:]
    elif key in ("univariate", "equallength", "missing", "timestamps"):
        if rest.lower() not in ("true", "false"):
            problems.append(f"{path.name}:{lineno}: @{key} must be 'true' or 'false', got {rest!r}")
            return False
        header[key] = rest.lower() == "true"
    elif key in ("dimensions", "serieslength"):
        if not rest.isdigit():
            problems.append(f"{path.name}:{lineno}: @{key} must be an integer, got {rest!r}")
            return False
        header[key] = int(rest)
    else:
        header[key] = rest
    return False


def _parse_case(line: str, header: dict) -> tuple[np.ndarray, str | None]:
    """One data line to a (length x channels) array and its label (or None)."""
    timestamped = header.get("timestamps", False)
    parts = _COLON_OUTSIDE_PARENS.split(line) if timestamped else line.split(":")
    label = None
    if header.get("classlabel") or header.get("targetlabel"):
        if len(parts) < 2:
            raise ValueError("no ':label' at the end of the line")
        label = parts.pop().strip()
    columns = [_parse_values(part, timestamped) for part in parts]
    lengths = {len(c) for c in columns}
    if len(lengths) > 1:
        raise ValueError(f"channels of one case have different lengths {[len(c) for c in columns]}")
    return np.column_stack(columns) if columns else np.empty((0, 0)), label


def _parse_values(text: str, timestamped: bool) -> np.ndarray:
    text = text.strip()
    if timestamped:
        tokens = [m.group(2) for m in _TIMESTAMPED.finditer(text)]
    else:
        tokens = text.split(",") if text else []
    tokens = [t.strip() for t in tokens]
    try:
        return np.array(["nan" if t == "?" else t for t in tokens], dtype=np.float64)
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t) and t != "?")
        raise ValueError(f"value {bad!r} is not a number (use '?' for missing)") from None


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _check_cases(cases, labels, header, path: Path) -> list[str]:
    """Problems across cases: channel counts, declared lengths, unknown labels."""
    problems = []
    name = path.name
    widths = [c.shape[1] for c in cases]
    expected = header.get("dimensions", widths[0] if widths else None)
    if header.get("univariate") and "dimensions" not in header:
        expected = 1
    bad = [i for i, w in enumerate(widths) if w != expected]
    if bad:
        problems.append(
            f"{name}: cases {bad[:10]} (0-based) have {sorted({widths[i] for i in bad})} "
            f"channels, expected {expected}"
        )
    if header.get("equallength") and "serieslength" in header:
        bad = [i for i, c in enumerate(cases) if len(c) != header["serieslength"]]
        if bad:
            problems.append(
                f"{name}: cases {bad[:10]} differ from @seriesLength {header['serieslength']}"
            )
    classes = {c.lower() for c in header.get("classes") or []}
    if header.get("classlabel") and classes:
        # labels are compared case-insensitively, as aeon does (it lower-cases them);
        # we keep the case written in the file
        unknown = sorted({lab for lab in labels if lab.lower() not in classes})
        if unknown:
            problems.append(
                f"{name}: labels {unknown} are not declared in @classLabel {header['classes']}"
            )
    if header.get("targetlabel"):
        bad = [i for i, lab in enumerate(labels) if not _is_float(lab)]
        if bad:
            problems.append(f"{name}: cases {bad[:10]} have non-numeric targets")
    return problems


def _to_panel(cases, labels, header, channels, sampling_rate) -> Panel:
    width = cases[0].shape[1] if cases else int(header.get("dimensions", 1))
    if channels is None:
        channels = [f"dim_{i}" for i in range(width)]
    meta = pd.DataFrame(index=pd.RangeIndex(len(cases)))
    if header.get("classlabel"):
        meta["label"] = pd.Series(labels, dtype=object)
    elif header.get("targetlabel"):
        meta["target"] = np.asarray(labels, dtype=np.float64)
    panel = Panel.from_arrays(
        [c.reshape(len(c), width) for c in cases],
        channels=channels,
        meta=meta,
        sampling_rate=sampling_rate,
    )
    panel.meta.attrs["ts_header"] = header
    return panel
