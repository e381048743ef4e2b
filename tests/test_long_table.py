"""read_long_table on a synthetic CSV shaped like the Weight Lifting Exercises data of seed 003,
checked against a plain pandas groupby per series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from featurekit.io.long_table import read_long_table

SENSORS = [
    f"{kind}_{place}_{axis}"
    for kind in ("gyros", "accel", "magnet")
    for place in ("belt", "forearm")
    for axis in "xyz"
]
SUMMARY = ["kurtosis_roll_belt", "skewness_roll_belt", "max_roll_belt", "avg_yaw_forearm"]
REGEX = "^(gyros|accel|magnet)_"


def wle_like(rng, users=("eurico", "adelmo", "carlitos"), windows_per_user=4) -> pd.DataFrame:
    """Rows of 10-30 samples per (user, window); summary columns filled on the last row only
    with numbers or '#DIV/0!', like the real file; class E has one window only."""
    frames = []
    window = 0
    for u, user in enumerate(users):
        for _ in range(windows_per_user):
            window += 1
            n = int(rng.integers(10, 30))
            classe = "ABCD"[(window + u) % 4]
            frame = pd.DataFrame(rng.normal(size=(n, len(SENSORS))).round(3), columns=SENSORS)
            frame.insert(0, "user_name", user)
            frame.insert(1, "raw_timestamp_part_1", 1322489729 + window)
            frame.insert(2, "raw_timestamp_part_2", np.sort(rng.choice(10**6, n, replace=False)))
            frame.insert(3, "new_window", ["no"] * (n - 1) + ["yes"])
            frame.insert(4, "num_window", window)
            for column in SUMMARY:
                frame[column] = [""] * (n - 1) + [rng.choice(["#DIV/0!", "0.53"])]
            frame["roll_belt"] = rng.normal(size=n).round(2)
            frame["classe"] = classe
            frames.append(frame)
    frames[-1]["classe"] = "E"
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def wle(tmp_path):
    rng = np.random.default_rng(3)
    table = wle_like(rng)
    table = table.astype({"gyros_belt_y": object, "accel_forearm_z": object})
    table.loc[5, "gyros_belt_y"] = "#DIV/0!"  # junk in a kept sensor column
    table.loc[7, "accel_forearm_z"] = "oops"  # a truly non-numeric cell
    table.loc[9, "user_name"] = np.nan  # a row without its key
    shuffled = table.sample(frac=1.0, random_state=0)  # rows out of time order
    path = tmp_path / "wle.csv"
    path.write_text("written by a logger\nversion 2\n\n")  # the seed read with skiprows=3
    shuffled.to_csv(path, mode="a")
    return path, table


def read(path, **kw):
    return read_long_table(
        path,
        id_columns=["user_name", "num_window"],
        value_columns=REGEX,
        label_column="classe",
        group_column="user_name",
        sort_column=["raw_timestamp_part_1", "raw_timestamp_part_2"],
        read_csv_kwargs={"skiprows": 3},
        **kw,
    )


def test_series_match_a_plain_groupby(wle):
    path, table = wle
    panel, report = read(path)
    table = table[table["user_name"].notna()]
    assert panel.channels == SENSORS
    groups = table.groupby(["user_name", "num_window"])
    assert len(panel) == groups.ngroups
    for (user, window), rows in groups:
        rows = rows.sort_values("raw_timestamp_part_2")
        expected = rows[SENSORS].apply(pd.to_numeric, errors="coerce").to_numpy()
        got = panel.loc([f"{user}:{window}"])
        np.testing.assert_array_equal(got.values, expected)
        meta = got.meta.iloc[0]
        assert meta["label"] == rows["classe"].iloc[0] and meta["group"] == user
        assert meta["num_window"] == window


def test_problems_are_reported_not_hidden(wle):
    path, _ = wle
    panel, report = read(path)
    t = report.table
    assert len(report.of("missing_key")) == 1
    junk = report.of("non_numeric")  # '#DIV/0!' is a NaN token, 'oops' is junk
    assert list(junk["detail"].str.extract(r"column '(\w+)'")[0]) == ["accel_forearm_z"]
    assert panel.nan_counts().sum() == 2
    small = report.of("small_class")
    assert len(small) == 1 and "'E'" in small["detail"].iloc[0]
    assert "E" in set(panel.meta["label"])  # reported, not removed
    assert set(t.loc[t["problem"] == "nan", "id"]) == {
        panel.ids[i] for i in np.flatnonzero(panel.nan_counts())
    }
    assert report.n_series == len(panel)


def test_mostly_nan_columns_are_dropped_and_reported(wle):
    path, _ = wle
    panel, report = read_long_table(
        path,
        id_columns=["user_name", "num_window"],
        value_columns=SENSORS + SUMMARY + ["roll_belt"],
        read_csv_kwargs={"skiprows": 3},
    )
    dropped = report.of("mostly_nan_column")["detail"].str.extract(r"column '(\w+)'")[0]
    assert sorted(dropped) == sorted(SUMMARY)
    assert panel.channels == SENSORS + ["roll_belt"]
    _, loose = read_long_table(
        path,
        id_columns=["user_name", "num_window"],
        value_columns=SUMMARY,
        max_nan_fraction=1.0,
        read_csv_kwargs={"skiprows": 3},
    )
    assert loose.of("mostly_nan_column").empty


def test_mixed_labels_keep_the_majority(wle):
    _, table = wle
    table = table[table["user_name"].notna()].copy()
    first = table.index[(table["num_window"] == 1)]
    table.loc[first[:2], "classe"] = "Z"
    panel, report = read_long_table(
        table, id_columns=["user_name", "num_window"], value_columns=REGEX, label_column="classe"
    )
    hit = report.of("mixed_labels")
    assert list(hit["id"]) == ["eurico:1"]
    assert panel.meta.loc["eurico:1", "label"] == table.loc[first[2], "classe"]


def test_bad_arguments_raise_one_error_listing_all(wle):
    path, _ = wle
    with pytest.raises(ValueError) as err:
        read_long_table(
            path,
            id_columns=["user", "num_window"],
            value_columns=["gyro_x"],
            label_column="class",
            read_csv_kwargs={"skiprows": 3},
        )
    message = str(err.value)
    assert "['user']" in message and "['gyro_x']" in message and "['class']" in message
    with pytest.raises(ValueError, match="selects no column"):
        read_long_table(
            path, id_columns="user_name", value_columns="^nothing", read_csv_kwargs={"skiprows": 3}
        )


def test_single_id_column_and_awkward_names():
    df = pd.DataFrame(
        {"sid": [2, 2, 1, 1, 1], "acc x (g)": [1, 2, 3, 4, 5.0], "label": ["a", "a", "b", "b", "b"]}
    )
    panel, report = read_long_table(
        df, id_columns="sid", value_columns=["acc x (g)"], label_column="label", min_class_size=1
    )
    assert list(panel.ids) == [1, 2] and panel.channels == ["acc_x_g"]
    np.testing.assert_array_equal(panel.values[:, 0], [3, 4, 5, 1, 2])
    assert list(report.table["problem"]) == ["renamed_column"]
