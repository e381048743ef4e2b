"""`make baseline`: the watch figures (a)/(b)/(c) and the competition recipe end to end."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from featurekit.cli import main
from featurekit.datasets import (
    ACTIVITIES,
    SMARTWATCH_HZ,
    VICON_HZ,
    make_competition,
)
from featurekit.models import make_model
from featurekit.recipes import baseline_watch

pytestmark = pytest.mark.slow  # end-to-end recipes and their scripts

ROOT = Path(__file__).resolve().parents[1]


def test_watch_baseline_three_settings(capsys, watch_panel):
    table = baseline_watch(model=make_model("seed-rf", n_estimators=40))
    lengths = watch_panel.lengths
    n_windows = int(np.where(lengths >= 200, (lengths - 200) // 100 + 1, 0).sum())
    assert table["rows"].tolist() == [140, n_windows, n_windows]
    a, b, c = table.to_dict("records")
    assert "leave-one-subject-out" in a["setting"] and "LEAKY" in c["setting"]
    # the leak the seed fell for: shuffled windows look far better than unseen subjects
    assert c["accuracy"] > b["accuracy"] + 0.05 and c["log_loss"] < b["log_loss"]
    assert 0.5 < b["accuracy"] < 1 and np.isfinite(table[["log_loss", "macro_f1"]]).all().all()
    assert "LEAKY: this split ignores subjects" in capsys.readouterr().out


@pytest.fixture(scope="module")
def competition(tmp_path_factory):
    return make_competition(tmp_path_factory.mktemp("comp") / "data", n_series=160, seed=3)


def test_competition_baseline_writes_valid_submission(competition, tmp_path, capsys):
    rates = [f"smartwatch={SMARTWATCH_HZ}", f"vicon={VICON_HZ}"]
    assert (
        main(["baseline", "--data", str(competition), "--out", str(tmp_path), "--rates", *rates])
        == 0
    )
    manifest = json.loads((tmp_path / "featurekit-store" / "manifest.json").read_text())
    assert manifest["sampling_rates"] == {"smartwatch": SMARTWATCH_HZ, "vicon": VICON_HZ}
    out = capsys.readouterr().out
    assert "StratifiedGroupKFold(5) by user" in out and "log_loss" in out
    submission = pd.read_csv(tmp_path / "submission.csv")
    template = pd.read_csv(competition / "sample_submission.csv")
    metadata = pd.read_csv(competition / "metadata.csv")
    assert list(submission.columns) == list(template.columns) == ["sample_id", *ACTIVITIES]
    assert sorted(submission.sample_id) == sorted(metadata.id)
    values = submission[list(ACTIVITIES)].to_numpy()
    assert values.min() > 0 and np.allclose(values.sum(axis=1), 1)
    assert "e-" not in (tmp_path / "submission.csv").read_text()


def test_bad_rates_are_refused(competition, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:  # a usage error, reported by argparse
        main(
            ["baseline", "--data", str(competition), "--out", str(tmp_path), "--rates", "vicon:100"]
        )
    assert stop.value.code == 2
    assert "SENSOR=HZ" in capsys.readouterr().err


def test_pipeline_script_is_the_cli():
    run = subprocess.run(
        [sys.executable, str(ROOT / "pipelines" / "baseline.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--data" in run.stdout and "--out" in run.stdout
