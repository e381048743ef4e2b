"""Full-size streaming: synthetic competition folder -> ingest -> `default` features to Parquet.

Each phase runs in its own process under ``/usr/bin/time -v`` so its wall time and peak RSS
(of the process and its joblib workers) are measured separately. The target of issue 6: the
`default` feature set over 125,000 series completes with peak RSS under 4 GiB.

    python benchmarks/stream_full.py --n-series 125000 --root /tmp/fk125k
    python benchmarks/stream_full.py --quick          # 300 series, a smoke run
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from _common import RESULTS_DIR, machine_info

PHASES = {
    "make": "from featurekit.datasets import make_competition; "
            "make_competition({data!r}, n_series={n}, seed=0)",
    "ingest": "from featurekit.io import ingest_competition; "
              "print(ingest_competition({data!r}, {store!r}, n_jobs=-1, progress=False)"
              ".summary())",
    "extract": "import featurekit as fk; from featurekit.preprocess import PanelTransformer, "
               "fill_nan; fk.extract_to_parquet({store!r}, {out!r}, 'default', "
               "preprocess=PanelTransformer(fill_nan), n_jobs={jobs}, progress=False)",
}


def run_phase(name: str, **paths) -> dict:
    """Run one phase under /usr/bin/time -v; return wall seconds and peak RSS in MiB."""
    code = PHASES[name].format(**paths)
    result = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", code],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return {"phase": name, "seconds": hours * 3600 + minutes * 60 + seconds,
            "peak_rss_mib": rss / 1024, "log": result.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=125_000)
    parser.add_argument("--root", default="/tmp/featurekit-stream")
    parser.add_argument("--jobs", type=int, default=1, help="n_jobs of the extract phase")
    parser.add_argument("--quick", action="store_true", help="300 series, for a smoke run")
    args = parser.parse_args()
    n = 300 if args.quick else args.n_series
    root = Path(args.root) / f"n{n}"
    paths = dict(data=str(root / "data"), store=str(root / "store"),
                 out=str(root / "features.parquet"), n=n, jobs=args.jobs)
    rows = []
    for phase in PHASES:
        if phase == "make" and (root / "data" / "train.csv").exists():
            continue
        rows.append(run_phase(phase, **paths))
        print(f"{phase:8s} {rows[-1]['seconds']:9.1f} s  peak RSS {rows[-1]['peak_rss_mib']:8.0f} MiB")
    import pyarrow.parquet as pq

    shape = (pq.ParquetFile(paths["out"]).metadata.num_rows,
             pq.ParquetFile(paths["out"]).metadata.num_columns)
    lines = [f"# Streaming at full size ({n:,} series)", "", machine_info(), "",
             "| phase | wall s | peak RSS MiB | series/s |", "|---|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['phase']} | {row['seconds']:.1f} | {row['peak_rss_mib']:.0f} | "
                     f"{n / row['seconds']:.0f} |")
    lines += ["", f"Feature table: {shape[0]:,} rows x {shape[1]} columns (incl. id), "
              f"written incrementally to Parquet.", "",
              "Peak RSS is `/usr/bin/time -v`'s maximum resident set size of the phase's "
              "largest process. Target: extract peak RSS < 4 GiB (4096 MiB)."]
    ingest_log = next((r["log"] for r in rows if r["phase"] == "ingest"), "")
    if ingest_log:
        lines += ["", "Ingest report:", "", "```", ingest_log, "```"]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        (RESULTS_DIR / "stream_full.md").write_text(text)


if __name__ == "__main__":
    main()
