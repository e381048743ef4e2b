"""The activity-recognition competition, an application built on the general library.

:mod:`~featurekit.competition.schema` holds every constant of the competition (activities,
file headers, sensors and rates, metadata columns, label and group columns);
:mod:`~featurekit.competition.ingest` reads its folder layout into a store;
:mod:`~featurekit.competition.synthetic` writes a synthetic dataset in that layout;
:mod:`~featurekit.competition.submission` writes and checks submission files;
:mod:`~featurekit.competition.recipes` composes them into ``make baseline``.

This package imports the general library; the general library never imports it (see the
layering in the README and ``tests/test_layering.py``).
"""

from featurekit.competition.schema import ACTIVITIES, SMARTWATCH_HZ, VICON_HZ

__all__ = [
    "ACTIVITIES",
    "SMARTWATCH_HZ",
    "VICON_HZ",
    "baseline_competition",
    "competition_features",
    "competition_metadata",
    "ingest_competition",
    "make_competition",
    "validate_submission",
    "write_submission",
]

_LAZY = {
    "ingest_competition": "ingest",
    "make_competition": "synthetic",
    "competition_metadata": "synthetic",
    "write_submission": "submission",
    "validate_submission": "submission",
    "baseline_competition": "recipes",
    "competition_features": "recipes",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"featurekit.competition.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'featurekit.competition' has no attribute {name!r}")
