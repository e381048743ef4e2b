"""ingest_competition: every series checked against a plain pandas read of its file, and one
hand-made broken file per problem the report must name."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from featurekit.competition import ingest as competition
from featurekit.competition.ingest import ingest_competition
from featurekit.io.report import IngestReport
from featurekit.io.store import load_store, store_chunks

TYPES = ["acceleration [m/s/s]", "angular velocity [rad/s]", "magnetic field [μT]"]
SERIES = "unlabeled/unlabeled"


def smartwatch_text(rng, n: int) -> str:
    """A smartwatch file: n rows of each measurement type, types interleaved."""
    values = rng.normal(size=(3 * n, 3)).round(6)
    kinds = np.tile(TYPES, n)
    return pd.DataFrame(
        {"measurement type": kinds, "x": values[:, 0], "y": values[:, 1], "z": values[:, 2]}
    ).to_csv(index=False)


def vicon_text(rng, n: int) -> str:
    values = rng.normal(size=(n, 3)).round(6)
    return pd.DataFrame(values, columns=["x [m]", "y [m]", "z [m]"]).to_csv(index=False)


def write_layout(root, files: dict, rows: list[dict]) -> None:
    """Write train.csv / metadata.csv from ``rows`` (activity None = unlabeled) and the files."""
    (root / SERIES).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if text is not None:
            (root / SERIES / name).write_bytes(text.encode() if isinstance(text, str) else text)
    table = pd.DataFrame(rows)
    columns = ["userid", "activity", "sensor", "body_part", "side", "id", "sequence_length"]
    table = table.reindex(columns=columns)
    table[table["activity"].notna()].to_csv(root / "train.csv", index=False)
    table[table["activity"].isna()].drop(columns="activity").to_csv(
        root / "metadata.csv", index=False
    )


def row(i, sensor="smartwatch", activity="idle", seq=None, user="user01", side="left"):
    return dict(
        userid=user,
        activity=activity,
        sensor=sensor,
        body_part="hand",
        side=side,
        id=i,
        sequence_length=seq,
    )


def reference(path, sensor) -> np.ndarray:
    """What the seed did: pandas.read_csv then keep the acceleration rows."""
    df = pd.read_csv(path)
    if sensor == "smartwatch":
        return df.loc[df["measurement type"] == TYPES[0], ["x", "y", "z"]].to_numpy()
    return df[["x [m]", "y [m]", "z [m]"]].to_numpy()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """12 good series of both sensors, labeled and unlabeled, ingested in chunks of 5."""
    root = tmp_path_factory.mktemp("clean")
    rng = np.random.default_rng(1)
    files, rows = {}, []
    for k in range(12):
        i = 100 + k
        sensor = "vicon" if k % 3 == 0 else "smartwatch"
        n = int(rng.integers(20, 60))
        files[f"{i}.csv"] = (vicon_text if sensor == "vicon" else smartwatch_text)(rng, n)
        seq = n if sensor == "vicon" else 3 * n
        rows.append(
            row(
                i,
                sensor,
                activity=None if k % 4 == 3 else ["idle", "typing"][k % 2],
                seq=seq,
                user=f"user0{k % 3 + 1}",
            )
        )
    write_layout(root, files, rows)
    store = root / "store"
    report = ingest_competition(
        root,
        store,
        n_jobs=1,
        progress=False,
        chunk_size=5,
        sampling_rates={"smartwatch": 20.0, "vicon": 100.0},
    )
    return root, store, report, pd.DataFrame(rows)


def test_clean_ingest_matches_pandas_per_series(clean):
    root, store, report, rows = clean
    panel = load_store(store)
    assert len(report.table) == 0 and report.n_series == 12
    assert list(panel.ids) == sorted(rows["id"])
    assert panel.values.dtype == np.float32
    for i, sid in enumerate(panel.ids):
        r = rows.set_index("id").loc[sid]
        expected = reference(root / SERIES / f"{sid}.csv", r["sensor"])
        np.testing.assert_allclose(panel.series(i), expected, rtol=1e-6, atol=1e-6)
        m = panel.meta.loc[sid]
        assert m["sensor"] == r["sensor"] and m["group"] == r["userid"]
        assert m["split"] == ("test" if pd.isna(r["activity"]) else "train")
        assert pd.isna(m["label"]) if pd.isna(r["activity"]) else m["label"] == r["activity"]
        assert panel.sampling_rate[i] == (100.0 if r["sensor"] == "vicon" else 20.0)


def test_store_files_and_manifest(clean):
    _, store, _, _ = clean
    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["n_chunks"] == 3 == len(store_chunks(store))
    assert manifest["sampling_rates"] == {"smartwatch": 20.0, "vicon": 100.0}
    series = pd.read_parquet(store / "series.parquet")
    expected = {
        "id",
        "userid",
        "sensor",
        "body_part",
        "side",
        "activity",
        "split",
        "file",
        "rows_read",
        "n_samples",
        "nan_samples",
        "chunk",
        "offset",
    }
    assert expected <= set(series.columns)
    assert (store / "report.csv").exists()
    assert not list(store.rglob(".*tmp*"))


# ---------------------------------------------------------------------- bad input, one file each
GOOD = "measurement type,x,y,z\n" + "".join(
    f"{t},{k}.5,{k}.25,-{k}\n" for k in range(4) for t in TYPES
)


def _broken_layout(root):
    files = {
        "1.csv": GOOD,  # fine
        "3.csv": "",  # empty
        "4.csv": "measurement type,x,y,z\n",  # header only
        "5.csv": GOOD.replace("measurement type,x,y,z", "type,a,b,c"),  # wrong header
        "6.csv": GOOD,  # vicon id, sw header
        "7.csv": GOOD.replace("1.5,1.25", "1.5,abc", 1),  # non-numeric
        "8.csv": GOOD.replace("2.5,2.25", "2.5,", 1),  # NaN cell
        "9.csv": GOOD + "pressure [hPa],1,2,3\n",  # unknown type
        "10.csv": GOOD,  # duplicate id
        "11.csv": "measurement type,x,y,z\n" + f"{TYPES[0]},,,\n" * 3,  # NaN-only
        "12.csv": GOOD + f"{TYPES[0]},7.5",  # truncated last line
        "13.csv": GOOD,  # orphan
        "14.csv": "measurement type,x,y,z\n" + f"{TYPES[1]},1,2,3\n",  # no acceleration
        "15.csv": GOOD,  # seq length mismatch
        "16.csv": GOOD.replace(f"{TYPES[0]},1.5,1.25,-1", f"{TYPES[0]},1.5,1.25,-1,9"),
        "17.csv": GOOD,  # unknown sensor
    }
    rows = [
        row(1, seq=12),
        row(2),
        row(3),
        row(4),
        row(5),
        row(6, sensor="vicon"),
        row(7),
        row(8, activity=None),
        row(9),
        row(10),
        row(10, activity=None, user="user02"),
        row(11, activity=None),
        row(12, seq=13),
        row(14),
        row(15, seq=99),
        row(16),
        row(17, sensor="fitbit"),
        row("x18", activity=None),
    ]
    write_layout(root, files, rows)


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken")
    _broken_layout(root)
    report = ingest_competition(root, root / "store", n_jobs=1, progress=False, chunk_size=4)
    return root, report, load_store(root / "store")


CASES = [  # id, problem, action starts with, stored?
    (2, "missing", "skipped", False),
    (3, "empty", "skipped", False),
    (4, "empty", "skipped", False),
    (5, "wrong_header", "skipped", False),
    (6, "wrong_header", "skipped", False),
    (7, "non_numeric", "repaired: coerced to NaN", True),
    (8, "nan", "kept", True),
    (9, "unknown_measurement", "skipped those rows", True),
    (10, "duplicate_id", "skipped this row", True),
    (11, "nan_only", "kept", True),
    (12, "truncated", "repaired: dropped the last line", True),
    ("13", "orphan_file", "skipped", False),
    (14, "empty", "skipped", False),
    (15, "length_mismatch", "kept", True),
    (16, "malformed_rows", "skipped those rows", True),
    (17, "unknown_sensor", "skipped", False),
    ("x18", "bad_id", "skipped", False),
]


@pytest.mark.parametrize(("sid", "problem", "action", "stored"), CASES)
def test_each_bad_file_is_reported_and_others_ingested(broken, sid, problem, action, stored):
    _, report, panel = broken
    rows = report.table[report.table["id"].astype(str) == str(sid)]
    hit = rows[rows["problem"] == problem]
    assert len(hit) == 1, rows.to_dict("records")
    assert hit["action"].iloc[0].startswith(action)
    assert hit["file"].iloc[0] != ""
    if isinstance(sid, int):
        assert (sid in panel.ids) == stored


def test_bad_files_are_repaired_as_reported(broken):
    root, report, panel = broken
    good = reference(root / SERIES / "1.csv", "smartwatch")
    np.testing.assert_array_equal(panel.loc([1]).values, good.astype(np.float32))
    v7 = panel.loc([7]).values
    assert np.isnan(v7[1, 1]) and np.isnan(v7).sum() == 1  # only the bad cell
    assert panel.meta.loc[8, "nan_samples"] == 1
    assert panel.meta.loc[11, "nan_samples"] == 3 == len(panel.loc([11]).values)
    np.testing.assert_array_equal(panel.loc([9]).values, good.astype(np.float32))
    assert len(panel.loc([12]).values) == 4  # the cut line dropped
    assert len(panel.loc([16]).values) == 3  # the 5-field row dropped
    assert panel.meta.loc[10, "split"] == "train"  # first of the duplicates
    assert report.n_series == len(panel) == 9
    assert set(report.counts.index) == {c[1] for c in CASES}


def test_report_csv_and_summary(broken):
    root, report, _ = broken
    saved = IngestReport.read_csv(root / "store" / "report.csv")
    assert len(saved.table) == len(report.table)
    assert list(saved.table.columns) == ["id", "file", "problem", "detail", "action"]
    text = str(report)
    assert "9 series" in text and "nan_only" in text and "orphan_file" in text


def test_unusable_layout_raises_one_error_listing_all(tmp_path):
    (tmp_path / "train.csv").write_text("userid,id\nuser01,1\n")
    with pytest.raises(ValueError) as err:
        ingest_competition(tmp_path, tmp_path / "store", progress=False)
    message = str(err.value)
    assert "unlabeled/unlabeled" in message and "metadata.csv is missing" in message
    assert "train.csv lacks columns" in message and "activity" in message


def test_layout_listing_no_series_is_refused_before_writing_a_store(tmp_path):
    """Regression: tables with headers only crashed with KeyError 'id' after the store's
    plan and folders had been written."""
    write_layout(tmp_path, {}, [row(1)])
    for name in ("train.csv", "metadata.csv"):  # keep the headers, drop every row
        path = tmp_path / name
        path.write_text(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(ValueError, match="list no usable series"):
        ingest_competition(tmp_path, tmp_path / "store", progress=False)
    assert not (tmp_path / "store").exists()


# ---------------------------------------------------------------------- resuming
def test_interrupted_ingest_resumes_without_redoing_chunks(tmp_path, monkeypatch):
    root = tmp_path / "data"
    rng = np.random.default_rng(2)
    files = {f"{i}.csv": smartwatch_text(rng, 10) for i in range(10)}
    write_layout(root, files, [row(i, seq=30) for i in range(10)])
    store = tmp_path / "store"
    real = competition.parse_series_file
    calls = []

    def flaky(path, sensor, seq=None):
        calls.append(path.stem)
        if path.stem == "7":
            raise KeyboardInterrupt
        return real(path, sensor, seq)

    monkeypatch.setattr(competition, "parse_series_file", flaky)
    with pytest.raises(KeyboardInterrupt):
        ingest_competition(root, store, n_jobs=1, progress=False, chunk_size=3)
    with pytest.raises(FileNotFoundError, match="resume"):
        load_store(store)
    done = sorted(p.name for p in (store / "samples").glob("part-*.parquet"))
    assert done == ["part-00000.parquet", "part-00001.parquet"]
    mtimes = {p: p.stat().st_mtime_ns for p in (store / "samples").iterdir()}
    with pytest.raises(ValueError, match="chunk_size"):
        ingest_competition(root, store, n_jobs=1, progress=False, chunk_size=4)

    monkeypatch.setattr(competition, "parse_series_file", real)
    calls.clear()
    monkeypatch.setattr(
        competition, "parse_series_file", lambda p, s, q=None: calls.append(p.stem) or real(p, s, q)
    )
    report = ingest_competition(root, store, n_jobs=1, progress=False, chunk_size=3)
    assert sorted(calls, key=int) == ["6", "7", "8", "9"]  # chunks 0 and 1 not redone
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items())
    assert report.n_series == 10
    panel = load_store(store)
    for i in range(10):
        np.testing.assert_array_equal(
            panel.loc([i]).values,
            reference(root / SERIES / f"{i}.csv", "smartwatch").astype(np.float32),
        )


@pytest.mark.slow
def test_parallel_ingest_equals_serial(tmp_path, broken):
    root, report, panel = broken
    again = ingest_competition(root, tmp_path / "store", n_jobs=2, progress=False, chunk_size=3)
    other = load_store(tmp_path / "store")
    np.testing.assert_array_equal(other.values, panel.values)
    assert list(other.ids) == list(panel.ids)
    key = ["id", "problem"]
    pd.testing.assert_frame_equal(
        again.table.astype(str).sort_values(key).reset_index(drop=True),
        report.table.astype(str).sort_values(key).reset_index(drop=True),
    )


def test_non_utf8_units_and_unforeseen_errors(tmp_path, monkeypatch):
    """A 'μT' written in a Greek code page (not UTF-8) stays on the fast path and is not reported; an unexpected exception in
    one file becomes a read_error row instead of stopping the ingest."""
    root = tmp_path / "data"
    write_layout(
        root,
        {"1.csv": GOOD.encode("cp1253"), "2.csv": GOOD, "3.csv": GOOD},
        [row(1, seq=12), row(2, seq=12), row(3, seq=12)],
    )
    calls = []
    fast = competition._fast
    monkeypatch.setattr(competition, "_fast", lambda d, s: calls.append(1) or fast(d, s))
    monkeypatch.setattr(competition, "_forgiving", None)  # the slow path must not be needed
    real = competition.parse_series_file

    def failing(path, sensor, seq=None):
        if path.stem == "3":
            raise RuntimeError("disk hiccup")
        return real(path, sensor, seq)

    monkeypatch.setattr(competition, "parse_series_file", failing)
    report = ingest_competition(root, tmp_path / "store", n_jobs=1, progress=False)
    assert list(report.table["problem"]) == ["read_error"]
    assert "disk hiccup" in report.table["detail"].iloc[0]
    panel = load_store(tmp_path / "store")
    assert list(panel.ids) == [1, 2] and len(calls) == 2
    np.testing.assert_array_equal(panel.loc([1]).values, panel.loc([2]).values)


def test_report_repr_and_html_summarise_counts_by_outcome(broken):
    """A notebook shows a few lines, not the table: totals, problems by outcome and kind."""
    _, report, _ = broken
    text = repr(report)
    assert text.startswith("IngestReport(") and len(text.splitlines()) <= 4
    assert "9 series" in text and "15 files read" in text  # 15 listed in the CSVs
    outcomes = report.outcomes()
    # CASES plus the NaN that file 7's repair leaves: 4 repairs (coerced cells, cut last
    # line, rows of unknown type and malformed rows dropped), 10 skips (9 files and the
    # duplicate's second row), 4 kept as flagged (NaN, NaN-only, length mismatch)
    assert outcomes[["repaired", "skipped", "kept"]].sum().to_dict() == {
        "repaired": 4,
        "skipped": 10,
        "kept": 4,
    }
    assert (outcomes["n"] == outcomes[["repaired", "skipped", "kept"]].sum(axis=1)).all()
    assert outcomes.loc["empty", "skipped"] == 3 and outcomes.loc["truncated", "repaired"] == 1
    assert "18 problems: 4 repaired, 10 skipped, 4 kept" in text
    assert "by problem: empty 3," in text and "and 8 more" in text  # 14 kinds, 6 named
    page = report._repr_html_()
    assert page.count("<tr>") == 1 + len(report.counts)  # header + one row per problem
    assert "<td>empty</td><td>3</td><td>0</td><td>3</td><td>0</td>" in page
    assert "holds no samples" in page  # the problem's meaning


def test_empty_report_repr():
    report = IngestReport(n_series=2, n_files=2, n_samples=10, source="data")
    assert repr(report) == (
        "IngestReport(data: 2 files read, 2 series, 10 samples in 0.0 s)\n"
        "  0 problems: 0 repaired, 0 skipped, 0 kept"
    )
    assert "<table>" not in report._repr_html_() and "0 problems" in report._repr_html_()
