"""Feature extraction as independent chunk jobs, run with joblib or on a Dask cluster.

A source is a Panel in memory (cut into chunks of series) or a :class:`ChunkSource`: anything
that says how many chunks it has and loads chunk ``i`` as a Panel (one job per chunk, which
the worker loads itself, so no samples travel from the client). A path is read as a store
directory (:class:`featurekit.io.store.Store`). Tables come back in source order.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from featurekit.features import compute_features, kernels
from featurekit.features.registry import FeatureSet
from featurekit.panel import Panel, describe_ids
from featurekit.validation import check_count, check_n_jobs

# Samples (of 3 channels) per in-memory chunk, by feature-set cost: cheap NumPy reductions
# run fastest on chunks that stay in cache; sorts and FFTs amortize their per-batch overhead
# over larger chunks, and so do the compiled kernels (cost 0, cache-friendly by themselves)
# their Python overhead. Either way memory stays bounded whatever the size of the source.
CHUNK_SAMPLES = {0: 2_000_000, 1: 125_000, 2: 1_000_000}
BACKENDS = ("joblib", "dask")


def default_chunk_size(panel: Panel, cost: int = 2) -> int:
    """Series per chunk so that a chunk holds about ``CHUNK_SAMPLES[cost]`` samples.

    Parameters
    ----------
    panel : Panel
        Its mean length and number of channels size the chunk.
    cost : int, default 2
        The feature set's cost (:attr:`FeatureSet.cost`); 0 counts as 1 without numba.

    Returns
    -------
    int
        At least 16.
    """
    mean_length = max(float(panel.lengths.mean()) if len(panel) else 1.0, 1.0)
    if cost <= 0:
        cost = 0 if kernels.enabled() else 1  # without numba, cost-0 features are NumPy passes
    samples = CHUNK_SAMPLES[min(cost, 2)]
    return max(16, int(samples / (mean_length * max(panel.n_channels, 1) / 3)))


def check_finite(panel: Panel) -> None:
    """Refuse NaN or inf samples with one error naming the series and the fix.

    Parameters
    ----------
    panel : Panel

    Raises
    ------
    ValueError
        Some samples are NaN or inf.
    """
    # Fast path: the sum is finite iff every sample is (barring overflow, which only sends
    # us to the exact check below).
    if np.isfinite(panel.values.sum(dtype=np.float64)):
        return
    finite = np.isfinite(panel.values).all(axis=1)
    if finite.all():
        return
    positions = np.flatnonzero(panel.per_series_sum(~finite))
    kinds = [
        kind for kind, test in (("NaN", np.isnan), ("inf", np.isinf)) if test(panel.values).any()
    ]
    raise ValueError(
        f"{' and '.join(kinds)} samples in {len(positions)} series, ids "
        f"{describe_ids(panel.ids[positions])}. "
        "Fill them first with featurekit.preprocess.fill_nan(panel).panel "
        "(replace inf by NaN before filling), or pass "
        "preprocess=PanelTransformer(fill_nan) (from featurekit.preprocess) to fill each "
        "chunk, or drop those series."
    )


def check_chunk_args(
    *,
    n_jobs: int | None = 1,
    chunk_size: int | None = None,
    backend: str = "joblib",
    client: Any = None,
) -> None:
    """Refuse bad chunking arguments at entry, naming the argument and what is allowed
    (a deep failure such as "No objects to concatenate" says neither).

    Parameters
    ----------
    n_jobs, chunk_size, backend, client
        As for :func:`featurekit.extract`.

    Raises
    ------
    ValueError
        A bad count, an unknown backend, or ``client`` without ``backend="dask"``.
    TypeError
        ``client`` is not a ``distributed.Client``.
    """
    check_count(chunk_size, "chunk_size", allow_none=True)
    check_n_jobs(n_jobs)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if client is None:
        return
    if backend != "dask":
        raise ValueError(f"client= is used only with backend='dask' (got backend={backend!r})")
    if isinstance(client, (str, os.PathLike)):
        raise TypeError(
            f"client must be a distributed.Client, got the address {client!r}: "
            f"connect first, client = distributed.Client({str(client)!r})"
        )
    if not callable(getattr(client, "submit", None)):
        raise TypeError(
            f"client must be a distributed.Client (with submit), got {type(client).__name__}"
        )


@runtime_checkable
class ChunkSource(Protocol):
    """What chunked extraction reads: a number of chunks, and chunk ``i`` as a Panel.

    Implemented by :class:`featurekit.io.store.Store`. An implementation should be cheap to
    pickle (a path, not samples): it is sent to every worker, which loads its own chunk.
    """

    def n_chunks(self) -> int:
        """How many chunks the source holds.

        Returns
        -------
        int
        """
        ...

    def load_chunk(self, i: int) -> Panel:
        """Chunk ``i`` (``0 <= i < n_chunks()``) as a Panel.

        Parameters
        ----------
        i : int

        Returns
        -------
        Panel
        """
        ...


def as_source(source: Panel | ChunkSource | str | os.PathLike) -> Panel | ChunkSource:
    """A Panel or a :class:`ChunkSource` as is; a path as a store directory.

    Parameters
    ----------
    source : Panel, ChunkSource or path

    Returns
    -------
    Panel or ChunkSource

    Raises
    ------
    TypeError
        Any other type.
    """
    if isinstance(source, (Panel, ChunkSource)):
        return source
    if isinstance(source, (str, os.PathLike)):
        from featurekit.io.store import Store

        return Store(source)
    raise TypeError(
        f"a source is a featurekit.Panel, a chunk source (n_chunks() and "
        f"load_chunk(i)) or a store directory, got {type(source)}"
    )


@dataclass(frozen=True)
class ChunkJob:
    """What every chunk goes through: optional preprocessing, a finiteness check, features.

    Calling the job on a Panel returns its feature table.

    Parameters
    ----------
    feature_set : FeatureSet
        Fitted.
    preprocess : callable, optional
        A picklable callable ``Panel -> Panel`` or a fitted transformer with ``transform``
        (e.g. a Pipeline of ``featurekit.preprocess.PanelTransformer``).
    chunk_size : int, optional
        Series per feature computation; by default :func:`default_chunk_size`.
    check : bool, default True
        Run :func:`check_finite` on each chunk (False when the whole source was checked).
    """

    feature_set: FeatureSet
    preprocess: Callable | None = None
    chunk_size: int | None = None
    check: bool = True  # False when the whole source was checked already

    def __call__(self, panel: Panel) -> pd.DataFrame:
        if self.preprocess is not None:
            step = getattr(self.preprocess, "transform", self.preprocess)
            panel = step(panel)
            if not isinstance(panel, Panel):
                hint = (
                    " (fill_nan returns the panel with its report: pass "
                    "preprocess=PanelTransformer(fill_nan) from featurekit.preprocess)"
                    if hasattr(panel, "panel")
                    else ""
                )
                raise TypeError(f"preprocess must return a Panel, got {type(panel).__name__}{hint}")
        if self.check:
            check_finite(panel)
        size = self.chunk_size or default_chunk_size(panel, self.feature_set.cost)
        if len(panel) <= size:
            return compute_features(panel, self.feature_set)
        return pd.concat(
            [compute_features(chunk, self.feature_set) for chunk in panel.chunks(size)]
        )


def _run_store_chunk(source: ChunkSource, index: int, job: ChunkJob) -> pd.DataFrame:
    """Load chunk ``index`` of a chunked source (a store) in the worker, then run ``job``."""
    return job(source.load_chunk(index))


def _tasks(source, job: ChunkJob) -> list[tuple]:
    source = as_source(source)
    if isinstance(source, Panel):
        size = job.chunk_size or default_chunk_size(source, job.feature_set.cost)
        job = replace(job, chunk_size=size)  # chunks are already that size: no re-split
        return [(job, chunk) for chunk in source.chunks(size)] or [(job, source)]
    return [(_run_store_chunk, source, i, job) for i in range(source.n_chunks())]


def _recording_warnings(task, *args) -> tuple[pd.DataFrame, list[tuple[type, str]]]:
    """Run one chunk's task and return its table with the warnings it raised.

    Worker processes print warnings on their own, once per chunk; returned, they are shown
    once per extraction by the caller (``iter_tables``), whatever the backend.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = task(*args)
    return table, [(w.category, str(w.message)) for w in caught]


def _task_key(task: tuple) -> str:
    """A unique Dask key named after the chunk's function (``_run_store_chunk-…``), not after
    the warning recorder around it, so the dashboard shows what runs."""
    name = getattr(task[0], "__name__", type(task[0]).__name__).lstrip("_")
    return f"{name}-{uuid.uuid4().hex}"


@contextmanager
def _dask_client(client, n_workers: int):
    if client is not None:
        yield client
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("backend='dask' needs dask: pip install 'featurekit[dask]'") from error
    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as local,
    ):
        yield local


def iter_tables(
    source: Panel | ChunkSource | str | os.PathLike,
    job: ChunkJob,
    *,
    n_jobs: int | None = 1,
    backend: str = "joblib",
    client: Any = None,
    progress: bool = False,
) -> Iterator[pd.DataFrame]:
    """Feature tables of the source's chunks, in order, computed with joblib or Dask.

    Each warning raised in the chunks is shown once per call.

    Parameters
    ----------
    source : Panel, ChunkSource or path
        See :func:`as_source`.
    job : ChunkJob
    n_jobs, backend, client
        As for :func:`featurekit.extract`.
    progress : bool, default False
        Show a tqdm bar over chunks.

    Yields
    ------
    DataFrame
        One chunk's table.

    Raises
    ------
    ValueError, TypeError
        As :func:`check_chunk_args` and :func:`as_source`.
    """
    check_chunk_args(n_jobs=n_jobs, chunk_size=job.chunk_size, backend=backend, client=client)
    tasks = _tasks(source, job)
    shown = set()

    def deliver(result) -> pd.DataFrame:
        table, caught = result
        for category, message in caught:
            if (category, message) not in shown:
                shown.add((category, message))
                warnings.warn(message, category, stacklevel=4)
        bar.update()
        return table

    bar = tqdm(total=len(tasks), disable=not progress, desc="extract", unit="chunk")
    with bar:
        if backend == "joblib":
            # One chunk per dispatch: a chunk is a long task already, and joblib's automatic
            # batching (several chunks per dispatch once tasks look short) leaves one worker
            # with a batch of chunks to finish alone at the end.
            results = Parallel(n_jobs=n_jobs, return_as="generator", batch_size=1)(
                delayed(_recording_warnings)(*task) for task in tasks
            )
            for result in results:
                yield deliver(result)
            return
        workers = n_jobs if n_jobs and n_jobs > 0 else os.cpu_count() or 1
        with _dask_client(client, workers) as dask_client:
            futures = [
                dask_client.submit(_recording_warnings, *task, key=_task_key(task))
                for task in tasks
            ]
            for future in futures:
                result = future.result()
                future.release()
                yield deliver(result)
