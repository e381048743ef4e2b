"""Feature selection: agreement with tsfresh's relevance table, leak-free use inside CV, and
selected columns (featurekit's and tsfresh's) extracted back by name."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import featurekit as fk
from featurekit.evaluate import cross_validate
from featurekit.features import from_columns
from featurekit.features.registry import BLOCKS
from featurekit.features.tsfresh_bridge import to_tsfresh_name, tsfresh_settings
from featurekit.models import make_model
from featurekit.selection import (
    RelevanceSelector,
    SelectedClassifier,
    benjamini_yekutieli,
    relevance_table,
    select_features,
    with_selection,
)


def _table(n, n_classes, seed=0):
    """Real (some with ties), two-valued and constant columns, a few of them relevant."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    cols = {}
    for i in range(12):
        cols[f"real{i}"] = rng.normal(size=n) + (y == i % n_classes) * rng.uniform(0, 1.0)
    for i in range(4):
        cols[f"tied{i}"] = np.round(rng.normal(size=n) + (y == 0) * 0.4 * i)
    for i in range(4):
        cols[f"binary{i}"] = np.where(rng.random(n) < 0.3 + 0.15 * i * (y == 1), 3.0, -1.0)
    cols["separated"] = 2.0 * y + rng.normal(0, 0.1, n)  # relevant even on 20 rows
    cols["flag"] = (y == n_classes - 1) & (rng.random(n) < 0.8)
    cols["const"] = np.full(n, 2.0)
    cols["zeros"] = np.zeros(n)
    cols["copy"] = cols["real0"].copy()
    return pd.DataFrame(cols).astype(float), pd.Series(y)


CASES = [  # rows, classes, multiclass, n_significant, test
    (300, 3, False, 1, "mann"),
    (300, 3, True, 1, "mann"),
    (300, 4, True, 2, "mann"),
    (300, 2, False, 1, "mann"),
    (20, 3, False, 1, "mann"),  # classes of <= 8 rows: scipy's exact Mann-Whitney
    (20, 3, True, 1, "mann"),
    (200, 3, False, 1, "smir"),
    (90, 3, True, 1, "smir"),
    (16, 2, False, 1, "smir"),
]


@pytest.mark.slow
@pytest.mark.parametrize("n, n_classes, multiclass, n_significant, test", CASES)
def test_relevance_table_agrees_with_tsfresh(n, n_classes, multiclass, n_significant, test):
    relevance = pytest.importorskip("tsfresh.feature_selection.relevance")
    X, y = _table(n, n_classes, seed=n + n_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = relevance.calculate_relevance_table(
            X,
            y,
            n_jobs=0,
            multiclass=multiclass,
            n_significant=n_significant,
            test_for_binary_target_real_feature=test,
        )
    ours = relevance_table(X, y, multiclass=multiclass, n_significant=n_significant, test=test)
    expected = expected.loc[ours.index]
    assert list(ours.index) == list(X.columns)
    assert ours["type"].tolist() == expected["type"].tolist()
    assert set(ours["type"]) == {"real", "binary", "constant"}
    assert ours["relevant"].tolist() == expected["relevant"].astype(bool).tolist()
    assert 0 < ours["relevant"].sum() < len(ours)  # the comparison decides something
    if multiclass:
        for label in sorted(y.unique()):
            np.testing.assert_allclose(
                ours[f"p_value_{label}"].to_numpy(float),
                expected[f"p_value_{label}"].to_numpy(float),
                rtol=0,
                atol=1e-9,
            )
            assert (
                ours[f"relevant_{label}"].tolist()
                == expected[f"relevant_{label}"].astype(bool).tolist()
            )
        assert ours["n_significant"].tolist() == expected["n_significant"].tolist()
    else:
        np.testing.assert_allclose(
            ours["p_value"].to_numpy(float), expected["p_value"].to_numpy(float), rtol=0, atol=1e-9
        )


@pytest.mark.parametrize("independent", [False, True])
def test_benjamini_yekutieli_matches_statsmodels(independent):
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 1e-3, 30), rng.uniform(size=300), [0.01, 0.01]])
    expected = multitest.multipletests(p, 0.05, "fdr_bh" if independent else "fdr_by")[0]
    np.testing.assert_array_equal(benjamini_yekutieli(p, 0.05, independent), expected)


def test_duplicates_keep_the_first_and_leave_the_fdr_count():
    X, y = _table(300, 3)
    X["zeros_negative"] = -0.0 * X["zeros"]
    X["copy_signed"] = X["real3"] + 0.0
    table = relevance_table(X, y, drop_duplicates=True)
    assert table.loc["copy", "type"] == "duplicate"
    assert table.loc["copy", "duplicate_of"] == "real0"
    assert table.loc["copy_signed", "duplicate_of"] == "real3"
    assert table.loc["real0", "type"] == "real"
    assert table.loc["zeros_negative", "type"] == "constant"  # constant wins over duplicate
    assert np.isnan(table.loc["copy", "p_value"]) and not table.loc["copy", "relevant"]
    without = relevance_table(X.drop(columns=["copy", "copy_signed"]), y)
    np.testing.assert_array_equal(
        table["relevant"].drop(["copy", "copy_signed"]), without["relevant"]
    )


def _subjects(n_subjects=12, per_cell=15, n_classes=3, seed=0):
    """Windows of subjects: each subject has ``per_cell`` windows of every class; a subject
    effect shared by its windows, a class effect in ``signal``."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_subjects), per_cell * n_classes)
    y = np.tile(np.repeat(np.arange(n_classes), per_cell), n_subjects)
    subject = rng.normal(size=n_subjects)[groups]
    X = pd.DataFrame(
        {
            "signal": 0.8 * (y == 1) + subject + rng.normal(0, 0.5, len(y)),
            "subject_only": subject + rng.normal(0, 0.1, len(y)),
            "noise": rng.normal(size=len(y)),
            "flag": (rng.random(len(y)) < 0.3 + 0.4 * (y == 2)).astype(float),
            "copy": 0.0,
        }
    )
    X["copy"] = X["signal"]
    return X, pd.Series(y), groups


@pytest.mark.parametrize("test", ["mann", "smir"])
def test_grouped_tests_count_subjects_not_windows(test):
    """Repeating every window of a subject k times changes no grouped p-value (the cell
    medians stay), while the ungrouped ones shrink as if there were k times more evidence."""
    X, y, groups = _subjects()
    grouped = relevance_table(X, y, groups=groups, test=test, drop_duplicates=True)
    repeat = np.repeat(np.arange(len(X)), np.where(groups == 3, 4, 1))  # subject 3 four times
    X4, y4, g4 = X.iloc[repeat].reset_index(drop=True), y.iloc[repeat], groups[repeat]
    y4 = y4.reset_index(drop=True)
    grouped4 = relevance_table(X4, y4, groups=g4, test=test, drop_duplicates=True)
    pd.testing.assert_frame_equal(grouped4, grouped)
    ungrouped = relevance_table(X, y, test=test)
    ungrouped4 = relevance_table(X4, y4, test=test)
    assert ungrouped4.loc["signal", "p_value"] < ungrouped.loc["signal", "p_value"]
    # 12 subjects x 3 classes = 36 samples, not 540: weaker evidence than the windows claim
    assert grouped.loc["signal", "p_value"] > ungrouped.loc["signal", "p_value"]
    assert grouped.loc["copy", "duplicate_of"] == "signal"  # duplicates judged on the rows


def test_grouped_table_is_the_table_of_the_cell_medians():
    X, y, groups = _subjects(seed=1)
    X = X.drop(columns="copy")
    cells = X.groupby([groups, y.to_numpy()]).median()
    expected = relevance_table(
        cells.reset_index(drop=True), cells.index.get_level_values(1), multiclass=True
    )
    grouped = relevance_table(X, y, groups=groups, multiclass=True)
    pd.testing.assert_frame_equal(grouped, expected)
    assert grouped.loc["signal", "relevant"] and not grouped.loc["noise", "relevant"]
    assert grouped.loc["flag", "type"] == "binary"  # 15 windows a cell: medians stay 0 or 1
    kept = select_features(X, y, groups=groups)
    assert list(kept.columns) == list(grouped.index[grouped["relevant"]])
    with pytest.raises(ValueError, match="groups must hold one subject per row"):
        relevance_table(X, y, groups=groups[:-1])


def test_selector_requests_groups_under_metadata_routing():
    import sklearn

    X, y, groups = _subjects(seed=2)
    pipe = Pipeline([("select", RelevanceSelector()), ("m", LogisticRegression())])
    with sklearn.config_context(enable_metadata_routing=True):
        pipe.fit(X, y, groups=groups)
        wrapped = SelectedClassifier(RelevanceSelector(), LogisticRegression())
        wrapped.fit(X, y, groups=groups)
    expected = relevance_table(X, y, groups=groups, drop_duplicates=True)
    pd.testing.assert_frame_equal(pipe.named_steps["select"].relevance_table_, expected)
    pd.testing.assert_frame_equal(wrapped.selector_.relevance_table_, expected)
    # without routing nothing reaches a Pipeline's steps, nor the wrapped selector: windows
    alone = SelectedClassifier(RelevanceSelector(), LogisticRegression()).fit(X, y, groups=groups)
    pd.testing.assert_frame_equal(
        alone.selector_.relevance_table_, relevance_table(X, y, drop_duplicates=True)
    )
    direct = RelevanceSelector().fit(X, y, groups=groups)
    pd.testing.assert_frame_equal(direct.relevance_table_, expected)


def test_input_problems_are_listed_together():
    X, y = _table(50, 3)
    X.loc[3, "real2"] = np.nan
    X.loc[4, "tied1"] = np.inf
    X["huge"] = 1e308  # sums overflow, values are finite: not reported
    X["label"] = "a"
    with pytest.raises(ValueError) as error:
        relevance_table(X, y[:40], fdr=2)
    text = str(error.value)
    assert "['label']" in text and "y has 40 entries" in text and "fdr" in text
    with pytest.raises(ValueError, match=r"\['real2', 'tied1'\] hold NaN or inf"):
        relevance_table(X.drop(columns="label"), y)


def test_nothing_relevant_falls_back_to_smallest_p_values_with_a_warning():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(60, 30)), columns=[f"c{i}" for i in range(30)])
    y = rng.integers(0, 2, 60)
    with pytest.warns(RuntimeWarning, match="keeping the 5 with the smallest p-values"):
        kept = select_features(X, y, fallback=5)
    table = relevance_table(X, y)
    assert not table["relevant"].any()
    assert set(kept.columns) == set(table["p_value"].nsmallest(5).index)
    assert list(kept.columns) == [c for c in X.columns if c in kept.columns]


def test_max_corr_keeps_the_more_relevant_of_a_correlated_pair():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 100)
    strong = y + rng.normal(0, 0.5, 200)
    X = pd.DataFrame(
        {
            "weak_copy": strong + rng.normal(0, 0.2, 200),
            "strong": strong,
            "other": y + rng.normal(0, 1.0, 200),
            "noise": rng.normal(size=200),
        }
    )
    assert list(select_features(X, y).columns) == ["weak_copy", "strong", "other"]
    assert list(select_features(X, y, max_corr=0.9).columns) == ["strong", "other"]


def test_selector_is_a_pandas_transformer_and_passes_metadata_through():
    X, y = _table(300, 3)
    X["side"] = np.where(np.arange(300) % 2, "left", "right")
    selector = RelevanceSelector().fit(X, y)
    out = selector.transform(X)
    names = selector.get_feature_names_out()
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(names)
    assert "side" in names and "const" not in names and "copy" not in names
    assert selector.n_features_in_ == X.shape[1] and selector.n_samples_fit_ == 300
    numeric = X.drop(columns="side")
    expected = relevance_table(numeric, y, drop_duplicates=True)
    assert [c for c in names if c != "side"] == expected.index[expected["relevant"]].tolist()
    array = RelevanceSelector().fit(numeric.to_numpy(), y.to_numpy())
    assert array.transform(numeric.to_numpy()).shape[1] == expected["relevant"].sum()
    pandas_out = RelevanceSelector().set_output(transform="pandas").fit(numeric, y)
    assert (
        list(pandas_out.transform(numeric).columns) == expected.index[expected["relevant"]].tolist()
    )


@parametrize_with_checks([RelevanceSelector()])
def test_selector_passes_scikit_learn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the fallback's warning on noise
        check(estimator)


FITTED_ROWS = []


class _RecordingSelector(RelevanceSelector):
    def fit(self, X, y):
        FITTED_ROWS.append(list(X.index))
        return super().fit(X, y)


def test_selector_inside_cross_validate_sees_only_training_rows():
    X, y = _table(240, 3, seed=5)
    X.index = [f"w{i}" for i in range(len(X))]
    groups = np.repeat(np.arange(12), 20)
    model = Pipeline(
        [("select", _RecordingSelector()), *make_model("extratrees", n_estimators=20).steps]
    )
    FITTED_ROWS.clear()
    result = cross_validate(model, X, y.to_numpy(), groups, cv="group", n_splits=4)
    assert len(FITTED_ROWS) == 4
    for k, rows in enumerate(FITTED_ROWS):
        assert rows == list(X.index[result.fold != k])  # the training fold, nothing else
        assert not set(rows) & set(X.index[result.fold == k])
    assert result.overall["accuracy"] > 0.5


@pytest.fixture(scope="module")
def watch(watch_panel):
    return watch_panel


def test_from_columns_extracts_exactly_the_selected_columns(watch):
    full = fk.extract(watch, "default", cache=False)
    rng = np.random.default_rng(0)
    chosen = list(rng.choice(full.columns, 60, replace=False))
    chosen += ["amag__sma", "ax__corr__with-wz", "wmag__band_power__hi-inf__lo-8", "ay__length"]
    chosen = list(dict.fromkeys(chosen))
    table = fk.extract(watch, from_columns(chosen), cache=False)
    assert list(table.columns) == chosen
    pd.testing.assert_frame_equal(table, full[chosen])
    X, y = full, watch.meta["label"].to_numpy()
    selected = list(select_features(X, y).columns)
    pd.testing.assert_frame_equal(
        fk.extract(watch, from_columns(selected), cache=False), full[selected]
    )
    extractor = fk.FeatureExtractor(from_columns(selected), cache=False).fit(watch)
    assert list(extractor.get_feature_names_out()) == selected


def test_from_columns_refuses_unknown_names_and_channels(watch):
    with pytest.raises(ValueError, match="no registered feature 'nonsense'"):
        from_columns(["ax__mean", "ax__nonsense", "not a column"])
    with pytest.raises(ValueError, match="needs channels"):
        fk.extract(watch, from_columns(["qx__mean"]), cache=False)
    assert {"quant", "ppv"} <= set(BLOCKS)
    with pytest.raises(ValueError, match=r"block families \['quant'\].*holds only \['ppv'\]"):
        from_columns(["ax__quant__i-0"], blocks=[BlockStub()])
    with pytest.raises(TypeError, match="fitted FeatureExtractor"):
        from_columns(["ax__quant__i-0"], blocks=fk.FeatureExtractor("interval"))  # unfitted


class BlockStub:
    feature = "ppv"


def _ragged_panel(n, seed):
    """``n`` ragged 3-channel series, 60-110 samples at 50 Hz, two classes."""
    rng = np.random.default_rng(seed)
    arrays = []
    for i in range(n):
        t = np.arange(rng.integers(60, 111)) / 50
        arrays.append(
            np.column_stack(
                [
                    np.sin(2 * np.pi * (1 + i % 2) * t + k) + rng.normal(0, 0.3, len(t))
                    for k in range(3)
                ]
            )
        )
    return fk.Panel.from_arrays(arrays, channels=["ax", "ay", "az"], sampling_rate=50.0)


@pytest.fixture(scope="module")
def fitted_full():
    pytest.importorskip("numba")
    train, test = _ragged_panel(16, 0), _ragged_panel(8, 1)
    extractor = fk.FeatureExtractor("full", cache=False).fit(train)
    return train, test, extractor, extractor.transform(test)


def _pick(columns, rng):
    """Columns of every family of the full set, shuffled together."""
    columns = pd.Index(columns)
    quant = columns[columns.str.contains("__quant__")]
    ppv = columns[columns.str.contains("__ppv__")]
    quant_ay = quant[quant.str.startswith("ay__")]  # one channel's intervals only
    native = columns[~columns.isin(quant) & ~columns.isin(ppv)]
    chosen = [*rng.choice(native, 25, replace=False), *rng.choice(quant_ay, 20, replace=False)]
    chosen += list(rng.choice(ppv, 20, replace=False))
    return list(rng.permutation(chosen))


def test_from_columns_rebuilds_interval_and_convolution_columns(fitted_full, monkeypatch):
    """Selected columns of the fitted families extract exactly, equal to the full table's:
    with the fitted blocks carried over, or refitted on the same training series."""
    from featurekit.features.interval import QuantIntervals

    train, test, extractor, full = fitted_full
    chosen = _pick(full.columns, np.random.default_rng(0))
    read = []
    transform = QuantIntervals.transform
    monkeypatch.setattr(
        QuantIntervals,
        "transform",
        lambda self, p: read.append(list(p.channels)) or transform(self, p),
    )
    kept = from_columns(chosen, blocks=extractor)
    table = fk.extract(test, kept, cache=False)
    assert list(table.columns) == chosen
    pd.testing.assert_frame_equal(table, full[chosen], check_exact=True)
    assert read == [["ay"]]  # the interval family ran on the one channel it was asked for
    # without blocks=: the families' defaults, refitted on the same training series
    refitted = fk.FeatureExtractor(from_columns(chosen), cache=False).fit(train)
    assert list(refitted.get_feature_names_out()) == chosen
    pd.testing.assert_frame_equal(refitted.transform(test), full[chosen], check_exact=True)
    with pytest.raises(ValueError, match="fit it first"):
        fk.extract(test, from_columns(chosen), cache=False)
    # a block fitted on other series does not give those columns: named, with the fix
    other = fk.FeatureExtractor(from_columns(chosen), cache=False)
    with pytest.raises(ValueError, match="not among the .* columns of the fitted .*blocks="):
        other.fit(_ragged_panel(5, 2).take(np.arange(5)[::2]))


@pytest.mark.slow
def test_tsfresh_names_round_trip_and_rebuild_settings():
    pytest.importorskip("tsfresh")
    from tsfresh import extract_features
    from tsfresh.feature_extraction.settings import ComprehensiveFCParameters
    from tsfresh.feature_extraction.settings import from_columns as ts_from_columns

    rng = np.random.default_rng(0)
    panel = fk.Panel.from_arrays(
        [rng.normal(size=(40, 2)).cumsum(axis=0) for _ in range(3)], channels=["ax", "ay"]
    )
    long = panel.to_long()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = extract_features(
            long,
            column_id="id",
            column_sort="time",
            column_kind="kind",
            column_value="value",
            n_jobs=0,
            disable_progressbar=True,
            default_fc_parameters=ComprehensiveFCParameters(),
        )
        ours = fk.extract(panel, "tsfresh-comprehensive", cache=False)
    assert sorted(to_tsfresh_name(c) for c in ours.columns) == sorted(raw.columns)

    picked = [
        c
        for c in ours.columns
        if any(
            k in c
            for k in (
                "cwt_coefficients",
                "change_quantiles",
                "fft_coefficient",
                "agg_linear_trend",
                "augmented_dickey_fuller",
                "sum_values",
                "number_crossing_m",
                "value_count",
            )
        )
    ]
    picked = list(rng.choice(picked, 25, replace=False)) + ["ay__tsfresh.sum_values"]
    settings = tsfresh_settings(picked + ["ax__mean"])  # featurekit's own columns are ignored
    assert settings == ts_from_columns([to_tsfresh_name(c) for c in picked])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rebuilt = extract_features(
            long,
            column_id="id",
            column_sort="time",
            column_kind="kind",
            column_value="value",
            n_jobs=0,
            disable_progressbar=True,
            kind_to_fc_parameters=settings,
        )
        again = fk.extract(panel, from_columns(picked + ["ax__mean"]), cache=False)
    assert sorted(rebuilt.columns) == sorted(to_tsfresh_name(c) for c in picked)
    expected = pd.concat([ours[picked], fk.extract(panel, "seed", cache=False)["ax__mean"]], axis=1)
    pd.testing.assert_frame_equal(again, expected)


GROUPS_SEEN = []


class _NeedsGroups(ClassifierMixin, BaseEstimator):
    """Logistic regression whose fit takes (and records) the subjects, as calibrated models do."""

    def fit(self, X, y, groups=None):
        GROUPS_SEEN.append((list(X.columns), None if groups is None else list(groups)))
        self.model_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def test_with_selection_keeps_groups_for_models_that_split_internally():
    X, y = _table(240, 3, seed=6)
    groups = np.repeat(np.arange(12), 20)
    assert list(with_selection("extratrees").named_steps) == ["select", "prep", "model"]
    assert isinstance(with_selection(make_model("ensemble")), SelectedClassifier)
    GROUPS_SEEN.clear()
    result = cross_validate(
        with_selection(_NeedsGroups()), X, y.to_numpy(), groups, cv="group", n_splits=3
    )
    assert len(GROUPS_SEEN) == 3
    for k, (columns, seen) in enumerate(GROUPS_SEEN):
        assert seen == list(groups[result.fold != k])
        assert "const" not in columns and "copy" not in columns and "separated" in columns


def test_nan_is_refused_or_filled_with_the_training_median_for_the_tests_only():
    X, y = _table(300, 3, seed=7)
    X.loc[:9, "separated"] = np.nan
    with pytest.raises(ValueError, match="hold NaN or inf"):
        RelevanceSelector().fit(X, y)
    selector = RelevanceSelector(nan="median").fit(X, y)
    out = selector.transform(X)
    assert "separated" in out.columns and out["separated"].isna().sum() == 10
    filled = X.fillna({"separated": X["separated"].median()})
    assert list(out.columns) == list(RelevanceSelector().fit(filled, y).get_feature_names_out())
    array = RelevanceSelector(nan="median").fit(X.to_numpy(), y.to_numpy())
    assert np.isnan(array.transform(X.to_numpy())).sum() == 10


def test_calibrated_model_does_not_calibrate_a_selected_ensemble_twice():
    from sklearn.linear_model import LogisticRegression

    from featurekit.calibration import CalibratedEnsemble, CalibratedModel, calibration_param
    from featurekit.selection import RelevanceSelector, with_selection

    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 60)
    X = pd.DataFrame(
        {"x__mean": (y == "b") * 2.0 + rng.normal(size=120), "x__std": rng.normal(size=120)}
    )
    groups = np.tile(np.arange(6), 20)
    ensemble = CalibratedEnsemble([("lr", LogisticRegression())], cv=3)
    selected = with_selection(ensemble, RelevanceSelector(fallback=1))
    assert calibration_param(selected) == "estimator__method"
    assert calibration_param(LogisticRegression()) is None
    model = CalibratedModel(selected, method="logistic").fit(X, y, groups=groups)
    assert model.calibrator_ is None
    assert model.estimator_.estimator_.method == "logistic"
    np.testing.assert_allclose(
        model.predict_proba(X),
        model.estimator_.estimator_.predict_proba(model.estimator_.selector_.transform(X)),
    )
    assert model.predict_proba_raw(X).shape == (120, 2)


def test_selected_classifier_receives_groups_under_metadata_routing():
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_score

    from featurekit.calibration import CalibratedEnsemble
    from featurekit.selection import RelevanceSelector, with_selection

    rng = np.random.default_rng(1)
    y = np.repeat(["a", "b"], 60)
    X = pd.DataFrame(
        {"x__mean": (y == "b") * 2.0 + rng.normal(size=120), "x__std": rng.normal(size=120)}
    )
    # 12 subjects: under routing the selector tests subjects too, 8 per training fold
    groups = np.tile(np.arange(12), 10)
    model = with_selection(
        CalibratedEnsemble([("lr", LogisticRegression())], cv=3), RelevanceSelector(fallback=1)
    )
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("error")  # an ungrouped calibration would warn
        scores = cross_val_score(model, X, y, cv=GroupKFold(3), params={"groups": groups})
    assert scores.mean() > 0.7
