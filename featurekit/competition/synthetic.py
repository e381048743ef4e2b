"""A synthetic dataset in the exact layout of the activity-recognition competition.

The real data cannot be shipped, so tests and benchmarks use this generator. Every motion is a
sum of sinusoids in m/s^2, so a Vicon marker position is its exact double integral and its
second derivative at ``VICON_HZ`` gives the motion back. Each of the 18 activities has its own
signature (gait frequency and vertical bounce for walking and stairs, small fast motion for
typing and writing, static tilt for reading and phone use, rhythmic brushing, circular
washing); each user has an amplitude, tempo, tilt and a personal style per activity, so
validation that mixes users overestimates accuracy. Left devices are mirrored (x flipped).

Layout written by :func:`make_competition` (see ``docs/competition-layout.md``)::

    <path>/train.csv              userid, activity, sensor, body_part, side, id, sequence_length
    <path>/metadata.csv           the same without activity (the unlabeled test set)
    <path>/sample_submission.csv  sample_id + one column per activity in ACTIVITIES order
    <path>/unlabeled/unlabeled/<id>.csv   one file per series
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from featurekit.competition.schema import (
    ACTIVITIES,
    ID_COLUMN,
    MEASUREMENT_TYPES,
    PUBLIC_COLUMNS,
    SERIES_DIR,
    SMARTWATCH_HZ,
    VICON_COLUMNS,
    VICON_HZ,
)

GRAVITY = 9.81

_Q = np.pi / 2
# activity: (base frequency Hz, relative class weight, hand tilt (pitch, roll) degrees,
#            noise sd m/s^2, components [(frequency multiple, amplitude xyz m/s^2, phase xyz)])
# Device frame: x lateral, y forward, z up when the device lies flat.
_HAND = {
    "walking_freely": (
        1.85,
        4.0,
        (-70, 10),
        0.25,
        [(1, (0.3, 1.2, 2.2), 0), (0.5, (0.6, 3.0, 0.5), 0), (2, (0.2, 0.5, 0.9), 0)],
    ),
    "walking_holding_a_tray": (
        1.6,
        2.6,
        (0, 5),
        0.12,
        [(1, (0.2, 0.6, 1.5), 0), (2, (0.1, 0.2, 0.5), 0), (0.5, (0.2, 0.3, 0.1), 0)],
    ),
    "walking_with_handbag": (
        1.75,
        2.6,
        (-60, 20),
        0.2,
        [(1, (0.4, 1.0, 2.0), 0), (0.5, (1.2, 1.0, 0.3), 0), (2, (0.3, 0.4, 0.8), 0)],
    ),
    "walking_with_hands_in_pockets": (
        1.8,
        2.6,
        (-40, 60),
        0.15,
        [(1, (0.3, 0.8, 1.8), 0), (2, (0.2, 0.3, 0.6), 0), (0.5, (0.3, 0.3, 0.2), 0)],
    ),
    "walking_with_object_underarm": (
        1.7,
        2.6,
        (-20, -50),
        0.15,
        [(1, (0.3, 0.9, 1.9), 0), (0.5, (0.2, 0.5, 0.2), 0), (2, (0.2, 0.4, 0.7), 0)],
    ),
    "stairs_up": (
        1.45,
        1.1,
        (-65, 10),
        0.3,
        [(1, (0.4, 1.0, 3.2), 0), (0.5, (0.5, 2.0, 0.5), 0), (2, (0.2, 0.6, 1.2), 0)],
    ),
    "stairs_down": (
        1.75,
        1.0,
        (-65, 10),
        0.35,
        [
            (1, (0.5, 1.2, 3.8), 0),
            (2, (0.4, 0.8, 2.2), 0),
            (3, (0.2, 0.4, 1.2), 0),
            (0.5, (0.5, 1.8, 0.4), 0),
        ],
    ),
    "brushing_teeth": (
        4.2,
        2.0,
        (60, -30),
        0.3,
        [(1, (3.0, 0.8, 0.6), 0), (2, (0.6, 0.3, 0.2), 0), (0.1, (0.2, 0.2, 0.2), 0)],
    ),
    "washing_face_and_hands": (
        1.3,
        2.0,
        (30, -20),
        0.4,
        [(1, (1.2, 1.5, 1.8), 0), (1.7, (0.8, 0.6, 1.0), 0), (3.1, (0.5, 0.5, 0.4), 0)],
    ),
    "washing_mug": (
        2.4,
        2.0,
        (10, -40),
        0.3,
        [(1, (1.8, 1.8, 0.3), (0, _Q, 0)), (2, (0.4, 0.4, 0.2), (0, _Q, 0))],
    ),
    "washing_plate": (
        1.6,
        2.0,
        (5, -15),
        0.3,
        [(1, (2.5, 2.5, 0.4), (0, _Q, 0)), (0.5, (0.5, 0.3, 0.3), 0)],
    ),
    "preparing_sandwich": (
        0.9,
        2.2,
        (10, -10),
        0.35,
        [(1, (1.0, 1.2, 0.6), 0), (2.3, (0.6, 0.5, 0.5), 0), (3.7, (0.3, 0.3, 0.3), 0)],
    ),
    "typing": (
        7.0,
        2.4,
        (5, 0),
        0.08,
        [(1, (0.25, 0.2, 0.35), 0), (1.4, (0.2, 0.15, 0.3), 0), (0.06, (0.05, 0.05, 0.05), 0)],
    ),
    "writing": (3.5, 2.2, (15, -45), 0.06, [(1, (0.4, 0.45, 0.1), 0), (1.6, (0.25, 0.3, 0.08), 0)]),
    "reading_book": (0.25, 2.2, (45, 0), 0.03, [(1, (0.04, 0.04, 0.06), 0)]),
    "using_phone": (
        2.8,
        2.4,
        (35, 5),
        0.04,
        [(1, (0.1, 0.12, 0.2), 0), (0.09, (0.05, 0.05, 0.05), 0)],
    ),
    "using_remote_control": (
        0.6,
        2.0,
        (20, 50),
        0.05,
        [(1, (0.25, 0.3, 0.15), 0), (0.2, (0.08, 0.08, 0.05), 0)],
    ),
    "idle": (0.25, 2.4, (-80, 0), 0.02, [(1, (0.03, 0.03, 0.05), 0)]),
}
# A foot device sees heel strikes (harmonics of the step frequency) when walking and a
# scaled-down echo of the hand motion otherwise.
_FOOT_GAIT = [(1, (0.5, 4.0, 7.0), 0), (2, (0.3, 2.0, 4.0), 0), (3, (0.2, 1.0, 2.0), 0)]
_FOOT_GAIT_GAIN = {"stairs_up": (1.0, 0.8, 1.3), "stairs_down": (1.2, 1.0, 1.6)}
_SEATED = {"typing", "writing", "reading_book", "using_phone", "using_remote_control"}
_STAIRS_CLIMB = {"stairs_up": 0.15, "stairs_down": -0.15}  # m/s vertical drift of a marker
_EARTH_FIELD = np.array([20.0, 5.0, -42.0])  # μT
_MAX_COMPONENTS = 4


def _is_gait(activity: str) -> bool:
    return activity.startswith(("walking", "stairs"))


def _spec(activity: str, body_part: str):
    """Base frequency, tilt, noise and (multiples, amplitudes, phases) for one device."""
    f0, _, tilt, noise, comps = _HAND[activity]
    if body_part == "foot":
        if _is_gait(activity):
            gain = np.asarray(_FOOT_GAIT_GAIN.get(activity, (1.0, 1.0, 1.0)))
            comps = [(m, tuple(np.asarray(a) * gain), p) for m, a, p in _FOOT_GAIT]
            tilt, noise = (
                (
                    (10, 0)
                    if activity == "stairs_up"
                    else (-10, 0)
                    if activity == "stairs_down"
                    else (0, 0)
                ),
                noise * 2,
            )
        else:
            comps = [(m, tuple(0.1 * np.asarray(a)), p) for m, a, p in comps]
            tilt, noise = ((15, 0) if activity in _SEATED else (0, 0)), noise * 0.3
    mult = np.array([c[0] for c in comps], dtype=float)
    amp = np.array([c[1] for c in comps], dtype=float)
    phase = np.array([np.broadcast_to(c[2], 3) for c in comps], dtype=float)
    return f0, np.radians(tilt), noise, mult, amp, phase


def competition_metadata(n_series: int = 2000, *, seed: int = 0, n_users: int = 8) -> pd.DataFrame:
    """The per-series table behind :func:`make_competition`, with the truth for every id.

    Columns ``userid, activity, sensor, body_part, side, id, sequence_length`` as in the
    competition, plus ``split`` ("train" for the ~40% labeled series written to
    ``train.csv``, "test" for ``metadata.csv``). Use it to score predictions on the
    synthetic test set.

    Parameters
    ----------
    n_series, seed, n_users
        As for :func:`make_competition` (the same values give the same table).

    Returns
    -------
    DataFrame
        One row per series.
    """
    return _plan(n_series, seed, n_users)[0][[*PUBLIC_COLUMNS, "split"]]


def _plan(n_series: int, seed: int, n_users: int):
    """Draw every per-series and per-user parameter from one generator (vectorized)."""
    if n_series < 1 or n_users < 1:
        raise ValueError(f"n_series and n_users must be >= 1, got {n_series}, {n_users}")
    rng = np.random.default_rng(seed)
    weights = np.array([_HAND[a][1] for a in ACTIVITIES])
    act = rng.choice(len(ACTIVITIES), n_series, p=weights / weights.sum())
    user = rng.integers(0, n_users, n_series)
    sensor = np.where(rng.random(n_series) < 0.707, "smartwatch", "vicon")
    body = np.where(rng.random(n_series) < 0.852, "hand", "foot")
    side = np.where(rng.random(n_series) < 0.5, "right", "left")
    labeled = rng.random(n_series) < 0.4
    ids = rng.choice(10 * n_series, n_series, replace=False) + 1
    n_acc = rng.integers(1000, 1501, n_series)
    n_gyro = n_acc + rng.integers(-3, 4, n_series)
    low = np.maximum(3000, n_acc + n_gyro + 200)
    n_total = low + (rng.random(n_series) * (4001 - low)).astype(np.int64)
    n_vicon = rng.integers(3000, 4001, n_series)
    is_watch = sensor == "smartwatch"
    plan = pd.DataFrame(
        {
            "userid": [f"user{u + 1:02d}" for u in user],
            "activity": np.asarray(ACTIVITIES, dtype=object)[act],
            "sensor": sensor.astype(object),
            "body_part": body.astype(object),
            "side": side.astype(object),
            "id": ids,
            "sequence_length": np.where(is_watch, n_total, n_vicon),
            "split": np.where(labeled, "train", "test").astype(object),
            "user_index": user,
            "n_acc": n_acc,
            "n_gyro": n_gyro,
            "n_mag": n_total - n_acc - n_gyro,
            # a NaN run is more likely in an unlabeled file, as in the real data
            "nan_runs": np.where(
                rng.random(n_series) < np.where(labeled, 0.08, 0.25),
                rng.integers(1, 4, n_series),
                0,
            ),
        }
    )
    users = {
        "amp": rng.uniform(0.75, 1.3, n_users),
        "tempo": rng.uniform(0.85, 1.15, n_users),
        "tilt": rng.normal(0, np.radians(8), (n_users, 2)),
        "noise": rng.uniform(0.7, 1.4, n_users),
        "field": rng.normal(0, 5, (n_users, 3)),
        # each user's personal way of doing each activity, shared by all their series
        "style_amp": rng.lognormal(0, 0.25, (n_users, len(ACTIVITIES), _MAX_COMPONENTS, 3)),
        "style_tempo": rng.normal(1, 0.04, (n_users, len(ACTIVITIES))),
    }
    return plan, users


def _sinusoids(t: np.ndarray, omega: np.ndarray, coef: np.ndarray, phase: np.ndarray):
    """``sum_k coef[k] * sin(omega[k] * t + phase[k])`` per axis, shape (len(t), 3).

    Expands ``sin(a + p) = sin(a) cos(p) + cos(a) sin(p)`` so that only (len(t), K)
    sines and cosines are evaluated, whatever the per-axis phases.
    """
    theta = t[:, None] * omega[None, :]
    return np.sin(theta) @ (coef * np.cos(phase)) + np.cos(theta) @ (coef * np.sin(phase))


def _series(row, users, seed: int, index: int) -> dict[str, np.ndarray]:
    """The per-series file content for one planned row: column name -> values.

    ``measurement type`` is given as int8 codes into ``MEASUREMENT_TYPES``.
    """
    rng = np.random.default_rng([seed, index])
    a = ACTIVITIES.index(row.activity)
    u = row.user_index
    f0, tilt, noise, mult, amp, phase = _spec(row.activity, row.body_part)
    k = len(mult)
    f = f0 * users["tempo"][u] * users["style_tempo"][u, a] * rng.normal(1, 0.02)
    amp = amp * users["amp"][u] * users["style_amp"][u, a, :k] * rng.lognormal(0, 0.1, (k, 3))
    phase = phase + rng.uniform(0, 2 * np.pi, (k, 1))
    noise = noise * users["noise"][u]
    left = row.side == "left"

    if row.sensor == "vicon":
        n = row.sequence_length
        t = np.arange(n) / VICON_HZ
        omega = 2 * np.pi * f * mult
        # position whose second derivative is the motion: integrate A sin(wt + p) twice
        pos = _sinusoids(t, omega, -amp / omega[:, None] ** 2, phase)
        pos += rng.normal([0, 0, 1.0 if row.body_part == "hand" else 0.08], [1.0, 1.0, 0.05])
        pos[:, 2] += _STAIRS_CLIMB.get(row.activity, 0.0) * t
        pos += rng.normal(0, 2e-5, pos.shape)  # marker jitter, metres
        if left:
            pos[:, 0] *= -1
        _add_nan_runs(pos, row.nan_runs, rng)
        pos = np.round(pos, 6)
        return {name: pos[:, j] for j, name in enumerate(VICON_COLUMNS)}

    n_acc, n_gyro, n_mag = row.n_acc, row.n_gyro, row.n_mag
    t_acc = np.arange(n_acc) / SMARTWATCH_HZ
    omega = 2 * np.pi * f * mult
    motion = _sinusoids(t_acc, omega, amp, phase)
    pitch, roll = tilt + users["tilt"][u] + rng.normal(0, np.radians(3), 2)
    rot = _rotation(pitch, roll)
    acc = motion + rot.T @ np.array([0.0, 0.0, GRAVITY]) + rng.normal(0, noise, (n_acc, 3))
    t_gyro = np.arange(n_gyro) / SMARTWATCH_HZ + 0.002
    w_amp = 2.0 * amp[:, [1, 2, 0]] / omega[:, None]  # swinging rotation, rad/s
    gyro = _sinusoids(t_gyro, omega, w_amp, phase + np.pi / 2)  # cosines
    gyro += rng.normal(0, 0.02, (n_gyro, 3))
    if left:  # reflection x -> -x: the vector negates x, the pseudovector negates y and z
        acc[:, 0] *= -1
        gyro[:, 1:] *= -1
    _add_nan_runs(acc, row.nan_runs, rng)
    t_mag = np.linspace(0, t_acc[-1], n_mag)
    mag = (rot.T @ _EARTH_FIELD + users["field"][u]) + rng.normal(0, 0.6, (n_mag, 3))
    mag += 3.0 * np.sin(2 * np.pi * f * t_mag)[:, None] * (amp[0] / (amp[0].sum() + 1e-9))

    order = np.argsort(np.concatenate([t_acc, t_gyro, t_mag]), kind="stable")
    kind = np.repeat(np.arange(3, dtype=np.int8), [n_acc, n_gyro, n_mag])[order]
    xyz = np.round(np.concatenate([acc, gyro, mag])[order], 5)
    return {"measurement type": kind, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]}


def _rotation(pitch: float, roll: float) -> np.ndarray:
    """Device-to-world rotation for a pitch about x then a roll about y."""
    cp, sp, cr, sr = np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    ry = np.array([[cr, 0, sr], [0, 1, 0], [-sr, 0, cr]])
    return rx @ ry


def _add_nan_runs(values: np.ndarray, n_runs: int, rng) -> None:
    """Blank ``n_runs`` runs of 3-150 rows in place (sensor dropouts, marker occlusion)."""
    for _ in range(n_runs):
        length = int(rng.integers(3, 151))
        start = int(rng.integers(0, max(len(values) - length, 1)))
        values[start : start + length] = np.nan


def _write_csv(columns: dict[str, np.ndarray], path: Path) -> None:
    """Write like ``DataFrame.to_csv(path, index=False)`` (NaN as empty cells), but fast."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    arrays = [
        pa.DictionaryArray.from_arrays(pa.array(v), pa.array(MEASUREMENT_TYPES))
        if name == "measurement type"
        else pa.array(v, from_pandas=True)
        for name, v in columns.items()
    ]
    table = pa.Table.from_arrays(arrays, names=list(columns))
    with path.open("wb") as fh:
        fh.write((",".join(columns) + "\n").encode())
        pa_csv.write_csv(table, fh, pa_csv.WriteOptions(include_header=False, quoting_style="none"))


def _write_files(rows: pd.DataFrame, users, seed: int, folder: Path) -> None:
    for index, row in zip(rows.index, rows.itertuples(index=False), strict=True):
        _write_csv(_series(row, users, seed, index), folder / f"{row.id}.csv")


def make_competition(
    path: str | PathLike,
    *,
    n_series: int = 2000,
    seed: int = 0,
    n_users: int = 8,
    n_jobs: int = 1,
    overwrite: bool = False,
) -> Path:
    """Write a synthetic dataset in exactly the competition layout; return its folder.

    Parameters
    ----------
    path : path-like
        Folder to create (``train.csv``, ``metadata.csv``, ``sample_submission.csv`` and
        ``unlabeled/unlabeled/<id>.csv``).
    n_series : int
        Number of series files; about 40% are labeled (``train.csv``).
    seed : int
        Same seed, same bytes, whatever ``n_jobs``.
    n_users : int
        Users ``user01..``, each with their own amplitude, tempo, tilt and style.
    n_jobs : int
        Parallel writer processes (joblib); -1 uses every core.
    overwrite : bool
        Replace an existing dataset in ``path`` (its old series files are deleted).

    Returns
    -------
    Path
        ``path``. The truth for the unlabeled ids is :func:`competition_metadata`.

    Notes
    -----
    Smartwatch files hold acceleration (m/s^2, gravity included) and angular velocity rows
    at ``SMARTWATCH_HZ`` interleaved in time with magnetic-field rows; Vicon files hold
    marker positions in metres at ``VICON_HZ``.
    """
    from joblib import Parallel, delayed

    path = Path(path)
    folder = path / SERIES_DIR
    if (path / "train.csv").exists():
        if not overwrite:
            raise FileExistsError(
                f"{path} already holds a dataset; pass overwrite=True "
                "to replace it or choose another path"
            )
        for old in folder.glob("*.csv"):
            if re.fullmatch(r"\d+\.csv", old.name):
                old.unlink()
    folder.mkdir(parents=True, exist_ok=True)

    plan, users = _plan(n_series, seed, n_users)
    public = PUBLIC_COLUMNS
    train = plan.loc[plan["split"] == "train", public]
    test = plan.loc[plan["split"] == "test", public].drop(columns="activity")
    train.to_csv(path / "train.csv", index=False)
    test.to_csv(path / "metadata.csv", index=False)
    submission = pd.DataFrame(
        1.0 / len(ACTIVITIES), index=range(len(test)), columns=list(ACTIVITIES)
    )
    submission.insert(0, ID_COLUMN, test["id"].to_numpy())
    submission.to_csv(path / "sample_submission.csv", index=False, float_format="%.6f")

    n_chunks = max(1, min(len(plan) // 250, 64 * max(1, abs(n_jobs))))
    chunks = np.array_split(np.arange(len(plan)), n_chunks)
    Parallel(n_jobs=n_jobs)(
        delayed(_write_files)(plan.iloc[c], users, seed, folder) for c in chunks
    )
    return path
