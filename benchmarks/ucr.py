"""featurekit's shape pipeline against aeon's best classifiers, on real datasets, one run.

Datasets: the labelled classification sets shipped inside the installed aeon wheel
(``aeon/datasets/data``: GunPoint, ArrowHead, ItalyPowerDemand, OSULeaf, ACSF1,
BasicMotions, JapaneseVowels, PickupGestureWiimoteZ), on their official TRAIN/TEST splits,
plus the watch windows (``load_watch()``, 4-s windows, left side mirrored, GroupKFold(5) by
subject). featurekit reads each ``.ts`` file as it is (ragged where the set is); for the two
unequal-length sets the aeon anchors get the ``_eq`` files shipped beside them (the same
series, made equal-length by the archive), since their transforms need equal lengths.

Methods: featurekit (``FeatureExtractor(features)`` fitted on the training series, then
``make_model(model)``), and aeon's MiniRocketClassifier, MultiRocketHydraClassifier,
QUANTClassifier and Catch22Classifier with their defaults (random_state=0, one thread).
Accuracy and log loss (probabilities clipped to [1e-15, 1] and renormalised, over the full
label set) per dataset and their means; writes ``benchmarks/results/ucr.md``.

    .venv/bin/python benchmarks/ucr.py [--datasets GunPoint ArrowHead] [--methods featurekit]
        [--features full] [--model family-ensemble] [--reuse-anchors]

``--reuse-anchors`` takes the anchors' figures from the last run's JSON beside the results
(``results/ucr_anchors.json``), and ``--featurekit-json``/``--reuse-featurekit`` store and
reuse featurekit's per dataset, so a table can be assembled from runs of separate datasets
on a busy machine; ``ucr.md`` then says which rows were reused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

from _common import RESULTS_DIR, machine_info, markdown_table, single_thread_env, write_results

single_thread_env()

import numpy as np  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

DATASETS = (
    "GunPoint",
    "ArrowHead",
    "ItalyPowerDemand",
    "OSULeaf",
    "ACSF1",
    "BasicMotions",
    "JapaneseVowels",
    "PickupGestureWiimoteZ",
)
UNEQUAL = ("JapaneseVowels", "PickupGestureWiimoteZ")
WATCH = "watch windows"
ANCHORS = ("MiniRocket", "MultiRocketHydra", "QUANT", "Catch22")
ANCHOR_JSON = RESULTS_DIR / "ucr_anchors.json"
EPS = 1e-15


def _data_dir() -> Path:
    import aeon

    return Path(aeon.__file__).parent / "datasets" / "data"


def load_split(name: str, split: str, *, equal: bool = False):
    """The TRAIN or TEST Panel of a shipped dataset (``equal``: its ``_eq`` version)."""
    from featurekit.io.ts import read_ts

    stem = f"{name}_eq" if equal and name in UNEQUAL else name
    return read_ts(_data_dir() / name / f"{stem}_{split}.ts")


def to_numpy3d(panel) -> np.ndarray:
    """aeon's layout (n_series, n_channels, length); the panel must be equal-length."""
    lengths = np.unique(panel.lengths)
    if len(lengths) != 1:
        raise ValueError(f"aeon input must be equal-length, got lengths {lengths[:5]}...")
    return panel.values.reshape(len(panel), int(lengths[0]), panel.n_channels).transpose(0, 2, 1)


def _anchor(name: str):
    from aeon.classification.convolution_based import (
        MiniRocketClassifier,
        MultiRocketHydraClassifier,
    )
    from aeon.classification.feature_based import Catch22Classifier
    from aeon.classification.interval_based import QUANTClassifier

    return {
        "MiniRocket": lambda: MiniRocketClassifier(random_state=0, n_jobs=1),
        "MultiRocketHydra": lambda: MultiRocketHydraClassifier(random_state=0, n_jobs=1),
        "QUANT": lambda: QUANTClassifier(random_state=0),
        "Catch22": lambda: Catch22Classifier(random_state=0, n_jobs=1),
    }[name]()


def fit_predict_anchor(name, train, test) -> tuple[np.ndarray, np.ndarray]:
    model = _anchor(name)
    model.fit(to_numpy3d(train), train.meta["label"].to_numpy())
    return model.predict_proba(to_numpy3d(test)), np.asarray(model.classes_)


def fit_predict_featurekit(train, test, *, features: str, model: str, groups=None):
    import featurekit as fk
    from featurekit.models import make_model

    extractor = fk.FeatureExtractor(features, cache=False).fit(train)
    X_train, X_test = extractor.transform(train), extractor.transform(test)
    classifier = make_model(model)
    y = train.meta["label"].to_numpy()
    if groups is not None:
        classifier.fit(X_train, y, groups=groups)
    else:
        classifier.fit(X_train, y)
    return classifier.predict_proba(X_test), np.asarray(classifier.classes_)


def score(y_true, proba, classes, labels) -> tuple[float, float]:
    """Accuracy and log loss over ``labels``, probabilities clipped and renormalised."""
    full = np.zeros((len(y_true), len(labels)))
    full[:, np.searchsorted(labels, classes)] = proba
    full = np.clip(full, EPS, 1.0)
    full /= full.sum(axis=1, keepdims=True)
    predicted = labels[np.argmax(full, axis=1)]
    return accuracy_score(y_true, predicted), log_loss(y_true, full, labels=labels)


def splits(name: str, *, equal: bool):
    """(train, test, train groups) pairs: the official split, or GroupKFold(5) for the watch."""
    if name != WATCH:
        yield load_split(name, "TRAIN", equal=equal), load_split(name, "TEST", equal=equal), None
        return
    from featurekit.datasets import load_watch
    from featurekit.preprocess import mirror, windows

    panel = windows(mirror(load_watch()), 200, 100)
    groups = panel.meta["group"].to_numpy()
    for train, test in GroupKFold(5).split(np.zeros(len(panel)), groups=groups):
        yield panel.take(train), panel.take(test), groups[train]


def run(name: str, method: str, args) -> dict:
    """Pooled accuracy and log loss of one method on one dataset, and its seconds."""
    start = time.perf_counter()
    y_all, proba_all = [], []
    equal = method != "featurekit"
    labels = None
    for train, test, groups in splits(name, equal=equal):
        labels = np.unique(np.concatenate([train.meta["label"], test.meta["label"]]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "featurekit":
                proba, classes = fit_predict_featurekit(
                    train, test, features=args.features, model=args.model, groups=groups
                )
            else:
                proba, classes = fit_predict_anchor(method, train, test)
        full = np.zeros((len(test), len(labels)))
        full[:, np.searchsorted(labels, classes)] = proba
        y_all.append(test.meta["label"].to_numpy())
        proba_all.append(full)
    accuracy, loss = score(np.concatenate(y_all), np.vstack(proba_all), labels, labels)
    return {"accuracy": accuracy, "log_loss": loss, "seconds": time.perf_counter() - start}


def _table(results: dict, datasets, methods) -> str:
    headers = ["dataset"] + [f"{m} acc / log loss" for m in methods]
    rows = []
    for name in datasets:
        cells = [name]
        for method in methods:
            r = results[name][method]
            cells.append(f"{r['accuracy']:.3f} / {r['log_loss']:.3f}")
        rows.append(cells)
    means = ["**mean**"]
    for method in methods:
        acc = np.mean([results[n][method]["accuracy"] for n in datasets])
        loss = np.mean([results[n][method]["log_loss"] for n in datasets])
        means.append(f"**{acc:.3f} / {loss:.3f}**")
    rows.append(means)
    return markdown_table(headers, rows)


def _targets(results: dict, datasets) -> list[str]:
    """The issue's targets, checked on these results, one line each."""
    fk = "featurekit"
    lines = []
    anchors = [m for m in ANCHORS if all(m in results[n] for n in datasets)]
    if not anchors or not all(fk in results[n] for n in datasets):
        return lines
    mean_acc = {m: np.mean([results[n][m]["accuracy"] for n in datasets]) for m in anchors + [fk]}
    mean_loss = {m: np.mean([results[n][m]["log_loss"] for n in datasets]) for m in anchors + [fk]}
    best = max(anchors, key=mean_acc.get)
    lines.append(
        f"- mean accuracy {mean_acc[fk]:.3f} vs best anchor mean {mean_acc[best]:.3f} "
        f"({best}): {'met' if mean_acc[fk] >= mean_acc[best] else 'NOT met'}"
    )
    short = [
        f"{n} ({results[n][fk]['accuracy']:.3f} vs "
        f"{max(results[n][m]['accuracy'] for m in anchors):.3f})"
        for n in datasets
        if results[n][fk]["accuracy"] < max(results[n][m]["accuracy"] for m in anchors) - 0.02
    ]
    lines.append(f"- more than 2 points below the best anchor on: {', '.join(short) or 'none'}")
    if "QUANT" in anchors:
        worse = [
            f"{n} ({results[n][fk]['log_loss']:.3f} vs {results[n]['QUANT']['log_loss']:.3f})"
            for n in datasets
            if results[n][fk]["log_loss"] > results[n]["QUANT"]["log_loss"]
        ]
        lines.append(f"- log loss above QUANT's on: {', '.join(worse) or 'none'}")
    lowest = min(anchors + [fk], key=mean_loss.get)
    lines.append(f"- lowest mean log loss: {lowest} ({mean_loss[lowest]:.3f})")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS) + [WATCH])
    parser.add_argument("--methods", nargs="+", default=["featurekit", *ANCHORS])
    parser.add_argument("--features", default="full", help="featurekit feature set")
    parser.add_argument("--model", default="family-ensemble", help="featurekit model name")
    parser.add_argument(
        "--reuse-anchors",
        action="store_true",
        help="take the anchors' figures from the last run's JSON",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write ucr.md")
    parser.add_argument(
        "--featurekit-json",
        type=Path,
        default=None,
        help="also store featurekit's figures here (to assemble the table from "
        "runs of separate datasets with --reuse-featurekit)",
    )
    parser.add_argument(
        "--reuse-featurekit",
        type=Path,
        default=None,
        help="take featurekit's figures for datasets found in this JSON",
    )
    args = parser.parse_args(argv)
    stored = json.loads(ANCHOR_JSON.read_text()) if ANCHOR_JSON.exists() else {}
    methods = ["featurekit", *ANCHORS] if args.reuse_anchors else args.methods
    results: dict = {}
    reused = json.loads(args.reuse_featurekit.read_text()) if args.reuse_featurekit else {}
    for name in args.datasets:
        results[name] = {}
        for method in methods:
            if method != "featurekit" and args.reuse_anchors and method in stored.get(name, {}):
                results[name][method] = stored[name][method]
                continue
            if method == "featurekit" and name in reused:
                results[name][method] = reused[name]
                continue
            results[name][method] = run(name, method, args)
            r = results[name][method]
            print(
                f"{name:24s} {method:18s} acc {r['accuracy']:.3f}  log loss "
                f"{r['log_loss']:.3f}  {r['seconds']:.1f} s",
                flush=True,
            )
            if method != "featurekit":
                stored.setdefault(name, {})[method] = r
            elif args.featurekit_json:
                done = (
                    json.loads(args.featurekit_json.read_text())
                    if args.featurekit_json.exists()
                    else {}
                )
                args.featurekit_json.write_text(json.dumps({**done, name: r}, indent=1))
    # merge with what other runs stored meanwhile (runs of separate datasets overlap)
    latest = json.loads(ANCHOR_JSON.read_text()) if ANCHOR_JSON.exists() else {}
    for name, figures in stored.items():
        latest.setdefault(name, {}).update(figures)
    ANCHOR_JSON.parent.mkdir(parents=True, exist_ok=True)
    ANCHOR_JSON.write_text(json.dumps(latest, indent=1))
    table = _table(results, args.datasets, methods)
    seconds = markdown_table(
        ["dataset"] + list(methods),
        [[n] + [f"{results[n][m]['seconds']:.1f}" for m in methods] for n in args.datasets],
    )
    targets = "\n".join(_targets(results, args.datasets))
    text = (
        f"# featurekit vs aeon anchors (accuracy / log loss)\n\n{machine_info(('numpy', 'scikit-learn', 'aeon', 'featurekit'))}\n\n"
        f"featurekit: `FeatureExtractor({args.features!r})` + `make_model({args.model!r})`"
        f"{' (anchors reused from the previous run)' if args.reuse_anchors else ''}.\n\n"
        f"{table}\n\n## Targets\n\n{targets}\n\n## Seconds (fit + predict)\n\n{seconds}\n"
    )
    print(text)
    if not args.no_write and len(args.datasets) > 1:
        print(f"wrote {write_results('ucr', text)}")


if __name__ == "__main__":
    sys.exit(main())
