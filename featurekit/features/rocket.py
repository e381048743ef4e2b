"""MiniRocket (Dempster, Schmidt & Webb, KDD 2021) over ragged multivariate panels.

The 84 fixed kernels of length 9 (weight -1 everywhere, 2 at three of the nine taps),
dilations fitted from a reference length of the training series, alternating padding, and
one PPV feature (share of outputs above a bias) per (kernel, dilation, bias). Biases are
quantiles of the convolution output of a randomly chosen *training* series, one per
(dilation, kernel) combination; transform never looks back at them. Multivariate panels get
the paper's random channel combinations: each (dilation, kernel) convolves the sum of 1 to 9
channels.

Ragged series (the rule of the authors' ``minirocket_multivariate_variable.py``): every series
is convolved at its own length ``n``, zero-padded beyond its ends, which gives one output per
sample and is defined for any ``n >= 1``; no resampling and no truncation. The *padded*
half of the features is the share over those ``n`` outputs. The *unpadded* half (MiniRocket's
alternating padding) is the share over the outputs whose kernel lies wholly inside the series,
``t in [4d, n - 4d)``; where a series is too short for any such output (``n <= 8d``) it falls
back to the padded share, which is what the variable-length variant computes for every
feature. An empty series gives NaN. (sktime's ``MiniRocketMultivariateVariable`` instead
refuses series shorter than 9 or pads them to 9 with a constant.)

The reference length defaults to the longest training series (as the variable-length
variant), at least 9; bias series are drawn uniformly among the non-empty training series.

Compiled with numba only: there is no NumPy fallback, and fitting or transforming without
numba raises an ``ImportError`` asking for ``pip install "featurekit[fast]"``
(``FEATUREKIT_NUMBA=0`` does not apply here). Convolution outputs and biases are float64
(float32 inputs are read as they are): exact enough that float32 cancellation on series far
from zero never blurs a PPV count.

Pooling (MultiRocket: Tan, Dau, Herrmann, Webb & Petitjean, DMKD 2022): ``pooling`` chooses
the operators applied to each (kernel, dilation, bias), over the same outputs as PPV (the
padded or unpadded ones above), in the same pass. With the ``m`` outputs ``z_t`` of that
half, ``t = 0..m-1``, and ``P = {t : z_t > bias}``:

- ``ppv``: share of positive outputs, ``|P| / m`` (the default, MiniRocket's only feature);
- ``mpv``: mean of ``z_t - bias`` over ``P``, 0 where ``P`` is empty (as the paper's code);
- ``mipv``: mean of ``t`` over ``P`` divided by ``m`` (a fraction in ``[0, 1)``, comparable
  across ragged lengths), -1 where ``P`` is empty (the paper's rule);
- ``lspv``: longest run of consecutive positive outputs divided by ``m`` (0 where none).

The paper's MIPV and LSPV are in samples, on equal-length series; its code also adds the
bias in MPV and measures LSPV between outputs *below* the bias: the definitions of its text
are used here. ``n_features`` counts every column: each operator gets
``n_features // len(pooling)`` (kernel, dilation, bias) triples, rounded down to a multiple of
84, and the columns are operator-major (all ``ppv``, then all ``mpv``...), each operator's
block in the order of the PPV-only columns.

``diff=True`` adds MultiRocket's second representation, the first difference of each series
(``n - 1`` samples, computed in float64): half of ``n_features`` goes to each representation,
the difference with its own dilations, channel combinations (seed ``random_state + 1``) and
biases, fitted on the differenced training series exactly as on the series. Its columns
follow those of the series, named alike with a parameter ``r-diff``; a series of one sample
has no difference and gets NaN there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import ClassVar

import numpy as np

from featurekit.features.registry import feature_name, register_block
from featurekit.panel import Panel, describe_ids
from featurekit.validation import raise_problems

try:
    import numba
except ImportError:  # the ``fast`` extra is not installed
    numba = None

N_KERNELS = 84
# Taps with weight 2 of each kernel, in the paper's order (combinations of 3 out of 9).
KERNEL_TAPS = np.array(list(combinations(range(9), 3)), dtype=np.int64)
_REFERENCE_MODES = ("max", "mean", "median", "min")
# Pooling operators, in the order of their codes in the compiled pass.
POOLING = ("ppv", "mpv", "mipv", "lspv")
_MAX_CHANNEL_PART = 40  # longer joined channel names become "conv"


def _require_numba() -> None:
    if numba is None:
        raise ImportError('featurekit\'s MiniRocket needs numba: pip install "featurekit[fast]"')


# --------------------------------------------------------------------------- compiled part
def _fill_sum(values, start, length, chans, c0, c1, xp, pad):
    """xp[pad + t] = sum of the channels chans[c0:c1] of sample start + t; zeros after."""
    for t in range(length):
        total = 0.0
        for m in range(c0, c1):
            total += values[start + t, chans[m]]
        xp[pad + t] = total
    for t in range(pad + length, min(len(xp), 2 * pad + length)):
        xp[t] = 0.0


def _sum9(xp, pad, length, d, s9):
    """s9[t] = sum of the nine taps x[t + (m - 4) d], m = 0..8 (zero beyond the series)."""
    # Slices first: an index known to be >= 0 lets LLVM vectorize (no wraparound check).
    x0, x1 = xp[pad - 4 * d :], xp[pad - 3 * d :]
    x2, x3 = xp[pad - 2 * d :], xp[pad - d :]
    x4, x5 = xp[pad:], xp[pad + d :]
    x6, x7, x8 = xp[pad + 2 * d :], xp[pad + 3 * d :], xp[pad + 4 * d :]
    for t in range(length):
        s9[t] = ((x0[t] + x1[t]) + (x2[t] + x3[t])) + ((x4[t] + x5[t]) + (x6[t] + x7[t])) + x8[t]


def _convolve(xp, pad, length, d, taps, s9, out):
    """Output of a kernel: -1 on all nine taps, +3 more on its three ``taps``."""
    a = xp[pad + (taps[0] - 4) * d :]
    b = xp[pad + (taps[1] - 4) * d :]
    c = xp[pad + (taps[2] - 4) * d :]
    for t in range(length):
        out[t] = 3.0 * (a[t] + b[t] + c[t]) - s9[t]


def _ppv(out, lo, hi, biases, f0, f1, row):
    """row[f] = share of out[lo:hi] above biases[f], for f in [f0, f1)."""
    segment = out[lo:hi]
    n = len(segment)
    for f in range(f0, f1):
        b = biases[f]
        count = 0
        for t in range(n):
            count += segment[t] > b
        row[f] = count / n


def _pool(out, lo, hi, biases, f0, f1, ops, n_biases, row):
    """row[o * n_biases + f] = operator ops[o] (a position in ``POOLING``) of out[lo:hi] and
    biases[f], for f in [f0, f1)."""
    segment = out[lo:hi]
    n = len(segment)
    need_total, need_index, need_run = False, False, False
    for o in range(len(ops)):
        need_total |= ops[o] == 1
        need_index |= ops[o] == 2
        need_run |= ops[o] == 3
    for f in range(f0, f1):
        b = biases[f]
        # Branch-free passes (outputs near a bias quantile make branches unpredictable); the
        # sum of the MPV may be reassociated (vectorized), so it is exact to rounding only.
        count = 0
        for t in range(n):
            count += segment[t] > b
        total = 0.0
        if need_total:
            for t in range(n):
                total += max(segment[t] - b, 0.0)
        index_sum = 0
        if need_index:
            for t in range(n):
                index_sum += t * (segment[t] > b)
        longest = 0
        if need_run:
            run = 0
            for t in range(n):
                run = run + 1 if segment[t] > b else 0
                longest = max(longest, run)
        for o in range(len(ops)):
            column = o * n_biases + f
            if ops[o] == 0:
                row[column] = count / n
            elif ops[o] == 1:
                row[column] = total / count if count > 0 else 0.0
            elif ops[o] == 2:
                row[column] = index_sum / count / n if count > 0 else -1.0
            else:
                row[column] = longest / n


def _transform(
    values,
    offsets,
    order,
    combo_subset,
    subset_ptr,
    subset_chans,
    dilations,
    first_feature,
    n_per_dilation,
    biases,
    taps,
    ops,
):
    n_series = len(offsets) - 1
    n_biases = len(biases)
    features = np.full((n_series, len(ops) * n_biases), np.nan)
    ppv_only = len(ops) == 1 and ops[0] == 0
    if n_series == 0:
        return features
    max_length = 0
    for i in range(n_series):
        max_length = max(max_length, offsets[i + 1] - offsets[i])
    pad = 4 * dilations.max()
    xp = np.zeros(max_length + 2 * pad)
    s9 = np.empty(max_length)
    out = np.empty(max_length)
    for i in range(n_series):
        start, length = offsets[i], offsets[i + 1] - offsets[i]
        if length == 0:
            continue
        current_subset = -1
        current_dilation = -1
        for c in order:
            j, k = c // N_KERNELS, c % N_KERNELS
            s = combo_subset[c]
            if s != current_subset:
                _fill_sum(
                    values, start, length, subset_chans, subset_ptr[s], subset_ptr[s + 1], xp, pad
                )
                current_subset, current_dilation = s, -1
            d = dilations[j]
            if j != current_dilation:
                _sum9(xp, pad, length, d, s9)
                current_dilation = j
            _convolve(xp, pad, length, d, taps[k], s9, out)
            lo, hi = 0, length
            if (j + k) % 2 == 1 and length > 8 * d:  # unpadded, where the kernel fits
                lo, hi = 4 * d, length - 4 * d
            f0 = first_feature[c]
            f1 = f0 + n_per_dilation[j]
            if ppv_only:
                _ppv(out, lo, hi, biases, f0, f1, features[i])
            else:
                _pool(out, lo, hi, biases, f0, f1, ops, n_biases, features[i])
    return features


def _fit_biases(
    values,
    offsets,
    examples,
    combo_ptr,
    combo_chans,
    dilations,
    first_feature,
    n_per_dilation,
    quantiles,
    taps,
):
    n_combos = len(examples)
    biases = np.empty(len(quantiles))
    pad = 4 * dilations.max()
    max_length = 0
    for c in range(n_combos):
        e = examples[c]
        max_length = max(max_length, offsets[e + 1] - offsets[e])
    xp = np.zeros(max_length + 2 * pad)
    s9 = np.empty(max_length)
    out = np.empty(max_length)
    for c in range(n_combos):
        j, k = c // N_KERNELS, c % N_KERNELS
        e = examples[c]
        start, length = offsets[e], offsets[e + 1] - offsets[e]
        _fill_sum(values, start, length, combo_chans, combo_ptr[c], combo_ptr[c + 1], xp, pad)
        _sum9(xp, pad, length, dilations[j], s9)
        _convolve(xp, pad, length, dilations[j], taps[k], s9, out)
        f0, f1 = first_feature[c], first_feature[c] + n_per_dilation[j]
        biases[f0:f1] = np.quantile(out[:length], quantiles[f0:f1])
    return biases


if numba is not None:

    def _jit(func):
        try:
            return numba.njit(func, cache=True, nogil=True)  # compiled once per machine
        except RuntimeError:  # no writable cache directory: compile in each process instead
            return numba.njit(func, nogil=True)

    _fill_sum = _jit(_fill_sum)
    _sum9 = _jit(_sum9)
    _convolve = _jit(_convolve)
    _ppv = _jit(_ppv)
    try:  # the MPV sum vectorized: reassociation only (NaN and inf keep their meaning)
        _pool = numba.njit(_pool, cache=True, nogil=True, fastmath={"reassoc"})
    except RuntimeError:
        _pool = numba.njit(_pool, nogil=True, fastmath={"reassoc"})
    _transform = _jit(_transform)
    _fit_biases = _jit(_fit_biases)


# --------------------------------------------------------------------------- fitting
def fit_dilations(
    reference_length: int, n_features: int, max_dilations_per_kernel: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dilations and the number of features (biases) per dilation and kernel, as the paper:
    up to ``max_dilations_per_kernel`` exponentially spaced dilations with ``8 d <=
    reference_length - 1``, the ``n_features // 84`` features per kernel spread over them.

    Parameters
    ----------
    reference_length : int
        At least 9.
    n_features : int
        At least 84.
    max_dilations_per_kernel : int

    Returns
    -------
    dilations : int64 ndarray
    per_dilation : int64 ndarray
        Features per kernel at each dilation (summing to ``n_features // 84``).
    """
    per_kernel = n_features // N_KERNELS
    n_dilations = min(per_kernel, max_dilations_per_kernel)
    multiplier = per_kernel / n_dilations
    max_exponent = np.log2((reference_length - 1) / 8)
    dilations, counts = np.unique(
        np.logspace(0, max_exponent, n_dilations, base=2).astype(np.int64), return_counts=True
    )
    per_dilation = (counts * multiplier).astype(np.int64)
    remainder = per_kernel - per_dilation.sum()
    i = 0
    while remainder > 0:
        per_dilation[i] += 1
        remainder -= 1
        i = (i + 1) % len(per_dilation)
    return dilations, per_dilation


def _quantiles(n: int) -> np.ndarray:
    """The paper's low-discrepancy sequence of quantiles, (i * golden ratio) mod 1."""
    return (np.arange(1, n + 1) * ((np.sqrt(5) + 1) / 2)) % 1


@dataclass(frozen=True, eq=False)
class MiniRocketState:
    """What ``MiniRocket.fit`` learns from the training panel.

    Combination ``c = j * 84 + k`` is dilation ``dilations[j]`` with kernel ``k``; it sums the
    channels ``channel_indices[channel_ptr[c]:channel_ptr[c + 1]]`` (positions in
    ``channels``), its biases are ``biases[first_feature[c]:][:n_per_dilation[j]]`` and were
    taken from training series ``bias_series[c]`` (a position in the training panel).

    Parameters
    ----------
    channels : tuple of str
    reference_length : int
    dilations, n_per_dilation, channel_ptr, channel_indices, bias_series, biases : ndarray
        As described above.
    digest : str, default ""
        SHA-256 of the rest (set by :meth:`with_digest`): keys the hash and equality of the
        MiniRocket holding it, and its cached plan.
    """

    channels: tuple
    reference_length: int
    dilations: np.ndarray
    n_per_dilation: np.ndarray
    channel_ptr: np.ndarray
    channel_indices: np.ndarray
    bias_series: np.ndarray
    biases: np.ndarray
    digest: str = field(default="")

    @property
    def first_feature(self) -> np.ndarray:
        per_combo = np.repeat(self.n_per_dilation, N_KERNELS)
        return np.concatenate([[0], np.cumsum(per_combo)[:-1]]).astype(np.int64)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The fitted arrays, in the order :meth:`with_digest` hashes them.

        Returns
        -------
        tuple of ndarray
        """
        return (
            self.dilations,
            self.n_per_dilation,
            self.channel_ptr,
            self.channel_indices,
            self.bias_series,
            self.biases,
        )

    def with_digest(self) -> MiniRocketState:
        """A copy whose ``digest`` is the SHA-256 of its channels, length and arrays.

        Returns
        -------
        MiniRocketState
        """
        h = hashlib.sha256(repr((self.channels, self.reference_length)).encode())
        for a in self.arrays():
            h.update(str(a.dtype).encode())
            h.update(np.ascontiguousarray(a).tobytes())
        return replace(self, digest=h.hexdigest())

    def plan(self) -> tuple[np.ndarray, ...]:
        """Distinct channel subsets (CSR), each combination's subset, and an order of the
        combinations grouping them by subset, then dilation (to reuse sums in cache).

        Returns
        -------
        tuple of 4 int64 ndarrays
            ``order, combo_subset, subset_ptr, subset_chans``.
        """
        n_combos = len(self.channel_ptr) - 1
        keys = [
            tuple(self.channel_indices[self.channel_ptr[c] : self.channel_ptr[c + 1]])
            for c in range(n_combos)
        ]
        unique = sorted(set(keys), key=lambda s: (len(s), s))
        index = {s: i for i, s in enumerate(unique)}
        combo_subset = np.array([index[s] for s in keys], dtype=np.int64)
        subset_ptr = np.concatenate([[0], np.cumsum([len(s) for s in unique])]).astype(np.int64)
        subset_chans = np.array([ch for s in unique for ch in s], dtype=np.int64)
        order = np.lexsort((np.arange(n_combos) // N_KERNELS, combo_subset)).astype(np.int64)
        return order, combo_subset, subset_ptr, subset_chans


def _as_arrays(panel) -> tuple[np.ndarray, np.ndarray]:
    """float32 or float64 values as they are (sums are float64 either way), others as float64."""
    values = panel.values
    dtype = values.dtype if values.dtype in (np.float32, np.float64) else np.float64
    values = np.ascontiguousarray(values, dtype=dtype)
    return values, np.ascontiguousarray(panel.offsets, dtype=np.int64)


def _reference_problems(reference_length) -> list[str]:
    """What is wrong with a convolution block's ``reference_length`` (MiniRocket, Hydra)."""
    if isinstance(reference_length, str):
        if reference_length not in _REFERENCE_MODES:
            return [
                f"reference_length must be an int or one of {_REFERENCE_MODES}, "
                f"got {reference_length!r}"
            ]
    elif not isinstance(reference_length, (int, np.integer)) or reference_length < 1:
        return [f"reference_length must be a positive int, got {reference_length!r}"]
    return []


def _reference(reference_length, lengths: np.ndarray) -> int:
    """The length dilations are fitted from: the given int, or that statistic of the
    non-empty ``lengths``; at least 9 (one kernel)."""
    if isinstance(reference_length, str):
        reference_length = getattr(np, reference_length)(lengths[lengths > 0])
    return max(9, int(reference_length))


def _difference(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First difference of every series (float64), ``max(n - 1, 0)`` samples each."""
    lengths = np.maximum(np.diff(offsets) - 1, 0)
    new_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = np.arange(new_offsets[-1]) + np.repeat(offsets[:-1] - new_offsets[:-1], lengths)
    diff = values[rows + 1].astype(np.float64) - values[rows]
    return np.ascontiguousarray(diff.reshape(-1, values.shape[1])), new_offsets


@register_block
@dataclass(frozen=True, eq=False)
class MiniRocket:
    """MiniRocket's PPV features of every series of a panel, fitted on training series.

    Parameters
    ----------
    n_features : int
        Number of features, rounded down to a multiple of 84 (at least 84); 9,996 by default.
        With several pooling operators, each gets ``n_features // len(pooling)`` of them,
        rounded down to a multiple of 84 (at least 84).
    max_dilations_per_kernel : int
        At most this many dilations per kernel (32 as the paper).
    reference_length : int or {"max", "mean", "median", "min"}
        Length from which dilations are fitted (largest ``d`` with ``8 d <= length - 1``),
        or how to take it from the non-empty training series; at least 9.
    random_state : int
        Seed of the channel combinations and of the series the biases are taken from.
    pooling : tuple of str
        Pooling operators among ``("ppv", "mpv", "mipv", "lspv")`` (MultiRocket's, see the
        module docstring), each giving its columns in this order; ``("ppv",)`` by default.
    diff : bool
        Also convolve the first difference of each series (MultiRocket's second
        representation; see the module docstring), with half of ``n_features``.
    state : MiniRocketState or None
        The fitted state; set by :meth:`fit`.
    diff_state : MiniRocketState or None
        The fitted state of the difference (with ``diff``); set by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np, featurekit as fk
    >>> rng = np.random.default_rng(0)
    >>> train = fk.Panel.from_arrays([rng.normal(size=(n, 2)) for n in (40, 60, 5)])
    >>> rocket = MiniRocket(n_features=168).fit(train)
    >>> rocket.transform(train).shape, rocket.columns(train.channels)[0]
    ((3, 168), 'c0.c1__ppv__b-0__d-1__k-0')
    """

    n_features: int = 10_000
    max_dilations_per_kernel: int = 32
    reference_length: int | str = "max"
    random_state: int = 0
    state: MiniRocketState | None = None
    pooling: tuple = ("ppv",)
    diff: bool = False
    diff_state: MiniRocketState | None = None
    family: ClassVar[str] = "convolution"
    feature: ClassVar[str] = "ppv"
    features: ClassVar[tuple] = POOLING  # every column feature name the class may give

    # ------------------------------------------------------------------ protocol
    @property
    def is_fitted(self) -> bool:
        return self.state is not None and (not self.diff or self.diff_state is not None)

    @property
    def column_features(self) -> tuple:
        """The feature names of this block's columns: its pooling operators."""
        return tuple(self.pooling)

    @classmethod
    def default_for(cls, features) -> MiniRocket:
        """The default block giving columns of these feature names: PPV only for ``ppv``
        alone, else every pooling operator (``from_columns`` without fitted blocks).

        Parameters
        ----------
        features : iterable of str

        Returns
        -------
        MiniRocket
        """
        return cls() if set(features) <= {"ppv"} else cls(pooling=POOLING)

    def _ops(self) -> np.ndarray:
        pooling = self.pooling
        if (
            not isinstance(pooling, (tuple, list))
            or not pooling
            or not all(isinstance(p, str) and p in POOLING for p in pooling)
            or len(set(pooling)) != len(pooling)
        ):
            raise ValueError(
                f"pooling must be a non-empty tuple of distinct operators among {POOLING}, "
                f"got {pooling!r}"
            )
        return np.array([POOLING.index(p) for p in pooling], dtype=np.int64)

    def _key(self) -> tuple:
        return (
            type(self).__name__,
            self.n_features,
            self.max_dilations_per_kernel,
            self.reference_length,
            self.random_state,
            None if self.state is None else self.state.digest,
            tuple(self.pooling) if isinstance(self.pooling, (tuple, list)) else self.pooling,
            self.diff,
            None if self.diff_state is None else self.diff_state.digest,
        )

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __repr__(self) -> str:
        fitted = "" if self.state is None else f", state=<fitted {self.state.digest[:12]}>"
        pooling = "" if tuple(self.pooling) == ("ppv",) else f", pooling={tuple(self.pooling)!r}"
        pooling += ", diff=True" if self.diff else ""
        return (
            f"MiniRocket(n_features={self.n_features}, max_dilations_per_kernel="
            f"{self.max_dilations_per_kernel}, reference_length={self.reference_length!r}, "
            f"random_state={self.random_state}{pooling}{fitted})"
        )

    def _check_params(self, lengths: np.ndarray) -> int:
        problems = []
        if not isinstance(self.n_features, (int, np.integer)) or self.n_features < 1:
            problems.append(f"n_features must be a positive int, got {self.n_features!r}")
        if (
            not isinstance(self.max_dilations_per_kernel, (int, np.integer))
            or self.max_dilations_per_kernel < 1
        ):
            problems.append(
                "max_dilations_per_kernel must be a positive int, got "
                f"{self.max_dilations_per_kernel!r}"
            )
        problems += _reference_problems(self.reference_length)
        try:
            self._ops()
        except ValueError as error:
            problems.append(str(error))
        if not (lengths > 0).any():
            problems.append("MiniRocket is fitted on training series and every one is empty")
        if not isinstance(self.diff, (bool, np.bool_)):
            problems.append(f"diff must be True or False, got {self.diff!r}")
        elif self.diff and not (lengths > 1).any():
            problems.append("MiniRocket with diff needs a training series of 2 samples or more")
        raise_problems("MiniRocket", problems)
        return _reference(self.reference_length, lengths)

    def fit(self, panel: Panel) -> MiniRocket:
        """A copy fitted on the training ``panel`` (its values choose the biases).

        Parameters
        ----------
        panel : Panel
            Training series with finite values.

        Returns
        -------
        MiniRocket

        Raises
        ------
        ValueError
            Invalid parameters, non-finite values or no channel.
        ImportError
            numba is not installed.
        """
        _require_numba()
        values, offsets = _as_arrays(panel)
        lengths = np.diff(offsets)
        reference = self._check_params(lengths)
        finite = np.isfinite(values).all(axis=1)
        if not finite.all():
            bad = np.unique(np.searchsorted(offsets, np.flatnonzero(~finite), side="right") - 1)
            raise ValueError(
                "MiniRocket's biases come from the training values, which must be "
                f"finite: NaN or inf in series {describe_ids(panel.ids[bad])}"
            )
        if values.shape[1] == 0:
            raise ValueError("MiniRocket needs at least one channel")
        per_operator = int(self.n_features) // (len(self.pooling) * (2 if self.diff else 1))
        n_features = max(N_KERNELS, per_operator // N_KERNELS * N_KERNELS)
        channels = tuple(panel.channels)
        state = self._fit_state(values, offsets, reference, channels, n_features, 0)
        diff_state = None
        if self.diff:
            values, offsets = _difference(values, offsets)
            reference = _reference(self.reference_length, np.diff(offsets))
            diff_state = self._fit_state(values, offsets, reference, channels, n_features, 1)
        return replace(self, state=state, diff_state=diff_state)

    def _fit_state(self, values, offsets, reference, channels, n_features, seed_shift):
        lengths = np.diff(offsets)
        dilations, n_per_dilation = fit_dilations(
            reference, n_features, int(self.max_dilations_per_kernel)
        )
        n_combos = N_KERNELS * len(dilations)
        rng = np.random.default_rng(self.random_state + seed_shift)
        n_channels = values.shape[1]
        most = min(n_channels, 9)
        sizes = (2 ** rng.uniform(0, np.log2(most + 1), n_combos)).astype(np.int64)
        sizes = np.clip(sizes, 1, most)
        channel_indices = np.concatenate(
            [np.sort(rng.choice(n_channels, size, replace=False)) for size in sizes]
        ).astype(np.int64)
        channel_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        nonempty = np.flatnonzero(lengths > 0)
        bias_series = nonempty[rng.integers(0, len(nonempty), n_combos)].astype(np.int64)
        state = MiniRocketState(
            channels=channels,
            reference_length=reference,
            dilations=dilations,
            n_per_dilation=n_per_dilation,
            channel_ptr=channel_ptr,
            channel_indices=channel_indices,
            bias_series=bias_series,
            biases=np.empty(0),
        )
        quantiles = _quantiles(n_features)
        biases = _fit_biases(
            values,
            offsets,
            bias_series,
            channel_ptr,
            channel_indices,
            dilations,
            state.first_feature,
            n_per_dilation,
            quantiles,
            KERNEL_TAPS,
        )
        return replace(state, biases=biases).with_digest()

    def _fitted(self) -> MiniRocketState:
        if not self.is_fitted:
            raise ValueError(
                "MiniRocket is not fitted: call .fit(training_panel) first "
                "(or fit the FeatureExtractor holding it)"
            )
        assert self.state is not None and (self.diff_state is not None or not self.diff)
        return self.state

    def columns(self, channels: list[str]) -> list[str]:
        """``<channels>__ppv__b-<bias>__d-<dilation>__k-<kernel>`` per feature, in output order.

        The channel part is the combination's channel names joined with ``.`` (the channel
        itself for a univariate panel), or ``conv`` when that would exceed 40 characters;
        ``k`` is the kernel (0-83), ``d`` the dilation, ``b`` the bias index of that pair.
        Other pooling operators give the same names with ``mpv``, ``mipv`` or ``lspv`` in
        place of ``ppv``, one block of columns per operator, in ``pooling`` order.

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
        self._ops()
        _check_channels(state, channels)
        names = self._names(state, {})
        if self.diff and self.diff_state is not None:
            names += self._names(self.diff_state, {"r": "diff"})
        return names

    def _names(self, state: MiniRocketState, extra: dict) -> list[str]:
        names: list[str] = []
        for operator in self.pooling:
            for c in range(len(state.channel_ptr) - 1):
                j, k = divmod(c, N_KERNELS)
                members = state.channel_indices[state.channel_ptr[c] : state.channel_ptr[c + 1]]
                part = ".".join(state.channels[m] for m in members)
                part = part if len(part) <= _MAX_CHANNEL_PART else "conv"
                d = int(state.dilations[j])
                names.extend(
                    feature_name(part, operator, {"k": k, "d": d, "b": b, **extra})
                    for b in range(int(state.n_per_dilation[j]))
                )
        return names

    def transform(self, panel: Panel) -> np.ndarray:
        """(n_series, n_features) float64 PPVs (and the other pooling operators' values, in
        the order of :meth:`columns`); a row of NaN for an empty series.

        Values must be finite (``extract`` checks them): a NaN sample counts as not above
        any bias.

        Parameters
        ----------
        panel : Panel
            Holding the channels seen at :meth:`fit` (others are ignored).

        Returns
        -------
        ndarray of shape (n_series, n_features)

        Raises
        ------
        ValueError
            Not fitted, or channels seen at :meth:`fit` are missing.
        """
        state = self._fitted()
        ops = self._ops()
        _require_numba()
        _check_channels(state, panel.channels)
        if list(panel.channels) != list(state.channels):
            panel = panel.select_channels(list(state.channels))
        values, offsets = _as_arrays(panel)
        features = _transform_state(state, values, offsets, ops)
        if not self.diff or self.diff_state is None:
            return features
        values, offsets = _difference(values, offsets)
        return np.hstack([features, _transform_state(self.diff_state, values, offsets, ops)])


def _transform_state(state: MiniRocketState, values, offsets, ops) -> np.ndarray:
    order, combo_subset, subset_ptr, subset_chans = _plan(state)
    return _transform(
        values,
        offsets,
        order,
        combo_subset,
        subset_ptr,
        subset_chans,
        state.dilations,
        state.first_feature,
        state.n_per_dilation,
        state.biases,
        KERNEL_TAPS,
        ops,
    )


_PLANS: dict[str, tuple] = {}


def _plan(state: MiniRocketState) -> tuple:
    if state.digest not in _PLANS:
        if len(_PLANS) > 16:
            _PLANS.clear()
        _PLANS[state.digest] = state.plan()
    return _PLANS[state.digest]


def _check_channels(state, channels, family: str = "MiniRocket") -> None:
    """Refuse a panel lacking channels a fitted convolution block (MiniRocket, Hydra) saw."""
    missing = [c for c in state.channels if c not in list(channels)]
    if missing:
        raise ValueError(
            f"{family} was fitted on channels {list(state.channels)}; "
            f"{missing} are missing from {list(channels)}"
        )
