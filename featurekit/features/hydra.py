"""Hydra (Dempster, Schmidt & Webb, DMKD 2023) over ragged multivariate panels.

Competing convolutional kernels: ``n_groups`` groups of ``n_kernels`` random kernels of
length 9 per dilation (weights drawn from a standard normal, minus their mean, divided by
the sum of their absolute values). At every output position of a series, within each group,
the kernel with the largest output gets that output added to its *soft count* (``count-max``)
and the kernel with the smallest output gets 1 added to its *hard count* (``count-min``).
Dilations are ``2 ** 0 .. 2 ** e`` with ``e = floor(log2((L - 1) / 8))`` from a reference
length ``L`` (the longest training series, at least 9, as :mod:`~featurekit.features.rocket`).
As Hydra, half of the groups (``n_groups // 2`` of them; all when ``n_groups == 1``) convolve
the series and the other half its first difference; a multivariate panel gives each group
the sum of ``clip(n_channels // 2, 2, max_num_channels)`` channels drawn with replacement
(a channel drawn twice counts twice), a univariate panel its one channel. This follows
aeon's ``HydraTransformer`` (the authors' code) exactly, apart from the random numbers
(NumPy's ``default_rng(random_state)`` instead of torch's).

Ragged series: each series is convolved at its own length ``n`` with "same" zero padding
(``4 d`` zeros either side, as Hydra), which gives ``n`` outputs for the series and ``n - 1``
for its difference. **Every count is divided by the number of outputs it was taken over**
(``n``, or ``n - 1`` for the difference), so that series of different lengths give
comparable values: a hard count becomes the share of positions where the kernel won, a soft
count the mean over positions of its winning output (0 where it never won). On equal-length
panels the values are Hydra's counts divided by ``n`` (or ``n - 1``). An empty series gives
NaN everywhere; a series of one sample gives NaN for the difference's columns.

Fitting looks only at the training panel's lengths and channels (the kernels are random and
data-independent), never at its values. Compiled with numba only: without it, fitting or
transforming raises an ``ImportError`` asking for ``pip install "featurekit[fast]"``.
Outputs are computed in float64 (float32 inputs are read as they are).

Columns (family ``convolution``, the ridge member of the family ensemble), in Hydra's order
(dilation, representation, count, group, kernel)::

    <channels>__hydra__count-<max|min>__d-<dilation>__g-<group>__k-<kernel>[__r-diff]

``<channels>`` is the group's channels joined with ``.`` (sorted, repeated when drawn twice),
``conv`` when longer than 40 characters; ``g`` numbers the groups of one representation
(0 .. ``n_groups // 2 - 1``) and ``k`` the kernels of a group.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from featurekit.features.registry import feature_name, register_block
from featurekit.features.rocket import (
    _MAX_CHANNEL_PART,
    _as_arrays,
    _check_channels,
    _difference,
    _reference,
    _reference_problems,
)
from featurekit.panel import Panel
from featurekit.validation import raise_problems

try:
    import numba
except ImportError:  # the ``fast`` extra is not installed
    numba = None

KERNEL_LENGTH = 9
COUNTS = ("max", "min")


def _require_numba() -> None:
    if numba is None:
        raise ImportError('featurekit\'s Hydra needs numba: pip install "featurekit[fast]"')


# --------------------------------------------------------------------------- compiled part
def _hydra_series(
    values, start, length, chans, weights, d, pad, n_kernels, xp, z, counts, row, f0, h
):
    """Counts of the ``h`` groups of one (dilation, representation) of one series.

    ``chans[g]`` are the channels summed for group ``g``, ``weights[g * n_kernels + kk]``
    the kernels, ``xp``, ``z`` and ``counts`` scratch buffers; soft counts go to ``row[f0 + g * n_kernels + kk]``, hard counts ``h *
    n_kernels`` columns further, both divided by ``length``.
    """
    n_per = chans.shape[1]
    hk = h * n_kernels
    soft, hard = counts[0], counts[1]  # scratch, reset per group
    for g in range(h):
        for t in range(length):
            total = 0.0
            for m in range(n_per):
                total += values[start + t, chans[g, m]]
            xp[pad + t] = total
        for t in range(pad + length, 2 * pad + length):
            xp[t] = 0.0
        for kk in range(n_kernels):
            w = weights[g * n_kernels + kk]
            zk = z[kk]
            for t in range(length):
                zk[t] = 0.0
            for tap in range(KERNEL_LENGTH):
                wt = w[tap]
                x = xp[pad + (tap - 4) * d :]
                for t in range(length):
                    zk[t] += wt * x[t]
        soft[:] = 0.0
        hard[:] = 0.0
        for t in range(length):
            best, worst = 0, 0
            hi, lo = z[0, t], z[0, t]
            for kk in range(1, n_kernels):
                v = z[kk, t]
                if v > hi:
                    hi, best = v, kk
                if v < lo:
                    lo, worst = v, kk
            soft[best] += hi
            hard[worst] += 1.0
        for kk in range(n_kernels):
            row[f0 + g * n_kernels + kk] = soft[kk] / length
            row[f0 + hk + g * n_kernels + kk] = hard[kk] / length


def _transform(values, offsets, dvalues, doffsets, chans, weights, dilations, n_kernels, h):
    """Features of every series: ``chans`` (n_dil, n_rep, h, n_per), ``weights`` (n_dil,
    n_rep, h * n_kernels, 9); representation 1 reads ``dvalues``/``doffsets``."""
    n_series = len(offsets) - 1
    n_dil, n_rep = chans.shape[0], chans.shape[1]
    hk = h * n_kernels
    features = np.full((n_series, n_dil * n_rep * 2 * hk), np.nan)
    if n_series == 0:
        return features
    max_length = 0
    for i in range(n_series):
        max_length = max(max_length, offsets[i + 1] - offsets[i])
    pad = 4 * dilations.max()
    xp = np.zeros(max_length + 2 * pad)
    z = np.empty((n_kernels, max_length))
    counts = np.empty((2, n_kernels))
    for i in range(n_series):
        for j in range(n_dil):
            d = dilations[j]
            for r in range(n_rep):
                f0 = (j * n_rep + r) * 2 * hk
                if r == 0:  # two calls: values may be float32, the difference is float64
                    start, length = offsets[i], offsets[i + 1] - offsets[i]
                    if length > 0:
                        _hydra_series(
                            values, start, length, chans[j, r], weights[j, r], d, pad,
                            n_kernels, xp, z, counts, features[i], f0, h,
                        )  # fmt: skip
                else:
                    start, length = doffsets[i], doffsets[i + 1] - doffsets[i]
                    if length > 0:
                        _hydra_series(
                            dvalues, start, length, chans[j, r], weights[j, r], d, pad,
                            n_kernels, xp, z, counts, features[i], f0, h,
                        )  # fmt: skip
    return features


if numba is not None:
    from featurekit.features.rocket import _jit

    _hydra_series = _jit(_hydra_series)
    _transform = _jit(_transform)


# --------------------------------------------------------------------------- fitting
def hydra_dilations(reference_length: int) -> np.ndarray:
    """Hydra's dilations ``2 ** 0 .. 2 ** e``, ``e = floor(log2((L - 1) / 8))`` (at least 0).

    Parameters
    ----------
    reference_length : int
        ``L``; lengths below 9 give the one dilation 1.

    Returns
    -------
    int64 ndarray
    """
    reference = max(KERNEL_LENGTH, int(reference_length))
    exponent = int(np.floor(np.log2((reference - 1) / (KERNEL_LENGTH - 1))))
    return (2 ** np.arange(max(exponent, 0) + 1)).astype(np.int64)


@dataclass(frozen=True, eq=False)
class HydraState:
    """What ``Hydra.fit`` draws: kernels and channel combinations for the training channels.

    Parameters
    ----------
    channels : tuple of str
    reference_length : int
    dilations : int64 ndarray of shape (n_dilations,)
    weights : float64 ndarray of shape (n_dilations, n_rep, h * n_kernels, 9)
        Kernel ``kk`` of group ``g`` of representation ``r`` (0 the series, 1 its difference)
        at dilation ``j`` is ``weights[j, r, g * n_kernels + kk]``.
    channel_indices : int64 ndarray of shape (n_dilations, n_rep, h, n_per)
        Positions in ``channels`` summed for each group.
    digest : str, default ""
        SHA-256 of the rest (set by :meth:`with_digest`): keys hash and equality.
    """

    channels: tuple
    reference_length: int
    dilations: np.ndarray
    weights: np.ndarray
    channel_indices: np.ndarray
    digest: str = field(default="")

    def with_digest(self) -> HydraState:
        """A copy whose ``digest`` is the SHA-256 of its channels, length and arrays.

        Returns
        -------
        HydraState
        """
        h = hashlib.sha256(repr((self.channels, self.reference_length)).encode())
        for a in (self.dilations, self.weights, self.channel_indices):
            h.update(str(a.dtype).encode() + str(a.shape).encode())
            h.update(np.ascontiguousarray(a).tobytes())
        return replace(self, digest=h.hexdigest())


@register_block
@dataclass(frozen=True, eq=False)
class Hydra:
    """Hydra's competing-kernel counts of every series of a panel (see the module docstring).

    Parameters
    ----------
    n_groups : int
        Groups of kernels per dilation (64 as the paper), half on the series and half on
        its first difference (all on the series when 1); odd counts are rounded down.
    n_kernels : int
        Kernels per group (8 as the paper), at least 2.
    max_num_channels : int
        At most this many channels summed per group of a multivariate panel (8 as aeon).
    reference_length : int or {"max", "mean", "median", "min"}
        Length from which dilations are fitted, or how to take it from the non-empty
        training series; at least 9.
    random_state : int
        Seed of the kernels and channel combinations.
    state : HydraState or None
        The fitted state; set by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np, featurekit as fk
    >>> rng = np.random.default_rng(0)
    >>> train = fk.Panel.from_arrays([rng.normal(size=(n, 2)) for n in (40, 60, 5)])
    >>> hydra = Hydra(n_groups=4, n_kernels=2).fit(train)
    >>> hydra.transform(train).shape, hydra.columns(train.channels)[0]
    ((3, 48), 'c0.c0__hydra__count-max__d-1__g-0__k-0')
    """

    n_groups: int = 64
    n_kernels: int = 8
    max_num_channels: int = 8
    reference_length: int | str = "max"
    random_state: int = 0
    state: HydraState | None = None
    family: ClassVar[str] = "convolution"
    feature: ClassVar[str] = "hydra"

    # ------------------------------------------------------------------ protocol
    @property
    def is_fitted(self) -> bool:
        return self.state is not None

    def _key(self) -> tuple:
        return (
            type(self).__name__,
            self.n_groups,
            self.n_kernels,
            self.max_num_channels,
            self.reference_length,
            self.random_state,
            None if self.state is None else self.state.digest,
        )

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __repr__(self) -> str:
        fitted = "" if self.state is None else f", state=<fitted {self.state.digest[:12]}>"
        return (
            f"Hydra(n_groups={self.n_groups}, n_kernels={self.n_kernels}, max_num_channels="
            f"{self.max_num_channels}, reference_length={self.reference_length!r}, "
            f"random_state={self.random_state}{fitted})"
        )

    def _check_params(self, lengths: np.ndarray) -> int:
        problems = []
        for name, least in (("n_groups", 1), ("n_kernels", 2), ("max_num_channels", 1)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
                problems.append(f"{name} must be an int >= {least}, got {value!r}")
        problems += _reference_problems(self.reference_length)
        if not (lengths > 0).any():
            problems.append("Hydra is fitted on training series and every one is empty")
        raise_problems("Hydra", problems)
        return _reference(self.reference_length, lengths)

    def fit(self, panel: Panel) -> Hydra:
        """A copy fitted on the training ``panel``: only its lengths and channels are read.

        Parameters
        ----------
        panel : Panel
            Training series.

        Returns
        -------
        Hydra

        Raises
        ------
        ValueError
            Invalid parameters, every series empty, or no channel.
        ImportError
            numba is not installed.
        """
        _require_numba()
        lengths = np.asarray(panel.lengths)
        reference = self._check_params(lengths)
        channels = tuple(panel.channels)
        if not channels:
            raise ValueError("Hydra needs at least one channel")
        dilations = hydra_dilations(reference)
        n_rep = min(2, int(self.n_groups))
        h = int(self.n_groups) // n_rep
        k = int(self.n_kernels)
        rng = np.random.default_rng(self.random_state)
        weights = rng.standard_normal((len(dilations), n_rep, h * k, KERNEL_LENGTH))
        weights -= weights.mean(axis=-1, keepdims=True)
        weights /= np.abs(weights).sum(axis=-1, keepdims=True)
        n_channels = len(channels)
        if n_channels == 1:
            indices = np.zeros((len(dilations), n_rep, h, 1), dtype=np.int64)
        else:
            n_per = int(np.clip(n_channels // 2, 2, int(self.max_num_channels)))
            indices = rng.integers(0, n_channels, (len(dilations), n_rep, h, n_per))
            indices = np.sort(indices, axis=-1).astype(np.int64)
        state = HydraState(channels, reference, dilations, weights, indices)
        return replace(self, state=state.with_digest())

    def _fitted(self) -> HydraState:
        if self.state is None:
            raise ValueError(
                "Hydra is not fitted: call .fit(training_panel) first "
                "(or fit the FeatureExtractor holding it)"
            )
        return self.state

    def columns(self, channels: list[str]) -> list[str]:
        """Column names, in output order (grammar in the module docstring).

        Parameters
        ----------
        channels : list of str
            The panel's channels; those seen at :meth:`fit` must be among them.

        Returns
        -------
        list of str

        Raises
        ------
        ValueError
            Not fitted, or channels seen at :meth:`fit` are missing.
        """
        state = self._fitted()
        _check_channels(state, channels, "Hydra")
        n_dil, n_rep, h, _ = state.channel_indices.shape
        k = state.weights.shape[2] // h
        names: list[str] = []
        for j in range(n_dil):
            d = int(state.dilations[j])
            for r in range(n_rep):
                extra = {"r": "diff"} if r == 1 else {}
                parts = []
                for g in range(h):
                    part = ".".join(state.channels[m] for m in state.channel_indices[j, r, g])
                    parts.append(part if len(part) <= _MAX_CHANNEL_PART else "conv")
                for count in COUNTS:
                    for g in range(h):
                        names.extend(
                            feature_name(
                                parts[g],
                                "hydra",
                                {"count": count, "d": d, "g": g, "k": kk, **extra},
                            )
                            for kk in range(k)
                        )
        return names

    def transform(self, panel: Panel) -> np.ndarray:
        """(n_series, n_columns) float64 counts per output (see the module docstring); a row
        of NaN for an empty series, NaN for the difference's columns of a 1-sample series.

        Parameters
        ----------
        panel : Panel
            Holding the channels seen at :meth:`fit` (others are ignored).

        Returns
        -------
        ndarray of shape (n_series, n_columns)

        Raises
        ------
        ValueError
            Not fitted, or channels seen at :meth:`fit` are missing.
        ImportError
            numba is not installed.
        """
        state = self._fitted()
        _require_numba()
        _check_channels(state, panel.channels, "Hydra")
        if list(panel.channels) != list(state.channels):
            panel = panel.select_channels(list(state.channels))
        values, offsets = _as_arrays(panel)
        dvalues, doffsets = _difference(values, offsets)
        h = state.channel_indices.shape[2]
        return _transform(
            values,
            offsets,
            dvalues,
            doffsets,
            np.ascontiguousarray(state.channel_indices),
            np.ascontiguousarray(state.weights),
            state.dilations,
            state.weights.shape[2] // h,
            h,
        )
