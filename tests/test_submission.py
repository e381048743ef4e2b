"""write_submission / validate_submission: column order by name, clipping, plain decimals."""

import numpy as np
import pandas as pd
import pytest

from featurekit.competition.submission import validate_submission, write_submission
from featurekit.datasets import ACTIVITIES


@pytest.fixture
def proba():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(len(ACTIVITIES)), size=6)
    p[0, 3] = 0.0  # must be clipped away from 0
    p[1, 5] = 1e-20  # would print as 1e-20
    return p / p.sum(axis=1, keepdims=True)  # rows of probabilities sum to 1


def test_roundtrip_in_layout_order(tmp_path, proba):
    path = tmp_path / "sub.csv"
    write_submission([10, 11, 12, 13, 14, 15], proba, ACTIVITIES, path)
    text = path.read_text()
    assert text.splitlines()[0] == "sample_id," + ",".join(ACTIVITIES)
    assert "e-" not in text and "E-" not in text
    frame = validate_submission(path)
    values = frame[list(ACTIVITIES)].to_numpy()
    assert values.min() >= 1e-15 * 0.99
    np.testing.assert_allclose(values.sum(axis=1), 1, atol=1e-12)
    expected = np.clip(proba, 1e-15, 1)
    np.testing.assert_allclose(values, expected / expected.sum(axis=1, keepdims=True), atol=1e-14)


def test_classes_in_another_order_land_under_their_names(tmp_path, proba):
    template = pd.DataFrame(columns=["sample_id", *ACTIVITIES[::-1]])  # template's own order
    shuffled = np.random.default_rng(1).permutation(len(ACTIVITIES))
    classes = np.asarray(ACTIVITIES)[shuffled]
    path = tmp_path / "sub.csv"
    write_submission(range(6), proba[:, shuffled], classes, path, template=template)
    frame = validate_submission(path, template)
    assert list(frame.columns[1:]) == list(ACTIVITIES[::-1])
    np.testing.assert_allclose(
        frame["typing"],
        proba[:, ACTIVITIES.index("typing")] / np.clip(proba, 1e-15, 1).sum(axis=1),
        rtol=1e-9,
    )


def test_template_rows_fix_id_order_and_set(tmp_path, proba):
    template = pd.DataFrame({"sample_id": [15, 14, 13, 12, 11, 10], **{a: 0.0 for a in ACTIVITIES}})
    path = tmp_path / "sub.csv"
    write_submission([10, 11, 12, 13, 14, 15], proba, ACTIVITIES, path, template=template)
    assert validate_submission(path, template)["sample_id"].tolist() == [15, 14, 13, 12, 11, 10]
    with pytest.raises(ValueError, match="ids differ from the template: 1 missing"):
        write_submission([10, 11, 12, 13, 14, 99], proba, ACTIVITIES, path, template=template)


def test_mismatched_classes_are_named(tmp_path, proba):
    with pytest.raises(ValueError) as err:
        write_submission(range(6), proba, range(18), tmp_path / "s.csv")
    assert "integer codes" in str(err.value) and "brushing_teeth" in str(err.value)
    wrong = list(ACTIVITIES[:-1]) + ["jogging"]
    with pytest.raises(ValueError, match=r"missing \['writing'\], unexpected \['jogging'\]"):
        write_submission(range(6), proba, wrong, tmp_path / "s.csv")


def test_ids_not_in_metadata(tmp_path, proba):
    metadata = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(ValueError, match=r"1 ids are not in metadata: \[7\]"):
        write_submission(
            [2, 3, 4, 5, 6, 7], proba, ACTIVITIES, tmp_path / "s.csv", metadata=metadata
        )


def test_several_problems_in_one_error(tmp_path, proba):
    with pytest.raises(ValueError) as err:
        write_submission([1, 1, 2, 3, 4, 5], proba[:, :17], ACTIVITIES[:17], tmp_path / "s.csv")
    message = str(err.value)
    assert "more than once" in message and "missing ['writing']" in message


def test_validate_catches_hand_written_mistakes(tmp_path, proba):
    path = tmp_path / "bad.csv"
    frame = pd.DataFrame(proba, columns=ACTIVITIES)
    frame.insert(0, "sample_id", range(6))
    frame.iloc[2, 1] = 0.5  # row no longer sums to 1
    frame.to_csv(path, index=False, float_format="%.3e")  # scientific notation
    with pytest.raises(ValueError) as err:
        validate_submission(path)
    assert "scientific notation" in str(err.value) and "do not sum to 1" in str(err.value)
    frame[list(ACTIVITIES[::-1])].to_csv(path, index=False)
    with pytest.raises(ValueError, match="header"):
        validate_submission(path)
