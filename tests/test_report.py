"""report.compare: report.html self-contained and labelled, pooled vs fold metrics, the
importance of the model ranked first, reliability diagrams, per-fold progress, no warning
floods; CVResult's short repr."""

import base64
import logging
import re
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from featurekit.evaluate import cross_validate
from featurekit.report import brier_score, compare, detailed_scores, expected_calibration_error


def _table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.asarray(["walk", "run", "sit"])[np.arange(n) % 3]
    codes = pd.Series(y).map({"walk": 0, "run": 1, "sit": 2}).to_numpy()
    X = pd.DataFrame(
        rng.normal(size=(n, 8)),
        columns=[f"{ch}__{f}" for ch in ("ax", "ay") for f in ("mean", "std", "min", "max")],
    )
    X["ax__mean"] += codes * 1.5
    X["ay__std"] += (codes == 2) * 1.0
    groups = (np.arange(n) // 3) % 6  # every subject holds every class
    return X, y, groups


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.images, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    X, y, groups = _table()
    out = tmp_path_factory.mktemp("report")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        table = compare(
            X,
            y,
            groups,
            models=["logreg", "rf"],
            out=out,
            cv="group",
            n_splits=3,
            calibrate=None,
            verbose=False,
        )
    return out, table, X, y, groups, seen


def test_html_is_self_contained_and_labelled(report):
    out, table, *_ = report
    page = _Page()
    text = (out / "report.html").read_text(encoding="utf-8")
    page.feed(text)
    words = " ".join(page.text)
    # every figure embedded as a PNG, nothing fetched from elsewhere
    alts = [image["alt"] for image in page.images]
    assert {
        "reliability diagrams",
        "importance per column",
        "importance per channel",
        "importance per family",
        "confusion logreg",
        "confusion rf",
    } <= set(alts)
    for image in page.images:
        assert image["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(image["src"].split(",", 1)[1])[:4] == b"\x89PNG"
    assert not re.search(r'(src|href)="(http|//|file:)', text)
    for label in (
        "fold mean ± sd",
        "pooled",
        "balanced accuracy",
        "Brier score",
        "ECE",
        "Per-class F1",
        "Reliability",
        "Confusion",
        "GroupKFold",
        "Versions",
        "featurekit",
    ):
        assert label in words, label
    # the model ranked first (lowest fold-mean log loss) comes first, and the importance
    # section is about it
    assert words.index(f"1. {table['model'][0]}") < words.index(f"2. {table['model'][1]}")
    assert "Importance of the model ranked first" in words
    assert "LEAKY" not in words


def test_pooled_and_fold_means_are_what_they_say(report):
    _, _, X, y, groups, _ = report
    result = cross_validate("logreg", X, y, groups, cv="group", n_splits=3)
    frame = detailed_scores(result)
    folds = frame.drop(index="pooled")
    assert folds["log_loss"].to_numpy() == pytest.approx(result.folds["log_loss"].to_numpy())
    assert frame.loc["pooled", "log_loss"] == pytest.approx(result.overall["log_loss"])
    assert frame.loc["pooled", "accuracy"] == pytest.approx(result.overall["accuracy"])


def test_brier_and_ece():
    classes = np.array(["a", "b"])
    y = np.array(["a", "a", "b", "b"])
    perfect = np.array([[1.0, 0], [1, 0], [0, 1], [0, 1]])
    assert brier_score(y, perfect, classes) == 0
    assert expected_calibration_error(y, perfect, classes) == 0
    overconfident = np.array([[0.9, 0.1]] * 4)  # says 0.9, right half the time
    assert expected_calibration_error(y, overconfident, classes) == pytest.approx(0.4)
    # right rows: 0.1² + 0.1²; wrong rows: 0.9² + 0.9²
    assert brier_score(y, overconfident, classes) == pytest.approx((0.02 + 1.62) / 2)


def test_markdown_csv_and_files(report):
    out, table, *_ = report
    assert {"report.html", "report.md", "results.csv", "reliability.png", "importance.png"} <= {
        p.name for p in out.iterdir()
    }
    assert pd.read_csv(out / "results.csv")["model"].tolist() == table["model"].tolist()


def test_no_warning_floods(report):
    *_, seen = report
    texts = [str(w.message) for w in seen]
    assert len(texts) == len(set(texts))
    assert sum("Number of classes in training fold" in t for t in texts) <= 1


def test_progress_per_fold_is_logged(caplog):
    X, y, groups = _table(60)
    with caplog.at_level(logging.INFO, logger="featurekit"):
        compare(X, y, groups, models=["logreg"], cv="group", n_splits=3, verbose=False)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("fold" in m and "/3" in m for m in messages) >= 3
    assert any(m.startswith("logreg: log loss") for m in messages)  # one line per model


def test_cv_result_repr_is_a_summary():
    X, y, groups = _table(60)
    result = cross_validate("logreg", X, y, groups, cv="group", n_splits=3)
    text = repr(result)
    assert len(text.splitlines()) < 10 and "array(" not in text
    assert "fold mean ± sd" in text and "pooled" in text and "'logreg'" in text
    assert "<pre>" in result._repr_html_()
    leaky = cross_validate("logreg", X, y, groups, cv="kfold", n_splits=3)
    assert "LEAKY" in repr(leaky)
