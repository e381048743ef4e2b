"""Ingest the activity-recognition competition layout into one chunked Parquet store.

The layout (``docs/competition-layout.md`` in the repository)::

    DATA/train.csv          userid, activity, sensor, body_part, side, id, sequence_length
    DATA/metadata.csv       the same without activity (the unlabeled test series)
    DATA/unlabeled/unlabeled/<id>.csv   one file per series, labeled and unlabeled alike

Smartwatch files (``measurement type,x,y,z``) keep their ``acceleration [m/s/s]`` rows; Vicon
files (``x [m],y [m],z [m]``) keep their positions in metres. Both become channels x, y, z of
the store described in :mod:`featurekit.io.store`.

Reading 125k small files one by one is what made the seed slow, so files are parsed by
pyarrow's CSV reader (about 3x faster per file than ``pandas.read_csv``), in parallel with
joblib, one task per chunk of files. A file pyarrow cannot parse (a truncated line, a
non-numeric cell) goes through a slower, forgiving parser that repairs what it can. Every
problem becomes one row of the :class:`~featurekit.io.report.IngestReport`; none stops the
ingest of the other files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import socket
import stat
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from featurekit.competition.schema import (
    ACCELERATION,
    CSV_COLUMNS,
    DROPPED_TYPES,
    HEADERS,
    MEASUREMENT_TYPES,
    META_ALIASES,
    META_COLUMNS,
    METADATA_CSV,
    RATE_COLUMN,
    SERIES_DIR,
    STORE_CHANNELS,
    TRAIN_CSV,
)
from featurekit.io import store as st
from featurekit.io.report import IngestReport, new_table
from featurekit.validation import (
    check_count,
    check_n_jobs,
    check_sampling_rates,
    raise_problems,
)

NA_TOKENS = {"", "nan", "NaN", "NA", "N/A", "null", "NULL", "None", "-nan", "#N/A"}


# ---------------------------------------------------------------------- one file
class _Parsed:
    """What one series file gave: kept samples, rows read, and problems (problem, detail, action)."""

    def __init__(self):
        self.values = np.empty((0, 3))
        self.rows_read = 0
        self.problems: list[tuple[str, str, str]] = []

    def add(self, problem, detail, action):
        self.problems.append((problem, detail, action))


def _check_header(first_line: str, sensor: str, out: _Parsed) -> bool:
    header = [c.strip().strip('"') for c in first_line.lstrip("\ufeff").split(",")]
    if header == HEADERS[sensor]:
        return True
    other = [s for s, h in HEADERS.items() if h == header]
    hint = f" (a {other[0]} header: is the sensor in the CSV wrong?)" if other else ""
    out.add("wrong_header", f"header {header}, expected {HEADERS[sensor]}{hint}", "skipped")
    return False


def _fast(data: bytes, sensor: str):
    """Columns parsed by pyarrow, or None if pyarrow refuses the file.

    The measurement type is read as dictionary-encoded bytes, so rows are filtered on integer
    codes instead of thousands of Python strings, and a non-UTF-8 unit (``μT`` written in
    Latin-1) does not send every file down the slow path.
    """
    names = HEADERS[sensor]
    types = {name: pa.float64() for name in names[-3:]}
    if sensor == "smartwatch":
        types[names[0]] = pa.dictionary(pa.int32(), pa.binary())
    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(use_threads=False, column_names=names, skip_rows=1),
            convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=True),
        ).combine_chunks()
    except pa.ArrowInvalid:
        return None
    kind = None
    if sensor == "smartwatch":
        column = table.column(0)
        if column.num_chunks:
            chunk = column.chunk(0)
            kind = (
                chunk.indices.fill_null(-1).to_numpy(),
                [b.decode("utf-8", errors="replace") for b in chunk.dictionary.to_pylist()],
            )
        else:
            kind = np.empty(0, dtype=np.int64), []
    values = (
        np.column_stack([table.column(n).to_numpy(zero_copy_only=False) for n in names[-3:]])
        if table.num_rows
        else np.empty((0, 3))
    )
    return kind, values


def _forgiving(data: bytes, sensor: str, out: _Parsed):
    """Parse with the csv module, dropping malformed rows and coercing bad cells to NaN."""
    names = HEADERS[sensor]
    text = data.decode("utf-8", errors="replace")
    rows = [r for r in csv.reader(io.StringIO(text)) if r][1:]
    if rows and len(rows[-1]) < len(names) and not text.endswith(("\n", "\r")):
        out.add(
            "truncated",
            f"last line has {len(rows[-1])} of {len(names)} fields and no final newline",
            "repaired: dropped the last line",
        )
        rows = rows[:-1]
    bad = [i for i, r in enumerate(rows) if len(r) != len(names)]
    if bad:
        out.add(
            "malformed_rows",
            f"{len(bad)} rows with a field count other than "
            f"{len(names)}, first at data row {bad[0] + 1}",
            "skipped those rows",
        )
        rows = [r for r in rows if len(r) == len(names)]
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    cells = frame[names[-3:]].apply(lambda c: c.str.strip())
    values = cells.apply(pd.to_numeric, errors="coerce")
    junk = values.isna().to_numpy() & ~cells.isin(NA_TOKENS).to_numpy()
    if junk.any():
        r, c = np.argwhere(junk)[0]
        out.add(
            "non_numeric",
            f"{int(junk.sum())} non-numeric cells, first {cells.iat[r, c]!r}"
            f" at data row {r + 1} column {names[-3:][c]!r}",
            "repaired: coerced to NaN",
        )
    kind = pd.factorize(frame[names[0]].str.strip()) if sensor == "smartwatch" else None
    return kind, values.to_numpy(np.float64).reshape(-1, 3)


def _non_finite(values: np.ndarray, out: _Parsed, float32: bool) -> np.ndarray:
    """Report ``inf`` cells (written as such, or numbers beyond float32's range when the
    store is float32) and set them to NaN, as a non-numeric cell is."""
    limit = np.finfo(np.float32).max if float32 else np.inf
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (np.abs(values) > limit)
    if not bad.any():
        return values
    r, c = np.argwhere(bad)[0]
    what = "inf or beyond float32's range (3.4e38)" if float32 else "inf"
    out.add(
        "non_finite",
        f"{int(bad.sum())} cells are {what}, first {float(values[r, c])!r} "
        f"at sample {r + 1} column {'xyz'[c]!r}",
        f"repaired: set {int(bad.sum())} cells to NaN",
    )
    return np.where(bad, np.nan, values)


def parse_series_file(
    path: Path, sensor: str, sequence_length: int | float | None = None, *, float32: bool = True
) -> _Parsed:
    """Read one per-series file: acceleration (smartwatch) or positions (vicon) as (n, 3).

    Never raises on a bad file: what was wrong goes to the result's ``problems``.

    Parameters
    ----------
    path : Path
        The series file.
    sensor : str
        ``"smartwatch"`` or ``"vicon"``: which header and columns to expect.
    sequence_length : int, optional
        Rows train.csv announces (NaN or None: not checked); a difference is reported.
    float32 : bool, default True
        The store keeps float32, so finite numbers beyond its range count as inf.

    Returns
    -------
    _Parsed
        ``values`` (n, 3), ``rows_read`` and ``problems`` as (problem, detail, action).
    """
    out = _Parsed()
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # a FIFO would block read_bytes forever
            kind = (
                "a named pipe (FIFO)"
                if stat.S_ISFIFO(mode)
                else ("a directory" if stat.S_ISDIR(mode) else "not a regular file")
            )
            out.add("read_error", f"{path.name} is {kind}, not a regular file", "skipped")
            return out
        data = path.read_bytes()
    except FileNotFoundError:
        out.add("missing", f"no file {path.name} for this id", "skipped")
        return out
    except OSError as err:
        out.add("read_error", str(err), "skipped")
        return out
    if not data.strip():
        out.add("empty", "the file is empty", "skipped")
        return out
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    if not _check_header(first, sensor, out):
        return out
    parsed = _fast(data, sensor)
    if parsed is None:
        parsed = _forgiving(data, sensor, out)
    elif not data.endswith((b"\n", b"\r")) and b"\n" in data.rstrip(b"\r\n"):
        # no final newline: the file may have lost tail bytes inside its last number
        # (0.943137 -> 0.9431), which pyarrow reads as a valid shorter number
        kind, values = parsed
        out.add(
            "truncated",
            "no final newline: the last line may be cut short",
            "repaired: dropped the last line",
        )
        parsed = (kind if kind is None else (kind[0][:-1], kind[1])), values[:-1]
    kind, values = parsed
    out.rows_read = len(values)
    if kind is not None:  # (codes, names): rows filtered on integer codes, not strings
        codes, kinds = kind
        kinds = list(kinds)
        keep = codes == (kinds.index(ACCELERATION) if ACCELERATION in kinds else -2)
        known = [
            i
            for i, k in enumerate(kinds)
            if k in MEASUREMENT_TYPES or (k.split(" [")[0] in DROPPED_TYPES)
        ]
        unknown = ~np.isin(codes, known)
        if unknown.any():
            names = np.array(kinds + [None], dtype=object)
            types = pd.Series(names[codes[unknown]]).value_counts(dropna=False)
            shown = ", ".join(f"{t!r} x{n}" for t, n in types.head(3).items())
            out.add(
                "unknown_measurement",
                f"{int(unknown.sum())} rows of unknown type: {shown}",
                "skipped those rows",
            )
        values = values[keep]
    if len(values) == 0:
        what = (
            "no acceleration rows"
            if sensor == "smartwatch" and out.rows_read
            else ("a header but no data rows")
        )
        out.add("empty", what, "skipped")
        return out
    values = _non_finite(values, out, float32)
    nan_rows = np.isnan(values).any(axis=1)
    if nan_rows.all():
        out.add(
            "nan_only",
            f"all {len(values)} samples are NaN",
            "kept (fill_nan will drop or reject it)",
        )
    elif nan_rows.any():
        out.add(
            "nan",
            f"{int(np.isnan(values).sum())} NaN cells in {int(nan_rows.sum())} of "
            f"{len(values)} samples",
            "kept (fill with featurekit.preprocess.fill_nan)",
        )
    cut = any(p[0] in ("truncated", "malformed_rows") for p in out.problems)
    if (
        not cut
        and sequence_length is not None
        and not pd.isna(sequence_length)
        and (int(sequence_length) != out.rows_read)
    ):
        out.add(
            "length_mismatch",
            f"{out.rows_read} rows read, sequence_length says {int(sequence_length)}",
            "kept",
        )
    out.values = values
    return out


# ---------------------------------------------------------------------- one chunk
def _sidecar(store, chunk: int, kind: str) -> Path:
    return Path(store) / "chunks" / f"part-{chunk:05d}.{kind}"


def _chunk_done(store, chunk: int) -> bool:
    return st.part_path(store, chunk).exists() and _sidecar(store, chunk, "series.parquet").exists()


def _source_state(data_dir: Path, records: list[dict]) -> list:
    """What a chunk was read from: per file its sensor, sequence length, size and mtime
    (None when absent), so a resumed ingest sees a file that was fixed or edited since."""
    state = []
    for rec in records:
        try:
            info = os.stat(data_dir / rec["file"])
            found = [info.st_size, info.st_mtime_ns]
        except OSError:
            found = None
        seq = rec["sequence_length"]
        state.append([str(rec["id"]), rec["sensor"], None if pd.isna(seq) else int(seq), found])
    return state


def _chunk_is_current(data_dir: Path, store: Path, chunk: int, records: list[dict]) -> bool:
    """Whether chunk ``chunk`` is written and its source files are unchanged since."""
    if not _chunk_done(store, chunk):
        return False
    try:
        recorded = json.loads(_sidecar(store, chunk, "sources.json").read_text())
    except (OSError, ValueError):
        return False  # written by an older featurekit: no way to tell, read it again
    return recorded == _source_state(data_dir, records)


class StoreLockedError(FileExistsError):
    """Another ingest, still alive, holds the store's lock (``store/ingest.lock``)."""


class _LockLost(RuntimeError):
    """Another ingest took the store over: this (orphaned) worker must stop writing."""


def _ingest_chunk(
    data_dir: Path,
    store: Path,
    chunk: int,
    records: list[dict],
    dtype: str,
    token: str | None = None,
) -> int:
    """Parse the files of one chunk and write its samples and sidecars; return files read.

    ``token`` is the owning ingest's lock token: a worker whose ingest died and was taken
    over by another (its lock replaced) stops before writing anything."""
    arrays, stats, problems = [], [], []
    offset = 0
    sources = _source_state(data_dir, records)  # before reading: a later edit is seen next time
    extra = {} if dtype == "float32" else {"float32": False}
    for rec in records:
        try:
            parsed = parse_series_file(
                data_dir / rec["file"], rec["sensor"], rec["sequence_length"], **extra
            )
        except Exception as err:  # an unforeseen defect: report it, go on with the others
            parsed = _Parsed()
            parsed.add("read_error", f"{type(err).__name__}: {err}", "skipped")
        problems += [
            dict(id=rec["id"], file=rec["file"], problem=p, detail=d, action=a)
            for p, d, a in parsed.problems
        ]
        n = len(parsed.values)
        if n == 0:
            continue
        arrays.append(parsed.values.astype(dtype))
        stats.append(
            dict(
                id=rec["id"],
                rows_read=parsed.rows_read,
                n_samples=n,
                nan_samples=int(np.isnan(parsed.values).any(axis=1).sum()),
                chunk=chunk,
                offset=offset,
            )
        )
        offset += n
    stats = pd.DataFrame(
        stats, columns=["id", "rows_read", "n_samples", "nan_samples", "chunk", "offset"]
    ).astype("int64")
    if token is not None and _lock_token(store) != token:
        raise _LockLost(f"{store}: another ingest owns the store now; chunk {chunk} not written")
    _sidecar(store, chunk, "sources.json").unlink(missing_ok=True)  # stale until rewritten
    st.atomic_write(
        _sidecar(store, chunk, "report.csv"),
        lambda tmp: new_table(problems).to_csv(tmp, index=False),
    )
    st.atomic_write(
        _sidecar(store, chunk, "series.parquet"), lambda tmp: stats.to_parquet(tmp, index=False)
    )
    values = np.concatenate(arrays) if arrays else np.empty((0, 3), dtype=dtype)
    st.write_samples(
        st.part_path(store, chunk),
        stats["id"].to_numpy(),
        values,
        stats["n_samples"].to_numpy(),
        STORE_CHANNELS,
    )
    st.write_json(_sidecar(store, chunk, "sources.json"), sources)  # last: marks it current
    return len(records)


# ---------------------------------------------------------------------- one writer per store
LOCK_NAME = "ingest.lock"


def _process_start(pid: int) -> str | None:
    """Start time of process ``pid`` (Linux /proc), to tell it from a later one reusing its
    pid; None where unknown."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _read_lock(store: Path) -> dict | None:
    try:
        return json.loads((store / LOCK_NAME).read_text())
    except (OSError, ValueError):
        return None


def _lock_token(store: Path) -> str | None:
    return (_read_lock(store) or {}).get("token")


def _owner_alive(owner: dict) -> bool:
    """Whether the ingest that wrote ``owner`` still runs (on this host; another host's
    lock counts as alive)."""
    if owner.get("host") != socket.gethostname():
        return True
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = owner.get("started")
    return started is None or _process_start(pid) in (None, started)


def _acquire_lock(store: Path) -> str:
    """Take ``store/ingest.lock`` for this process, or refuse while its owner is alive.

    A lock left by a dead ingest (killed with SIGKILL) is taken over; its orphaned workers
    then find the token changed and stop before writing (see :func:`_ingest_chunk`)."""
    path = store / LOCK_NAME
    token = uuid.uuid4().hex
    mine = dict(
        pid=os.getpid(),
        host=socket.gethostname(),
        token=token,
        started=_process_start(os.getpid()),
        since=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read_lock(store)
            if owner is None:
                if time.time() - path.stat().st_mtime < 5:  # being written right now
                    time.sleep(0.2)
                    continue
            elif _owner_alive(owner):
                since = f", since {owner['since']}" if owner.get("since") else ""
                raise StoreLockedError(
                    f"another ingest (pid {owner.get('pid')} on {owner.get('host')}{since}) is "
                    f"writing into {store}; wait for it to finish, or if that process is gone, "
                    f"delete {path}"
                ) from None
            path.unlink(missing_ok=True)  # stale: its owner is dead
            continue
        with os.fdopen(fd, "w") as fh:
            json.dump(mine, fh)
        return token
    raise StoreLockedError(f"could not take the lock {path}; delete it if no ingest is running")


def _release_lock(store: Path, token: str) -> None:
    if _lock_token(store) == token:
        (store / LOCK_NAME).unlink(missing_ok=True)


# ---------------------------------------------------------------------- the whole layout
def _read_tables(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, set]:
    """train.csv + metadata.csv as one table, bad rows reported; one ValueError if unusable.

    Also returns every id string the CSVs list, usable or not (to find orphan files).
    """
    errors = []
    if not (data_dir / SERIES_DIR).is_dir():
        errors.append(
            f"{data_dir / SERIES_DIR} is not a directory (the per-series files "
            "go in unlabeled/unlabeled/<id>.csv)"
        )
    frames = []
    for name, split, extra in ((TRAIN_CSV, "train", ["activity"]), (METADATA_CSV, "test", [])):
        path = data_dir / name
        if not path.exists():
            errors.append(
                f"{path} is missing (expected the competition layout, see "
                "docs/competition-layout.md)"
            )
            continue
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table.columns = table.columns.str.strip()
        missing = [c for c in CSV_COLUMNS + extra if c not in table.columns]
        if missing:
            errors.append(f"{path} lacks columns {missing} (has {list(table.columns)})")
            continue
        table = table.assign(split=split, source=name, row=np.arange(len(table)) + 2)
        frames.append(table)
    raise_problems(f"cannot ingest {data_dir}", errors)
    table = pd.concat(frames, ignore_index=True)
    listed = {_id_key(i) for i in table["id"]}
    table["activity"] = table["activity"].replace("", None)
    problems = []
    numeric = pd.to_numeric(table["id"].str.strip(), errors="coerce")
    bad = numeric.isna() | (numeric % 1 != 0)
    for _, r in table[bad].iterrows():
        problems.append(
            dict(
                id=r["id"],
                file=r["source"],
                problem="bad_id",
                detail=f"row {r['row']}: id {r['id']!r} is not an integer",
                action="skipped",
            )
        )
    written = table["id"].str.strip()
    table = table[~bad].assign(id=numeric[~bad].astype("int64"), written=written[~bad])
    sensor = table["sensor"].str.strip().str.lower()
    bad = ~sensor.isin(HEADERS)
    for _, r in table[bad].iterrows():
        problems.append(
            dict(
                id=r["id"],
                file=r["source"],
                problem="unknown_sensor",
                detail=f"row {r['row']}: sensor {r['sensor']!r}, expected {list(HEADERS)}",
                action="skipped",
            )
        )
    table = table[~bad].assign(sensor=sensor[~bad])
    dup = table["id"].duplicated(keep="first")
    first = table.drop_duplicates("id").set_index("id")
    compared = ["activity", *[c for c in CSV_COLUMNS if c != "id"]]
    for _, r in table[dup].iterrows():
        kept = first.loc[r["id"]]
        differ = [
            f"{c} {kept[c]!r} vs {r[c]!r}"
            for c in compared
            if not (pd.isna(kept[c]) and pd.isna(r[c]))
            and str(kept[c]).strip() != str(r[c]).strip()
        ]
        what = "same metadata" if not differ else "different " + ", ".join(differ)
        problems.append(
            dict(
                id=r["id"],
                file=r["source"],
                problem="duplicate_id",
                detail=f"row {r['row']} repeats id {r['id']} of {kept['source']} "
                f"row {kept['row']} ({what})",
                action="skipped this row, kept the first",
            )
        )
    table = table[~dup]
    table["sequence_length"] = pd.to_numeric(table["sequence_length"], errors="coerce")
    # the file is <id>.csv; an id written zero-padded (001640) may name its file so too
    table["file"] = [
        str(SERIES_DIR / f"{w}.csv")
        if w != str(i) and (data_dir / SERIES_DIR / f"{w}.csv").is_file()
        else str(SERIES_DIR / f"{i}.csv")
        for i, w in zip(table["id"], table["written"], strict=True)
    ]
    meta = table.sort_values("id")[META_COLUMNS].reset_index(drop=True)
    return meta, new_table(problems), listed


def _id_key(text: str):
    """An id as the CSVs and file names may write it: ``1640``, ``001640`` and ``1640.0``
    are the same integer id; anything else stays text."""
    text = str(text).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else text


def _orphans(data_dir: Path, known: set) -> pd.DataFrame:
    """Series files whose id is in neither CSV (ids compared as integers where they are)."""
    with os.scandir(data_dir / SERIES_DIR) as entries:
        names = [e.name for e in entries if e.name.endswith(".csv")]
    rows = [
        dict(
            id=n[:-4],
            file=str(SERIES_DIR / n),
            problem="orphan_file",
            detail="id in neither train.csv nor metadata.csv",
            action="skipped",
        )
        for n in sorted(names)
        if _id_key(n[:-4]) not in known
    ]
    return new_table(rows)


def _plan(store: Path, meta: pd.DataFrame, chunk_size: int, dtype: str) -> None:
    """Record (or check, when resuming) which ids go into which chunk."""
    ids = meta["id"].to_numpy(np.int64)
    plan = dict(
        chunk_size=int(chunk_size),
        dtype=dtype,
        n_series=len(ids),
        ids_sha1=hashlib.sha1(ids.tobytes()).hexdigest(),
    )
    path = store / "plan.json"
    if path.exists():
        old = json.loads(path.read_text())
        if old != plan:
            changed = [k for k in plan if old.get(k) != plan[k]]
            raise ValueError(
                f"{store} holds a partial ingest with different {changed} "
                f"({ {k: old.get(k) for k in changed} } vs "
                f"{ {k: plan[k] for k in changed} }); pass the same chunk_size "
                "and data, or a new store directory"
            )
    else:
        st.write_json(path, plan)


def ingest_competition(
    data_dir: str | os.PathLike,
    store: str | os.PathLike,
    *,
    n_jobs: int = -1,
    progress: bool = True,
    chunk_size: int = 1000,
    sampling_rates: dict | None = None,
    dtype: str = "float32",
) -> IngestReport:
    """Read the competition layout once into a chunked Parquet store; resume if interrupted.

    Parameters
    ----------
    data_dir : path
        Folder with train.csv, metadata.csv and unlabeled/unlabeled/<id>.csv.
    store : path
        Output directory (layout in :mod:`featurekit.io.store`). Chunks already written by an
        earlier or interrupted run are kept and not read again, unless one of their source
        files changed since (size or modification time; also its sensor or sequence length
        in the CSVs): those chunks are read again. The report counts both. One ingest at a
        time writes into a store: a second one is refused while the first is alive (the
        lock ``store/ingest.lock`` holds its pid); a dead one's lock is taken over.
    n_jobs : int
        joblib workers (-1 = all cores); each task reads one chunk of files.
    progress : bool
        Show a tqdm bar (counting files) and print the report summary at the end.
    chunk_size : int
        Series per chunk file: the unit of parallel work, of resuming and of ``iter_store``.
    sampling_rates : dict, optional
        Samples per second per sensor, e.g. ``{"smartwatch": 20.0, "vicon": 100.0}``; stored
        in the manifest. Unknown rates are stored as null and loaded as 1.0 (time in samples).
        A sensor name other than smartwatch or vicon, or a rate that is not a finite number
        > 0, is refused before anything is read.
    dtype : {"float32", "float64"}
        Sample type in the store (see :mod:`featurekit.io.store` for why float32).

    Returns
    -------
    IngestReport
        Every missing, empty, malformed or suspicious file and what was done; also written to
        ``store/report.csv``.
    """
    t0 = time.perf_counter()
    data_dir, store = Path(data_dir), Path(store)
    chunk_size = check_count(chunk_size, "chunk_size")
    check_n_jobs(n_jobs)
    if dtype not in ("float32", "float64", np.float32, np.float64):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    dtype = np.dtype(dtype).name
    sampling_rates = check_sampling_rates(sampling_rates, HEADERS)
    meta, csv_problems, listed = _read_tables(data_dir)
    if meta.empty:
        problems = "; ".join(f"{p.problem}: {p.detail}" for p in csv_problems.head(3).itertuples())
        raise ValueError(
            f"{data_dir}: train.csv and metadata.csv list no usable series"
            + (f" ({problems})" if problems else "")
            + "; nothing to ingest, so no store was written"
        )
    orphans = _orphans(data_dir, listed)
    for sub in ("samples", "chunks"):
        (store / sub).mkdir(parents=True, exist_ok=True)
    token = _acquire_lock(store)
    try:
        return _ingest_locked(
            data_dir,
            store,
            meta,
            csv_problems,
            orphans,
            token,
            t0,
            n_jobs=n_jobs,
            progress=progress,
            chunk_size=chunk_size,
            sampling_rates=sampling_rates,
            dtype=dtype,
        )
    finally:
        _release_lock(store, token)


def _ingest_locked(
    data_dir,
    store,
    meta,
    csv_problems,
    orphans,
    token,
    t0,
    *,
    n_jobs,
    progress,
    chunk_size,
    sampling_rates,
    dtype,
) -> IngestReport:
    """The ingest proper, while this process holds the store's lock."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    _plan(store, meta, chunk_size, dtype)
    records = meta[["id", "file", "sensor", "sequence_length"]].to_dict("records")
    chunks = [records[i : i + chunk_size] for i in range(0, len(records), chunk_size)]
    written = [i for i in range(len(chunks)) if _chunk_done(store, i)]
    current = {i for i in written if _chunk_is_current(data_dir, store, i, chunks[i])}
    todo = [i for i in range(len(chunks)) if i not in current]
    reread = [i for i in written if i not in current]  # written, but their files changed
    done_files = sum(len(chunks[i]) for i in current)
    bar = tqdm(
        total=len(records), initial=done_files, unit="file", disable=not progress, desc="ingest"
    )
    jobs = (delayed(_ingest_chunk)(data_dir, store, i, chunks[i], dtype, token) for i in todo)
    for n in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
        bar.update(n)
    bar.close()

    stats = pd.concat(
        [pd.read_parquet(_sidecar(store, i, "series.parquet")) for i in range(len(chunks))]
        or [pd.DataFrame()],
        ignore_index=True,
    )
    series = meta.merge(stats, on="id", how="inner").sort_values(["chunk", "offset"])
    series = series.reset_index(drop=True)
    st.atomic_write(
        store / "series.parquet",
        lambda tmp: pq.write_table(pa.Table.from_pandas(series, preserve_index=False), tmp),
    )
    chunk_reports = [
        pd.read_csv(_sidecar(store, i, "report.csv"), dtype=str, keep_default_na=False)
        for i in range(len(chunks))
    ]
    table = pd.concat(
        [t for t in [csv_problems, orphans, *chunk_reports] if len(t)] or [new_table()],
        ignore_index=True,
    )
    report = IngestReport(
        table=new_table(table.to_dict("records")),
        n_series=len(series),
        n_files=len(records),
        n_samples=int(series["n_samples"].sum()),
        seconds=time.perf_counter() - t0,
        source=str(data_dir),
        files_reused=done_files,
        files_reread=sum(len(chunks[i]) for i in reread),
    )
    st.atomic_write(store / "report.csv", report.to_csv)
    rates = {s: sampling_rates.get(s) for s in HEADERS}
    st.write_json(
        store / "manifest.json",
        dict(
            format=st.FORMAT,
            version=st.FORMAT_VERSION,
            channels=STORE_CHANNELS,
            dtype=dtype,
            sampling_rates=rates,
            rate_column=RATE_COLUMN,
            meta_aliases=META_ALIASES,
            chunk_size=chunk_size,
            n_chunks=len(chunks),
            n_series=len(series),
            n_samples=report.n_samples,
            source=str(data_dir.resolve()),
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
        ),
    )
    if progress:
        print(report.summary())
    return report
