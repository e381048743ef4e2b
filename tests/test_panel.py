"""The Panel container: constructors, converters, slicing, validation."""

import numpy as np
import pandas as pd
import pytest

from featurekit import Panel


@pytest.fixture
def panel():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(n, 3)) for n in (4, 0, 7, 2)]
    meta = pd.DataFrame({"label": ["a", "b", "a", "c"], "group": [1, 1, 2, 2]})
    return Panel.from_arrays(
        arrays,
        ids=["s1", "s2", "s3", "s4"],
        channels=["x", "y", "z"],
        meta=meta,
        sampling_rate=[50, 50, 100, 25],
    )


def test_layout(panel):
    assert len(panel) == 4
    assert panel.lengths.tolist() == [4, 0, 7, 2]
    assert panel.offsets.tolist() == [0, 4, 4, 11, 13]
    assert panel.values.shape == (13, 3) and panel.values.flags.c_contiguous
    assert panel.series(2).shape == (7, 3)
    assert panel.meta.index.tolist() == ["s1", "s2", "s3", "s4"]
    assert panel.time_index().tolist()[:6] == [0, 1, 2, 3, 0, 1]


def test_take_loc_mask_slice(panel):
    sub = panel.take([3, 0])
    assert sub.ids.tolist() == ["s4", "s1"]
    np.testing.assert_array_equal(sub.series(0), panel.series(3))
    assert sub.sampling_rate.tolist() == [25, 50]
    assert sub.meta["label"].tolist() == ["c", "a"]
    assert panel.loc(["s3"]).lengths.tolist() == [7]
    assert panel[np.array([True, False, True, False])].ids.tolist() == ["s1", "s3"]
    assert panel[1:3].ids.tolist() == ["s2", "s3"]
    with pytest.raises(KeyError, match="nope"):
        panel.loc(["nope"])


def test_roundtrips(panel):
    again = Panel.from_long(panel.to_long(), "id", "time", "kind", "value")
    nonempty = panel.take(np.flatnonzero(panel.lengths > 0))
    assert again.ids.tolist() == nonempty.ids.tolist()
    np.testing.assert_array_equal(again.values, nonempty.values)
    wide = Panel.from_wide(panel.to_wide(), "id", "time")
    np.testing.assert_array_equal(wide.values, nonempty.values)
    cube = panel.to_numpy3d()
    assert cube.shape == (4, 3, 7)
    np.testing.assert_array_equal(cube[2].T, panel.series(2))
    assert np.isnan(cube[0, :, 4:]).all()
    equal = Panel.from_numpy3d(np.arange(24.0).reshape(2, 3, 4))
    assert equal.lengths.tolist() == [4, 4]
    np.testing.assert_array_equal(equal.series(1)[:, 0], [12, 13, 14, 15])
    np.testing.assert_array_equal(Panel.from_arrays(panel.to_arrays()).values, panel.values)


def test_concat_and_chunks(panel):
    both = Panel.concat([panel, panel.rename_channels({}).replace(ids=["t1", "t2", "t3", "t4"])])
    assert len(both) == 8 and both.lengths.tolist() == [4, 0, 7, 2] * 2
    assert [len(c) for c in panel.chunks(3)] == [3, 1]
    with pytest.raises(ValueError, match="channels"):
        Panel.concat([panel, panel.select_channels(["x", "y"])])


def test_validation_lists_every_problem():
    with pytest.raises(ValueError) as error:
        Panel(
            np.zeros((3, 2)),
            [0, 2, 1],
            channels=["a b", "a"],
            meta={"label": [1]},
            ids=["p", "q"],
            sampling_rate=[1.0, -1.0],
        )
    message = str(error.value)
    for expected in (
        "offsets end at 1",
        "offsets decrease",
        "channel names ['a b']",
        "meta has 1 rows",
        "sampling_rate must be > 0",
    ):
        assert expected in message


def test_duplicate_ids_and_unknown_channels(panel):
    with pytest.raises(ValueError, match="not unique"):
        panel.replace(ids=["a", "a", "b", "c"])
    with pytest.raises(ValueError, match=r"unknown channels \['w'\]"):
        panel.select_channels(["x", "w"])


def test_nan_counts():
    panel = Panel.from_arrays([np.array([[1.0], [np.nan]]), np.zeros((0, 1)), np.ones((3, 1))])
    assert panel.nan_counts().tolist() == [1, 0, 0]


def test_from_wide_and_long_keep_ids_in_order_of_appearance_with_their_meta():
    """Regression: rows were sorted by id while a row-by-row meta stayed in file order, so
    series 'b' got the label of 'a' without any error."""
    wide = pd.DataFrame(
        {"id": ["b"] * 3 + ["a"] * 3, "time": [2, 0, 1] * 2, "x": [12.0, 10, 11, 3, 1, 2]}
    )
    meta = pd.DataFrame({"label": ["B", "A"]})  # row by row, in order of appearance
    for panel in (
        Panel.from_wide(wide, meta=meta),
        Panel.from_long(
            wide.assign(kind="x").rename(columns={"x": "value"}), column_kind="kind", meta=meta
        ),
    ):
        assert panel.ids.tolist() == ["b", "a"]
        assert panel.meta["label"].tolist() == ["B", "A"]
        np.testing.assert_array_equal(panel.loc(["b"]).series(0).ravel(), [10, 11, 12])


def test_meta_indexed_by_id_is_aligned_by_id():
    arrays = [np.zeros((2, 1)), np.ones((3, 1)), np.full((1, 1), 2.0)]
    by_id = pd.DataFrame({"label": ["lc", "la", "lb"]}, index=["c", "a", "b"])
    panel = Panel.from_arrays(arrays, ids=["a", "b", "c"], meta=by_id)
    assert panel.meta["label"].tolist() == ["la", "lb", "lc"]
    named = pd.DataFrame({"label": ["l2", "l0", "l1"]}, index=pd.Index([2, 0, 1], name="id"))
    assert Panel.from_arrays(arrays, meta=named).meta["label"].tolist() == ["l0", "l1", "l2"]
    by_row = pd.DataFrame({"label": ["first", "second", "third"]}, index=[7, 8, 9])
    assert Panel.from_arrays(arrays, ids=["a", "b", "c"], meta=by_row).meta["label"].tolist() == [
        "first",
        "second",
        "third",
    ]
