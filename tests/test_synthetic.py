"""make_competition writes the competition layout exactly, with physically plausible signals."""

import filecmp
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GroupKFold, KFold, cross_val_score

from featurekit import preprocess as pp
from featurekit.competition.synthetic import MEASUREMENT_TYPES, competition_metadata
from featurekit.datasets import ACTIVITIES, SMARTWATCH_HZ, VICON_HZ, make_competition
from featurekit.panel import Panel

pytestmark = pytest.mark.slow  # a 700-series synthetic dataset

N = 700
LAYOUT = Path(__file__).resolve().parents[1] / "docs" / "competition-layout.md"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = make_competition(tmp_path_factory.mktemp("comp") / "DATA", n_series=N, seed=3, n_jobs=2)
    truth = competition_metadata(N, seed=3)
    files = {}
    for row in truth.itertuples():
        files[row.id] = pd.read_csv(path / "unlabeled" / "unlabeled" / f"{row.id}.csv")
    return path, truth, files


def _accel(frame, sensor):
    """Acceleration (m/s^2) of one file, as the competition reader must produce it."""
    if sensor == "smartwatch":
        rows = frame["measurement type"] == "acceleration [m/s/s]"
        return frame.loc[rows, ["x", "y", "z"]].to_numpy()
    pos = frame[["x [m]", "y [m]", "z [m]"]].to_numpy()
    dt = 1 / VICON_HZ
    return np.gradient(np.gradient(pos, dt, axis=0), dt, axis=0)


def test_activities_are_the_documented_submission_order():
    text = LAYOUT.read_text()
    block = text.split("## Activities (18), in submission column order")[1].split("##")[0]
    documented = [a.strip() for a in block.replace("\n", " ").split(",")]
    assert list(ACTIVITIES) == documented
    assert len(ACTIVITIES) == 18


def test_csv_tables_have_the_exact_columns(data):
    path, truth, _ = data
    assert sorted(p.name for p in path.iterdir()) == [
        "metadata.csv",
        "sample_submission.csv",
        "train.csv",
        "unlabeled",
    ]
    train = pd.read_csv(path / "train.csv")
    meta = pd.read_csv(path / "metadata.csv")
    sub = pd.read_csv(path / "sample_submission.csv")
    assert list(train.columns) == [
        "userid",
        "activity",
        "sensor",
        "body_part",
        "side",
        "id",
        "sequence_length",
    ]
    assert list(meta.columns) == ["userid", "sensor", "body_part", "side", "id", "sequence_length"]
    assert list(sub.columns) == ["sample_id", *ACTIVITIES]
    assert sub["sample_id"].tolist() == meta["id"].tolist()
    np.testing.assert_allclose(sub[list(ACTIVITIES)].sum(axis=1), 1, atol=1e-4)
    assert (
        "e"
        not in (path / "sample_submission.csv")
        .read_text()
        .lower()
        .replace("sample", "")
        .split("\n", 1)[1]
    )  # plain decimals
    assert set(train["userid"]) | set(meta["userid"]) == {f"user{u:02d}" for u in range(1, 9)}
    assert set(train["sensor"]) == {"smartwatch", "vicon"}
    assert set(train["body_part"]) == {"hand", "foot"}
    assert set(train["side"]) == {"left", "right"}
    assert 0.33 < len(train) / N < 0.47
    assert train["id"].is_unique and not set(train["id"]) & set(meta["id"])
    labeled = truth[truth["split"] == "train"]
    assert train["activity"].tolist() == labeled["activity"].tolist()


def test_series_files_match_layout_and_sequence_length(data):
    path, truth, files = data
    names = {p.name for p in (path / "unlabeled" / "unlabeled").iterdir()}
    assert names == {f"{i}.csv" for i in truth["id"]}
    for row in truth.itertuples():
        frame = files[row.id]
        assert len(frame) == row.sequence_length
        if row.sensor == "smartwatch":
            assert list(frame.columns) == ["measurement type", "x", "y", "z"]
            kinds = frame["measurement type"].value_counts()
            assert set(kinds.index) == set(MEASUREMENT_TYPES)
            assert 1000 <= kinds["acceleration [m/s/s]"] <= 1500
            assert 3000 <= len(frame) <= 4000
        else:
            assert list(frame.columns) == ["x [m]", "y [m]", "z [m]"]
            assert 3000 <= len(frame) <= 4000
    first = (path / "unlabeled" / "unlabeled" / f"{truth['id'].iloc[0]}.csv").read_bytes()
    assert first.startswith(b"measurement type,x,y,z\n") or first.startswith(b"x [m],y [m]")
    assert "magnetic field [μT]".encode() in b"".join(
        (path / "unlabeled" / "unlabeled" / f"{i}.csv").read_bytes()[:300]
        for i in truth.loc[truth["sensor"] == "smartwatch", "id"][:5]
    )


def test_nan_runs_are_more_common_in_unlabeled_files(data):
    _, truth, files = data
    has_nan = np.array([files[i].isna().any().any() for i in truth["id"]])
    labeled = truth["split"].eq("train").to_numpy()
    assert 0 < has_nan[labeled].mean() < has_nan[~labeled].mean()


def test_vicon_second_derivative_matches_watch_motion(data):
    """Vicon positions are metres at VICON_HZ: their acceleration is as strong as the watch's."""
    _, truth, files = data
    hand = truth[truth["body_part"] == "hand"]
    for activity in ("walking_freely", "brushing_teeth", "typing"):
        rows = hand[hand["activity"] == activity]
        watch = [
            _accel(files[i], "smartwatch") for i in rows.loc[rows.sensor == "smartwatch", "id"]
        ]
        vicon = [_accel(files[i], "vicon") for i in rows.loc[rows.sensor == "vicon", "id"]]
        watch_std = np.median([np.nanstd(a - np.nanmean(a, 0), 0).sum() for a in watch])
        vicon_std = np.median([np.nanstd(a[5:-5], 0).sum() for a in vicon])
        ratio = vicon_std / watch_std
        assert 0.5 < ratio < 2.0, (activity, watch_std, vicon_std)


def test_gait_frequency_and_static_tilt(data):
    _, truth, files = data
    watch = truth[(truth["sensor"] == "smartwatch") & (truth["body_part"] == "hand")]

    def dominant_hz(acc):
        mag = np.linalg.norm(acc[~np.isnan(acc).any(axis=1)], axis=1)
        spectrum = np.abs(np.fft.rfft(mag - mag.mean()))
        return np.fft.rfftfreq(len(mag), 1 / SMARTWATCH_HZ)[spectrum.argmax()]

    walking = truth[(truth["sensor"] == "smartwatch") & (truth["activity"] == "walking_freely")]
    foot = [
        dominant_hz(_accel(files[i], "smartwatch"))
        for i in walking.loc[walking["body_part"] == "foot", "id"]
    ]
    hand = [
        dominant_hz(_accel(files[i], "smartwatch"))
        for i in walking.loc[walking["body_part"] == "hand", "id"]
    ]
    assert 1.4 < np.median(foot) < 2.3  # a foot feels every step: ~1.85 steps per second
    assert 0.7 < np.median(hand) < 1.2  # an arm swings once per stride (two steps)
    brushing = watch[watch["activity"] == "brushing_teeth"]["id"]
    assert np.median([dominant_hz(_accel(files[i], "smartwatch")) for i in brushing]) > 3
    # static postures: small motion, gravity (~9.81) carried by the tilt
    for activity in ("reading_book", "using_phone"):
        for i in watch[watch["activity"] == activity]["id"]:
            acc = _accel(files[i], "smartwatch")
            assert np.nanstd(acc, 0).max() < 0.5
            assert abs(np.linalg.norm(np.nanmean(acc, 0)) - 9.81) < 0.5


def test_left_devices_are_mirrored(data):
    _, truth, files = data
    rows = truth[
        (truth["sensor"] == "smartwatch")
        & (truth["body_part"] == "hand")
        & (truth["activity"] == "using_remote_control")
    ]
    mean_x = {
        side: [
            np.nanmean(_accel(files[i], "smartwatch")[:, 0])
            for i in rows.loc[rows["side"] == side, "id"]
        ]
        for side in ("left", "right")
    }
    assert np.median(mean_x["right"]) < -3 and np.median(mean_x["left"]) > 3


def test_grouped_validation_matters_and_activities_are_learnable(data):
    _, truth, files = data
    rows = truth[(truth["sensor"] == "smartwatch") & (truth["body_part"] == "hand")]
    arrays = [_accel(files[i], "smartwatch") for i in rows["id"]]
    panel = Panel.from_arrays(
        arrays,
        channels=["x", "y", "z"],
        sampling_rate=SMARTWATCH_HZ,
        meta=rows.reset_index(drop=True),
    )
    panel = pp.mirror(pp.fill_nan(panel).panel)
    x = np.column_stack(
        [
            f(panel.values[:, c] if c < 3 else np.linalg.norm(panel.values, axis=1))
            for c in range(4)
            for f in (
                lambda v: np.add.reduceat(v, panel.offsets[:-1]) / panel.lengths,
                lambda v: np.sqrt(
                    np.maximum(
                        np.add.reduceat(v**2, panel.offsets[:-1]) / panel.lengths
                        - (np.add.reduceat(v, panel.offsets[:-1]) / panel.lengths) ** 2,
                        0,
                    )
                ),
            )
        ]
    )
    y, groups = rows["activity"].to_numpy(), rows["userid"].to_numpy()
    model = RandomForestClassifier(n_estimators=60, random_state=0, n_jobs=1)
    grouped = cross_val_score(model, x, y, groups=groups, cv=GroupKFold(4)).mean()
    mixed = cross_val_score(model, x, y, cv=KFold(4, shuffle=True, random_state=0)).mean()
    assert grouped > 5 / len(ACTIVITIES)  # far above chance (1/18)
    assert mixed > grouped  # users leak across a random split


def test_deterministic_for_a_seed_whatever_n_jobs(tmp_path):
    a = make_competition(tmp_path / "a", n_series=40, seed=7, n_jobs=1)
    b = make_competition(tmp_path / "b", n_series=40, seed=7, n_jobs=2)
    c = make_competition(tmp_path / "c", n_series=40, seed=8)
    files = sorted(p.relative_to(a) for p in a.rglob("*.csv"))
    assert files == sorted(p.relative_to(b) for p in b.rglob("*.csv"))
    for f in files:
        assert filecmp.cmp(a / f, b / f, shallow=False), f
    assert (a / "train.csv").read_bytes() != (c / "train.csv").read_bytes()


def test_existing_dataset_needs_overwrite(tmp_path):
    path = make_competition(tmp_path / "d", n_series=30, seed=1)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        make_competition(path, n_series=10)
    make_competition(path, n_series=10, seed=2, overwrite=True)
    listed = set(pd.read_csv(path / "train.csv")["id"]) | set(
        pd.read_csv(path / "metadata.csv")["id"]
    )
    on_disk = {
        int(re.sub(r"\.csv$", "", p.name)) for p in (path / "unlabeled" / "unlabeled").iterdir()
    }
    assert on_disk == listed and len(listed) == 10
    with pytest.raises(ValueError, match="n_series"):
        make_competition(tmp_path / "e", n_series=0)


def test_vicon_position_is_the_exact_double_integral_of_the_motion():
    from featurekit.competition.synthetic import _sinusoids

    rng = np.random.default_rng(0)
    t = np.arange(4000) / VICON_HZ
    omega = 2 * np.pi * rng.uniform(0.2, 8, 4)
    amp, phase = rng.uniform(0.1, 3, (4, 3)), rng.uniform(0, 2 * np.pi, (4, 3))
    motion = _sinusoids(t, omega, amp, phase)
    reference = sum(amp[k] * np.sin(omega[k] * t[:, None] + phase[k]) for k in range(4))
    np.testing.assert_allclose(motion, reference, atol=1e-9)
    pos = _sinusoids(t, omega, -amp / omega[:, None] ** 2, phase)
    acc = np.gradient(np.gradient(pos, 1 / VICON_HZ, axis=0), 1 / VICON_HZ, axis=0)
    # central differences at 100 Hz: error ~ (omega dt)^2 / 12 of the 8 Hz component
    np.testing.assert_allclose(acc[2:-2], motion[2:-2], atol=0.06 * np.abs(amp).sum())
