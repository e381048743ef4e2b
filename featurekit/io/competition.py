"""Moved to :mod:`featurekit.competition.ingest` (0.2.0); its names are still importable from here."""

from featurekit.competition import ingest as _moved


def __getattr__(name: str):
    return getattr(_moved, name)


def __dir__() -> list[str]:
    return dir(_moved)
