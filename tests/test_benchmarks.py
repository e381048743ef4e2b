"""Smoke tests: the benchmark scripts still run, and their shared helpers measure what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from _common import markdown_table, measure, peak_rss_mib, reset_peak_rss  # noqa: E402

pytestmark = pytest.mark.bench  # smoke runs of the benchmark scripts


def test_extract_speed_quick_runs_every_method():
    done = subprocess.run(
        [sys.executable, str(BENCH / "extract_speed.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for method in (
        "featurekit seed",
        "featurekit default",
        "numpy 8-stats",
        "np.sum",
        "scipy.stats loop",
        "tsfresh Minimal",
        "tsfresh-rs Minimal",
        "pycatch22 catch24",
        "tsfel stat+spectral",
    ):
        assert f"| {method}" in out, method
    # One verdict per target, and --quick leaves the committed results file alone.
    assert sum(line.startswith(("- PASS", "- FAIL")) for line in out.splitlines()) == 4
    assert "written to" not in out


def test_measure_sees_a_large_allocation():
    if not reset_peak_rss():
        pytest.skip("peak RSS cannot be reset on this system")
    m = measure(lambda: np.ones(50_000_000).sum(), max_repeats=1)  # 400 MB
    assert 300 < m.peak_rss_delta < 1000
    assert m.result == 50_000_000
    assert m.repeats == 1 and m.wall > 0 and m.cpu >= 0
    assert peak_rss_mib() > 0


def test_measure_repeats_short_runs_and_keeps_the_best():
    calls = []
    m = measure(lambda: calls.append(1), min_time=10.0, max_repeats=3)
    assert m.repeats == 3 == len(calls)


def test_markdown_table_aligns_columns():
    text = markdown_table(["a", "b"], [[1, "2.5"]])
    assert text.splitlines() == ["| a | b |", "|---|---:|", "| 1 | 2.5 |"]


def test_run_all_finds_the_scripts_and_rejects_unknown_names():
    import run_all

    names = run_all.discover()
    assert names[:2] == ["extract_speed", "scaling"]
    assert "_common" not in names and "run_all" not in names
    assert "ucr_pooling" not in names and "ucr" in names  # ablations are run by hand
    done = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--only", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "nope" in done.stderr


def test_run_all_quick_restores_the_results_folder(tmp_path, monkeypatch):
    import run_all

    monkeypatch.setattr(run_all, "RESULTS", tmp_path)
    (tmp_path / "kept.md").write_text("measured")
    (tmp_path / "edited.md").write_text("measured")
    before = run_all._snapshot()
    (tmp_path / "edited.md").write_text("quick")
    (tmp_path / "new.md").write_text("quick")
    touched = run_all._restore(before)
    assert sorted(p.name for p in touched) == ["edited.md", "new.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.md", "kept.md"]
    assert (tmp_path / "edited.md").read_text() == "measured"
