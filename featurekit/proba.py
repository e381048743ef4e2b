"""Small operations on class-probability tables shared by evaluation and submission."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EPS = 1e-15
"""Floor of a clipped probability (the usual log-loss metric's)."""


def clip_proba(proba: ArrayLike) -> np.ndarray:
    """Clip probabilities to [EPS, 1] and renormalize each row to sum to 1, as the log-loss
    metric does.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of float, same shape, rows summing to 1.

    Examples
    --------
    >>> clip_proba([[1.0, 0.0]]).round(6).tolist()
    [[1.0, 0.0]]
    >>> bool(clip_proba([[1.0, 0.0]])[0, 1] > 0)
    True
    """
    proba = np.clip(np.asarray(proba, dtype=float), EPS, 1.0)
    return proba / proba.sum(axis=1, keepdims=True)
