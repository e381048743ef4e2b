"""The feature cache: keyed by what a preprocess step computes, never by its name alone."""

import functools
import sys
import threading
import types
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

import featurekit as fk
from featurekit.cache import step_fingerprint
from featurekit.preprocess import PanelTransformer, lowpass, mirror

CUTOFF_HZ = 1.0


def noisy_panel():
    rng = np.random.default_rng(0)
    return fk.Panel.from_arrays(
        [rng.normal(size=(500, 1)) for _ in range(3)], channels=["x"], sampling_rate=50
    )


def cache_entries(cache_dir) -> int:
    return len(list(cache_dir.rglob("output.pkl")))


def assert_same_as_uncached(table, panel, preprocess):
    pd.testing.assert_frame_equal(
        table, fk.extract(panel, "seed", preprocess=preprocess, cache=False)
    )


def test_a_redefined_function_recomputes(tmp_path, monkeypatch):
    """A notebook re-runs a cell that redefines ``prep``: same module and name, other code."""
    panel = noisy_panel()
    notebook = types.ModuleType("notebook")
    monkeypatch.setitem(sys.modules, "notebook", notebook)

    def run_cell(cutoff_hz):
        exec(
            f"from featurekit.preprocess import lowpass\n"
            f"def prep(panel):\n    return lowpass(panel, {cutoff_hz})\n",
            vars(notebook),
        )
        return fk.extract(panel, "seed", preprocess=notebook.prep, cache=tmp_path)

    slow, fast = run_cell(1.0), run_cell(5.0)
    assert_same_as_uncached(fast, panel, notebook.prep)
    slow_again = run_cell(1.0)
    assert not np.allclose(slow["x__std"], fast["x__std"])
    pd.testing.assert_frame_equal(slow_again, slow)  # from the cache
    assert cache_entries(tmp_path) == 2


def test_closures_and_lambdas_are_keyed_by_their_values(tmp_path):
    panel = noisy_panel()

    def cutoff(hz):
        return lambda panel: lowpass(panel, hz)

    tables = [
        fk.extract(panel, "seed", preprocess=cutoff(hz), cache=tmp_path) for hz in (1.0, 5.0, 1.0)
    ]
    assert_same_as_uncached(tables[1], panel, cutoff(5.0))
    assert not np.allclose(tables[0]["x__std"], tables[1]["x__std"])
    pd.testing.assert_frame_equal(tables[0], tables[2])
    assert cache_entries(tmp_path) == 2


def prep_at_module_cutoff(panel):
    return lowpass(panel, CUTOFF_HZ)


def test_a_changed_global_value_or_default_recomputes(tmp_path, monkeypatch):
    panel = noisy_panel()
    slow = fk.extract(panel, "seed", preprocess=prep_at_module_cutoff, cache=tmp_path)
    monkeypatch.setattr(f"{__name__}.CUTOFF_HZ", 5.0)
    fast = fk.extract(panel, "seed", preprocess=prep_at_module_cutoff, cache=tmp_path)
    assert_same_as_uncached(fast, panel, prep_at_module_cutoff)
    assert not np.allclose(slow["x__std"], fast["x__std"])

    def prep(panel, hz=1.0):
        return lowpass(panel, hz)

    first = step_fingerprint(prep)
    prep.__defaults__ = (5.0,)
    assert step_fingerprint(prep) != first


def test_partial_sees_a_redefined_function(tmp_path):
    panel = noisy_panel()

    def prep(panel, hz):
        return lowpass(panel, hz)

    slow = fk.extract(panel, "seed", preprocess=functools.partial(prep, hz=1.0), cache=tmp_path)

    def prep(panel, hz):
        return lowpass(panel, hz * 5)

    step = functools.partial(prep, hz=1.0)
    fast = fk.extract(panel, "seed", preprocess=step, cache=tmp_path)
    assert_same_as_uncached(fast, panel, step)
    assert not np.allclose(slow["x__std"], fast["x__std"])


def test_nested_code_and_recursion_are_read():
    def doubled(panel):
        return panel.replace(values=np.apply_along_axis(lambda x: x * 2, 0, panel.values))

    twice = step_fingerprint(doubled)

    def doubled(panel):  # only the lambda inside changed
        return panel.replace(values=np.apply_along_axis(lambda x: x * 3, 0, panel.values))

    assert step_fingerprint(doubled) != twice

    def countdown(panel, n=2):  # refers to itself through its closure
        return panel if n == 0 else countdown(panel, n - 1)

    assert step_fingerprint(countdown) == step_fingerprint(countdown)


class Scale(TransformerMixin, BaseEstimator):
    """A fitted Panel step: multiplies by a factor learned in fit."""

    def __init__(self, target=1.0):
        self.target = target

    def fit(self, panel, y=None):
        self.factor_ = self.target / panel.values.std()
        return self

    def transform(self, panel):
        return panel.replace(values=panel.values * self.factor_)


def test_estimators_are_keyed_by_class_params_and_fitted_state(tmp_path):
    panel = noisy_panel()
    pipeline = make_pipeline(PanelTransformer(mirror), PanelTransformer(lowpass, {"cutoff_hz": 1}))
    fingerprint = step_fingerprint(pipeline)
    assert step_fingerprint(pipeline) == fingerprint
    pipeline.set_params(**{"paneltransformer-2__kw_args": {"cutoff_hz": 5}})
    assert step_fingerprint(pipeline) != fingerprint

    scale = Scale(2.0).fit(panel)
    first = fk.extract(panel, "seed", preprocess=scale, cache=tmp_path)
    scale.fit(panel.replace(values=panel.values * 10))  # same params, other fit
    refitted = fk.extract(panel, "seed", preprocess=scale, cache=tmp_path)
    assert_same_as_uncached(refitted, panel, scale)
    assert not np.allclose(first["x__std"], refitted["x__std"])


class Halve:
    """A callable object without get_params: what it computes cannot be read."""

    def __call__(self, panel):
        return panel.replace(values=panel.values / 2)


@pytest.mark.parametrize("kind", ["callable object", "closure over a lock"])
def test_a_step_that_cannot_be_fingerprinted_skips_the_cache_with_a_warning(tmp_path, kind):
    panel = noisy_panel()
    lock = threading.Lock()

    def locked(panel):
        with lock:
            return panel.replace(values=panel.values / 2)

    step = Halve() if kind == "callable object" else locked
    with pytest.warns(UserWarning, match="not using the cache") as caught:
        table = fk.extract(panel, "seed", preprocess=step, cache=tmp_path)
    assert len(caught) == 1
    assert cache_entries(tmp_path) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_as_uncached(table, panel, step)
