"""Readers that turn files on disk into Panels, and the chunked Parquet store.

``ingest_competition`` (the competition's layout) lives in
:mod:`featurekit.competition.ingest`; it is still importable from here, loaded on first use.
"""

from featurekit.io.long_table import read_long_table
from featurekit.io.report import IngestReport
from featurekit.io.store import (
    Store,
    iter_store,
    load_store,
    load_store_chunk,
    read_series,
    store_chunks,
)
from featurekit.io.ts import read_ts

__all__ = [
    "IngestReport",
    "Store",
    "ingest_competition",
    "iter_store",
    "load_store",
    "load_store_chunk",
    "read_long_table",
    "read_series",
    "read_ts",
    "store_chunks",
]


def __getattr__(name: str):
    if name == "ingest_competition":
        from featurekit.competition.ingest import ingest_competition

        return ingest_competition
    raise AttributeError(f"module 'featurekit.io' has no attribute {name!r}")
