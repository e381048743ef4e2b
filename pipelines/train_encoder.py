"""Train the reference 1-D CNN encoder self-supervised and export it as TorchScript.

The encoder and its training live in :mod:`featurekit.encoder`; this recipe trains it on
random 4-s crops of the bundled watch data (left wrist mirrored with
``featurekit.preprocess.mirror``; labels are never read) in under a minute on one CPU
thread, and writes the TorchScript archive that ``EncoderEmbeddings`` loads.

Usage::

    .venv/bin/python pipelines/train_encoder.py --out encoder.pt --epochs 15 --seed 0
"""

import argparse
import time
from pathlib import Path

import torch

from featurekit.datasets import load_watch
from featurekit.encoder import Encoder, export, train_encoder  # noqa: F401  (old names)
from featurekit.preprocess import mirror


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("encoder.pt"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    panel = mirror(load_watch())  # left wrist onto the right frame; labels are never read
    start = time.perf_counter()
    encoder = train_encoder(panel, window=args.window, epochs=args.epochs, seed=args.seed)
    config = dict(
        data="watch (left mirrored)",
        window=args.window,
        epochs=args.epochs,
        seed=args.seed,
        task="masked reconstruction",
        dim=encoder.dim,
        channels=encoder.channels,
        seconds=round(time.perf_counter() - start, 1),
    )
    print(f"wrote {export(encoder, args.out, config)}  ({config['seconds']} s)")


if __name__ == "__main__":
    main()
