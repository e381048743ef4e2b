"""Readers that turn files on disk into Panels."""

from featurekit.io.ts import read_ts

__all__ = ["read_ts"]

from featurekit.io.competition import ingest_competition  # noqa: E402
from featurekit.io.long_table import read_long_table  # noqa: E402
from featurekit.io.report import IngestReport  # noqa: E402
from featurekit.io.store import (  # noqa: E402
    iter_store,
    load_store,
    load_store_chunk,
    read_series,
    store_chunks,
)

__all__ += ["IngestReport", "ingest_competition", "iter_store", "load_store",
            "load_store_chunk", "read_long_table", "read_series", "store_chunks"]
