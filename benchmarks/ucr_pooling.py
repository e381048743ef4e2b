"""``ucr.py`` with MultiRocket's pooling operators in the convolution family (a measurement).

Registers two feature sets, then runs ``benchmarks/ucr.py`` with the arguments given:

- ``full-pool4``: ``full`` with ``pooling=("ppv", "mpv", "mipv", "lspv")`` at the same
  ~10,000 convolution columns (2,436 kernel x dilation x bias triples per operator, 9,744
  columns, against 9,996 PPVs);
- ``full-pool4x``: the same operators at 40,000 columns (9,996 triples each, 39,984 columns);
- ``full-pool4-diff``: the four operators on the series and on its first difference
  (MultiRocket's two representations) at ~10,000 columns (1,176 triples per operator and
  representation, 9,408 columns);
- ``full-pool4x-diff``: the same at 40,000 columns (4,956 triples each, 39,648 columns);
- any other ``full-<token>-...`` given as ``--features``, tokens ``pool4`` (the four
  operators; PPV alone without it), ``diff``, ``n<columns>`` and ``seed<random_state>``
  (e.g. ``full-n10000-seed1``: the default set with another seed).

Measured 2026-12-03 (8 aeon sets, official splits; mean acc / mean log loss). Before Hydra
joined ``full`` (18:05 UTC), seeds 0, 1, 2 of the convolution family: ``full`` 0.950, 0.948,
0.945 / 0.174, 0.170, 0.173 (OSULeaf 0.942, 0.946, 0.938); ``full-pool4x-diff`` 0.950,
0.948, 0.951 / 0.175, 0.174, 0.175 (OSULeaf 0.959, 0.963, 0.963; watch windows, seed 0:
0.905 / 0.278 against 0.917 / 0.244); seed 0 only: ``full-pool4`` 0.947 / 0.178,
``full-pool4x`` 0.948 / 0.172, ``full-pool4-diff`` 0.944 / 0.180. With Hydra in ``full``
(after 18:05): ``full-diff-n10000`` seeds 0, 1, 2: 0.948, 0.952, 0.950 / 0.160, 0.158, 0.160
(OSULeaf 0.983, 0.983, 0.988; watch 0.927 / 0.228), against ``full`` 0.951, 0.950, 0.948 /
0.160, 0.158, 0.162 (OSULeaf 0.979 each; watch 0.925 / 0.229); ``full-n40000`` 0.951 /
0.164, ``full-diff-n40000`` 0.950 / 0.166.

The anchors' JSON is read from ``results/ucr_anchors.json`` but written to a copy in the
system's temporary folder, so these runs never change the results folder (``--no-write``
keeps ``ucr.md`` too).

    .venv/bin/python benchmarks/ucr_pooling.py --features full-pool4 --methods featurekit \\
        --no-write --featurekit-json /tmp/pool4.json \\
        --datasets GunPoint ArrowHead ItalyPowerDemand OSULeaf ACSF1 BasicMotions \\
        JapaneseVowels PickupGestureWiimoteZ
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import ucr

from featurekit.features.registry import FEATURE_SETS, register_feature_set
from featurekit.features.rocket import POOLING
from featurekit.features.sets import full_set


@register_feature_set("full-pool4")
def full_pool4_set():
    """``full`` with MultiRocket's four pooling operators at ~10,000 convolution columns."""
    return full_set(pooling=POOLING, n_features=10_000)


@register_feature_set("full-pool4x")
def full_pool4x_set():
    """``full`` with MultiRocket's four pooling operators at ~40,000 convolution columns."""
    return full_set(pooling=POOLING, n_features=40_000)


@register_feature_set("full-pool4-diff")
def full_pool4_diff_set():
    """``full-pool4`` on the series and its first difference, ~10,000 columns."""
    return full_set(pooling=POOLING, n_features=10_000, diff=True)


@register_feature_set("full-pool4x-diff")
def full_pool4x_diff_set():
    """``full-pool4x`` on the series and its first difference, ~40,000 columns."""
    return full_set(pooling=POOLING, n_features=40_000, diff=True)


def _register_spec(name: str) -> None:
    """Register ``full-<token>-...`` on the fly: ``pool4`` (the four operators), ``diff``,
    ``n<columns>``, ``seed<random_state>``; e.g. ``full-diff-n40000-seed1`` (PPV alone)."""
    options: dict = {}
    for token in name.split("-")[1:]:
        if token == "pool4":
            options["pooling"] = POOLING
        elif token == "diff":
            options["diff"] = True
        elif token[:1] == "n" and token[1:].isdigit():
            options["n_features"] = int(token[1:])
        elif token.startswith("seed") and token[4:].isdigit():
            options["random_state"] = int(token[4:])
        else:
            raise ValueError(f"unknown token {token!r} in feature set {name!r}")
    register_feature_set(name)(lambda: full_set(**options))


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--features" in argv:
        name = argv[argv.index("--features") + 1]
        if name.startswith("full-") and name not in FEATURE_SETS:
            _register_spec(name)
    copy = Path(tempfile.gettempdir()) / "ucr_pooling_anchors.json"
    if ucr.ANCHOR_JSON.exists():
        shutil.copyfile(ucr.ANCHOR_JSON, copy)
    ucr.ANCHOR_JSON = copy
    ucr.main(argv)


if __name__ == "__main__":
    sys.exit(main())
