"""Do the reference encoder's embeddings help on the watch windows protocol?

Protocol: the bundled watch data, left wrist mirrored (ax, wy, wz flipped), 4-s windows (200
samples at 50 Hz) with 50% overlap, GroupKFold(5) by subject, RandomForest(300 trees). Feature
tables: the ``default`` handcrafted features, the encoder's embeddings, and both joined.

The encoder never sees labels. It is trained two ways:

* ``all``: once, on every series, test subjects included (transductive self-supervision:
  legitimate when the unlabeled test series are available, as in the competition);
* ``fold``: inside each fold, on the training subjects' series only (nothing of the test
  subjects is seen before prediction).

Usage::

    .venv/bin/python benchmarks/embeddings_accuracy.py [--epochs 15] [--seed 0]

prints one table (pooled out-of-fold accuracy, macro-F1 and log loss, and each row's log loss
relative to the handcrafted features measured in the same run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GroupKFold

from featurekit import extract
from featurekit.calibration import align_proba
from featurekit.datasets import load_watch
from featurekit.embeddings import EmbeddingFeatures
from featurekit.encoder import train_encoder
from featurekit.evaluate import cross_validate, scores
from featurekit.models import make_model
from featurekit.preprocess import mirror, windows
from featurekit.recipes import COMPARE_SETTINGS


def _embed(encoder, panel) -> pd.DataFrame:
    return EmbeddingFeatures(encoder, name="cnn").fit_transform(panel)


def run(
    epochs: int = 15, seed: int = 0, fold_internal: bool = True, n_splits: int = 5
) -> pd.DataFrame:
    """Pooled out-of-fold scores per feature table; one row per table.

    ``table.attrs["seconds"]`` holds the time spent computing each kind of feature
    (encoder training included; for ``fold`` summed over the folds).
    """
    series = mirror(load_watch())  # left wrist: ax, wy, wz flipped
    cut = windows(series, 200, 100)
    y = cut.meta["label"].to_numpy()
    groups = cut.meta["group"].to_numpy()
    classes = np.unique(y)
    seconds = {}

    start = time.perf_counter()
    handcrafted = extract(cut, "default")
    seconds["default"] = time.perf_counter() - start
    start = time.perf_counter()
    emb_all = _embed(train_encoder(series, epochs=epochs, seed=seed, verbose=False), cut)
    seconds["embeddings (all)"] = time.perf_counter() - start

    tables = {
        "default": lambda tr, te: handcrafted,
        "embeddings (all)": lambda tr, te: emb_all,
        "default + embeddings (all)": lambda tr, te: handcrafted.join(emb_all),
    }
    if fold_internal:
        cache = {}

        def fold_embeddings(train_idx, test_idx):
            key = int(test_idx[0])
            if key not in cache:
                t0 = time.perf_counter()
                train_subjects = np.unique(groups[train_idx])
                seen = series.take(np.flatnonzero(series.meta["group"].isin(train_subjects)))
                encoder = train_encoder(seen, epochs=epochs, seed=seed, verbose=False)
                cache[key] = _embed(encoder, cut)
                seconds["embeddings (fold)"] = (
                    seconds.get("embeddings (fold)", 0.0) + time.perf_counter() - t0
                )
            return cache[key]

        tables["embeddings (fold)"] = fold_embeddings
        tables["default + embeddings (fold)"] = lambda tr, te: handcrafted.join(
            fold_embeddings(tr, te)
        )

    oof = {name: np.zeros((len(y), len(classes))) for name in tables}
    n_columns = {}
    for train_idx, test_idx in GroupKFold(n_splits).split(cut.ids, y, groups):
        for name, make in tables.items():
            X = make(train_idx, test_idx).to_numpy()
            n_columns[name] = X.shape[1]
            model = RandomForestClassifier(300, random_state=seed, n_jobs=1)
            model.fit(X[train_idx], y[train_idx])
            oof[name][test_idx] = align_proba(
                model.predict_proba(X[test_idx]), model.classes_, classes
            )

    rows = []
    for name in tables:
        rows.append(
            {"features": name, "n_columns": n_columns[name], **scores(y, oof[name], classes)}
        )
    # The seed's last idea: handcrafted features + embeddings into XGBoost, through
    # featurekit's own grouped cross-validation (the lighter `make compare` settings).
    for name, X in (
        ("default + XGBoost", handcrafted),
        ("default + embeddings (all) + XGBoost", handcrafted.join(emb_all)),
    ):
        model = make_model("xgboost", **COMPARE_SETTINGS["xgboost"])
        result = cross_validate(model, X, y, groups, cv="group", n_splits=n_splits)
        rows.append(
            {
                "features": name,
                "n_columns": X.shape[1],
                **scores(y, result.oof[classes].to_numpy(), classes),
            }
        )
    table = pd.DataFrame(rows).set_index("features")
    table["log_loss_vs_default"] = table["log_loss"] / table.loc["default", "log_loss"]
    table.attrs["seconds"] = seconds
    return table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-fold", action="store_true", help="skip fold-internal encoders")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    table = run(args.epochs, args.seed, fold_internal=not args.no_fold)
    with pd.option_context(
        "display.width", 200, "display.max_columns", None, "display.float_format", "{:.4f}".format
    ):
        print(
            f"watch windows (200 samples, 50% overlap), GroupKFold(5) by subject, "
            f"RandomForest(300); encoder: {args.epochs} epochs, seed {args.seed}"
        )
        print(table)
    print(
        "seconds to compute: "
        + ", ".join(f"{k} {v:.1f}" for k, v in table.attrs["seconds"].items())
    )
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
