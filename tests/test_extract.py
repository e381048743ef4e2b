"""featurekit.extract: chunking, parallelism, cache, edge cases, tsfresh, the transformer."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.base import clone

import featurekit as fk
import featurekit.extraction as extract_module
from featurekit.datasets import make_competition
from featurekit.io import ingest_competition, load_store_chunk
from featurekit.preprocess import PanelTransformer, fill_nan
from tests.test_features import ragged_panel


@pytest.mark.slow
def test_chunks_and_jobs_do_not_change_the_table():
    panel = ragged_panel(n=30)
    whole = fk.extract(panel, "default")
    chunked = fk.extract(panel, "default", chunk_size=7, n_jobs=2)
    pd.testing.assert_frame_equal(whole, chunked, rtol=1e-12)
    assert whole.index.equals(panel.ids)


def test_nan_is_refused_naming_the_ids():
    arrays = [np.ones((5, 1)), np.array([[1.0], [np.nan], [2.0]]), np.ones((4, 1))]
    panel = fk.Panel.from_arrays(arrays, ids=["a", "b", "c"], channels=["x"])
    with pytest.raises(ValueError, match=r"NaN samples in 1 series, ids \['b'\].*fill_nan"):
        fk.extract(panel, "seed")


def test_inf_is_refused():
    panel = fk.Panel.from_arrays([np.array([1.0, np.inf, 0.0])], ids=[7], channels=["x"])
    with pytest.raises(ValueError, match=r"inf samples in 1 series, ids \[7\]"):
        fk.extract(panel, "seed")


@pytest.mark.slow
def test_float32_single_series_single_channel_string_ids():
    x = np.random.default_rng(0).normal(size=(100, 1))
    p64 = fk.Panel.from_arrays([x], ids=["only"], channels=["x"], sampling_rate=20)
    p32 = fk.Panel.from_arrays(
        [x.astype(np.float32)], ids=["only"], channels=["x"], sampling_rate=20
    )
    t64, t32 = fk.extract(p64, "default"), fk.extract(p32, "default")
    assert t32.index.tolist() == ["only"]
    assert (t32.dtypes == np.float64).all()
    np.testing.assert_allclose(t32["x__mean"], x.astype(np.float32).mean(dtype=np.float64))
    np.testing.assert_allclose(t32.to_numpy(), t64.to_numpy(), rtol=1e-4, atol=1e-5)
    assert "x__corr__with-y" not in t64.columns  # one channel: no pairs


def test_empty_panel():
    panel = fk.Panel.from_arrays([], channels=["x"])
    table = fk.extract(panel, "seed")
    assert table.shape == (0, 8)


def test_cache_returns_same_table_and_recomputes_on_change(tmp_path, monkeypatch):
    computed = []
    original = extract_module._extract_chunks

    def counting(*args, **kwargs):
        computed.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(extract_module, "_extract_chunks", counting)
    panel = ragged_panel(n=8)
    first = fk.extract(panel, "seed", cache=tmp_path)
    again = fk.extract(panel, "seed", cache=tmp_path)
    assert len(computed) == 1
    pd.testing.assert_frame_equal(first, again)

    changed = panel.replace(values=panel.values.copy())
    changed.values[3, 0] += 1.0
    fk.extract(changed, "seed", cache=tmp_path)
    assert len(computed) == 2
    fk.extract(panel, "stats", cache=tmp_path)
    assert len(computed) == 3
    fk.extract(panel.replace(sampling_rate=panel.sampling_rate * 2), "seed", cache=tmp_path)
    assert len(computed) == 4


def test_cache_from_environment_and_off(tmp_path, monkeypatch):
    monkeypatch.setenv("FEATUREKIT_CACHE", str(tmp_path))
    fk.extract(ragged_panel(n=3), "seed")
    assert any(tmp_path.rglob("*.pkl"))
    computed = []
    monkeypatch.setattr(
        extract_module, "_extract_chunks", lambda *a, **k: computed.append(1) or pd.DataFrame()
    )
    fk.extract(ragged_panel(n=3), "seed", cache=False)
    assert computed == [1]


def test_extract_refuses_non_panel():
    with pytest.raises(TypeError, match="Panel"):
        fk.extract(np.zeros((3, 4)))


def test_feature_extractor_in_sklearn():
    panel = ragged_panel(n=6)
    extractor = fk.FeatureExtractor("seed").fit(panel)
    out = extractor.transform(panel)
    assert list(out.columns) == list(extractor.get_feature_names_out())
    assert out.shape == (6, 24)
    assert clone(extractor).get_params()["features"] == "seed"
    pandas_out = fk.FeatureExtractor("seed").set_output(transform="pandas").fit_transform(panel)
    pd.testing.assert_frame_equal(pandas_out, out)
    with pytest.raises(ValueError, match="channels"):
        extractor.transform(panel.select_channels(["x", "y"]))


TSFRESH_PAIRS = {
    "mean": "mean",
    "std": "standard_deviation",
    "min": "minimum",
    "max": "maximum",
    "median": "median",
    "energy": "abs_energy",
    "abs_sum_of_changes": "absolute_sum_of_changes",
    "mean_abs_change": "mean_abs_change",
    "count_above_mean": "count_above_mean",
    "rms": "root_mean_square",
    "length": "length",
}


@pytest.mark.slow
def test_overlapping_features_match_tsfresh():
    pytest.importorskip("tsfresh")
    from tsfresh import extract_features

    panel = ragged_panel(n=12, channels=("x", "y"))
    ours = fk.extract(panel, "stats")
    settings = {name: None for name in TSFRESH_PAIRS.values()}
    settings.update(
        {
            "quantile": [{"q": 0.1}, {"q": 0.9}],
            "autocorrelation": [{"lag": 2}],
            "linear_trend": [{"attr": "slope"}],
        }
    )
    theirs = extract_features(
        panel.to_long(),
        column_id="id",
        column_sort="time",
        column_kind="kind",
        column_value="value",
        default_fc_parameters=settings,
        disable_progressbar=True,
        n_jobs=0,
    ).loc[panel.ids]
    for channel in ("x", "y"):
        # On a constant series tsfresh counts every sample above the mean when np.mean rounds
        # below the value; featurekit's mean is exact there, so it counts none.
        constant = (ours[f"{channel}__std"] == 0).to_numpy()
        assert constant.any() == (channel == "y")  # ragged_panel makes y constant now and then
        assert (ours.loc[constant, f"{channel}__count_above_mean"] == 0).all()
        for ours_name, their_name in TSFRESH_PAIRS.items():
            rows = ~constant if ours_name == "count_above_mean" else slice(None)
            np.testing.assert_allclose(
                ours[f"{channel}__{ours_name}"][rows],
                theirs[f"{channel}__{their_name}"][rows],
                rtol=1e-6,
                atol=1e-12,
            )
        np.testing.assert_allclose(
            ours[f"{channel}__quantile__q-0.1"], theirs[f"{channel}__quantile__q_0.1"], rtol=1e-6
        )
        np.testing.assert_allclose(
            ours[f"{channel}__linear_trend_slope"],
            theirs[f'{channel}__linear_trend__attr_"slope"'],
            rtol=1e-6,
        )
        non_constant = ours[f"{channel}__ptp"] > 0  # tsfresh gives NaN, featurekit 0
        np.testing.assert_allclose(
            ours[f"{channel}__autocorr__lag-2"][non_constant],
            theirs[f"{channel}__autocorrelation__lag_2"][non_constant],
            rtol=1e-6,
        )


def test_tsfresh_feature_set_runs_real_tsfresh():
    pytest.importorskip("tsfresh")
    panel = ragged_panel(n=4, channels=("x", "y"))
    table = fk.extract(panel, "tsfresh-minimal")
    assert table.index.equals(panel.ids)
    assert "x__tsfresh.mean" in table.columns
    np.testing.assert_allclose(
        table["x__tsfresh.mean"], [panel.series(i)[:, 0].mean() for i in range(4)]
    )
    quantiles = fk.extract(panel, fk.features.tsfresh_set({"quantile": [{"q": 0.25}]}))
    assert list(quantiles.columns) == ["x__tsfresh.quantile__q-0.25", "y__tsfresh.quantile__q-0.25"]
    for column in table.columns:
        fk.parse_feature_name(column)
    combined = fk.extract(panel, ["seed", "tsfresh-minimal"])
    assert {"x__mean", "x__tsfresh.mean"} <= set(combined.columns)


def test_huge_finite_values_are_not_mistaken_for_inf():
    panel = fk.Panel.from_arrays([np.full((4, 1), 1e308)], channels=["x"])
    assert fk.extract(panel, "seed")["x__max"].iloc[0] == 1e308


def test_extract_to_parquet_over_a_store_whose_first_chunk_is_empty(tmp_path):
    """Every file of the first stored chunk is missing: the chunk is empty, the rest is written."""
    data = make_competition(tmp_path / "data", n_series=24, seed=3)
    ids = sorted(
        pd.concat([pd.read_csv(data / name)["id"] for name in ("train.csv", "metadata.csv")])
    )
    for series_id in ids[:8]:
        (data / "unlabeled" / "unlabeled" / f"{series_id}.csv").unlink()
    store = tmp_path / "store"
    ingest_competition(data, store, n_jobs=1, progress=False, chunk_size=8)
    empty, full = load_store_chunk(store, 0), load_store_chunk(store, 1)
    assert len(empty) == 0 and empty.ids.dtype == full.ids.dtype == np.int64

    fill = PanelTransformer(fill_nan, {"all_nan": "drop"})
    path = fk.extract_to_parquet(
        store, tmp_path / "features.parquet", "seed", preprocess=fill, progress=False
    )
    expected = fk.extract(store, "seed", preprocess=fill, progress=False)
    assert len(expected) == 16
    pd.testing.assert_frame_equal(pd.read_parquet(path).set_index("id"), expected)


def drop_series_below_4(panel):
    """A preprocess step that empties the first chunk of 4 series."""
    return panel.take(np.flatnonzero(panel.ids >= 4))


def test_extract_to_parquet_skips_an_empty_tsfresh_chunk(tmp_path):
    """tsfresh gives an empty chunk no columns at all: its schema matches no other chunk's."""
    pytest.importorskip("tsfresh")
    panel = ragged_panel(n=8, channels=("x",))
    path = fk.extract_to_parquet(
        panel,
        tmp_path / "features.parquet",
        "tsfresh-minimal",
        chunk_size=4,
        preprocess=drop_series_below_4,
        progress=False,
    )
    expected = fk.extract(panel.take(np.arange(4, 8)), "tsfresh-minimal")
    pd.testing.assert_frame_equal(pd.read_parquet(path).set_index("id"), expected)


def test_extract_to_parquet_of_an_empty_panel_writes_the_columns(tmp_path):
    path = fk.extract_to_parquet(
        fk.Panel.from_arrays([], channels=["x"]),
        tmp_path / "features.parquet",
        "seed",
        progress=False,
    )
    written = pd.read_parquet(path)
    assert len(written) == 0 and list(written.columns) == [
        "id",
        *fk.extract(fk.Panel.from_arrays([np.ones(3)], channels=["x"]), "seed").columns,
    ]


def refuse_series_5(panel):
    """A preprocess step that fails on the chunk holding series 5."""
    if 5 in panel.ids:
        raise ValueError("series 5 is broken")
    return panel


def test_extract_to_parquet_leaves_no_temp_file_when_it_fails(tmp_path):
    with pytest.raises(ValueError, match="series 5 is broken"):
        fk.extract_to_parquet(
            ragged_panel(n=10),
            tmp_path / "features.parquet",
            "seed",
            chunk_size=4,
            preprocess=refuse_series_5,
            progress=False,
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ids", [np.arange(9), [f"s{i}" for i in range(9)]])
def test_parquet_chunks_after_the_first_take_the_direct_arrow_path(tmp_path, ids):
    """Chunks after the first are converted from their float64 block directly; the file
    holds what pandas' own conversion of the whole table gives."""
    from featurekit.extraction import _fast_arrow, _write_tables

    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        rng.normal(size=(9, 3)), index=pd.Index(ids), columns=["x__a", "x__b", "y__c"]
    )
    table.iloc[4, 1] = np.nan
    reference = pa.Table.from_pandas(table.rename_axis("id").reset_index(), preserve_index=False)
    assert _fast_arrow(table.iloc[3:], reference.schema).equals(reference.slice(3))
    assert _fast_arrow(table.astype({"x__b": "float32"}), reference.schema) is None
    _write_tables(iter([table.iloc[:3], table.iloc[3:6], table.iloc[6:]]), tmp_path / "t.parquet")
    assert pq.read_table(tmp_path / "t.parquet").equals(reference)
