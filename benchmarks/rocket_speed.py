"""Convolution family speed on one core: featurekit's MiniRocket against aeon's MiniRocket.

One seeded equal-length panel (``--n-series`` series x 3 channels x 1,024 samples, random
walks) in one run. Both transforms are fitted first with 10,000 features (9,996 after rounding
to 84 kernels) outside the timing, their kernels compiled by a warm-up call, and only the
fitted ``transform`` is timed, on one core: BLAS/OpenMP and numba pinned to one thread
(``NUMBA_NUM_THREADS=1`` before import), aeon with ``n_jobs=1``. featurekit gets the Panel,
aeon the (series, channels, samples) float array it documents. Before timing, featurekit
given aeon's fitted state (channel combinations, dilations, biases) is checked to reproduce
aeon's features on a subset (aeon computes in float32: outputs within rounding of a bias may
flip), so both do the same work. Best of up to ``--rounds`` runs each; wall and CPU seconds
(the machine is shared: ratios use CPU time, which excludes waiting for a core). Prints the
table and writes ``benchmarks/results/rocket_speed.md`` (not with ``--quick``).

    .venv/bin/python benchmarks/rocket_speed.py            # 2,000 series
    .venv/bin/python benchmarks/rocket_speed.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    fmt,
    machine_info,
    markdown_table,
    measure,
    single_thread_env,
    write_results,
)

single_thread_env()  # before numpy and numba are imported: every method runs on one core

import numpy as np  # noqa: E402

from featurekit.features.rocket import MiniRocket, MiniRocketState  # noqa: E402
from featurekit.panel import Panel  # noqa: E402

TARGET = 2.0  # issue 10: >= 2x aeon's fitted MiniRocket transform in series per second


def _state_from_aeon(parameters, channels) -> MiniRocketState:
    sizes, indices, dilations, per_dilation, biases = parameters
    return MiniRocketState(
        channels=tuple(channels),
        reference_length=0,
        dilations=np.asarray(dilations, np.int64),
        n_per_dilation=np.asarray(per_dilation, np.int64),
        channel_ptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        channel_indices=np.asarray(indices, np.int64),
        bias_series=np.zeros(84 * len(dilations), np.int64),
        biases=np.asarray(biases, np.float64),
    ).with_digest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=2000)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="50 series, one round, no file")
    args = parser.parse_args()
    if args.quick:
        args.n_series, args.rounds = 50, 1

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n_series, 3, args.length)).cumsum(axis=-1)
    channels = ["ax", "ay", "az"]
    panel = Panel.from_numpy3d(X, channels=channels)
    X32 = X.astype(np.float32)  # aeon's transform casts to float32 itself; do it untimed

    rocket = MiniRocket(n_features=10_000, random_state=0).fit(panel)
    rocket.transform(panel.take([0, 1]))  # compile outside the timing
    rows = []

    aeon = None
    try:
        from aeon.transformations.collection.convolution_based import MiniRocket as AeonRocket
    except ImportError as error:
        print(f"aeon's MiniRocket is not available ({error}); featurekit only")
    else:
        theirs = AeonRocket(n_kernels=10_000, random_state=0, n_jobs=1).fit(X32)
        subset = min(args.n_series, 20)
        want = theirs.transform(X32[:subset])  # also compiles aeon's kernels
        same = MiniRocket(state=_state_from_aeon(theirs.parameters, channels))
        got = same.transform(panel.take(np.arange(subset)))
        flipped = np.abs(got - want) * args.length
        if got.shape != want.shape or flipped.max() > 2.5 or np.mean(flipped > 0.5) > 2e-3:
            raise SystemExit("featurekit given aeon's state does not reproduce aeon's features")
        aeon = measure(lambda: theirs.transform(X32), max_repeats=args.rounds)
        rows.append(["aeon MiniRocket (numba, float32)", aeon, aeon.result.shape[1]])

    ours = measure(lambda: rocket.transform(panel), max_repeats=args.rounds)
    rows.insert(0, ["featurekit MiniRocket", ours, ours.result.shape[1]])

    headers = ["method", "wall s", "CPU s", "series/s (CPU)", "columns", "x aeon (CPU)"]
    table = markdown_table(
        headers,
        [
            [
                name,
                fmt(m.wall),
                fmt(m.cpu),
                fmt(args.n_series / m.cpu),
                f"{columns:,}",
                fmt(aeon.cpu / m.cpu) if aeon else "-",
            ]
            for name, m, columns in rows
        ],
    )
    lines = [
        f"# Convolution family speed ({args.n_series:,} series x 3 channels x "
        f"{args.length:,} samples, fitted transform only, one core)",
        "",
        machine_info(("numpy", "numba", "aeon", "featurekit")),
        "",
        table,
        "",
    ]
    if aeon:
        ratio, ratio_wall = aeon.cpu / ours.cpu, aeon.wall / ours.wall
        verdict = "PASS" if min(ratio, ratio_wall) >= TARGET else "FAIL"
        lines.append(
            f"- {verdict}: featurekit is {ratio:.2f}x aeon's MiniRocket in CPU time, "
            f"{ratio_wall:.2f}x in wall time (target >= {TARGET:.0f}x); given aeon's "
            "fitted state it reproduces aeon's features"
        )
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        print(f"written to {write_results('rocket_speed', text)}")


if __name__ == "__main__":
    main()
