"""load_store / iter_store / load_store_chunk on a store ingested from make_competition, checked
against plain pandas reads of the source files and against the full load."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from featurekit.competition.ingest import ingest_competition
from featurekit.competition.synthetic import SMARTWATCH_HZ, VICON_HZ, make_competition
from featurekit.io import store as st
from featurekit.io.store import iter_store, load_store, load_store_chunk, store_chunks
from featurekit.panel import Panel

ACC = "acceleration [m/s/s]"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """40 synthetic series in chunks of 7, several row groups per chunk."""
    root = tmp_path_factory.mktemp("store")
    data = make_competition(root / "data", n_series=40, seed=1)
    old, st.ROW_GROUP_ROWS = st.ROW_GROUP_ROWS, 4000
    try:
        report = ingest_competition(
            data,
            root / "store",
            n_jobs=1,
            progress=False,
            chunk_size=7,
            sampling_rates={"smartwatch": SMARTWATCH_HZ, "vicon": VICON_HZ},
        )
    finally:
        st.ROW_GROUP_ROWS = old
    return data, root / "store", report, load_store(root / "store")


def _pandas(path, sensor) -> np.ndarray:
    df = pd.read_csv(path)
    if sensor == "smartwatch":
        return df.loc[df["measurement type"] == ACC, ["x", "y", "z"]].to_numpy()
    return df[["x [m]", "y [m]", "z [m]"]].to_numpy()


def _same(a: Panel, b: Panel) -> None:
    assert list(a.ids) == list(b.ids) and a.channels == b.channels
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.sampling_rate, b.sampling_rate)
    pd.testing.assert_frame_equal(a.meta, b.meta)


def test_full_load_matches_the_source_files(built):
    data, _, report, full = built
    listed = pd.concat([pd.read_csv(data / "train.csv"), pd.read_csv(data / "metadata.csv")])
    assert report.n_series == len(full) == len(listed)
    assert set(report.table["problem"]) <= {"nan", "nan_only"}
    for i, sid in enumerate(full.ids):
        meta = full.meta.loc[sid]
        ref = _pandas(data / meta["file"], meta["sensor"])
        np.testing.assert_allclose(full.series(i), ref, rtol=2e-7, atol=1e-7)
        assert meta["nan_samples"] == np.isnan(ref).any(axis=1).sum()
        assert full.sampling_rate[i] == (VICON_HZ if meta["sensor"] == "vicon" else SMARTWATCH_HZ)
    labeled = full.meta["split"] == "train"
    assert full.meta.loc[labeled, "label"].notna().all()
    assert full.meta.loc[~labeled, "label"].isna().all()
    assert (full.meta["group"] == full.meta["userid"]).all()


def test_subset_by_ids_keeps_their_order(built):
    _, store, _, full = built
    ids = [full.ids[30], full.ids[2], full.ids[17]]
    _same(load_store(store, ids=ids), full.loc(ids))


def test_where_dict_callable_and_columns(built):
    _, store, _, full = built
    vicon = load_store(store, where={"sensor": "vicon"})
    _same(vicon, full.take(full.meta["sensor"].to_numpy() == "vicon"))
    mask = (full.meta["sensor"] == "smartwatch") & (full.meta["split"] == "test")
    _same(
        load_store(store, where=lambda s: (s["sensor"] == "smartwatch") & (s["split"] == "test")),
        full.take(mask.to_numpy()),
    )
    _same(load_store(store, columns=["z", "x"]), full.select_channels(["z", "x"]))
    users = load_store(store, where={"userid": ["user01", "user02"]})
    assert set(users.meta["userid"]) == {"user01", "user02"}


def test_subset_reads_only_the_row_groups_it_needs(built, monkeypatch):
    _, store, _, full = built
    read = []
    original = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(
        pq.ParquetFile,
        "read_row_groups",
        lambda self, groups, **kw: read.append(groups) or original(self, groups, **kw),
    )
    sid = full.ids[len(full) // 2]
    chunk = int(full.meta.loc[sid, "chunk"])
    n_groups = pq.ParquetFile(store_chunks(store)[chunk]).metadata.num_row_groups
    assert n_groups > 3
    _same(load_store(store, ids=[sid]), full.loc([sid]))
    assert len(read) == 1 and len(read[0]) <= 2 < n_groups


def test_iter_store_and_chunks_cover_the_store(built):
    _, store, _, full = built
    _same(Panel.concat(list(iter_store(store, 6))), full)
    paths = store_chunks(store)
    assert len(paths) == 6 and all(p.exists() for p in paths)
    per_chunk = list(iter_store(store))
    assert len(per_chunk) == len(paths)
    for i, panel in enumerate(per_chunk):
        _same(panel, load_store_chunk(store, i))
    _same(Panel.concat(per_chunk), full)
    test_only = Panel.concat(list(iter_store(store, 4, where={"split": "test"})))
    _same(test_only, full.take(full.meta["split"].to_numpy() == "test"))


def test_sampling_rates_can_be_overridden(built):
    _, store, _, full = built
    panel = load_store(store, where={"sensor": "vicon"}, sampling_rates={"vicon": 120.0})
    assert np.all(panel.sampling_rate == 120.0)


def test_errors_name_the_problem(built, tmp_path):
    _, store, _, full = built
    with pytest.raises(KeyError, match="987654321"):
        load_store(store, ids=[full.ids[0], 987654321])
    with pytest.raises(ValueError, match="unknown columns"):
        load_store(store, columns=["w"])
    with pytest.raises(ValueError, match="unknown columns"):
        load_store(store, where={"colour": "red"})
    with pytest.raises(TypeError, match="where"):
        load_store(store, where="sensor == 'vicon'")
    with pytest.raises(IndexError, match="6 chunks"):
        load_store_chunk(store, 6)
    with pytest.raises(FileNotFoundError, match="not a featurekit store"):
        load_store(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": st.FORMAT, "version": 99}))
    with pytest.raises(ValueError, match="upgrade featurekit"):
        load_store(tmp_path)


def test_chunk_loads_follow_a_rewritten_series_table(built, tmp_path):
    """load_store_chunk reads series.parquet once per process (a worker streams many
    chunks); a store whose series table changes is read again."""
    import shutil

    _, store, _, _ = built
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    for i in range(6):  # the cached table gives what a filtered read of the file gives
        rows = pd.read_parquet(copy / "series.parquet", filters=[("chunk", "==", i)])
        assert list(load_store_chunk(copy, i).ids) == rows["id"].tolist()
    series = pd.read_parquet(copy / "series.parquet")
    series["activity"] = "renamed"
    series.to_parquet(copy / "series.parquet", index=False)
    assert set(load_store_chunk(copy, 2).meta["activity"]) == {"renamed"}
