"""Real datasets shipped inside installed packages.

The synthetic competition generator moved to :mod:`featurekit.competition.synthetic`;
``make_competition``, ``ACTIVITIES``, ``SMARTWATCH_HZ`` and ``VICON_HZ`` are still importable
from here, loaded on first use so that this module does not load the competition.

The loaders find the data files through ``importlib.util.find_spec`` without importing the
host package: seglearn's import can fail with a recent scikit-learn, and importing aeon
pulls in far more than a few ``.ts`` files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from featurekit.io.ts import read_ts
from featurekit.panel import Panel

__all__ = ["load_basic_motions", "load_watch"]

WATCH_HZ = 50.0
BASIC_MOTIONS_HZ = 10.0


def __getattr__(name: str):
    # moved to featurekit.competition in 0.2.0; loaded on first use only
    if name in ("ACTIVITIES", "SMARTWATCH_HZ", "VICON_HZ"):
        import featurekit.competition.schema as schema

        return getattr(schema, name)
    if name == "make_competition":
        from featurekit.competition.synthetic import make_competition

        return make_competition
    raise AttributeError(f"module 'featurekit.datasets' has no attribute {name!r}")


def _package_dir(package: str, extra: str) -> Path:
    """Folder of an installed top-level package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"this dataset ships inside the '{package}' package, which is not installed: "
            f"pip install {package}  (or: pip install 'featurekit[{extra}]')"
        )
    return Path(list(spec.submodule_search_locations)[0])


def load_watch() -> Panel:
    """Smartwatch shoulder-rehabilitation exercises shipped with seglearn.

    140 series of a 6-axis IMU (``ax ay az`` accelerometer in g, ``wx wy wz`` gyroscope in
    rad/s) at 50 Hz: 7 exercises, 10 subjects, worn on the right or left wrist.

    Returns
    -------
    Panel
        ``meta`` columns ``label`` (exercise code: PEN, ABD, FEL, IR, ER, TRAP, ROW),
        ``group`` (subject number) and ``side`` ("right" or "left").
    """
    path = _package_dir("seglearn", "datasets") / "data" / "watch_dataset.npy"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing from the installed seglearn; reinstall it: "
            "pip install --force-reinstall seglearn"
        )
    # The file is a pickled dict, so allow_pickle is required; it is a trusted file
    # installed with the seglearn package, not user input.
    data = np.load(path, allow_pickle=True).item()
    names = np.asarray(data["y_labels"], dtype=object)
    meta = pd.DataFrame(
        {
            "label": names[np.asarray(data["y"], dtype=np.int64)],
            "group": np.asarray(data["subject"], dtype=np.int64),
            "side": np.where(np.asarray(data["side"]) == 1, "right", "left").astype(object),
        }
    )
    return Panel.from_arrays(
        [np.asarray(x, dtype=np.float64) for x in data["X"]],
        channels=list(data["X_labels"]),
        meta=meta,
        sampling_rate=WATCH_HZ,
    )


def load_basic_motions() -> Panel:
    """aeon's BasicMotions: 80 smartwatch recordings of 4 activities at 10 Hz.

    Four students performed standing, walking, running and badminton five times each
    wearing a watch; 10 s of 3-D accelerometer and 3-D gyroscope per recording.

    Returns
    -------
    Panel
        TRAIN (40) then TEST (40) cases, ids ``0..79``, channels ``ax ay az wx wy wz``,
        ``meta`` columns ``label`` and ``split`` ("train" or "test"). The file does not
        say which student made each recording, so there is no ``group``.
    """
    folder = _package_dir("aeon", "datasets") / "datasets" / "data" / "BasicMotions"
    channels = ["ax", "ay", "az", "wx", "wy", "wz"]
    parts = []
    for split in ("train", "test"):
        part = read_ts(
            folder / f"BasicMotions_{split.upper()}.ts",
            channels=channels,
            sampling_rate=BASIC_MOTIONS_HZ,
        )
        start = sum(len(q) for q in parts)
        parts.append(
            part.replace(
                ids=np.arange(start, start + len(part)), meta=part.meta.assign(split=split)
            )
        )
    return Panel.concat(parts)
