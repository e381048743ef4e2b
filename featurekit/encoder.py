"""The reference 1-D CNN encoder, trained self-supervised by masked reconstruction.

Seed 000 proposes pretraining a feature extractor on unlabeled series. :func:`train_encoder`
trains a small dilated CNN by masked reconstruction: random spans of each window are hidden
(set to the channel mean) and a 1x1 head must rebuild them from the encoder's per-step
features. No labels are read. The :class:`Encoder` takes raw (batch, channels, time) windows
plus their lengths, normalises with the training data's channel statistics, and returns the
mean of its last layer's features over each series' own samples (padding ignored);
:func:`export` saves it as TorchScript, which :class:`featurekit.embeddings.EncoderEmbeddings`
(or ``EmbeddingFeatures(encoder=...)``) loads directly.

Needs torch (``pip install 'featurekit[torch]'``); nothing else in featurekit imports this
module, so ``import featurekit`` works without torch. ``pipelines/train_encoder.py`` is the
command-line recipe.

Examples
--------
>>> from featurekit.encoder import train_encoder, export      # doctest: +SKIP
>>> encoder = train_encoder(mirror(load_watch()), epochs=15)  # doctest: +SKIP
>>> export(encoder, "encoder.pt")                             # doctest: +SKIP
"""

# No ``from __future__ import annotations``: TorchScript reads the class annotations.
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "featurekit.encoder trains a torch encoder, but torch is not installed: "
        "pip install torch==2.13.0 (CPU build) or pip install "
        "'featurekit[torch]'"
    ) from exc

from featurekit.panel import Panel

__all__ = ["Encoder", "export", "train_encoder"]


class Encoder(nn.Module):
    """Dilated 1-D CNN with length-aware global average pooling.

    Four Conv1d-BatchNorm-ReLU blocks (``width, width, dim, dim`` filters, dilations 1, 2, 4,
    8: a receptive field of 47 samples). Padding is zeroed after every block, so the features
    of a series do not depend on how much it was padded.

    Parameters
    ----------
    channels : sequence of str
        Input channel names, kept as ``channels`` (what :class:`EncoderEmbeddings
        <featurekit.embeddings.EncoderEmbeddings>` checks a panel against).
    mean, std : array-like of shape (n_channels,)
        Per-channel normalisation applied to the input.
    width : int, default 64
        Filters of the first two blocks.
    dim : int, default 128
        Embedding dimension (filters of the last two blocks).
    """

    in_channels: int
    channels: list[str]
    dim: int

    def __init__(
        self,
        channels: Sequence[str],
        mean: ArrayLike,
        std: ArrayLike,
        width: int = 64,
        dim: int = 128,
    ):
        super().__init__()
        self.channels = list(channels)
        self.in_channels = len(self.channels)
        self.dim = dim
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1))
        sizes = [self.in_channels, width, width, dim, dim]
        kernels, dilations = [7, 5, 5, 3], [1, 2, 4, 8]
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(sizes[i], sizes[i + 1], k, padding=d * (k - 1) // 2, dilation=d),
                nn.BatchNorm1d(sizes[i + 1]),
                nn.ReLU(),
            )
            for i, (k, d) in enumerate(zip(kernels, dilations, strict=True))
        )

    def sequence(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Per-step features (batch, dim, time), zero beyond each series' length.

        Parameters
        ----------
        x : Tensor of shape (batch, channels, time)
            Zero-padded series.
        lengths : int64 Tensor of shape (batch,)

        Returns
        -------
        Tensor of shape (batch, dim, time)
        """
        steps = torch.arange(x.shape[2], device=x.device)
        mask = (steps[None, :] < lengths[:, None]).to(x.dtype)[:, None, :]
        h = (x - self.mean) / self.std * mask
        for block in self.blocks:
            h = block(h) * mask
        return h

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Embeddings (batch, dim): the mean of the features over each series' samples.

        Parameters
        ----------
        x : Tensor of shape (batch, channels, time)
            Zero-padded series.
        lengths : int64 Tensor of shape (batch,)

        Returns
        -------
        Tensor of shape (batch, dim)
        """
        h = self.sequence(x, lengths)
        return h.sum(dim=2) / lengths.clamp(min=1)[:, None].to(h.dtype)


def _span_mask(rng: np.random.Generator, n: int, length: int, span: int, ratio: float):
    """Boolean (n, length): about ``ratio`` of the steps hidden in spans of ``span`` samples."""
    n_spans = max(1, round(ratio * length / span))
    starts = rng.integers(0, length - span + 1, size=(n, n_spans))
    hidden = np.zeros((n, length), dtype=bool)
    rows = np.repeat(np.arange(n), n_spans * span)
    cols = (starts[:, :, None] + np.arange(span)).ravel()
    hidden[rows, cols] = True
    return hidden


def train_encoder(
    panel: Panel,
    *,
    window: int = 200,
    epochs: int = 15,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 2e-3,
    width: int = 64,
    dim: int = 128,
    span: int = 10,
    ratio: float = 0.3,
    verbose: bool = True,
) -> Encoder:
    """Train an :class:`Encoder` by masked reconstruction on random crops of ``panel``.

    Each epoch draws as many crops of ``window`` samples (at random starts) as the panel holds
    non-overlapping windows, hides ``ratio`` of their steps in spans of ``span`` samples and
    minimises the squared error of the rebuilt (normalised) values at the hidden steps.
    No labels are used. Deterministic for a given seed and thread count.

    Parameters
    ----------
    panel : Panel
        Training series without NaN; only those of at least ``window`` samples are cropped.
    window : int, default 200
        Crop length in samples.
    epochs : int, default 15
    seed : int, default 0
        Seeds torch and the crops and masks.
    batch_size : int, default 64
    lr : float, default 2e-3
        Peak learning rate of AdamW's one-cycle schedule.
    width, dim : int
        As for :class:`Encoder`.
    span : int, default 10
        Length of each hidden span.
    ratio : float, default 0.3
        Share of the steps hidden.
    verbose : bool, default True
        Print the loss of every epoch.

    Returns
    -------
    Encoder
        In eval mode.

    Raises
    ------
    ValueError
        No series has ``window`` samples.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    usable = np.flatnonzero(panel.lengths >= window)
    if len(usable) == 0:
        raise ValueError(f"no series has {window} samples; lower window (--window)")
    mean = panel.values.mean(axis=0)
    std = panel.values.std(axis=0) + 1e-6
    encoder = Encoder(panel.channels, mean, std, width=width, dim=dim)
    head = nn.Conv1d(dim, panel.n_channels, 1)
    params = list(encoder.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    per_epoch = int((panel.lengths[usable] // window).sum())
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * -(-per_epoch // batch_size)
    )
    values = torch.from_numpy(panel.values.astype(np.float32))
    lengths = torch.full((batch_size,), window, dtype=torch.int64)
    encoder.train()
    for epoch in range(epochs):
        start = time.perf_counter()
        series = rng.choice(usable, size=per_epoch)
        offsets = panel.offsets[series] + rng.integers(0, panel.lengths[series] - window + 1)
        total = 0.0
        for b in range(0, per_epoch, batch_size):
            rows = torch.from_numpy(offsets[b : b + batch_size])[:, None] + torch.arange(window)
            x = values[rows].transpose(1, 2)  # (batch, channels, window)
            hidden = torch.from_numpy(_span_mask(rng, len(x), window, span, ratio))[:, None, :]
            target = (x - encoder.mean) / encoder.std
            masked = torch.where(hidden, encoder.mean, x)  # hidden steps read as the mean
            rebuilt = head(encoder.sequence(masked, lengths[: len(x)]))
            loss = ((rebuilt - target) ** 2 * hidden).sum() / (hidden.sum() * x.shape[1])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(x)
        if verbose:
            print(
                f"epoch {epoch + 1:3d}/{epochs}  masked MSE {total / per_epoch:.4f}  "
                f"({time.perf_counter() - start:.1f} s)",
                flush=True,
            )
    return encoder.eval()


def export(encoder: Encoder, path: str | os.PathLike, config: dict | None = None) -> Path:
    """Save ``encoder`` as TorchScript, with ``config`` as JSON in the archive's extra files.

    Parameters
    ----------
    encoder : Encoder
        Put in eval mode.
    path : path
        The archive; parent directories are created.
    config : dict, optional
        Stored as ``featurekit_encoder.json`` (e.g. the training settings).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {"featurekit_encoder.json": json.dumps(config or {})}
    torch.jit.save(torch.jit.script(encoder.eval()), str(path), _extra_files=extra)
    return path
