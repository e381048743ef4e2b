"""Scaling: time of ``extract(panel, "default", n_jobs=1)`` for 1k, 10k and 100k series.

The panels are the one of ``extract_speed.py`` (3 channels, 1,000-1,500 samples at 50 Hz, sums
of sines plus noise), generated 10,000 series at a time into one preallocated array, so the
100k panel (3 GB as float64, 1.5 GB with ``--float32``) is the only large allocation. Time per
series should stay flat as the panel grows: extraction works chunk by chunk, so memory stays
bounded and no step is worse than linear. Prints a table and writes
``benchmarks/results/scaling.md``.

    .venv/bin/python benchmarks/scaling.py                     # 1k, 10k, 100k
    .venv/bin/python benchmarks/scaling.py --sizes 1000 10000  # smaller
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import single_thread_env  # noqa: E402

single_thread_env()  # before numpy is imported: one core

import numpy as np  # noqa: E402
from _common import fmt, machine_info, markdown_table, measure, write_results  # noqa: E402
from extract_speed import CHANNELS, RATE_HZ, make_values  # noqa: E402

import featurekit as fk  # noqa: E402

_GENERATE_BLOCK = 10_000


def big_panel(n_series: int, seed: int = 0, dtype=np.float64) -> fk.Panel:
    """``n_series`` series generated block by block into one array of ``dtype``."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1_000, 1_501, n_series)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = np.empty((offsets[-1], len(CHANNELS)), dtype=dtype)
    for start in range(0, n_series, _GENERATE_BLOCK):
        stop = min(start + _GENERATE_BLOCK, n_series)
        values[offsets[start] : offsets[stop]] = make_values(lengths[start:stop], rng)
    return fk.Panel(values, offsets, channels=CHANNELS, sampling_rate=RATE_HZ)


def run(sizes: list[int], seed: int = 0, dtype=np.float64, features: str = "default") -> str:
    """Measure extraction at every size and return the Markdown report."""
    rows, per_series, cpu_per_series = [], {}, {}
    for n in sizes:
        t0 = time.perf_counter()
        panel = big_panel(n, seed, dtype)
        built = time.perf_counter() - t0
        m = measure(lambda p=panel: fk.extract(p, features, n_jobs=1, progress=False))
        shape = m.result.shape
        m.result = None
        per_series[n], cpu_per_series[n] = m.wall / n * 1e6, m.cpu / n * 1e6
        rows.append((n, panel, m, shape, built))
        print(
            f"  {n:>8,} series: {m.wall:8.2f} s  {per_series[n]:8.1f} us/series  "
            f"(CPU {m.cpu:.2f} s, +{m.peak_rss_delta:,.0f} MiB, panel built in {built:.0f} s)",
            flush=True,
        )
        del panel
    base = sizes[0]
    table = markdown_table(
        [
            "series",
            "samples",
            "input MB",
            "seconds",
            "CPU s",
            "us/series",
            "CPU us/series",
            "series/s",
            "vs first size",
            "CPU vs first size",
            "peak RSS +MiB",
            "table",
        ],
        [
            [
                f"{n:,}",
                f"{len(p.values):,}",
                f"{p.values.nbytes / 1e6:,.0f}",
                fmt(m.wall),
                fmt(m.cpu),
                f"{per_series[n]:,.1f}",
                f"{cpu_per_series[n]:,.1f}",
                f"{n / m.wall:,.0f}",
                f"{per_series[n] / per_series[base]:.2f}x",
                f"{cpu_per_series[n] / cpu_per_series[base]:.2f}x",
                f"{m.peak_rss_delta:,.0f}",
                f"{shape[0]:,} x {shape[1]}",
            ]
            for n, p, m, shape, _ in rows
        ],
    )

    def slope(us: dict) -> float:
        if len(sizes) < 2:
            return float("nan")
        return float(np.polyfit(np.log(sizes), np.log([us[n] * n for n in sizes]), 1)[0])

    return "\n".join(
        [
            f'# Scaling of `extract(panel, "{features}", n_jobs=1)`',
            "",
            machine_info(("featurekit", "numpy", "scipy", "pandas")),
            "",
            f"3 channels x 1,000-1,500 samples at 50 Hz per series, {np.dtype(dtype).name} input, "
            "one core (thread pools pinned to 1); best of up to 3 runs for runs under 1 s, else one. "
            "'vs first size' is time per series relative to the smallest panel: 1.00x everywhere "
            "means linear growth. CPU time is shown because the machine is shared: wall time "
            "includes waiting for a core.",
            "",
            table,
            "",
            f"Log-log slope of time against series count: {slope(per_series):.3f} by wall time, "
            f"{slope(cpu_per_series):.3f} by CPU time (1 = linear).",
            "",
            "Re-run: `.venv/bin/python benchmarks/scaling.py --sizes "
            + " ".join(str(n) for n in sizes)
            + ("" if dtype == np.float64 else " --float32")
            + "`",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--float32", action="store_true", help="float32 input (half the RAM)")
    parser.add_argument("--features", default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke test: 200, 400, 800 series")
    parser.add_argument(
        "--out", default="scaling", help="results file name under benchmarks/results/ ('-' to skip)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [200, 400, 800]
        if args.out == "scaling":
            args.out = "-"
    warnings.filterwarnings("ignore")
    text = run(
        sorted(args.sizes), args.seed, np.float32 if args.float32 else np.float64, args.features
    )
    print()
    print(text)
    if args.out != "-":
        print(f"\nwritten to {write_results(args.out, text)}")


if __name__ == "__main__":
    main()
