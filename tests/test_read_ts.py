"""read_ts against hand-written files and against aeon's own loader on its bundled files."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from featurekit.io import read_ts

AEON_DATA = Path(list(importlib.util.find_spec("aeon").submodule_search_locations)[0]) / (
    "datasets/data"
)


def _write(tmp_path, text, name="case.ts"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_multivariate_unequal_length_with_missing(tmp_path):
    path = _write(
        tmp_path,
        """# a comment
% another comment
@problemName Tiny
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength false
@classLabel true walk run

@data
1,2,3:4,5,6:walk
7,?:8.5,-1e-3:run
""",
    )
    panel = read_ts(path, sampling_rate=10)
    assert panel.lengths.tolist() == [3, 2]
    assert panel.channels == ["dim_0", "dim_1"]
    np.testing.assert_array_equal(panel.series(0), [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(panel.series(1), [[7, 8.5], [np.nan, -1e-3]])
    assert panel.meta["label"].tolist() == ["walk", "run"]
    assert panel.sampling_rate.tolist() == [10, 10]
    header = panel.meta.attrs["ts_header"]
    assert header["problemname"] == "Tiny" and header["dimensions"] == 2
    assert header["classes"] == ["walk", "run"] and header["missing"] is True


def test_univariate_without_labels_and_channel_names(tmp_path):
    path = _write(
        tmp_path, "@problemName U\n@univariate true\n@classLabel false\n@data\n1,2,3\n4,5\n"
    )
    panel = read_ts(path, channels=["v"])
    assert panel.lengths.tolist() == [3, 2] and panel.channels == ["v"]
    assert "label" not in panel.meta.columns


def test_regression_targets(tmp_path):
    path = _write(tmp_path, "@targetLabel true\n@data\n1,2:0.5\n3,4:1.5\n")
    assert read_ts(path).meta["target"].tolist() == [0.5, 1.5]


def test_malformed_lines_are_all_listed_with_file_and_line(tmp_path):
    path = _write(
        tmp_path,
        """@problemName Bad
@dimensions 2
@classLabel true a b
@data
1,2:3,4:a
1,x:3,4:a
1,2,3:4,5:b
1,2:3,4:c
1,2:3,4:a
1,2
""",
    )
    with pytest.raises(ValueError) as err:
        read_ts(path)
    text = str(err.value)
    assert "case.ts:6" in text and "'x' is not a number" in text
    assert "case.ts:7" in text and "different lengths" in text
    assert "labels ['c']" in text
    assert "case.ts:10" in text  # no label on the last (truncated) line


def test_wrong_dimension_count_and_series_length(tmp_path):
    path = _write(
        tmp_path,
        "@dimensions 2\n@equalLength true\n@seriesLength 3\n"
        "@classLabel true a\n@data\n1,2,3:4,5,6:a\n1,2,3:a\n1,2:3,4:a\n",
    )
    with pytest.raises(ValueError, match=r"cases \[1\].*expected 2(.|\n)*cases \[2\]"):
        read_ts(path)


def test_not_a_ts_file(tmp_path):
    with pytest.raises(ValueError, match="no '@data'"):
        read_ts(_write(tmp_path, "@problemName X\n"))
    with pytest.raises(ValueError, match="data before '@data'"):
        read_ts(_write(tmp_path, "1,2,3\n", "plain.ts"))


def test_timestamped_values_keep_values(tmp_path):
    path = _write(
        tmp_path,
        "@timeStamps true\n@classLabel true 1 2\n@data\n"
        "(2007-01-01 00:00:00,1.5),(2007-01-01 00:01:00,2.5):1\n",
    )
    panel = read_ts(path)
    np.testing.assert_array_equal(panel.values[:, 0], [1.5, 2.5])
    assert panel.meta["label"].tolist() == ["1"]


@pytest.mark.parametrize(
    "name",
    [
        "BasicMotions/BasicMotions_TRAIN.ts",
        "JapaneseVowels/JapaneseVowels_TEST.ts",
        "PickupGestureWiimoteZ/PickupGestureWiimoteZ_TRAIN.ts",
    ],
)
def test_agrees_with_aeon_loader(name):
    from aeon.datasets import load_from_ts_file

    X, y = load_from_ts_file(str(AEON_DATA / name))
    panel = read_ts(AEON_DATA / name)
    assert len(panel) == len(X)
    # aeon lower-cases labels; read_ts keeps them as written in the file
    assert panel.meta["label"].str.lower().tolist() == [str(v).lower() for v in y]
    for i, case in enumerate(X):  # aeon: (channels, length); ours: (length, channels)
        np.testing.assert_allclose(panel.series(i), np.asarray(case).T)


def test_labels_checked_case_insensitively_but_kept_as_written(tmp_path):
    path = _write(tmp_path, "@classLabel true Walk Run\n@data\n1,2:walk\n3,4:Run\n")
    assert read_ts(path).meta["label"].tolist() == ["walk", "Run"]


def test_utf8_byte_order_mark_is_skipped(tmp_path):
    text = "@problemName c\n@univariate true\n@classLabel true 1 2\n@data\n1,2,3:1\n4,5,6:2\n"
    bom = tmp_path / "bom.ts"
    bom.write_text(text, encoding="utf-8-sig")  # as Windows editors save UTF-8
    panel, plain = read_ts(bom), read_ts(_write(tmp_path, text))
    np.testing.assert_array_equal(panel.values, plain.values)
    assert panel.meta["label"].tolist() == ["1", "2"]
    assert panel.meta.attrs["ts_header"]["problemname"] == "c"
