"""Moved to :mod:`featurekit.competition.submission` (0.2.0); its names are still importable from here.

The generic probability clip is :func:`featurekit.proba.clip_proba`.
"""

from featurekit.competition import submission as _moved


def __getattr__(name: str):
    return getattr(_moved, name)


def __dir__() -> list[str]:
    return dir(_moved)
