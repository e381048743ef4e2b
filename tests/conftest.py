"""Fixtures shared by several test modules, built once per test session (per xdist worker).

``make test`` runs with ``--dist loadfile``: each module runs whole on one worker, so a
module's fixtures are built once, and these session fixtures once per worker that needs them.
They are read-only: a test that changes files copies them first.
"""

import pytest


@pytest.fixture(scope="session")
def watch_panel():
    """``load_watch()``: 140 series of the bundled smartwatch exercises (do not modify)."""
    from featurekit.datasets import load_watch

    return load_watch()


@pytest.fixture(scope="session")
def competition_dir(tmp_path_factory):
    """A synthetic competition folder: 48 series, seed 3 (read-only)."""
    from featurekit.competition.synthetic import make_competition

    return make_competition(tmp_path_factory.mktemp("competition") / "data", n_series=48, seed=3)


@pytest.fixture(scope="session")
def competition_store(competition_dir, tmp_path_factory):
    """``competition_dir`` ingested in chunks of 12 series, rates unknown (read-only)."""
    from featurekit.competition.ingest import ingest_competition

    store = tmp_path_factory.mktemp("competition-store") / "store"
    ingest_competition(competition_dir, store, n_jobs=1, progress=False, chunk_size=12)
    return store


def pytest_collection_modifyitems(config, items):
    """scikit-learn's estimator checks (``parametrize_with_checks``) are conformance checks,
    ~170 per estimator and up to ~15 s each (the sparse ones refit for every sparse format):
    they run in ``make test``, not in the quick tier."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if {"estimator", "check"} <= set(params):
            item.add_marker(pytest.mark.slow)
