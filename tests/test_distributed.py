"""Streaming extraction from a store, and the Dask backend on a real LocalCluster."""

import numpy as np
import pandas as pd
import pytest

import featurekit as fk
from featurekit.io import load_store
from featurekit.preprocess import PanelTransformer, fill_nan

pytestmark = pytest.mark.slow  # a real Dask LocalCluster

FILL = PanelTransformer(fill_nan)


@pytest.fixture(scope="module")
def store(competition_store):
    """48 synthetic series in chunks of 12 (tests/conftest.py)."""
    return competition_store


@pytest.fixture(scope="module")
def in_memory_table(store):
    return fk.extract(FILL.transform(load_store(store)), "default")


def test_store_streams_to_the_same_table(store, in_memory_table):
    streamed = fk.extract(store, "default", preprocess=FILL, progress=False)
    pd.testing.assert_frame_equal(streamed, in_memory_table)


def test_store_with_nan_and_no_preprocess_names_ids(store):
    with pytest.raises(ValueError, match="NaN samples in .* ids"):
        fk.extract(store, "seed", progress=False)


def test_extract_to_parquet_writes_incrementally(store, in_memory_table, tmp_path):
    path = fk.extract_to_parquet(
        store, tmp_path / "features.parquet", "default", preprocess=FILL, progress=False
    )
    written = pd.read_parquet(path).set_index("id")
    np.testing.assert_array_equal(written.index, in_memory_table.index)
    pd.testing.assert_frame_equal(
        written, in_memory_table, check_names=False, check_index_type=False
    )


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def test_dask_backend_equals_local_exactly(store, in_memory_table, client):
    table = fk.extract(
        store, "default", preprocess=FILL, backend="dask", client=client, progress=False
    )
    assert list(table.columns) == list(in_memory_table.columns)
    np.testing.assert_array_equal(table.index, in_memory_table.index)
    np.testing.assert_array_equal(table.to_numpy(), in_memory_table.to_numpy())


def test_dask_workers_read_chunks_from_the_store(store, client):
    fk.extract(store, "seed", preprocess=FILL, backend="dask", client=client, progress=False)
    prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    # Store chunks run as `_run_store_chunk(store_path, index, job)`: no samples in the task.
    assert any("run_store_chunk" in str(prefix) for prefix in prefixes), prefixes


def test_dask_backend_on_a_panel(client):
    rng = np.random.default_rng(0)
    panel = fk.Panel.from_arrays(
        [rng.normal(size=(n, 2)) for n in (30, 50, 70, 90)], channels=["a", "b"]
    )
    local = fk.extract(panel, "stats", chunk_size=2)
    remote = fk.extract(panel, "stats", chunk_size=2, backend="dask", client=client)
    pd.testing.assert_frame_equal(local, remote, check_exact=True)


def test_unknown_backend():
    panel = fk.Panel.from_arrays([np.ones(3)])
    with pytest.raises(ValueError, match="backend must be one of"):
        fk.extract(panel, "seed", backend="spark")


def test_xgboost_dask_classifier_takes_the_table(store, client):
    xgboost_dask = pytest.importorskip("xgboost.dask")
    import dask.dataframe as dd

    table = fk.extract(
        store, "seed", preprocess=FILL, backend="dask", client=client, progress=False
    )
    labels = load_store(store).meta["label"].reindex(table.index)
    labelled = labels.notna().to_numpy()
    codes = pd.Categorical(labels[labelled]).codes
    X = dd.from_pandas(table[labelled], npartitions=2)
    y = dd.from_pandas(pd.Series(codes, index=table.index[labelled]), npartitions=2)
    model = xgboost_dask.DaskXGBClassifier(n_estimators=5, max_depth=3, tree_method="hist")
    model.client = client
    model.fit(X, y)
    proba = model.predict_proba(X).compute()
    assert proba.shape == (int(labelled.sum()), len(np.unique(codes)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
