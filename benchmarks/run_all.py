"""Run every benchmark script present, one subprocess each, and list the results they wrote.

Each script runs in its own Python process (so its peak RSS is its own, read from
``os.wait4``) with the same interpreter, from the repository root. ``--quick`` is passed to the
scripts that accept it; in quick mode the others are skipped, as their full runs take minutes,
and ``benchmarks/results/`` is restored after each script so smoke runs never replace
measured results.
Each script writes its own ``benchmarks/results/<name>.md``. ``make bench`` runs this file.

    .venv/bin/python benchmarks/run_all.py                 # everything, full size
    .venv/bin/python benchmarks/run_all.py --quick         # smoke run
    .venv/bin/python benchmarks/run_all.py --only extract_speed scaling
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# Run order of the known scripts (cheap and self-contained first); any other benchmarks/*.py
# (not starting with "_") runs after them, alphabetically.
ORDER = (
    "extract_speed",
    "scaling",
    "ingest_speed",
    "accuracy",
    "embeddings_accuracy",
    "stream_full",
)
# Ablation runs made by hand with their own arguments (see each file's docstring).
BY_HAND = ("ucr_pooling",)


def discover() -> list[str]:
    """Names of the benchmark scripts present, in run order."""
    present = {
        p.stem
        for p in HERE.glob("*.py")
        if not p.stem.startswith("_") and p.stem not in ("run_all", *BY_HAND)
    }
    return [n for n in ORDER if n in present] + sorted(present - set(ORDER))


def supports_quick(script: Path) -> bool:
    """Whether the script's argument parser declares ``--quick``."""
    return '"--quick"' in script.read_text()


def run_script(script: Path, args: list[str]) -> tuple[int, float, float]:
    """Run one script to completion; (exit code, wall seconds, peak RSS MiB of the child)."""
    t0 = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(script), *args], cwd=HERE.parent)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.perf_counter() - t0, usage.ru_maxrss / 1024


def _snapshot() -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in RESULTS.glob("*")} if RESULTS.is_dir() else {}


def _restore(before: dict[Path, bytes]) -> list[Path]:
    """Put the results folder back as it was; return the files a quick run had touched."""
    touched = []
    for path in sorted(RESULTS.glob("*")) if RESULTS.is_dir() else []:
        if path not in before:
            path.unlink()
            touched.append(path)
        elif path.read_bytes() != before[path]:
            path.write_bytes(before[path])
            touched.append(path)
    return touched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="pass --quick where supported, skip the other scripts"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these benchmarks (script names without .py)",
    )
    args = parser.parse_args(argv)
    names = discover()
    unknown = sorted(set(args.only or ()) - set(names))
    if unknown:
        parser.error(f"no benchmark script named {unknown}; present: {names}")

    summary = []
    for name in [n for n in names if n in args.only] if args.only else names:
        script = HERE / f"{name}.py"
        quick = supports_quick(script)
        if args.quick and not quick:
            summary.append((name, "skipped (no --quick)", "", "", ""))
            continue
        print(f"\n=== {name} ===", flush=True)
        started, before = time.time(), _snapshot() if args.quick else {}
        code, wall, rss = run_script(script, ["--quick"] if args.quick else [])
        if args.quick:
            # Smoke runs never replace measured results, even from scripts whose --quick
            # writes them.
            written = [f"{p.relative_to(HERE.parent)} (restored)" for p in _restore(before)]
        else:
            written = [
                str(p.relative_to(HERE.parent))
                for p in sorted(RESULTS.glob("*.md"))
                if p.stat().st_mtime >= started
            ]
        summary.append(
            (
                name,
                "ok" if code == 0 else f"FAILED (exit {code})",
                f"{wall:,.0f}",
                f"{rss:,.0f}",
                ", ".join(written) or "-",
            )
        )

    print("\n| benchmark | status | seconds | peak RSS MiB | results written |")
    print("|---|---|---:|---:|---|")
    for row in summary:
        print("| " + " | ".join(row) + " |")
    return 1 if any(row[1].startswith("FAILED") for row in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
