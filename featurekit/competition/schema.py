"""The activity-recognition competition's constants: the only place they are written.

Everything that knows the competition's layout (ingest, the synthetic generator, submission,
recipes) reads these names from here; the general library (``panel``, ``features``,
``preprocess``, ``extraction``, ``evaluate``, ``models``, ``calibration``) never does. The
layout itself is described in ``docs/competition-layout.md``.
"""

from __future__ import annotations

from pathlib import Path

ACTIVITIES = (
    "brushing_teeth",
    "idle",
    "preparing_sandwich",
    "reading_book",
    "stairs_down",
    "stairs_up",
    "typing",
    "using_phone",
    "using_remote_control",
    "walking_freely",
    "walking_holding_a_tray",
    "walking_with_handbag",
    "walking_with_hands_in_pockets",
    "walking_with_object_underarm",
    "washing_face_and_hands",
    "washing_mug",
    "washing_plate",
    "writing",
)
"""The 18 activities, in the column order of ``sample_submission.csv``."""

# ---------------------------------------------------------------------- sensors
SENSORS = ("smartwatch", "vicon")
SENSOR_COLUMN = "sensor"
POSITION_SENSOR = "vicon"
"""The sensor whose files hold marker positions (metres), not acceleration."""
SMARTWATCH_HZ = 50.0
"""Sampling rate of the synthetic smartwatch acceleration (and gyroscope) rows, in Hz."""
VICON_HZ = 100.0
"""Sampling rate of the synthetic Vicon marker positions, in Hz."""

ACCELERATION = "acceleration [m/s/s]"
MEASUREMENT_TYPES = (ACCELERATION, "angular velocity [rad/s]", "magnetic field [μT]")
"""Values of a smartwatch file's ``measurement type`` column; only acceleration is kept."""
DROPPED_TYPES = ("angular velocity", "magnetic field")
"""Types whose rows are dropped anyway: known by name whatever their unit's encoding."""
SMARTWATCH_COLUMNS = ("measurement type", "x", "y", "z")
VICON_COLUMNS = ("x [m]", "y [m]", "z [m]")
HEADERS = {
    "smartwatch": list(SMARTWATCH_COLUMNS),
    "vicon": list(VICON_COLUMNS),
}
"""Header of a per-series file, by sensor."""
STORE_CHANNELS = ["x", "y", "z"]
"""Channels of the store an ingest writes (acceleration or positions)."""

# ---------------------------------------------------------------------- files and tables
SERIES_DIR = Path("unlabeled") / "unlabeled"
"""Folder of the per-series files, relative to the data folder."""
TRAIN_CSV, METADATA_CSV, SAMPLE_SUBMISSION_CSV = (
    "train.csv",
    "metadata.csv",
    "sample_submission.csv",
)
ID_COLUMN = "sample_id"
"""Id column of ``sample_submission.csv`` (``id`` in the other tables)."""
PUBLIC_COLUMNS = ["userid", "activity", "sensor", "body_part", "side", "id", "sequence_length"]
"""Columns of ``train.csv``, in order; ``metadata.csv`` lacks ``activity``."""
CSV_COLUMNS = ["userid", "sensor", "body_part", "side", "id", "sequence_length"]
"""Columns both CSVs must have."""
META_COLUMNS = [
    "id",
    "userid",
    "sensor",
    "body_part",
    "side",
    "activity",
    "split",
    "sequence_length",
    "file",
]
"""Per-series metadata kept in the store's ``series.parquet`` (before the ingest's counts)."""
METADATA_COLUMNS = ("body_part", "sensor")
"""Metadata passed to the models as categorical feature columns."""

LABEL_COLUMN = "activity"
GROUP_COLUMN = "userid"
RATE_COLUMN = SENSOR_COLUMN
"""The store's sampling rates are given per sensor."""
META_ALIASES = {"label": LABEL_COLUMN, "group": GROUP_COLUMN}
"""Generic ``meta`` names (label, group) -> competition columns: activity -> label,
userid -> group (validation is grouped by user)."""
