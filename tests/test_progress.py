"""Progress bars: one step per (model, fold) in ``report.compare``, and ``extract``'s bar by
estimated time, not by series count. Bars are checked on a stream that says it is a
terminal (tqdm hides them otherwise); no test depends on how fast this machine is."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import featurekit as fk
from featurekit import extraction
from featurekit.extraction import estimated_seconds
from featurekit.features import get_feature_set
from featurekit.report import compare


class Terminal(io.StringIO):
    """stderr as a terminal: tqdm draws its bar here."""

    def isatty(self) -> bool:
        return True


def _terminal(monkeypatch) -> Terminal:
    """Make stderr a terminal; called inside the test, since pytest's output capture sets
    sys.stderr again after fixtures are set up."""
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def _table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.tile(["a", "b"], n // 2)
    X = pd.DataFrame({"x__mean": (y == "b") + rng.normal(0, 0.5, n), "x__std": rng.normal(size=n)})
    return X, y, np.repeat(np.arange(6), n // 6)


MODELS = [("lr", LogisticRegression()), ("lr-weak", LogisticRegression(C=0.01))]


def test_compare_bar_advances_once_per_model_and_fold(monkeypatch):
    terminal = _terminal(monkeypatch)
    X, y, groups = _table()
    compare(X, y, groups, MODELS, cv="group", n_splits=3, calibrate=None, verbose=False)
    text = terminal.getvalue()
    assert "compare" in text and "6/6" in text  # 2 models x 3 folds
    assert "lr-weak" in text  # names the model being fitted
    assert "4/6" in text.replace("\r", "\n")  # drawn as it advanced, not only at the end


def test_compare_bar_counts_leave_one_group_out_folds(monkeypatch):
    terminal = _terminal(monkeypatch)
    X, y, groups = _table()
    compare(X, y, groups, MODELS[:1], cv="logo", calibrate=None, verbose=False)
    assert "6/6" in terminal.getvalue()  # one fold per subject


def test_compare_progress_false_or_not_a_terminal_draws_nothing(monkeypatch):
    terminal = _terminal(monkeypatch)
    X, y, groups = _table()
    compare(
        X, y, groups, MODELS, cv="group", n_splits=3, calibrate=None, verbose=False, progress=False
    )
    assert terminal.getvalue() == ""
    piped = io.StringIO()  # a log file or a pipe: tqdm's own rule hides the bar
    monkeypatch.setattr(sys, "stderr", piped)
    compare(X, y, groups, MODELS, cv="group", n_splits=3, calibrate=None, verbose=False)
    assert piped.getvalue() == ""


def test_compare_log_lines_go_above_the_bar(monkeypatch):
    """With a console handler on the featurekit logger (as the CLI sets one), log lines are
    written through tqdm, each on its own line, and the handler is back afterwards."""
    import logging

    terminal = _terminal(monkeypatch)
    package = logging.getLogger("featurekit")
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("featurekit: %(message)s"))
    monkeypatch.setattr(package, "handlers", [*package.handlers, handler])
    level = package.level
    package.setLevel(logging.INFO)  # setLevel, not .level: loggers cache isEnabledFor
    try:
        X, y, groups = _table()
        compare(X, y, groups, MODELS[:1], cv="group", n_splits=3, calibrate=None, verbose=True)
    finally:
        package.setLevel(level)
    lines = terminal.getvalue().replace("\r", "\n").splitlines()
    assert "featurekit: lr fold 3/3" in [line[: len("featurekit: lr fold 3/3")] for line in lines]
    assert any(line.startswith("compare:") for line in lines)  # the bar
    assert handler in package.handlers


def test_cli_compare_passes_quiet_as_no_progress(tmp_path, monkeypatch):
    from featurekit import cli, report

    X, y, groups = _table()
    path = tmp_path / "f.parquet"
    X.assign(label=y, group=groups).rename_axis("id").reset_index().to_parquet(path)
    seen = []

    def fake_compare(*args, **kwargs):
        seen.append(kwargs["progress"])
        return pd.DataFrame({"model": ["logreg"], "log_loss_mean": [0.5], "log_loss_std": [0.1]})

    monkeypatch.setattr(report, "compare", fake_compare)
    monkeypatch.setattr(report, "_summary_table", lambda table: table)
    for argv, expected in ((["compare"], True), (["-q", "compare"], False)):
        args = [*argv, str(path), "--models", "logreg", "--out", str(tmp_path / "r")]
        assert cli.main(args) == 0
        assert seen[-1] is expected


# ------------------------------------------------------------------ extract
def _panel(n, length=100, channels=3):
    rng = np.random.default_rng(0)
    return fk.Panel.from_arrays(
        [rng.normal(size=(length, channels)) for _ in range(n)],
        channels=["ax", "ay", "az"][:channels],
        sampling_rate=50.0,
    )


def test_estimate_grows_with_samples_channels_cost_blocks_and_shrinks_with_workers():
    small, large = _panel(10), _panel(100)
    default = get_feature_set("default")
    assert estimated_seconds(large, default) == pytest.approx(
        10 * estimated_seconds(small, default)
    )
    assert estimated_seconds(_panel(10, channels=1), default) == pytest.approx(
        estimated_seconds(small, default) / 3
    )
    seed, full = get_feature_set("seed"), get_feature_set("full")
    assert estimated_seconds(small, seed) < estimated_seconds(small, default)
    assert estimated_seconds(small, default) < estimated_seconds(small, full)
    assert estimated_seconds(large, default, n_jobs=2) == pytest.approx(
        estimated_seconds(large, default) / 2
    )
    # the old rule showed a bar for any 20,000 series: seed on short ones is not long work
    assert estimated_seconds(_panel(20_000, length=10), seed) < extraction._PROGRESS_MIN_SECONDS
    # ... and default on 20,000 series of 1,250 samples x 3 channels is
    assert 1_250 * 3 * 20_000 * extraction._SECONDS_PER_VALUE[2] > 5


def test_extract_shows_a_bar_only_when_estimated_long(monkeypatch):
    terminal = _terminal(monkeypatch)
    panel = _panel(40)
    fk.extract(panel, "seed", cache=False)
    assert terminal.getvalue() == ""  # small: no bar
    monkeypatch.setattr(extraction, "_PROGRESS_MIN_SECONDS", 1e-9)  # every job is long
    fk.extract(panel, "seed", cache=False)
    assert "extract" in terminal.getvalue() and "chunk" in terminal.getvalue()
    terminal.seek(0), terminal.truncate()
    monkeypatch.setattr(extraction, "_PROGRESS_MIN_SECONDS", 5.0)
    monkeypatch.setattr(extraction, "estimated_seconds", lambda *args: 60.0)  # one minute
    fk.extract(panel, "seed", cache=False)
    assert "extract" in terminal.getvalue()
    terminal.seek(0), terminal.truncate()
    fk.extract(panel, "seed", cache=False, progress=False)  # asked: never
    assert terminal.getvalue() == ""
