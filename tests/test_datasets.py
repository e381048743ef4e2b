"""Bundled datasets: the real files inside seglearn and aeon, read without importing them."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from featurekit import datasets
from featurekit.io import read_ts

SEGLEARN = Path(list(importlib.util.find_spec("seglearn").submodule_search_locations)[0])
AEON = Path(list(importlib.util.find_spec("aeon").submodule_search_locations)[0])


def test_load_watch_matches_the_raw_npy():
    panel = datasets.load_watch()
    raw = np.load(SEGLEARN / "data" / "watch_dataset.npy", allow_pickle=True).item()
    assert len(panel) == 140
    assert panel.channels == ["ax", "ay", "az", "wx", "wy", "wz"]
    assert (panel.sampling_rate == 50).all()
    for i in (0, 57, 139):
        np.testing.assert_array_equal(panel.series(i), raw["X"][i])
    assert panel.meta["label"].tolist() == [raw["y_labels"][k] for k in raw["y"]]
    assert panel.meta["label"].value_counts().tolist() == [20] * 7
    assert sorted(panel.meta["group"].unique()) == list(range(1, 11))
    assert panel.meta["side"].value_counts().to_dict() == {"right": 70, "left": 70}
    assert panel.meta.loc[raw["side"] == 1, "side"].eq("right").all()


@pytest.mark.slow
def test_loaders_do_not_import_the_host_packages():
    code = (
        "import sys; from featurekit.datasets import load_watch, load_basic_motions; "
        "load_watch(); load_basic_motions(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('seglearn', 'aeon')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_package_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("seglearn", "aeon") else real(name, *a),
    )
    with pytest.raises(ImportError, match=r"pip install seglearn.*featurekit\[datasets\]"):
        datasets.load_watch()
    with pytest.raises(ImportError, match="pip install aeon"):
        datasets.load_basic_motions()


def test_load_basic_motions_is_train_then_test():
    panel = datasets.load_basic_motions()
    folder = AEON / "datasets" / "data" / "BasicMotions"
    train, test = (
        read_ts(folder / "BasicMotions_TRAIN.ts"),
        read_ts(folder / "BasicMotions_TEST.ts"),
    )
    assert len(panel) == 80 and panel.ids.tolist() == list(range(80))
    assert (panel.lengths == 100).all() and (panel.sampling_rate == 10).all()
    assert panel.channels == ["ax", "ay", "az", "wx", "wy", "wz"]
    np.testing.assert_array_equal(panel.values, np.concatenate([train.values, test.values]))
    assert panel.meta["split"].tolist() == ["train"] * 40 + ["test"] * 40
    assert panel.meta["label"].tolist() == [*train.meta["label"], *test.meta["label"]]
    assert set(panel.meta["label"]) == {"Standing", "Running", "Walking", "Badminton"}


def test_generator_is_reexported():
    from featurekit import synthetic

    assert datasets.make_competition is synthetic.make_competition
    assert datasets.ACTIVITIES == synthetic.ACTIVITIES and len(datasets.ACTIVITIES) == 18
    assert datasets.VICON_HZ != datasets.SMARTWATCH_HZ
