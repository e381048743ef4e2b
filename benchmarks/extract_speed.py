"""Extraction speed on one core: featurekit's ``seed`` and ``default`` sets against the peers.

One seeded panel (``--n-series`` series x 3 channels x 1,000-1,500 samples at 50 Hz, sums of
sines plus noise) is measured side by side in one run, every method on one core:

* featurekit ``extract(panel, "seed")`` and ``extract(panel, "default")``, n_jobs=1, with
  the compiled kernels (numba, the ``fast`` extra) and on the NumPy path
  (``FEATUREKIT_NUMBA=0``);
* a plain NumPy vectorized 8-statistics pass (``np.add.reduceat``) and a memory-read pass
  (``np.sum`` over the same array): a reference point and the ceiling for the ``seed`` set;
* what a user writes (seed 000's recipe): a loop over series and channels with numpy and
  ``scipy.stats.skew``/``kurtosis``;
* tsfresh ``MinimalFCParameters`` (n_jobs=0), tsfresh-rs ``MinimalFCParameters`` (n_jobs=1,
  one Rayon thread), pycatch22 catch24 per series and channel, tsfel statistical + spectral
  domains (n_jobs=None: in process).

With ``--before DIR`` (a checkout of an earlier commit, e.g. ``git worktree add
/tmp/fk-before <commit>``), a second interpreter imports featurekit from DIR, builds the same
panel and times its ``default`` set (both engines) in the same rounds, so today's speed-up is
measured against the earlier implementation on the same machine at the same time; the
tables of the two are compared on the first ``--subset`` series.

Slow methods run on the first ``--subset`` series (tsfel on ``--tsfel-subset``); rates are per
series, so they compare. Peers get their input in the format they document (a wide DataFrame
with an ``id`` column for tsfresh; one array per series otherwise), built outside the timing.
All methods run in turn, ``--rounds`` times over; the best time of each is kept. Peak RSS is
the rise of resident memory during a run. Prints the table and writes
``benchmarks/results/extract_speed.md``.

    .venv/bin/python benchmarks/extract_speed.py            # 20,000 series
    .venv/bin/python benchmarks/extract_speed.py --quick    # smoke test, a few seconds
    git worktree add /tmp/fk-before <commit>                  # then, side by side:
    .venv/bin/python benchmarks/extract_speed.py --before /tmp/fk-before
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import single_thread_env  # noqa: E402

single_thread_env()  # before numpy is imported: every method runs on one core

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    Measurement,
    fmt,
    machine_info,
    markdown_table,
    measure,
    write_results,
)

import featurekit as fk  # noqa: E402
from featurekit.features import kernels  # noqa: E402  (featurekit's exports are lazy)

RATE_HZ = 50.0
CHANNELS = ["x", "y", "z"]
PACKAGES = (
    "featurekit",
    "numpy",
    "numba",
    "scipy",
    "pandas",
    "tsfresh",
    "tsfresh-rs",
    "pycatch22",
    "tsfel",
)
# Issue 2 and issue 6 targets: (label, featurekit set, peer row, minimum ratio).
RATIO_TARGETS = [
    ("seed >= 50x the scipy.stats loop", "seed", "scipy.stats loop", 50.0),
    ("seed >= 40x tsfresh Minimal", "seed", "tsfresh Minimal", 40.0),
    ("seed >= 10x tsfresh-rs Minimal", "seed", "tsfresh-rs Minimal", 10.0),
]
DEFAULT_MIN_RATE = 10_000.0  # issue 15
BEFORE_MIN_RATIO = 2.5  # issue 15: default against the implementation in --before
# Series per chunk of the plain numpy pass: ~1 MB per channel, so temporaries stay in cache
# (measured optimum here; chunks of 1,000 series run at about half the rate).
NUMPY_CHUNK = 100


def make_values(lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Samples (total x 3) of accelerometer-like series: per channel 3 sines + noise + offset."""
    n_series, lengths = len(lengths), np.asarray(lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    t = (np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths)) / RATE_HZ
    values = np.empty((offsets[-1], len(CHANNELS)))
    for j in range(len(CHANNELS)):
        column = rng.normal(0.0, 0.3, offsets[-1])
        column += np.repeat(rng.normal(0.0, 3.0, n_series), lengths)
        for _ in range(3):
            amp = np.repeat(rng.uniform(0.1, 2.0, n_series), lengths)
            freq = np.repeat(rng.uniform(0.3, 8.0, n_series), lengths)
            phase = np.repeat(rng.uniform(0, 2 * np.pi, n_series), lengths)
            column += amp * np.sin(2 * np.pi * freq * t + phase)
        values[:, j] = column
    return values


def make_panel(n_series: int, seed: int = 0) -> fk.Panel:
    """Seeded panel of ``n_series`` series with lengths uniform in 1,000-1,500 at 50 Hz."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1_000, 1_501, n_series)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return fk.Panel(make_values(lengths, rng), offsets, channels=CHANNELS, sampling_rate=RATE_HZ)


# ---------------------------------------------------------------------------- --before
_WORKER = """
import os, sys
root, here, n_series, seed, subset = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
sys.path[:0] = [root, here]
import numpy as np
import extract_speed as bench  # this script's panel, with featurekit imported from root
from _common import measure
fk = bench.fk
assert os.path.realpath(fk.__file__).startswith(os.path.realpath(root)), fk.__file__
panel = bench.make_panel(n_series, seed)
fk.extract(panel.take(np.arange(5)), "default", progress=False)
print("ready", flush=True)
for line in sys.stdin:
    words = line.split()
    if words[0] == "table":
        table = fk.extract(panel.take(np.arange(subset)), "default", progress=False)
        np.save(words[1], table.to_numpy())
        print(",".join(table.columns), flush=True)
        continue
    os.environ["FEATUREKIT_NUMBA"] = words[1]
    m = measure(lambda: fk.extract(panel, words[0], n_jobs=1, progress=False), max_repeats=1)
    print(m.wall, m.cpu, m.peak_rss_delta, flush=True)
"""


class Before:
    """featurekit from another checkout, in a second interpreter holding the same panel."""

    def __init__(self, root: str, n_series: int, seed: int, subset: int):
        self.root = os.path.abspath(root)
        self.commit = (
            subprocess.run(
                ["git", "-C", self.root, "log", "-1", "--format=%h"], capture_output=True, text=True
            ).stdout.strip()
            or "?"
        )
        here = os.path.dirname(os.path.abspath(__file__))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, self.root, here, str(n_series), str(seed), str(subset)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._ask(None) != "ready":
            raise RuntimeError(f"the featurekit in {self.root} did not start")

    def _ask(self, line: str | None) -> str:
        if line is not None:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def timed(self, name: str, numba: bool) -> Measurement:
        wall, cpu, rss = map(float, self._ask(f"{name} {int(numba)}").split())
        return Measurement(wall, cpu, 1, rss)

    def table(self, path: str) -> tuple[np.ndarray, list[str]]:
        columns = self._ask(f"table {path}").split(",")
        return np.load(path), columns

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def compare_tables(panel: fk.Panel, before: Before) -> str:
    """Largest relative difference (floor 1e-9) between today's default table and before's."""
    import tempfile

    ours = fk.extract(panel, "default", progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        theirs, columns = before.table(os.path.join(tmp, "before.npy"))
    if list(ours.columns) != columns:
        return "columns differ"
    a, b = ours.to_numpy(), theirs
    if (np.isnan(a) != np.isnan(b)).any():
        return "NaN positions differ"
    with np.errstate(invalid="ignore"):
        worst = np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1e-9))
    return f"{worst:.1e}"


# ---------------------------------------------------------------------------- methods
def numpy_eight_stats(panel: fk.Panel) -> np.ndarray:
    """The 8 seed statistics of every series and channel in one vectorized numpy pass.

    Columns are channel-major (x: mean ... kurtosis, then y, z), as featurekit's seed set.
    """
    starts, n = panel.offsets[:-1], panel.lengths
    stats = []
    for j in range(panel.n_channels):
        x = np.ascontiguousarray(panel.values[:, j])  # a column is strided: reduce a copy
        mean = np.add.reduceat(x, starts) / n
        c = x - np.repeat(mean, n)
        c2 = c * c
        m2 = np.add.reduceat(c2, starts) / n
        m3 = np.add.reduceat(c2 * c, starts) / n
        m4 = np.add.reduceat(c2 * c2, starts) / n
        lo, hi = np.minimum.reduceat(x, starts), np.maximum.reduceat(x, starts)
        mean_abs = np.add.reduceat(np.abs(x), starts) / n
        stats.append([mean, np.sqrt(m2), lo, hi, hi - lo, mean_abs, m3 / m2**1.5, m4 / m2**2 - 3.0])
    return np.column_stack([column for channel in stats for column in channel])


def scipy_loop(arrays: list[np.ndarray]) -> np.ndarray:
    """Seed 000's recipe as a user writes it: per series and channel, numpy and scipy.stats."""
    from scipy.stats import kurtosis, skew

    rows = []
    for series in arrays:
        row = []
        for j in range(series.shape[1]):
            x = series[:, j]
            row += [
                x.mean(),
                x.std(),
                x.min(),
                x.max(),
                np.ptp(x),
                np.mean(np.abs(x)),
                skew(x),
                kurtosis(x),
            ]
        rows.append(row)
    return np.asarray(rows)


def wide_frame(panel: fk.Panel) -> pd.DataFrame:
    """tsfresh's input: one row per sample, an ``id`` column and one column per channel."""
    frame = pd.DataFrame(panel.values, columns=panel.channels)
    frame.insert(0, "id", np.repeat(np.arange(len(panel)), panel.lengths))
    return frame


def tsfresh_minimal(frame: pd.DataFrame) -> pd.DataFrame:
    from tsfresh import extract_features
    from tsfresh.feature_extraction import MinimalFCParameters

    return extract_features(
        frame,
        column_id="id",
        default_fc_parameters=MinimalFCParameters(),
        n_jobs=0,
        disable_progressbar=True,
    )


def tsfresh_rs_minimal(frame: pd.DataFrame) -> pd.DataFrame:
    import tsfresh_rs

    return tsfresh_rs.extract_features(
        frame,
        column_id="id",
        default_fc_parameters=tsfresh_rs.MinimalFCParameters(),
        n_jobs=1,
        disable_progressbar=True,
    )


def catch24(arrays: list[np.ndarray]) -> list:
    import pycatch22

    return [
        pycatch22.catch22_all(series[:, j], catch24=True)["values"]
        for series in arrays
        for j in range(series.shape[1])
    ]


def tsfel_stat_spectral(frames: list[pd.DataFrame]) -> pd.DataFrame:
    import tsfel

    config = tsfel.get_features_by_domain("statistical")
    config.update(tsfel.get_features_by_domain("spectral"))
    return tsfel.time_series_features_extractor(config, frames, fs=RATE_HZ, verbose=0, n_jobs=None)


def numpy_path(fn):
    """``fn`` run with featurekit's compiled kernels switched off (``FEATUREKIT_NUMBA=0``)."""

    def run():
        before = os.environ.get("FEATUREKIT_NUMBA")
        os.environ["FEATUREKIT_NUMBA"] = "0"
        try:
            return fn()
        finally:
            if before is None:
                del os.environ["FEATUREKIT_NUMBA"]
            else:
                os.environ["FEATUREKIT_NUMBA"] = before

    return run


def _methods(panel: fk.Panel, subset: int, tsfel_subset: int) -> list[tuple]:
    """(name, series measured, callable, note) for every method, inputs built up front."""
    small, tiny = panel.take(np.arange(subset)), panel.take(np.arange(tsfel_subset))
    arrays = [small.series(i) for i in range(len(small))]
    frame = wide_frame(small)
    frames = [pd.DataFrame(tiny.series(i), columns=CHANNELS) for i in range(len(tiny))]
    n = len(panel)
    seed = lambda: fk.extract(panel, "seed", n_jobs=1, progress=False)  # noqa: E731
    default = lambda: fk.extract(panel, "default", n_jobs=1, progress=False)  # noqa: E731
    engine = "numba kernels" if kernels.enabled() else "numba missing: NumPy"
    return [
        ("featurekit seed", n, seed, f"extract, n_jobs=1, {engine}"),
        ("featurekit default", n, default, f"extract, n_jobs=1, {engine}"),
        ("featurekit seed, NumPy path", n, numpy_path(seed), "FEATUREKIT_NUMBA=0"),
        ("featurekit default, NumPy path", n, numpy_path(default), "FEATUREKIT_NUMBA=0"),
        (
            "numpy 8-stats (reduceat)",
            n,
            lambda: np.vstack([numpy_eight_stats(c) for c in panel.chunks(NUMPY_CHUNK)]),
            f"vectorized reference, chunks of {NUMPY_CHUNK:,}",
        ),
        ("np.sum (memory read)", n, lambda: panel.values.sum(), "read-speed ceiling"),
        ("scipy.stats loop", subset, lambda: scipy_loop(arrays), "seed 000 recipe"),
        ("tsfresh Minimal", subset, lambda: tsfresh_minimal(frame), "n_jobs=0"),
        ("tsfresh-rs Minimal", subset, lambda: tsfresh_rs_minimal(frame), "n_jobs=1"),
        ("pycatch22 catch24", subset, lambda: catch24(arrays), "per series x channel"),
        ("tsfel stat+spectral", tsfel_subset, lambda: tsfel_stat_spectral(frames), "n_jobs=None"),
    ]


def check_agreement(panel: fk.Panel) -> float:
    """Largest relative difference between featurekit seed, the numpy pass and the scipy loop.

    The benchmark only means something if the three compute the same 8 statistics.
    """
    ours = fk.extract(panel, "seed", progress=False).to_numpy()
    references = [
        numpy_eight_stats(panel),
        scipy_loop([panel.series(i) for i in range(len(panel))]),
    ]
    worst = max(
        float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-12))) for ref in references
    )
    if not worst < 1e-6:
        raise RuntimeError(f"featurekit seed and the references disagree (rel. diff {worst:g})")
    return worst


def _warm_up(panel: fk.Panel) -> None:
    """First calls pay imports and lazy set-up; pay them outside the timing."""
    for _, _, fn, _ in _methods(panel, len(panel), len(panel)):
        fn()


def run(
    n_series: int,
    subset: int,
    tsfel_subset: int,
    seed: int = 0,
    rounds: int = 3,
    before: str | None = None,
) -> str:
    """Measure every method and return the Markdown report."""
    t0 = time.perf_counter()
    panel = make_panel(n_series, seed)
    subset, tsfel_subset = min(subset, n_series), min(tsfel_subset, n_series)
    earlier = Before(before, n_series, seed, subset) if before else None
    print(
        f"panel: {len(panel):,} series, {panel.values.nbytes / 1e6:,.0f} MB float64, "
        f"built in {time.perf_counter() - t0:.1f} s"
    )
    _warm_up(panel.take(np.arange(min(5, n_series))))
    agreement = check_agreement(panel.take(np.arange(subset)))
    mb_per_series = panel.values.nbytes / 1e6 / n_series

    # Rounds over all methods rather than repeats of one: a burst of load from other jobs
    # then hits one run of several methods, not every run of one method.
    results = {}
    methods = _methods(panel, subset, tsfel_subset)
    if earlier is not None:
        agree = compare_tables(panel.take(np.arange(subset)), earlier)
        label = f"featurekit default, before ({earlier.commit})"
        methods[2:2] = [
            (label, n_series, ("default", True), f"--before {earlier.root}, numba kernels"),
            (f"{label}, NumPy path", n_series, ("default", False), "FEATUREKIT_NUMBA=0"),
        ]
    for r in range(rounds):
        print(f"round {r + 1}/{rounds}")
        for name, n, fn, note in methods:
            m = earlier.timed(*fn) if isinstance(fn, tuple) else measure(fn, max_repeats=1)
            m.result = None
            if name in results:
                best = results[name][1]
                m = Measurement(
                    min(m.wall, best.wall),
                    min(m.cpu, best.cpu),
                    best.repeats + 1,
                    max(m.peak_rss_delta, best.peak_rss_delta),
                )
            results[name] = (n, m, note)
            print(
                f"  {name:<30} {n:>7,} series  {m.wall:8.3f} s  {n / m.wall:>10,.0f} series/s",
                flush=True,
            )

    rate = {name: n / m.wall for name, (n, m, _) in results.items()}
    cpu_rate = {name: n / m.cpu for name, (n, m, _) in results.items()}
    rows = []
    for name, (n, m, note) in results.items():
        rows.append(
            [
                name,
                f"{n:,}",
                fmt(m.wall),
                fmt(m.cpu),
                f"{rate[name]:,.0f}",
                f"{rate[name] * mb_per_series:,.0f}",
                f"{m.peak_rss_delta:,.0f}",
                f"{rate['featurekit seed'] / rate[name]:,.2f}x",
                f"{rate['featurekit default'] / rate[name]:,.2f}x",
                note,
            ]
        )
    table = markdown_table(
        [
            "method",
            "series",
            "seconds",
            "CPU s",
            "series/s",
            "MB/s",
            "peak RSS +MiB",
            "seed / this",
            "default / this",
            "notes",
        ],
        rows,
        align="lrrrrrrrrl",
    )

    checks = []
    for label, ours, peer, target in RATIO_TARGETS:
        ratio = rate[f"featurekit {ours}"] / rate[peer]
        cpu_ratio = cpu_rate[f"featurekit {ours}"] / cpu_rate[peer]
        checks.append(
            f"- {'PASS' if ratio >= target else 'FAIL'}: {label} "
            f"(measured {ratio:,.1f}x wall, {cpu_ratio:,.1f}x CPU time)"
        )
    default_rate = rate["featurekit default"]
    checks.append(
        f"- {'PASS' if default_rate >= DEFAULT_MIN_RATE else 'FAIL'}: default >= "
        f"{DEFAULT_MIN_RATE:,.0f} series/s on one core (measured {default_rate:,.0f} "
        f"by wall time, {cpu_rate['featurekit default']:,.0f} by CPU time)"
    )
    if earlier is not None:
        label = f"featurekit default, before ({earlier.commit})"
        ratio = default_rate / rate[label]
        cpu_ratio = cpu_rate["featurekit default"] / cpu_rate[label]
        checks.append(
            f"- {'PASS' if ratio >= BEFORE_MIN_RATIO else 'FAIL'}: default >= "
            f"{BEFORE_MIN_RATIO}x before ({earlier.commit}) in the same run (measured "
            f"{ratio:.2f}x wall, {cpu_ratio:.2f}x CPU time; NumPy paths "
            f"{rate['featurekit default, NumPy path'] / rate[label + ', NumPy path']:.2f}x); "
            f"tables agree to {agree} relative on the first {subset:,} series"
        )
        earlier.close()
    read = rate["np.sum (memory read)"]
    fractions = (
        f"Memory-read speed (np.sum over the same array): {read * mb_per_series:,.0f} MB/s. "
        f"featurekit seed reaches {rate['featurekit seed'] / read:.1%} of it, default "
        f"{default_rate / read:.1%}, the numpy 8-statistics pass "
        f"{rate['numpy 8-stats (reduceat)'] / read:.1%}; seed runs at "
        f"{rate['featurekit seed'] / rate['numpy 8-stats (reduceat)']:.2f}x the numpy pass."
    )
    n_columns = {
        s: fk.extract(panel.take(np.arange(2)), s, progress=False).shape[1]
        for s in ("seed", "default")
    }
    text = "\n".join(
        [
            f"# Extraction speed ({n_series:,} series x 3 channels x 1,000-1,500 samples, one core)",
            "",
            machine_info(PACKAGES),
            "",
            f"Input: {panel.values.nbytes / 1e6:,.0f} MB of float64 ({mb_per_series * 1e3:.1f} kB "
            f"per series); featurekit seed = {n_columns['seed']} columns, default = "
            f"{n_columns['default']} columns. Thread pools pinned to 1 (OMP/MKL/OpenBLAS/Rayon). "
            f"Ratios > 1 mean featurekit is faster. Best of {rounds} rounds over all methods; "
            "peer inputs (DataFrames, arrays) built outside the timing. On the first "
            f"{subset:,} series featurekit seed, the numpy pass and the scipy loop agree to "
            f"{agreement:.1e} relative. CPU s is shown because the machine is shared: wall time "
            "includes waiting for a core.",
            "",
            table,
            "",
            "Targets (issues 2, 6 and 15):",
            "",
            *checks,
            "",
            fractions,
            "",
            "Re-run: `.venv/bin/python benchmarks/extract_speed.py"
            + ("" if n_series == 20_000 else f" --n-series {n_series}")
            + f" --subset {subset} --tsfel-subset {tsfel_subset}"
            + (f" --before {before}`" if before else "`"),
        ]
    )
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=20_000)
    parser.add_argument(
        "--subset",
        type=int,
        default=1_000,
        help="series for the per-series peers (scipy, tsfresh, catch22)",
    )
    parser.add_argument("--tsfel-subset", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds over all methods; the best time of each is kept",
    )
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="checkout of an earlier commit whose default set is timed "
        "side by side (e.g. from git worktree add)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 300 series, subsets of 20 and 3"
    )
    parser.add_argument(
        "--out",
        default="extract_speed",
        help="results file name under benchmarks/results/ ('-' to skip)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n_series, args.subset, args.tsfel_subset = 300, 20, 3
        if args.out == "extract_speed":
            args.out = "-"
    warnings.filterwarnings("ignore")
    text = run(
        args.n_series,
        args.subset,
        args.tsfel_subset,
        args.seed,
        rounds=1 if args.quick else args.rounds,
        before=args.before,
    )
    print()
    print(text)
    if args.out != "-":
        print(f"\nwritten to {write_results(args.out, text)}")


if __name__ == "__main__":
    main()
