"""What every chunk goes through: preprocessing and the finiteness check."""

import numpy as np
import pytest

import featurekit as fk
from featurekit.preprocess import PanelTransformer, fill_nan


def panel_with_nan():
    arrays = [np.arange(6.0).reshape(3, 2), np.array([[1.0, np.nan], [2.0, 3.0]])]
    return fk.Panel.from_arrays(arrays, ids=["a", "b"], channels=["x", "y"])


def test_preprocess_returning_something_else_than_a_panel_names_the_fix():
    """Regression: preprocess=fill_nan failed with AttributeError 'FillResult' object has
    no attribute 'values', right after the NaN message told the user to pass preprocess."""
    with pytest.raises(TypeError, match=r"got FillResult.*PanelTransformer\(fill_nan\)"):
        fk.extract(panel_with_nan(), "seed", preprocess=fill_nan)
    with pytest.raises(TypeError, match="must return a Panel, got DataFrame"):
        fk.extract(panel_with_nan(), "seed", preprocess=lambda panel: panel.meta)


def test_nan_message_gives_a_fix_that_works():
    with pytest.raises(ValueError, match=r"ids \['b'\].*PanelTransformer\(fill_nan\)"):
        fk.extract(panel_with_nan(), "seed")
    table = fk.extract(panel_with_nan(), "seed", preprocess=PanelTransformer(fill_nan))
    assert table.index.tolist() == ["a", "b"] and np.isfinite(table.to_numpy()).all()


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_chunk_warnings_reach_the_caller_once_per_extraction(n_jobs):
    """Regression: with n_jobs=2 each worker printed the band warnings itself, once per
    chunk (75 lines for 15 chunks), and the caller could not catch them."""
    import warnings

    rng = np.random.default_rng(0)
    panel = fk.Panel.from_arrays(
        [rng.normal(size=(60, 2)) for _ in range(120)], channels=["x", "y"]
    )  # rate 1.0: 5 bands above Nyquist
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fk.extract(panel, "spectral", n_jobs=n_jobs, chunk_size=20)
    bands = [str(w.message) for w in caught if "band_power" in str(w.message)]
    assert len(bands) == len(set(bands)) == 5
