"""A consolidated, chunked Parquet store of ragged series, and loading it back as Panels.

Layout of a store directory (format version 1)::

    store/
      manifest.json            format, version, channels, dtype, sampling rates (keyed by the
                               values of the series column ``rate_column``), ``meta_aliases``
                               (generic meta name -> series column, e.g. label -> activity),
                               chunk size, number of chunks, source directory
      series.parquet           one row per stored series, in store order: id, the writer's
                               metadata columns (e.g. userid, sensor, activity for the
                               competition, see :mod:`featurekit.competition.ingest`), then
                               rows_read, n_samples, nan_samples (samples with any NaN),
                               chunk, offset
      samples/part-00000.parquet  the samples of chunk 0: columns id (int64), then one per
                               channel (float32), series one after another; series ``s`` is
                               rows ``offset .. offset + n_samples`` of part ``chunk``
      report.csv               every problem found while ingesting (see ``report.py``)
      chunks/part-00000.*      per-chunk series rows and problems, consolidated into the two
                               files above; kept so an interrupted ingest can resume
      plan.json                chunk size and a fingerprint of the ids, checked on resume

Samples are float32: the sources carry at most ~6 significant digits (accelerations in m/s^2,
positions in metres to the micrometre), which float32's 24-bit mantissa holds, and the full
competition data (~240M samples x 3 channels) then takes ~2.9 GB in memory instead of 5.7 GB.
Derivatives of positions should be computed in float64 after loading.

Every file is written to a temporary name then renamed, so a chunk is either complete or absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from featurekit.panel import Panel, describe_ids, meta_mask
from featurekit.validation import check_sampling_rates

#: A store directory, as a string or a path.
StorePath = str | os.PathLike

FORMAT = "featurekit-store"
FORMAT_VERSION = 1
#: What stores written before ``rate_column``/``meta_aliases`` entered the manifest (featurekit
#: 0.1, all of them competition stores) mean: read as such.
_V1_DEFAULTS = {"rate_column": "sensor", "meta_aliases": {"label": "activity", "group": "userid"}}
#: Rows per Parquet row group: the unit a subset load reads (~3 MB of float32 x 3).
ROW_GROUP_ROWS = 262_144


# ---------------------------------------------------------------------- writing
def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` then rename ``tmp`` to ``path``, so readers never see half a file.

    Parameters
    ----------
    path : Path
        The file to (re)place.
    write : callable
        Writes the content to the temporary path it is given (removed if it fails).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically (non-JSON values as ``str``).

    Parameters
    ----------
    path : Path
    obj : JSON-serializable object
    """
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, default=str)))


def part_path(store: StorePath, chunk: int) -> Path:
    """Path of the samples file of chunk ``chunk``.

    Parameters
    ----------
    store : path
    chunk : int

    Returns
    -------
    Path
    """
    return Path(store) / "samples" / f"part-{chunk:05d}.parquet"


def write_samples(
    path: Path, ids: np.ndarray, values: np.ndarray, lengths: np.ndarray, channels: Sequence[str]
) -> None:
    """Write one chunk of samples (``values`` rows in series order) atomically.

    Floats are byte-stream-split then lz4-compressed (about 2/3 of the raw size; zstd saves
    another ~5% but halves the read speed); only the id
    column is dictionary-encoded, as trying dictionaries on float columns made writes ~7x slower.

    Parameters
    ----------
    path : Path
        The part file.
    ids : int array of shape (n_series,)
    values : array of shape (n_samples, n_channels)
    lengths : int array of shape (n_series,)
        Samples per series.
    channels : sequence of str
        Column names of the channels.
    """
    columns = {"id": pa.array(np.repeat(np.asarray(ids, dtype=np.int64), lengths))}
    for j, name in enumerate(channels):
        columns[name] = pa.array(np.ascontiguousarray(values[:, j]))
    table = pa.table(columns)
    atomic_write(
        path,
        lambda tmp: pq.write_table(
            table,
            tmp,
            row_group_size=ROW_GROUP_ROWS,
            compression="lz4",
            use_dictionary=["id"],
            use_byte_stream_split=list(channels),
        ),
    )


# ---------------------------------------------------------------------- reading
def read_manifest(store: StorePath) -> dict:
    """The store's manifest; a clear error if ``store`` is not a complete store.

    Parameters
    ----------
    store : path
        A store directory.

    Returns
    -------
    dict

    Raises
    ------
    FileNotFoundError
        ``store`` is not a complete store.
    ValueError
        The manifest is of another format or a newer version.
    """
    path = Path(store) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: {store} is not a featurekit store, or its ingest did not "
            "finish (run featurekit.io.ingest_competition again to resume it)"
        )
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT or manifest.get("version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path}: format {manifest.get('format')} version "
            f"{manifest.get('version')} is not readable by this featurekit "
            f"(reads {FORMAT} up to version {FORMAT_VERSION}); upgrade featurekit"
        )
    return manifest


def read_series(store: StorePath) -> pd.DataFrame:
    """The per-series table of a store (``series.parquet``), in store order.

    Parameters
    ----------
    store : path
        A store directory.

    Returns
    -------
    DataFrame

    Raises
    ------
    FileNotFoundError
        ``store`` is not a complete store.
    """
    read_manifest(store)
    return pd.read_parquet(Path(store) / "series.parquet")


def store_chunks(store: StorePath) -> list[Path]:
    """Paths of the sample chunks, in order; chunk ``i`` loads with ``load_store_chunk``.

    Parameters
    ----------
    store : path
        A store directory.

    Returns
    -------
    list of Path

    Raises
    ------
    FileNotFoundError
        ``store`` is not a complete store.
    """
    manifest = read_manifest(store)
    return [part_path(store, i) for i in range(manifest["n_chunks"])]


def _select(series: pd.DataFrame, ids, where) -> pd.DataFrame:
    """Rows of ``series`` chosen by ``ids`` (in that order) and/or ``where``."""
    if where is not None:
        series = series[meta_mask(series, where)]
    if ids is not None:
        ids = list(ids)
        index = pd.Index(series["id"])
        positions = index.get_indexer(ids)
        missing = [i for i, p in zip(ids, positions, strict=True) if p < 0]
        if missing:
            raise KeyError(
                f"ids not in the store{' (after where)' if where else ''}: "
                f"{describe_ids(missing)}; skipped series are listed in report.csv"
            )
        series = series.iloc[positions]
    return series


def _rates(manifest: dict, meta: pd.DataFrame, sampling_rates) -> np.ndarray:
    """Per-series sampling rate from the manifest's ``rate_column`` (the competition's
    sensor); 1.0 (time in samples) where unknown."""
    rates = dict(manifest.get("sampling_rates") or {})
    column = manifest.get("rate_column", _V1_DEFAULTS["rate_column"])
    if sampling_rates is not None:
        known = set(rates) | (set(meta[column].dropna().astype(str)) if column in meta else set())
        rates.update(check_sampling_rates(sampling_rates, known))
    if column not in meta.columns:
        return np.ones(len(meta))
    mapped = meta[column].map({k: v for k, v in rates.items() if v is not None}).astype(float)
    return mapped.fillna(1.0).to_numpy()


def _copy_run(column: pa.ChunkedArray, start: int, out: np.ndarray) -> None:
    """Copy ``column[start:start + len(out)]`` into ``out`` chunk by chunk (no concatenation)."""
    pos = 0
    for chunk in column.slice(start, len(out)).chunks:
        out[pos : pos + len(chunk)] = chunk.to_numpy()
        pos += len(chunk)


def _fill_from_chunk(
    path: Path, offsets: np.ndarray, lengths: np.ndarray, channels: Sequence[str], out: np.ndarray
) -> None:
    """Copy the series at ``offsets`` (rows of part file ``path``, ascending) into ``out``.

    Only the row groups that hold those rows are read.
    """
    file = pq.ParquetFile(path)
    meta = file.metadata
    rg_rows = np.array([meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    rg_start = np.concatenate([[0], np.cumsum(rg_rows)])
    lo, hi = offsets, offsets + lengths
    first = np.searchsorted(rg_start, lo, side="right") - 1
    last = np.searchsorted(rg_start, np.maximum(hi - 1, lo), side="right") - 1
    cover = np.zeros(len(rg_rows) + 1, dtype=np.int64)  # +1 where a range starts, -1 after
    np.add.at(cover, first, 1)
    np.add.at(cover, last + 1, -1)
    kept = np.cumsum(cover)[:-1] > 0
    table = file.read_row_groups(
        np.flatnonzero(kept).tolist(), columns=list(channels), use_threads=False
    )
    # row r of the file sits at row r - shift[r's group] of ``table``
    shift = rg_start[:-1] - np.concatenate([[0], np.cumsum(np.where(kept, rg_rows, 0))[:-1]])
    start = lo - shift[first]  # where each series starts in ``table``
    if np.all(start[1:] == start[:-1] + lengths[:-1]):  # one run of rows: copy, no gather
        for j, name in enumerate(channels):
            _copy_run(table.column(name), int(start[0]), out[:, j])
    else:
        n = lengths
        src = np.repeat(start, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        for j, name in enumerate(channels):
            out[:, j] = table.column(name).to_numpy()[src]


def _load_rows(
    store, rows: pd.DataFrame, channels: Sequence[str], manifest: dict, sampling_rates=None
) -> Panel:
    """Panel of the series in ``rows`` (any order); chunk files are read by parallel threads."""
    lengths = rows["n_samples"].to_numpy(np.int64)
    order = np.lexsort((rows["offset"].to_numpy(), rows["chunk"].to_numpy()))
    dtype = np.dtype(manifest.get("dtype", "float32"))
    out = np.empty((int(lengths.sum()), len(channels)), dtype=dtype)
    sorted_rows = rows.iloc[order]
    s_lengths = lengths[order]
    bounds = np.concatenate([[0], np.cumsum(s_lengths)])
    chunk_of = sorted_rows["chunk"].to_numpy()
    offset_of = sorted_rows["offset"].to_numpy(np.int64)
    tasks = []
    for chunk in np.unique(chunk_of):
        sel = np.flatnonzero(chunk_of == chunk)  # consecutive: rows are sorted by chunk
        part = out[bounds[sel[0]] : bounds[sel[-1] + 1]]
        tasks.append((part_path(store, int(chunk)), offset_of[sel], s_lengths[sel], channels, part))
    with ThreadPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1) or 1) as pool:
        list(pool.map(lambda task: _fill_from_chunk(*task), tasks))
    meta = sorted_rows.reset_index(drop=True)
    for name, column in manifest.get("meta_aliases", _V1_DEFAULTS["meta_aliases"]).items():
        meta[name] = meta.get(column)
    panel = Panel(
        out,
        bounds,
        ids=meta["id"].to_numpy(),
        channels=list(channels),
        sampling_rate=_rates(manifest, meta, sampling_rates),
        meta=meta,
    )
    if np.any(np.diff(order) != 1):
        panel = panel.take(np.argsort(order))
    return panel


def _channels(manifest: dict, columns) -> list[str]:
    channels = list(manifest["channels"]) if columns is None else list(columns)
    unknown = [c for c in channels if c not in manifest["channels"]]
    if unknown:
        raise ValueError(f"unknown columns {unknown}; the store has {manifest['channels']}")
    return channels


def load_store(
    store: StorePath,
    *,
    ids: Sequence | None = None,
    columns: Sequence[str] | None = None,
    where: Mapping | Callable[[pd.DataFrame], Any] | None = None,
    sampling_rates: Mapping[str, float] | None = None,
) -> Panel:
    """Load a store (or part of it) as a Panel, reading only the chunks and row groups needed.

    Parameters
    ----------
    store : path
        A store directory (e.g. written by :func:`featurekit.io.ingest_competition`).
    ids : sequence, optional
        Series to load, in this order. A KeyError lists ids not in the store.
    columns : list of str, optional
        Channels to load (default all: x, y, z).
    where : dict or callable, optional
        Metadata filter: ``{"sensor": "vicon", "split": ["train"]}`` or a function taking the
        series table and returning a boolean mask. Applied before ``ids``.
    sampling_rates : dict, optional
        Rate per sensor (per value of the manifest's ``rate_column``) overriding the
        manifest's; series of unknown rate get 1.0.

    Returns
    -------
    Panel
        Channels as stored (float32 by default); ``meta`` holds the series table plus the
        manifest's ``meta_aliases`` (a competition store: ``label`` = activity, ``group`` =
        userid).

    Raises
    ------
    FileNotFoundError
        ``store`` is not a complete store.
    KeyError
        Ids not in the store (all listed).
    ValueError
        Unknown columns, or a bad ``where`` or ``sampling_rates``.

    Examples
    --------
    >>> train = load_store("store", where={"split": "train"})  # doctest: +SKIP
    """
    manifest = read_manifest(store)
    rows = _select(read_series(store), ids, where)
    return _load_rows(store, rows, _channels(manifest, columns), manifest, sampling_rates)


def load_store_chunk(
    store: StorePath,
    i: int,
    *,
    columns: Sequence[str] | None = None,
    sampling_rates: Mapping[str, float] | None = None,
) -> Panel:
    """Load chunk ``i`` of a store (what one distributed worker processes).

    Parameters
    ----------
    store : path
        A store directory.
    i : int
        Chunk number, from 0.
    columns, sampling_rates
        As for :func:`load_store`.

    Returns
    -------
    Panel

    Raises
    ------
    IndexError
        ``i`` is out of range.
    FileNotFoundError
        ``store`` is not a complete store.
    """
    manifest = read_manifest(store)
    if not 0 <= i < manifest["n_chunks"]:
        raise IndexError(f"chunk {i} out of range: {store} has {manifest['n_chunks']} chunks")
    table, rows_of_chunk = _series_by_chunk(store)
    series = table.iloc[rows_of_chunk.get(i, np.zeros(0, dtype=np.int64))]
    return _load_rows(store, series, _channels(manifest, columns), manifest, sampling_rates)


_SERIES_CACHE: dict[str, tuple[tuple, pd.DataFrame, dict]] = {}


def _series_by_chunk(store: StorePath) -> tuple[pd.DataFrame, dict]:
    """``series.parquet`` and the positions of each chunk's rows, read once per process.

    A worker streaming a store loads many chunks: reading (and filtering) the whole series
    table for each cost ~30 ms a chunk. The cache is keyed by the file's path, size and
    modification time, so a store written again is read again.
    """
    path = Path(store).resolve() / "series.parquet"
    stat = path.stat()
    key = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    cached = _SERIES_CACHE.get(str(path))
    if cached is None or cached[0] != key:
        table = pd.read_parquet(path)
        rows = {
            int(chunk): positions for chunk, positions in table.groupby("chunk").indices.items()
        }
        _SERIES_CACHE.clear()  # one store at a time: workers stream one store
        _SERIES_CACHE[str(path)] = cached = (key, table, rows)
    return cached[1], cached[2]


class Store:
    """A store directory as a chunk source (:class:`featurekit.chunking.ChunkSource`).

    Holds only the path, so it travels to a worker process (joblib, Dask) without any
    samples; the worker loads its chunk from disk itself.

    Parameters
    ----------
    path : path
        A store directory (resolved to an absolute path).

    Examples
    --------
    >>> Store("store").n_chunks()  # doctest: +SKIP
    3
    """

    def __init__(self, path: StorePath):
        self.path = str(Path(path).resolve())

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    def n_chunks(self) -> int:
        """Number of stored chunks (a clear error if ``path`` is not a complete store).

        Returns
        -------
        int
        """
        return int(read_manifest(self.path)["n_chunks"])

    def load_chunk(self, i: int) -> Panel:
        """Chunk ``i`` as a Panel (see :func:`load_store_chunk`).

        Parameters
        ----------
        i : int

        Returns
        -------
        Panel
        """
        return load_store_chunk(self.path, i)


def iter_store(
    store: StorePath,
    chunk_size: int | None = None,
    *,
    columns: Sequence[str] | None = None,
    where: Mapping | Callable[[pd.DataFrame], Any] | None = None,
    sampling_rates: Mapping[str, float] | None = None,
) -> Iterator[Panel]:
    """Yield the store as Panels of at most ``chunk_size`` series, in store order.

    With ``chunk_size=None`` each Panel is one stored chunk. Memory stays bounded by one
    Panel, which is what streaming extraction over the full 125k series needs.

    Parameters
    ----------
    store : path
        A store directory.
    chunk_size : int, optional
        Series per Panel; None follows the stored chunks.
    columns, where, sampling_rates
        As for :func:`load_store`.

    Yields
    ------
    Panel

    Raises
    ------
    ValueError
        ``chunk_size`` < 1, unknown columns, or a bad ``where``.
    FileNotFoundError
        ``store`` is not a complete store.
    """
    manifest = read_manifest(store)
    channels = _channels(manifest, columns)
    series = _select(read_series(store), None, where)
    if chunk_size is None:
        for _, rows in series.groupby("chunk", sort=True):
            yield _load_rows(store, rows, channels, manifest, sampling_rates)
        return
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    for start in range(0, len(series), chunk_size):
        yield _load_rows(
            store, series.iloc[start : start + chunk_size], channels, manifest, sampling_rates
        )
