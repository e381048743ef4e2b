"""Helpers shared by the benchmark scripts: machine info, timing, peak memory, Markdown tables.

Scripts in ``benchmarks/`` import it as ``from _common import ...`` (Python puts a script's own
folder first on ``sys.path``). Nothing here imports numpy, so a script can still pin BLAS and
OpenMP thread counts with :func:`single_thread_env` before its own numpy import.

Peak memory is read from Linux's ``VmHWM`` (the resident high-water mark), reset before each
measurement through ``/proc/self/clear_refs``; on other systems it falls back to
``ru_maxrss``, which cannot be reset, so deltas there are upper bounds.
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Every thread-pool knob the numeric stack reads at import time.
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "POLARS_MAX_THREADS",
)


def single_thread_env() -> None:
    """Pin BLAS/OpenMP/Rayon pools to one thread; call it before numpy is imported."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"


# ---------------------------------------------------------------------------- memory
def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mib() -> float:
    """Current resident memory of this process, MiB."""
    kib = _status_kib("VmRSS")
    if kib is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kib / 1024


def reset_peak_rss() -> bool:
    """Reset the high-water mark to the current RSS (Linux >= 4.0); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    """Peak resident memory of this process since start or the last reset, MiB."""
    kib = _status_kib("VmHWM")
    if kib is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kib / 1024


# ---------------------------------------------------------------------------- timing
@dataclass
class Measurement:
    """Best wall and CPU seconds over ``repeats`` runs, and the peak RSS added by a run."""

    wall: float
    cpu: float
    repeats: int
    peak_rss_delta: float
    result: Any = field(default=None, repr=False)


def measure(fn: Callable[[], Any], *, min_time: float = 1.0, max_repeats: int = 3) -> Measurement:
    """Run ``fn`` until ``min_time`` seconds were spent or ``max_repeats`` runs; keep the best.

    The same rule applies to every method a script compares, so short runs get a few tries
    against scheduler noise and long runs (already averaged over many series) run once.
    ``peak_rss_delta`` is the largest rise of resident memory above its level before a run.
    """
    best_wall = best_cpu = float("inf")
    delta = 0.0
    spent, repeats, result = 0.0, 0, None
    while repeats < max_repeats and (repeats == 0 or spent < min_time):
        result = None
        gc.collect()
        before = rss_mib()
        reset_peak_rss()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        delta = max(delta, peak_rss_mib() - before)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        spent += wall
        repeats += 1
    return Measurement(best_wall, best_cpu, repeats, delta, result)


# ---------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    kib = None
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    kib = int(line.split()[1])
    except OSError:
        return None
    return kib / 2**20 if kib else None


def package_versions(names: Sequence[str]) -> dict[str, str]:
    """Installed version of each distribution ('missing' if absent)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def machine_info(packages: Sequence[str] = ("numpy", "scipy", "pandas", "featurekit")) -> str:
    """One Markdown paragraph: date, CPU, cores, RAM, load, OS, Python and package versions."""
    ram = _ram_gib()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    versions = ", ".join(f"{k} {v}" for k, v in package_versions(packages).items())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {_cpu_model()}, {os.cpu_count()} cores"
        f"{f', {ram:.0f} GiB RAM' if ram else ''}; load average {load} (shared machine); "
        f"{platform.platform()}; Python {platform.python_version()}; {versions}"
    )


# ---------------------------------------------------------------------------- output
def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None
) -> str:
    """A GitHub Markdown table; ``align`` has one 'l' or 'r' per column (default: l then r)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, text: str) -> Path:
    """Write ``benchmarks/results/<name>.md`` and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    path.write_text(text.rstrip() + "\n")
    return path


def fmt(x: float, digits: int = 3) -> str:
    """A number with ``digits`` significant figures and thousands separators."""
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) < 1:
        return f"{x:.{digits}g}"
    return f"{x:,.{max(0, digits - len(str(int(abs(x)))))}f}"
