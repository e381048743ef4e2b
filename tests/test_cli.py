"""The featurekit console script: help for every subcommand, extract -> compare -> submit."""

import subprocess
import sys
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from featurekit.cli import UserError, _split_table, main
from featurekit.competition.ingest import ingest_competition
from featurekit.competition.schema import ACTIVITIES, SMARTWATCH_HZ, VICON_HZ
from featurekit.io import read_series

COMMANDS = ["ingest", "extract", "compare", "baseline", "submit"]


def test_console_script_help():
    # the interpreter running the tests, whatever its environment (no path to a venv)
    run = subprocess.run(
        [sys.executable, "-m", "featurekit.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(c in run.stdout for c in COMMANDS)


def test_python_dash_m_featurekit_is_the_cli(monkeypatch, capsys):
    import runpy

    monkeypatch.setattr(sys, "argv", ["featurekit", "--help"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("featurekit", run_name="__main__")
    assert stop.value.code == 0
    out = capsys.readouterr().out  # read once: a second read returns nothing
    assert all(c in out for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert f"featurekit {command}" in capsys.readouterr().out


@pytest.mark.slow
def test_extract_then_compare(tmp_path, capsys):
    features = tmp_path / "f.parquet"
    assert (
        main(
            [
                "extract",
                "--demo",
                "--features",
                "seed",
                "--window",
                "200",
                "--step",
                "200",
                "--out",
                str(features),
            ]
        )
        == 0
    )
    table = pd.read_parquet(features)
    assert {"label", "group", "parent_id", "ax__mean"} <= set(table.columns)
    report = tmp_path / "report"
    assert (
        main(
            [
                "compare",
                str(features),
                "--models",
                "logreg",
                "--cv",
                "group",
                "--parent",
                "parent_id",
                "--calibrate",
                "none",
                "--out",
                str(report),
            ]
        )
        == 0
    )
    assert "logreg" in capsys.readouterr().out
    results = pd.read_csv(report / "results.csv")
    assert results.model.tolist() == ["logreg"] and "series_log_loss" in results
    assert "Series level" in (report / "report.md").read_text()


def _features(n, labeled, seed):
    rng = np.random.default_rng(seed)
    y = np.asarray(ACTIVITIES)[np.arange(n) % len(ACTIVITIES)]
    X = pd.DataFrame(
        rng.normal(size=(n, 4)) + (np.arange(n) % 18)[:, None],
        columns=[f"x__f{i}" for i in range(4)],
        index=pd.Index(range(n), name="id"),
    )
    X["body_part"] = "hand"
    X["label"] = y if labeled else None
    X["group"] = np.arange(n) % 4
    return X


@pytest.mark.slow
def test_submit_and_validate(tmp_path, capsys, monkeypatch):
    train, test = tmp_path / "train.parquet", tmp_path / "test.parquet"
    _features(144, True, 0).to_parquet(train)
    test_table = _features(20, False, 1)
    test_table.index = test_table.index + 1000
    test_table.to_parquet(test)
    template = tmp_path / "sample_submission.csv"
    pd.DataFrame({"sample_id": test_table.index, **{a: 0.0 for a in ACTIVITIES}}).to_csv(
        template, index=False
    )
    out = tmp_path / "submission.csv"
    assert (
        main(
            [
                "submit",
                "--train",
                str(train),
                "--test",
                str(test),
                "--template",
                str(template),
                "--model",
                "logreg",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    submission = pd.read_csv(out)
    assert submission.sample_id.tolist() == list(test_table.index)
    assert main(["submit", "--validate", str(out), "--template", str(template)]) == 0
    pd.read_csv(out).iloc[:, ::-1].to_csv(out, index=False)
    assert main(["submit", "--validate", str(out), "--template", str(template)]) == 1
    assert "header" in capsys.readouterr().err

    # Regression: the self-calibrating ensemble was fitted without subjects when
    # --calibrate none, so its inner calibration folds split each subject's rows.
    from featurekit.calibration import CalibratedEnsemble

    seen = []
    real_fit = CalibratedEnsemble.fit

    def fit(self, X, y, groups=None):
        seen.append(groups)
        return real_fit(self, X, y, groups=groups)

    monkeypatch.setattr(CalibratedEnsemble, "fit", fit)
    assert (
        main(
            [
                "submit",
                "--train",
                str(train),
                "--test",
                str(test),
                "--template",
                str(template),
                "--model",
                "ensemble",
                "--calibrate",
                "none",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert len(seen) == 1 and seen[0] is not None and len(set(seen[0])) > 1


# Per-file columns of a store: they name a file or describe how it was read (nan_samples
# differs between train and test files), never the activity.
BOOKKEEPING = {"file", "rows_read", "n_samples", "nan_samples", "chunk", "offset"}


@pytest.fixture(scope="module")
def store_features(competition_dir, tmp_path_factory):
    """The shared synthetic competition (tests/conftest.py) ingested in 4-series chunks, and
    its `extract --store` table."""
    root = tmp_path_factory.mktemp("cli-store")
    store = root / "store"
    ingest_competition(
        competition_dir,
        store,
        chunk_size=4,
        n_jobs=1,
        progress=False,
        sampling_rates={"smartwatch": SMARTWATCH_HZ, "vicon": VICON_HZ},
    )
    features = root / "features.parquet"
    assert (
        main(["extract", "--store", str(store), "--features", "seed", "--out", str(features)]) == 0
    )
    return store, features


def test_extract_store_feeds_models_features_and_metadata_only(store_features, tmp_path, capsys):
    _, features = store_features
    table = pd.read_parquet(features).set_index("id")  # ids are written once, as a column
    assert set(table.columns) >= BOOKKEEPING  # kept in the file, to trace rows back
    _, X = _split_table(features, "label", "group", [])
    assert set(X.columns) == {c for c in table.columns if "__" in c} | {"body_part", "sensor"}

    report = tmp_path / "report"
    assert (
        main(
            [
                "compare",
                str(features),
                "--models",
                "logreg",
                "--cv",
                "group",
                "--n-splits",
                "2",
                "--calibrate",
                "none",
                "--out",
                str(report),
            ]
        )
        == 0
    )
    n_labeled = int(table["label"].notna().sum())
    assert f"{n_labeled} rows, {X.shape[1]} feature columns" in (report / "report.md").read_text()

    train, test = tmp_path / "train.parquet", tmp_path / "test.parquet"
    labeled = table[table["label"].notna()]
    labeled.to_parquet(train)
    table[table["label"].isna()].to_parquet(test)
    template = tmp_path / "sample_submission.csv"  # the classes this small train set has
    pd.DataFrame(
        {
            "sample_id": table.index[table["label"].isna()],
            **{a: 0.0 for a in sorted(labeled["label"].unique())},
        }
    ).to_csv(template, index=False)
    capsys.readouterr()
    assert (
        main(
            [
                "submit",
                "--train",
                str(train),
                "--test",
                str(test),
                "--template",
                str(template),
                "--model",
                "logreg",
                "--calibrate",
                "none",
                "--out",
                str(tmp_path / "submission.csv"),
            ]
        )
        == 0
    )
    assert (
        f"{train}: model inputs are {len(X.columns) - 2} features + ['sensor', 'body_part']"
    ) in capsys.readouterr().out


def test_keep_adds_named_metadata_and_refuses_unknown(store_features):
    _, features = store_features
    _, X = _split_table(features, "label", "group", ["side"])
    assert {"body_part", "sensor", "side"} <= set(X.columns)
    assert not BOOKKEEPING & set(X.columns)
    with pytest.raises(UserError, match="sid"):
        _split_table(features, "label", "group", ["sid"])


def test_extract_store_streams_chunks(store_features, tmp_path):
    """The store is extracted one chunk at a time: loading it whole and preparing it held
    about 8x its float32 samples; 4-series chunks hold about 2x."""
    store, _ = store_features
    store_bytes = int(read_series(store)["n_samples"].sum()) * 3 * 4
    tracemalloc.start()
    try:
        assert (
            main(
                [
                    "extract",
                    "--store",
                    str(store),
                    "--features",
                    "seed",
                    "--out",
                    str(tmp_path / "f.parquet"),
                ]
            )
            == 0
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * store_bytes


def _ts_file(path, n=16, seed=0):
    """A small ragged univariate .ts file, two classes told apart by where a bump sits."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = "ab"[i % 2]
        t = np.linspace(0, 1, int(rng.integers(30, 60)))
        x = np.exp(-(((t - (0.25 if label == "a" else 0.75)) / 0.1) ** 2))
        x = x + rng.normal(0, 0.2, len(t))
        rows.append(",".join(f"{v:.4f}" for v in x) + f":{label}")
    path.write_text(
        "@problemName Bumps\n@univariate true\n@equalLength false\n@classLabel true a b\n"
        "@data\n" + "\n".join(rows) + "\n"
    )
    return path


@pytest.mark.slow
def test_compare_full_on_a_ts_file_fits_the_families_per_fold(tmp_path, capsys, monkeypatch):
    """`featurekit compare FILE.ts --features full` (full is compare's default): the
    interval and convolution families are fitted on each training fold's series only, and
    the report says so."""
    from featurekit.features.interval import QuantIntervals
    from featurekit.features.rocket import MiniRocket

    fitted_on = []
    for cls in (MiniRocket, QuantIntervals):
        fit = cls.fit

        def spy(self, panel, _fit=fit):
            fitted_on.append(len(panel))
            return _fit(self, panel)

        monkeypatch.setattr(cls, "fit", spy)
    path = _ts_file(tmp_path / "bumps.ts")
    out = tmp_path / "report"
    args = ["compare", str(path), "--rate", "50", "--models", "logreg", "--calibrate", "none"]
    args += ["--cv", "stratified", "--n-splits", "2", "--out", str(out)]
    assert main(args) == 0
    assert fitted_on == [8] * 4  # 2 folds x 2 families, each on its 8 training series
    results = pd.read_csv(out / "results.csv")
    assert results["model"].tolist() == ["logreg"]
    assert np.isfinite(results[["log_loss_mean", "accuracy_mean"]].to_numpy()).all()
    assert "'full'" in capsys.readouterr().out
    assert "fitted on each training fold only" in (out / "report.md").read_text()


def test_compare_default_models_match_the_library():
    from featurekit.cli import COMPARE_MODELS, MODEL_NAMES
    from featurekit.report import DEFAULT_MODELS

    assert COMPARE_MODELS == DEFAULT_MODELS and set(COMPARE_MODELS) <= set(MODEL_NAMES)
