"""Bad inputs, as a careless user gives them (issue 11): each row names the input and the
error or repair it must get. Scan the tables; the tests below them only run them.

- ``REFUSED``: (case, call, exception, message regex). ``call`` takes ``f``, the module's
  files and data (see the ``f`` fixture).
- ``INGEST_REPAIRS``: (case, id, problem in report.csv, detail regex, action regex) for one
  ingest of a folder holding one bad file per case.
- Then the cases that need state: re-ingesting after a fix, the ingest lock, the cache,
  and extreme magnitudes.

The CLI's bad inputs (a missing path to ``extract --store``, ``compare``, ``submit
--validate`` or ``submit --train``: exit 1 and one line; ``--window 0``, ``--step 0``,
``--n-jobs 0``: usage errors, exit 2) are the tables of ``tests/test_cli_conventions.py``;
the ``--rates`` typo is here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import types
import warnings

import numpy as np
import pandas as pd
import pytest

import featurekit as fk
from featurekit.cli import main
from featurekit.competition import ingest
from featurekit.competition.ingest import ingest_competition
from featurekit.competition.schema import ACTIVITIES
from featurekit.competition.submission import validate_submission, write_submission
from featurekit.io.long_table import read_long_table
from featurekit.io.store import load_store
from featurekit.io.ts import read_ts
from featurekit.models import make_model

SERIES = "unlabeled/unlabeled"
TYPES = ["acceleration [m/s/s]", "angular velocity [rad/s]", "magnetic field [μT]"]
GOOD = "measurement type,x,y,z\n" + "".join(
    f"{t},{k}.5,{k}.25,-{k}\n" for k in range(4) for t in TYPES
)
VICON = "x [m],y [m],z [m]\n" + "".join(f"{k}.5,{k}.25,-{k}\n" for k in range(4))
TS_HEADER = "@problemName t\n@univariate true\n@classLabel true é è\n@data\n"


def write_layout(root, files: dict, rows: list[dict]) -> None:
    """train.csv / metadata.csv from ``rows`` (activity None = unlabeled) and the files."""
    (root / SERIES).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / SERIES / name).write_bytes(text.encode() if isinstance(text, str) else text)
    columns = ["userid", "activity", "sensor", "body_part", "side", "id", "sequence_length"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    table[table["activity"].notna()].to_csv(root / "train.csv", index=False)
    table[table["activity"].isna()].drop(columns="activity").to_csv(
        root / "metadata.csv", index=False
    )


def row(i, sensor="smartwatch", activity="idle", user="user01", seq=None):
    return dict(
        userid=user,
        activity=activity,
        sensor=sensor,
        body_part="hand",
        side="left",
        id=i,
        sequence_length=seq,
    )


@pytest.fixture(scope="module")
def f(tmp_path_factory):
    """Files and data the cases read (built once, read-only)."""
    root = tmp_path_factory.mktemp("bad")
    ns = types.SimpleNamespace(root=root)
    rng = np.random.default_rng(0)
    ns.panel = fk.Panel.from_arrays(
        [rng.normal(size=(30, 3)) for _ in range(4)], channels=["x", "y", "z"], sampling_rate=50.0
    )
    ns.X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    # .ts files
    ns.latin1 = root / "latin1.ts"
    ns.latin1.write_bytes((TS_HEADER + "1,2,3:é\n1,2,4:è\n").encode("latin-1"))
    ns.utf16 = root / "utf16.ts"
    ns.utf16.write_bytes((TS_HEADER + "1,2,3:é\n").encode("utf-16"))
    # long table
    ns.header_only = root / "header_only.csv"
    ns.header_only.write_text("id,ax,ay\n")
    ns.zero_bytes = root / "zero.csv"
    ns.zero_bytes.write_bytes(b"")
    # competition layout, for the argument checks (never ingested by them)
    ns.data = root / "data"
    write_layout(ns.data, {"1.csv": GOOD, "2.csv": VICON}, [row(1), row(2, "vicon")])
    ns.store = root / "store"
    ingest_competition(ns.data, ns.store, n_jobs=1, progress=False)
    # submissions
    template = pd.DataFrame(
        {"sample_id": [236, 237]} | {a: 1 / len(ACTIVITIES) for a in ACTIVITIES}
    )
    ns.template = root / "sample_submission.csv"
    template.to_csv(ns.template, index=False)
    ns.header_sub = root / "header_only_sub.csv"
    ns.header_sub.write_text(",".join(template.columns) + "\n")
    ns.float_ids = root / "float_ids.csv"
    template.assign(sample_id=["236.0", "237.0"]).to_csv(ns.float_ids, index=False)
    ns.junk_cell = root / "junk_cell.csv"
    template.astype(object).assign(idle=["abc", 1 / len(ACTIVITIES)]).to_csv(
        ns.junk_cell, index=False
    )
    ns.uniform = np.full((2, len(ACTIVITIES)), 1 / len(ACTIVITIES))
    return ns


def _scores(n_classes: int) -> np.ndarray:
    """Raw model scores (not probabilities): 5, 4, -3, ..."""
    return np.tile(np.array([5.0, 4.0, -3.0] * n_classes)[:n_classes], (2, 1))


REFUSED = [
    # Panel construction ------------------------------------------------------------------
    (
        "complex values",
        lambda f: fk.Panel.from_arrays([np.ones(3) * 1j]),
        TypeError,
        r"values are complex",
    ),
    (
        "sampling_rate=inf",
        lambda f: fk.Panel.from_arrays([np.ones(3)], sampling_rate=np.inf),
        ValueError,
        r"sampling_rate must be > 0 and finite",
    ),
    (
        "float offsets [0, 1.5, 3]",
        lambda f: fk.Panel(np.ones((3, 1)), [0, 1.5, 3]),
        ValueError,
        r"offsets must be whole sample positions, got \[1.5\]",
    ),
    (
        "tuple ids",
        lambda f: fk.Panel.from_arrays([np.ones(3)] * 2, ids=[("a", 1), ("b", 2)]),
        TypeError,
        r"ids must be scalars",
    ),
    (
        "rate list of the wrong length",
        lambda f: fk.Panel.from_arrays([np.ones(3)] * 2, sampling_rate=[50, 50, 50]),
        ValueError,
        r"sampling_rate must be one number or one per series \(2\)",
    ),
    # extract arguments ---------------------------------------------------------------------
    (
        "extract chunk_size=-5",
        lambda f: fk.extract(f.panel, "seed", chunk_size=-5),
        ValueError,
        r"chunk_size must be an integer >= 1 or None, got -5",
    ),
    (
        "extract n_jobs=0",
        lambda f: fk.extract(f.panel, "seed", n_jobs=0),
        ValueError,
        r"n_jobs must be an integer: workers >= 1, or negative .*got 0",
    ),
    (
        "extract features=None",
        lambda f: fk.extract(f.panel, None),
        TypeError,
        r"features must be a set name .*got None",
    ),
    (
        "extract bands=5",
        lambda f: fk.extract(f.panel, "spectral", bands=5),
        TypeError,
        r"bands must be a list of \(lo, hi\) pairs",
    ),
    (
        "extract bands=[(5, 1)]",
        lambda f: fk.extract(f.panel, "spectral", bands=[(5, 1)]),
        ValueError,
        r"band 0 \(5, 1\): lo must be below hi",
    ),
    (
        "extract bands=[(nan, 1)]",
        lambda f: fk.extract(f.panel, "spectral", bands=[(float("nan"), 1)]),
        ValueError,
        r"band 0 \(nan, 1\): NaN bound",
    ),
    (
        "extract bands=[('a', 1)]",
        lambda f: fk.extract(f.panel, "spectral", bands=[("a", 1)]),
        ValueError,
        r"band 0 \('a', 1\): lo and hi must be numbers",
    ),
    (
        "extract client='tcp://...'",
        lambda f: fk.extract(f.panel, "seed", backend="dask", client="tcp://10.0.0.1:8786"),
        TypeError,
        r"client must be a distributed.Client, got the address 'tcp://10.0.0.1:8786'",
    ),
    (
        "magnitude group named a__b",
        lambda f: fk.extract(f.panel, "cross", magnitude_groups={"a__b": ["x", "y", "z"]}),
        ValueError,
        r"group name 'a__b' must use only",
    ),
    # models --------------------------------------------------------------------------------
    (
        "labels [1, '1', 'a']",
        lambda f: make_model("ensemble").fit(f.X, [1, "1", "a"] * 10),
        TypeError,
        r"y mixes numbers and strings \(\[1, '1', 'a'\]\)",
    ),
    (
        "labels [1, '1', 'a'] to a forest",
        lambda f: make_model("rf", n_estimators=5).fit(f.X, [1, "1", "a"] * 10),
        TypeError,
        r"y mixes numbers and strings",
    ),
    (
        "0-row X",
        lambda f: make_model("ensemble").fit(f.X.iloc[:0], []),
        ValueError,
        r"y is empty \(0 rows\)",
    ),
    (
        "ensemble, each subject one class",
        lambda f: make_model("ensemble").fit(
            f.X, np.repeat(["a", "b", "c"], 10), groups=np.repeat([1, 2, 3], 10)
        ),
        ValueError,
        r"every class is held by a single subject \('a' only in subject 1",
    ),
    # sampling rates --------------------------------------------------------------------------
    (
        "ingest sampling_rates={'smartwach': 50}",
        lambda f: ingest_competition(
            f.data, f.root / "s1", progress=False, sampling_rates={"smartwach": 50}
        ),
        ValueError,
        r"unknown keys \['smartwach'\]; known: \['smartwatch', 'vicon'\]",
    ),
    (
        "ingest sampling_rates vicon=-100",
        lambda f: ingest_competition(
            f.data, f.root / "s2", progress=False, sampling_rates={"vicon": -100}
        ),
        ValueError,
        r"sampling_rates\['vicon'\] must be a number .*got -100",
    ),
    (
        "ingest sampling_rates vicon='100Hz'",
        lambda f: ingest_competition(
            f.data, f.root / "s3", progress=False, sampling_rates={"vicon": "100Hz"}
        ),
        ValueError,
        r"sampling_rates\['vicon'\] must be a number .*got '100Hz'",
    ),
    (
        "load_store sampling_rates={'smartwach': 50}",
        lambda f: load_store(f.store, sampling_rates={"smartwach": 50}),
        ValueError,
        r"unknown keys \['smartwach'\]",
    ),
    # readers ---------------------------------------------------------------------------------
    (
        "read_ts of a Latin-1 file",
        lambda f: read_ts(f.latin1),
        ValueError,
        r"latin1.ts: line 3 holds byte 0xe9, which is not UTF-8 .*iconv -f latin1",
    ),
    (
        "read_ts of a UTF-16 file",
        lambda f: read_ts(f.utf16),
        ValueError,
        r"^cannot read \S+utf16.ts: the file is UTF-16 encoded[^\n]*$",
    ),
    (
        "long table with a header only",
        lambda f: read_long_table(f.header_only, id_columns="id", value_columns=["ax", "ay"]),
        ValueError,
        r"header but no data rows",
    ),
    (
        "long table, a 0-byte file",
        lambda f: read_long_table(f.zero_bytes, id_columns="id", value_columns=["ax"]),
        ValueError,
        r"zero.csv: the file is empty",
    ),
    # submissions -----------------------------------------------------------------------------
    (
        "validate_submission of a 0-byte file",
        lambda f: validate_submission(f.zero_bytes),
        ValueError,
        r"zero.csv: the file is empty",
    ),
    (
        "write_submission of raw scores (5, 4, -3)",
        lambda f: write_submission(
            [236, 237], _scores(len(ACTIVITIES)), ACTIVITIES, f.root / "w1.csv"
        ),
        ValueError,
        r"2 rows hold values outside \[0, 1\], e.g. id 236 column 0: 5.0",
    ),
    (
        "write_submission of rows summing to 0.5",
        lambda f: write_submission([236, 237], f.uniform / 2, ACTIVITIES, f.root / "w2.csv"),
        ValueError,
        r"2 rows do not sum to 1 .*id 236 sums to 0.5",
    ),
    (
        "write_submission with ids 236.5",
        lambda f: write_submission([236.5, 237.0], f.uniform, ACTIVITIES, f.root / "w3.csv"),
        ValueError,
        r"ids must be whole numbers \(or strings\), got \[236.5\]",
    ),
    (
        "validate_submission of a header-only file",
        lambda f: validate_submission(f.header_sub),
        ValueError,
        r"has a header but no rows",
    ),
    (
        "validate_submission with ids written 236.0",
        lambda f: validate_submission(f.float_ids, f.template),
        ValueError,
        r"2 template ids missing .*2 ids not in the template \(e.g. \['236.0'",
    ),
    (
        "validate_submission with a non-numeric cell",
        lambda f: validate_submission(f.junk_cell, f.template),
        ValueError,
        r"'abc' at data row 1 \(sample_id 236\) column 'idle'",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused(f, case, call, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before any warning
        with pytest.raises(error, match=message):
            call(f)


def test_cli_rates_typo_is_one_line_and_exit_1(f, tmp_path, capsys):
    """``featurekit ingest DATA STORE --rates smartwach=50``: the typo was ingested with the
    rate left unknown (1.0 at load) without a word; now one line, exit 1, nothing written."""
    store = tmp_path / "store"
    code = main(["ingest", str(f.data), str(store), "--rates", "smartwach=50"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert re.match(
        r"featurekit ingest: error: .*"
        r"unknown keys \['smartwach'\]; known: \['smartwatch', 'vicon'\]",
        err,
    ), err
    assert not store.exists()


def test_write_submission_writes_float_ids_as_integers(f, tmp_path):
    """ids from a float column (236.0) were written 236.000000000000000, which the template
    and validate_submission refuse; they are written 236."""
    path = tmp_path / "s.csv"
    write_submission(np.array([236.0, 237.0]), f.uniform, ACTIVITIES, path, template=f.template)
    assert path.read_text().splitlines()[1].startswith("236,")
    validate_submission(path, f.template)


# ---------------------------------------------------------------------- ingest repairs
CUT = GOOD + f"{TYPES[0]},1,2,0.943137"[:-2]  # lost its tail bytes: "...,1,2,0.9431"
INGEST_FILES = {  # id -> file content
    11: CUT,
    12: GOOD.replace("1.5,1.25,-1", "1e39,1.25,-1", 1),
    13: GOOD.replace("2.5,2.25,-2", "inf,-inf,-2", 1),
    15: GOOD,
    16: GOOD,  # listed nowhere: an orphan
    1640: GOOD,  # listed as 001640
}
INGEST_ROWS = [
    row(11),
    row(12),
    row(13),
    row(15, activity="idle"),
    row(15, activity="walking_freely"),
    row("001640"),
]
INGEST_REPAIRS = [  # case, id, problem, detail, action
    (
        "file cut inside its last number",
        11,
        "truncated",
        r"no final newline",
        r"dropped the last line",
    ),
    (
        "1e39 overflows float32",
        12,
        "non_finite",
        r"1 cells are inf or beyond float32's range "
        r"\(3.4e38\), first 1e\+39 at sample 2 column 'x'",
        r"set 1 cells to NaN",
    ),
    (
        "literal inf and -inf",
        13,
        "non_finite",
        r"2 cells are inf.*first inf at sample 3 column 'x'",
        r"set 2 cells to NaN",
    ),
    (
        "duplicate id with another label",
        15,
        "duplicate_id",
        r"different activity 'idle' vs 'walking_freely'",
        r"kept the first",
    ),
]


@pytest.fixture(scope="module")
def bad_ingest(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-ingest")
    write_layout(root, {f"{i}.csv": text for i, text in INGEST_FILES.items()}, INGEST_ROWS)
    report = ingest_competition(root, root / "store", n_jobs=1, progress=False)
    return root, report, load_store(root / "store")


@pytest.mark.parametrize(
    ("case", "sid", "problem", "detail", "action"),
    INGEST_REPAIRS,
    ids=[c[0] for c in INGEST_REPAIRS],
)
def test_ingest_reports_and_repairs(bad_ingest, case, sid, problem, detail, action):
    _, report, _ = bad_ingest
    rows = report.table[
        (report.table["id"].astype(str) == str(sid)) & (report.table["problem"] == problem)
    ]
    assert len(rows) == 1, report.table.to_dict("records")
    assert re.search(detail, rows["detail"].iloc[0]), rows["detail"].iloc[0]
    assert re.search(action, rows["action"].iloc[0]), rows["action"].iloc[0]


def test_ingest_repairs_reach_the_store(bad_ingest):
    _, report, panel = bad_ingest
    assert len(panel.loc([11]).values) == 4  # the cut line is not stored
    assert 0.9431 not in panel.loc([11]).values
    assert np.isnan(panel.loc([12]).values).sum() == 1  # 1e39 -> NaN, not inf
    assert np.isnan(panel.loc([13]).values).sum() == 2
    assert np.isfinite(panel.values[~np.isnan(panel.values)]).all()


def test_fifo_is_a_read_error_not_opened(tmp_path):
    """A named pipe among the series files blocked ingest forever (open waits for a writer):
    run it in a thread and give up after two minutes."""
    write_layout(tmp_path, {"1.csv": GOOD}, [row(1), row(14)])
    os.mkfifo(tmp_path / SERIES / "14.csv")
    done = {}
    thread = threading.Thread(
        daemon=True,
        target=lambda: done.setdefault(
            "report", ingest_competition(tmp_path, tmp_path / "store", n_jobs=1, progress=False)
        ),
    )
    thread.start()
    thread.join(120)
    assert "report" in done, "ingest hung on the FIFO"
    (problem,) = done["report"].table.to_dict("records")
    assert problem["problem"] == "read_error" and problem["action"] == "skipped"
    assert problem["detail"] == "14.csv is a named pipe (FIFO), not a regular file"


def test_zero_padded_id_is_not_an_orphan(bad_ingest):
    """metadata.csv writes 001640 and the file is 1640.csv: the file was read, so it is no
    orphan (and 16.csv, listed nowhere, is one)."""
    _, report, panel = bad_ingest
    assert 1640 in panel.ids
    orphans = report.of("orphan_file")
    assert list(orphans["id"].astype(str)) == ["16"]


# ---------------------------------------------------------------------- re-ingest
def _small_layout(root):
    files = {f"{i}.csv": GOOD for i in range(1, 7)}
    files["3.csv"] = ""  # empty: skipped at first
    write_layout(root, files, [row(i) for i in range(1, 7)])


def test_reingest_rereads_changed_files(tmp_path):
    """Fix an empty file and edit another, then ingest again into the same store: both
    chunks are read again, the others reused, and the report says so."""
    data, store = tmp_path / "data", tmp_path / "store"
    _small_layout(data)
    first = ingest_competition(data, store, n_jobs=1, progress=False, chunk_size=2)
    assert list(first.of("empty")["id"].astype(str)) == ["3"]
    assert 3 not in load_store(store).ids
    (data / SERIES / "3.csv").write_text(GOOD)  # fixed
    edited = GOOD.replace("0.5,0.25,-0", "9.5,9.25,-9", 1)
    (data / SERIES / "6.csv").write_text(edited)  # edited, same size
    os.utime(data / SERIES / "6.csv", ns=(1, 1))  # and an old mtime
    again = ingest_competition(data, store, n_jobs=1, progress=False, chunk_size=2)
    panel = load_store(store)
    assert 3 in panel.ids and panel.loc([6]).values[0, 0] == 9.5
    assert again.of("empty").empty
    assert (again.files_reused, again.files_reread) == (2, 4)  # chunk 0 only reused
    assert "2 files reused" in again.summary() and "4 of them again" in again.summary()
    assert "empty" not in pd.read_csv(store / "report.csv")["problem"].tolist()


# ---------------------------------------------------------------------- one ingest per store
def test_second_ingest_refused_while_first_alive_and_stale_lock_taken_over(tmp_path):
    data, store = tmp_path / "data", tmp_path / "store"
    _small_layout(data)
    store.mkdir()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = dict(
            pid=alive.pid,
            host=ingest.socket.gethostname(),
            token="other",
            started=ingest._process_start(alive.pid),
        )
        (store / "ingest.lock").write_text(json.dumps(lock))
        with pytest.raises(
            ingest.StoreLockedError,
            match=rf"another ingest \(pid {alive.pid} "
            ".*is writing into",
        ):
            ingest_competition(data, store, n_jobs=1, progress=False)
    finally:
        alive.kill()
        alive.wait()
    report = ingest_competition(data, store, n_jobs=1, progress=False)  # owner dead: taken
    assert report.n_series == 5 and not (store / "ingest.lock").exists()


def test_orphaned_worker_stops_before_writing(tmp_path):
    """A worker of a killed ingest (its lock taken over by a new run) writes nothing."""
    data, store = tmp_path / "data", tmp_path / "store"
    _small_layout(data)
    (store / "samples").mkdir(parents=True)
    (store / "chunks").mkdir()
    (store / "ingest.lock").write_text(json.dumps(dict(token="new-owner")))
    records = [dict(id=1, file=f"{SERIES}/1.csv", sensor="smartwatch", sequence_length=None)]
    with pytest.raises(RuntimeError, match="another ingest owns the store"):
        ingest._ingest_chunk(data, store, 0, records, "float32", token="killed-owner")
    assert not list((store / "samples").iterdir()) and not list((store / "chunks").iterdir())


# ---------------------------------------------------------------------- cache
def test_unwritable_cache_computes_without_it_and_warns_once(f, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = fk.extract(f.panel, "seed", cache=blocker)
    assert [str(w.message) for w in caught] == [
        f"extract: not using the cache, {blocker} cannot be written (FileExistsError: File "
        "exists); computing without it"
    ]
    pd.testing.assert_frame_equal(table, fk.extract(f.panel, "seed", cache=False))


def test_corrupted_cache_entry_recomputes_with_one_warning(f, tmp_path, caplog):
    expected = fk.extract(f.panel, "seed", cache=tmp_path)
    (entry,) = tmp_path.rglob("output.pkl")
    entry.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = fk.extract(f.panel, "seed", cache=tmp_path)
    assert len(caught) == 1 and "could not be read" in str(caught[0].message)
    assert "Traceback" not in caplog.text
    pd.testing.assert_frame_equal(table, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stored again: read back quietly
        pd.testing.assert_frame_equal(fk.extract(f.panel, "seed", cache=tmp_path), expected)


# ---------------------------------------------------------------------- extreme magnitudes
@pytest.mark.parametrize("scale", [1e300, 1e200, 1e-200, 1e-300])
@pytest.mark.parametrize("numba", ["1", "0"])
def test_moments_stay_finite_for_extreme_magnitudes(f, monkeypatch, scale, numba):
    """A series scaled by ``scale`` keeps its shape features and scales its std: before,
    std was inf (or 0), is_constant true and skew/spectral features 0 with a warning."""
    monkeypatch.setenv("FEATUREKIT_NUMBA", numba)
    panel = f.panel.replace(
        values=f.panel.values * np.repeat([[scale], [1], [1], [1]], f.panel.lengths, axis=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = fk.extract(panel, "default")
    reference = fk.extract(f.panel, "default")
    big, ref = table.iloc[0], reference.iloc[0]
    invariant = [
        c
        for c in table.columns
        if re.search(
            r"__(skew|kurtosis|autocorr|corr|spectral|dominant|band_power|mean_crossing)", c
        )
    ]
    np.testing.assert_allclose(big[invariant], ref[invariant], rtol=1e-9, atol=1e-12)
    for column in ("x__std", "x__mean", "x__quantile__q-0.25", "mag__std", "x__max"):
        np.testing.assert_allclose(big[column], ref[column] * scale, rtol=1e-9)
    assert np.isfinite(big.drop([c for c in big.index if c.endswith("__energy")])).all()
    pd.testing.assert_frame_equal(table.iloc[1:], reference.iloc[1:])
