"""Content fingerprints and the optional joblib.Memory cache for feature tables."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import joblib
import numpy as np

ENV_VAR = "FEATUREKIT_CACHE"


def panel_fingerprint(panel) -> str:
    """A digest of everything in a Panel that features depend on (values, layout, ids, rates)."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(str(panel.values.dtype).encode())
    digest.update(np.ascontiguousarray(panel.values).view(np.uint8))
    digest.update(panel.offsets.tobytes())
    digest.update(panel.sampling_rate.tobytes())
    digest.update("\x1f".join(panel.channels).encode())
    digest.update("\x1f".join(map(repr, panel.ids.tolist())).encode())
    return digest.hexdigest()


def get_memory(cache: str | os.PathLike | bool | None) -> joblib.Memory | None:
    """joblib.Memory at ``cache`` (or $FEATUREKIT_CACHE when ``cache`` is None); None = off.

    ``cache=False`` turns caching off even when the environment variable is set.
    """
    if cache is False:
        return None
    location = cache if cache not in (None, True) else os.environ.get(ENV_VAR)
    if not location:
        if cache is True:
            raise ValueError(f"cache=True needs a directory in ${ENV_VAR}")
        return None
    return joblib.Memory(Path(location), verbose=0)
