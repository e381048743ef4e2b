"""Command-line conventions: --version, exit codes (0 / 1 with one line / 2 usage), inputs
of every kind for `extract`, ids written once, help with defaults, and a fast start-up."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from featurekit import Panel, __version__, extract
from featurekit.cli import MODEL_NAMES, _one_line, _parser, main

HEAVY = ("numpy", "pandas", "scipy", "sklearn", "lightgbm", "xgboost", "numba", "matplotlib")


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"featurekit {__version__}"


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["extract", "--help"], ["compare", "--help"], ["submit", "--help"]],
)
def test_help_loads_nothing_heavy(argv):
    """`featurekit --help` imported lightgbm and took 2.6 s; now the standard library only."""
    run = _run_python(
        "import sys\nfrom featurekit.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])"
    )
    assert run.stdout.strip().endswith("LOADED []")


def test_import_featurekit_is_light_and_names_still_resolve():
    run = _run_python(
        "import sys, featurekit as fk\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
        "from featurekit import Panel, FeatureExtractor, extract\n"
        "print(fk.Panel is Panel, callable(extract), 'extract' in dir(fk))"
    )
    assert run.stdout.splitlines() == ["[]", "True True True"]
    # submodules as attributes, before anything imported them as a side effect
    run = _run_python("import featurekit as fk\nprint(callable(fk.features.tsfresh_set))")
    assert run.stdout.strip() == "True"


def test_model_names_match_the_library():
    from featurekit.models import MODELS

    assert tuple(MODELS) == MODEL_NAMES


def _options(parser):
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):  # subcommands
            for sub in action.choices.values():
                yield from _options(sub)
        elif action.option_strings and action.dest not in ("help", "version"):
            yield parser.prog, action


def test_every_option_has_help_and_its_default():
    parser = _parser()
    for prog, action in _options(parser):
        text = parser._get_formatter()._get_help_string(action)
        assert action.help, f"{prog} {action.option_strings} has no help"
        assert "default" in text, f"{prog} {action.option_strings} does not say its default"


# ---------------------------------------------------------------------- exit codes
def _exit(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse
        code = stop.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["extract", "--store", "/no/such/store"],
        ["extract", "/no/such/file.ts"],
        ["compare", "/no/such/features.parquet"],
        ["submit", "--validate", "/no/such/submission.csv"],
        ["submit", "--train", "/no/such/train.parquet", "--test", "/no/such/test.parquet"],
        ["ingest", "/no/such/folder", "/tmp/store-never-written"],
        ["baseline", "--data", "/no/such/folder"],
    ],
)
def test_missing_paths_are_one_line_and_exit_1(argv, capsys):
    code, err = _exit(argv, capsys)
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "/no/such" in err and err.startswith(f"featurekit {argv[0]}: error: ")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["extract", "--demo", "--window", "0"], "--window: must be a positive integer"),
        (["extract", "--demo", "--window", "200", "--step", "0"], "--step: must be a positive"),
        (["extract", "--demo", "--n-jobs", "0"], "--n-jobs: must be >= 1"),
        (["extract"], "no input"),
        (["compare"], "no input"),
        (["extract", "--frobnicate"], "unrecognized arguments"),
        (["compare", "f.parquet", "--models", "nope"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(argv, says, capsys):
    code, err = _exit(argv, capsys)
    assert code == 2 and says in err


def test_library_errors_become_one_line(tmp_path, capsys):
    bad = tmp_path / "no_features.parquet"
    pd.DataFrame({"label": ["a", "b"], "group": [1, 2]}).to_parquet(bad)
    code, err = _exit(["compare", str(bad)], capsys)
    assert code == 1 and "no feature column" in err and err.count("\n") == 1
    # a ValueError listing several problems (raise_problems) is joined on one line
    assert _one_line(ValueError("Invalid Panel:\n  - a is bad\n  - b is bad")) == (
        "Invalid Panel: a is bad; b is bad"
    )
    assert _one_line(KeyError("ids not in the panel: [3]")) == "ids not in the panel: [3]"
    with pytest.raises(Exception, match="does not exist"):
        main(["--debug", "compare", str(tmp_path / "missing.parquet")])


# ---------------------------------------------------------------------- extract inputs
def _panel():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(n, 2)) for n in (40, 55, 61, 47)]
    meta = pd.DataFrame({"label": ["a", "b", "a", "b"], "group": [1, 1, 2, 2]})
    return Panel.from_arrays(
        arrays, channels=["x", "y"], ids=[10, 11, 12, 13], meta=meta, sampling_rate=20
    )


def _check_table(path, panel):
    schema = pq.read_schema(path)
    assert schema.names.count("id") == 1  # once, as a column
    assert not schema.pandas_metadata["index_columns"]
    table = pd.read_parquet(path).set_index("id")
    expected = extract(panel, "seed")
    got = table[expected.columns]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)
    assert list(got.index.astype(str)) == [str(i) for i in expected.index]
    return table


def test_extract_reads_a_tsfresh_long_csv(tmp_path, capsys):
    panel = _panel()
    long = panel.to_long()
    labels = dict(zip(panel.ids, panel.meta["label"], strict=True))
    long["activity"] = long["id"].map(labels)
    long.to_csv(tmp_path / "long.csv", index=False)
    out = tmp_path / "f.parquet"
    assert (
        main(
            [
                "extract",
                str(tmp_path / "long.csv"),
                "--id",
                "id",
                "--time",
                "time",
                "--kind",
                "kind",
                "--label",
                "activity",
                "--rate",
                "20",
                "--features",
                "seed",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = _check_table(out, panel)
    assert table["label"].tolist() == ["a", "b", "a", "b"]


def test_extract_reads_a_wide_table_with_two_id_columns(tmp_path):
    panel = _panel()
    wide = panel.to_wide()
    wide.insert(0, "user", "u" + (wide["id"] % 2).astype(str))
    wide["window"] = wide.pop("id")
    wide.to_csv(tmp_path / "wide.csv", index=False)
    out = tmp_path / "f.parquet"
    assert (
        main(
            [
                "extract",
                str(tmp_path / "wide.csv"),
                "--id",
                "user",
                "window",
                "--time",
                "time",
                "--rate",
                "20",
                "--features",
                "seed",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_parquet(out)
    assert len(table) == 4 and pq.read_schema(out).names.count("id") == 1
    expected = extract(panel, "seed")
    np.testing.assert_allclose(np.sort(table["x__mean"]), np.sort(expected["x__mean"]), rtol=1e-6)


def test_extract_reads_a_ts_file(tmp_path):
    path = tmp_path / "tiny.ts"
    path.write_text(
        "@problemName Tiny\n@timeStamps false\n@missing false\n@univariate true\n"
        "@equalLength false\n@classLabel true walk run\n@data\n"
        "1,2,3,4:walk\n5,6,7:run\n"
    )
    out = tmp_path / "f.parquet"
    assert main(["extract", str(path), "--features", "seed", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert table["dim_0__mean"].tolist() == [2.5, 6.0]
    assert table["label"].tolist() == ["walk", "run"]


def test_band_warnings_collapse_to_one(tmp_path, capsys):
    """A .ts file read without --rate is at 1 Hz: every band from 0.5 Hz up is above
    Nyquist; five warnings of ~400 characters became one, with the count."""
    path = tmp_path / "slow.ts"
    rows = "\n".join(",".join(str(v) for v in np.sin(np.arange(64) * k)) + ":a" for k in (1, 2, 3))
    path.write_text(
        "@problemName Slow\n@univariate true\n@equalLength true\n"
        f"@classLabel true a\n@data\n{rows}\n"
    )
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert (
            main(
                [
                    "extract",
                    str(path),
                    "--features",
                    "spectral",
                    "--out",
                    str(tmp_path / "f.parquet"),
                ]
            )
            == 0
        )
    bands = [str(w.message) for w in seen if "band_power" in str(w.message)]
    assert len(bands) == 1 and bands[0].endswith("[and 4 more like it]")


def test_extract_table_needs_id(tmp_path, capsys):
    _panel().to_long().to_csv(tmp_path / "long.csv", index=False)
    code, err = _exit(["extract", str(tmp_path / "long.csv")], capsys)
    assert code == 1 and "--id" in err


@pytest.mark.slow
def test_compare_with_select(tmp_path):
    rng = np.random.default_rng(0)
    n = 80
    y = np.asarray(["a", "b"])[np.arange(n) % 2]
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x__f{i}" for i in range(6)])
    X["x__f0"] += (y == "a") * 3
    X["label"], X["group"] = y, np.arange(n) % 5
    X.rename_axis("id").reset_index().to_parquet(tmp_path / "f.parquet", index=False)
    assert (
        main(
            [
                "compare",
                str(tmp_path / "f.parquet"),
                "--models",
                "logreg",
                "--select",
                "--calibrate",
                "none",
                "--n-splits",
                "5",
                "--out",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )
    assert pd.read_csv(tmp_path / "r" / "results.csv")["model"].tolist() == ["logreg+select"]


@pytest.mark.slow
def test_compare_extracts_series_first(tmp_path, capsys):
    """compare takes series too: --features and --window extract them first, and windows
    are scored back on their series (parent_id) without being asked."""
    out = tmp_path / "report"
    assert (
        main(
            [
                "compare",
                "--demo",
                "--features",
                "seed",
                "--window",
                "400",
                "--step",
                "400",
                "--models",
                "logreg",
                "--calibrate",
                "none",
                "--cv",
                "group",
                "--n-splits",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    results = pd.read_csv(out / "results.csv")
    assert results["model"].tolist() == ["logreg"] and "series_log_loss" in results
    assert "mean ± sd over folds" in capsys.readouterr().out
    assert (out / "report.html").exists()
