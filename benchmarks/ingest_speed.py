"""Ingest speed: featurekit's parallel ingest vs a plain pandas.read_csv loop, same files, same run.

Writes ``--n-series`` synthetic files with make_competition, then measures

* the seed's approach: ``pandas.read_csv`` on every file, keeping acceleration rows;
* ``ingest_competition`` with ``--n-jobs`` workers (and with one, to separate the parser's gain
  from the parallel gain);
* ``load_store`` of the whole store, against re-reading the CSVs with the pandas loop.

Prints a table, and writes it with machine info to ``benchmarks/results/ingest_speed.md``
(``ingest_speed_<n>.md`` for other sizes).
Targets: ingest >= 3x the pandas loop on 2 cores; load_store >= 50x faster than re-reading.

    .venv/bin/python benchmarks/ingest_speed.py                      # 10,000 series
    .venv/bin/python benchmarks/ingest_speed.py --n-series 125000    # full size (~18 GB)
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
from joblib.externals.loky import get_reusable_executor

from featurekit.competition.synthetic import SMARTWATCH_HZ, VICON_HZ, make_competition
from featurekit.io import ingest_competition, load_store

ACC = "acceleration [m/s/s]"
RESULTS = Path(__file__).parent / "results"


def pandas_loop(data: Path, listed: pd.DataFrame) -> int:
    """The seed's way: read every file with pandas, keep acceleration rows; return samples."""
    n = 0
    for sid, sensor in zip(listed["id"], listed["sensor"], strict=True):
        df = pd.read_csv(data / "unlabeled" / "unlabeled" / f"{sid}.csv")
        if sensor == "smartwatch":
            df = df.loc[df["measurement type"] == ACC, ["x", "y", "z"]]
        n += len(df.to_numpy())
    return n


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


class RssSampler:
    """Peak summed RSS of this process plus its children (joblib workers), sampled every 0.2 s.

    ``getrusage(RUSAGE_CHILDREN)`` alone over-reports: Linux keeps a child's high-water mark
    across fork+exec, so a worker inherits the parent's. Needs psutil (the bench extra).
    """

    def __init__(self):
        import psutil

        self.process, self.peak, self.peak_worker = psutil.Process(), 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                workers = [c.memory_info().rss for c in self.process.children(recursive=True)]
            except Exception:  # a worker exited between listing and reading
                workers = []
            self.peak = max(self.peak, self.process.memory_info().rss + sum(workers))
            self.peak_worker = max([self.peak_worker, *workers])
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (getrusage maxrss), MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=10_000)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/featurekit-ingest-bench"))
    parser.add_argument(
        "--peer-sample",
        type=int,
        default=None,
        help="time the pandas loop on this many files and extrapolate "
        "(default: all files up to 20,000, else 5,000)",
    )
    parser.add_argument("--skip-serial", action="store_true", help="skip the one-worker ingest")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()

    data = args.workdir / f"data-{args.n_series}"
    if not (data / "metadata.csv").exists():
        t, _ = timed(
            make_competition,
            data,
            n_series=args.n_series,
            seed=0,
            n_jobs=args.n_jobs,
            overwrite=True,
        )
        print(f"make_competition: {args.n_series} series in {t:.0f} s")
    listed = pd.concat([pd.read_csv(data / "train.csv"), pd.read_csv(data / "metadata.csv")])
    files = [data / "unlabeled" / "unlabeled" / f"{i}.csv" for i in listed["id"]]
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    n_files = len(files)
    rates = {"smartwatch": SMARTWATCH_HZ, "vicon": VICON_HZ}

    sample = args.peer_sample or (n_files if n_files <= 20_000 else 5_000)
    picked = listed.sample(n=min(sample, n_files), random_state=0) if sample < n_files else listed
    t_peer, _ = timed(pandas_loop, data, picked)
    t_peer *= n_files / len(picked)
    peer_note = "" if len(picked) == n_files else f" (timed on {len(picked)} files, scaled)"

    rows = [("pandas.read_csv loop" + peer_note, 1, t_peer)]
    if not args.skip_serial:
        store1 = args.workdir / "store-serial"
        shutil.rmtree(store1, ignore_errors=True)
        t1, _ = timed(
            ingest_competition, data, store1, n_jobs=1, progress=False, sampling_rates=rates
        )
        rows.append(("ingest_competition", 1, t1))
        shutil.rmtree(store1, ignore_errors=True)
    store = args.workdir / "store"
    shutil.rmtree(store, ignore_errors=True)
    n_jobs = os.cpu_count() if args.n_jobs == -1 else args.n_jobs
    with RssSampler() as rss:
        t_ingest, report = timed(
            ingest_competition,
            data,
            store,
            n_jobs=args.n_jobs,
            progress=False,
            sampling_rates=rates,
        )
    get_reusable_executor().shutdown(wait=True)
    rss_ingest = peak_rss_mib()
    rows.append(("ingest_competition", n_jobs, t_ingest))
    t_load, panel = timed(load_store, store)
    t_subset, sub = timed(load_store, store, where={"sensor": "vicon", "split": "train"})
    store_mb = sum(p.stat().st_size for p in store.rglob("*") if p.is_file()) / 1e6
    rss_self = peak_rss_mib()

    lines = [
        f"# Ingest speed ({n_files:,} series, {megabytes:,.0f} MB of CSV)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}; {platform.platform()}; {os.cpu_count()} cores "
        f"(shared); Python {platform.python_version()}, pandas {pd.__version__}, "
        f"pyarrow {pyarrow.__version__}, numpy {np.__version__}",
        "",
        "| reader | workers | seconds | files/s | MB/s | vs pandas loop |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, workers, t in rows:
        lines.append(
            f"| {name} | {workers} | {t:.1f} | {n_files / t:,.0f} | "
            f"{megabytes / t:,.1f} | {t_peer / t:.1f}x |"
        )
    lines += [
        "",
        "| load | seconds | series | samples | vs re-reading the CSVs |",
        "|---|---:|---:|---:|---:|",
        f"| load_store (all) | {t_load:.2f} | {len(panel):,} | {len(panel.values):,} | "
        f"{t_peer / t_load:,.0f}x |",
        f"| load_store (vicon, train) | {t_subset:.2f} | {len(sub):,} | {len(sub.values):,} | "
        f"{t_peer / t_subset:,.0f}x |",
        "",
        f"Store: {store_mb:,.0f} MB on disk ({megabytes / store_mb:.1f}x smaller than the CSVs); "
        f"panel in memory {panel.nbytes / 1e6:,.0f} MB (float32). "
        f"Problems reported: {len(report.table)} "
        f"({ {k: int(v) for k, v in report.counts.items()} }).",
        f"Peak RSS during the parallel ingest: {rss.peak / 2**20:,.0f} MiB for the main process "
        f"and its workers together (largest worker {rss.peak_worker / 2**20:,.0f} MiB); main "
        f"process maxrss {rss_ingest:,.0f} MiB up to the ingest, {rss_self:,.0f} MiB after "
        "load_store of everything.",
        f"Wall time of the parallel ingest: {t_ingest:.1f} s.",
    ]
    text = "\n".join(lines)
    print(text)
    name = "ingest_speed.md" if args.n_series == 10_000 else f"ingest_speed_{args.n_series}.md"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(text + "\n")
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
