"""Run a FeatureSet over a Panel: every registered feature, every channel, in one pass each."""

from __future__ import annotations

import threading
import warnings
from functools import lru_cache
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from featurekit.features import kernels
from featurekit.features.cross import magnitude_columns, resolve_magnitude_groups
from featurekit.features.registry import FEATURES, FeatureSet, feature_name
from featurekit.features.segments import ChannelBlock, Layout, Segments
from featurekit.features.tsfresh_bridge import extract_tsfresh

if TYPE_CHECKING:
    from featurekit.panel import Panel


def _groups(feature_set: FeatureSet, channels: list[str]) -> tuple:
    if not feature_set.needs_magnitude:
        return ()
    groups = resolve_magnitude_groups(feature_set.magnitude_groups, channels)
    clash = sorted({name for name, _ in groups} & set(channels))
    if clash:
        raise ValueError(f"magnitude channel names {clash} clash with input channels")
    return groups


def feature_columns(feature_set: FeatureSet, channels: list[str]) -> list[str]:
    """Column names a native FeatureSet produces for these channels, in output order: the
    registered features' first, then each block's.

    Parameters
    ----------
    feature_set : FeatureSet
        tsfresh's columns are not listed: they are known only after extraction.
    channels : list of str

    Returns
    -------
    list of str
    """
    return list(_cached_plan(feature_set, tuple(channels))[1])


def _block_columns(feature_set: FeatureSet, channels: list[str]) -> list[str]:
    return [name for block in feature_set.blocks for name in block.columns(channels)]


def _plan(feature_set: FeatureSet, channels: list[str]) -> list[tuple[str, tuple]]:
    """(column name, (scope, feature, params, operands)) for every output column."""
    plan: list[tuple[str, tuple]] = []
    for channel in channels:
        for feature, params in feature_set.channel:
            plan.append(
                (
                    feature_name(channel, feature, params),
                    ("channel", feature, dict(params), channel),
                )
            )
    for a, b in combinations(channels, 2):
        for feature, params in feature_set.pair:
            plan.append(
                (
                    feature_name(a, feature, {**dict(params), "with": b}),
                    ("pair", feature, dict(params), (a, b)),
                )
            )
    for group, members in _groups(feature_set, channels):
        for feature, params in feature_set.group:
            plan.append(
                (feature_name(group, feature, params), ("group", feature, dict(params), members))
            )
        for feature, params in feature_set.magnitude:
            plan.append(
                (feature_name(group, feature, params), ("channel", feature, dict(params), group))
            )
    names = [name for name, _ in plan] + _block_columns(feature_set, channels)
    if len(set(names)) != len(names):
        raise ValueError("the feature set produces duplicate column names")
    return plan


def _operands(scope: str, operands) -> list[str]:
    return [operands] if scope == "channel" else list(operands)


@lru_cache(maxsize=64)
def _cached_plan(feature_set: FeatureSet, channels: tuple) -> tuple[list, pd.Index, dict, dict]:
    """The plan, the column Index (blocks' columns last), the step after which each operand
    is last used, and the magnitude groups."""
    plan = _plan(feature_set, list(channels))
    last_use = {}
    for step, (_, (scope, _, _, operands)) in enumerate(plan):
        for name in _operands(scope, operands):
            last_use[name] = step
    groups = dict(_groups(feature_set, list(channels)))
    columns = pd.Index([name for name, _ in plan] + _block_columns(feature_set, list(channels)))
    return plan, columns, last_use, groups


def _plan_columns(
    panel, plan, last_use, groups, out, extremes: dict | None = None
) -> ChannelBlock | None:
    """Fill ``out[:, :len(plan)]`` with the registered features; return the numba block.

    On the NumPy path, ``extremes`` (if given) collects each input channel's per-series
    (minimum, maximum) where a feature computed them anyway. The block's values live in
    this thread's kept buffer (see :func:`_norms_buffer`) unless a call in progress of this
    thread holds it: they are valid until the next call."""
    held = getattr(_NORMS, "busy", False)
    _NORMS.busy = True
    try:
        return _fill_plan(panel, plan, last_use, groups, out, extremes, reuse=not held)
    finally:
        _NORMS.busy = held


def _fill_plan(panel, plan, last_use, groups, out, extremes, reuse) -> ChannelBlock | None:
    layout = Layout(panel.offsets, panel.sampling_rate)
    live: dict[str, Segments] = {}
    block, names = None, list(panel.channels)
    if kernels.enabled():
        # Input and magnitude channels side by side: each compiled pass reads a series' rows
        # once for every channel (see ChannelBlock).
        members = [[names.index(m) for m in groups[g]] for g in groups]
        values = (
            kernels.with_norms(
                panel.values,
                members,
                _norms_buffer(len(panel.values), names, len(members)) if reuse else None,
            )
            if members
            else panel.values
        )
        block, names = ChannelBlock(values, layout), names + list(groups)
        block.band_edges = _band_edges(plan)  # the spectral pass keeps only these shares

    def segments(name: str) -> Segments:
        if name not in live:
            if block is not None:
                index = names.index(name)
                live[name] = Segments(block.values[:, index], layout, block, index)
            elif name in groups:
                members = [panel.channels.index(m) for m in groups[name]]
                live[name] = Segments(magnitude_columns(panel.values, members), layout)
            else:
                live[name] = Segments(panel.values[:, panel.channels.index(name)], layout)
        return live[name]

    lengths = panel.lengths
    shortest = int(lengths.min()) if len(lengths) else 0
    for step, (_, (scope, feature, params, operands)) in enumerate(plan):
        spec = FEATURES[feature]
        if scope == "channel":
            value = spec.func(segments(operands), **params)
        elif scope == "pair":
            value = spec.func(*(segments(c) for c in operands), **params)
        else:
            value = spec.func([segments(c) for c in operands], **params)
        min_length = spec.min_length_for(params)
        out[:, step] = (
            value if shortest >= min_length else np.where(lengths >= min_length, value, np.nan)
        )
        for name in _operands(scope, operands):
            if last_use[name] == step:
                seg = live.pop(name, None)
                if (
                    extremes is not None
                    and seg is not None
                    and name in panel.channels
                    and ("minimum" in seg.__dict__ and "maximum" in seg.__dict__)
                ):
                    extremes[name] = (seg.minimum, seg.maximum)
    return block


# Per thread, the buffer of the last chunk's input and magnitude channels (with_norms), kept
# for the next chunk: fresh pages for each chunk's ~30 MB cost the kernel as much time as
# the pass that fills them. At most this many bytes are kept.
_NORMS = threading.local()
_NORMS_KEPT_BYTES = 256 * 2**20


def _norms_buffer(n_rows: int, channels: list, n_groups: int) -> np.ndarray | None:
    """A (rows, channels + groups) float64 view of this thread's kept buffer for
    ``kernels.with_norms``; None (a new array) above the size kept."""
    shape = (n_rows, len(channels) + n_groups)
    size = shape[0] * shape[1]
    if size * 8 > _NORMS_KEPT_BYTES:
        return None
    buffer = getattr(_NORMS, "buffer", None)
    if buffer is None or buffer.size < size:
        buffer = _NORMS.buffer = np.empty(size)
    return buffer[:size].reshape(shape)


def _band_edges(plan) -> tuple:
    """Every edge (Hz) of the plan's ``band_power`` columns, ascending."""
    return tuple(
        sorted(
            {
                float(params[edge])
                for _, (_, feature, params, _) in plan
                if feature == "band_power"
                for edge in ("lo", "hi")
            }
        )
    )


# A series channel whose largest |sample| lies outside [2**-200, 2**200] is computed scaled:
# fourth powers of (x - mean) then stay within float64 for any length below 2**100.
_LARGE, _SMALL = 2.0**200, 2.0**-200


def _max_abs(panel, block: ChannelBlock | None, extremes: dict) -> np.ndarray | None:
    """(series, input channels) largest |sample| (0 for empty series); None when no series
    can be extreme (float32 samples never are).

    Free where the features computed the extremes already (the block's moments on the numba
    path, ``min``/``max`` features' on the NumPy path); one reduceat per channel otherwise."""
    n_in = panel.n_channels
    nonempty = panel.lengths > 0
    if block is not None and "moments" in block.__dict__:
        low, high = block.moment("min")[:, :n_in], block.moment("max")[:, :n_in]
    elif panel.values.dtype.itemsize < 8 or not panel.values.size:
        return None
    else:
        starts = panel.offsets[:-1][nonempty]
        low, high = np.zeros((len(panel), n_in)), np.zeros((len(panel), n_in))
        for j, name in enumerate(panel.channels):
            if name in extremes:
                low[:, j], high[:, j] = extremes[name]
            else:
                column = panel.values[:, j]
                low[nonempty, j] = np.minimum.reduceat(column, starts)
                high[nonempty, j] = np.maximum.reduceat(column, starts)
    with np.errstate(invalid="ignore"):
        largest = np.fmax(np.abs(low), np.abs(high))
    return np.where(nonempty[:, None], largest, 0.0)


def _scaled(panel, exponents: np.ndarray):
    """``panel`` with series ``i``, channel ``c`` multiplied by ``2**-exponents[i, c]``."""
    shifts = np.repeat(-exponents, panel.lengths, axis=0)
    return panel.replace(values=np.ldexp(panel.values.astype(np.float64), shifts))


def _rescale_extreme_rows(panel, plan, groups, out, block, extremes: dict) -> None:
    """Recompute, scaled by a power of two, the rows of series whose samples are extreme.

    Each input channel of such a series is divided by ``2**e`` with ``e`` its largest
    |sample|'s binary exponent (exact: only exponent bits change); magnitude channels and
    group features use one exponent per magnitude group (the largest of its members'), in
    a second pass. A feature of degree ``d`` is multiplied back by ``2**(d * e)``: std and
    quantiles come back exactly, shares and correlations are unchanged, and energy (degree 2)
    of samples beyond about 1e154 is inf because float64 cannot hold it. Features of
    unknown degree keep their unscaled values.
    """
    largest = _max_abs(panel, block, extremes)
    if largest is None:
        return
    exponent = np.frexp(np.where(np.isfinite(largest), largest, 0.0))[1]
    extreme = np.isfinite(largest) & ((largest > _LARGE) | ((largest > 0) & (largest < _SMALL)))
    rows = np.flatnonzero(extreme.any(axis=1))
    if not len(rows):
        return
    sub = panel.take(rows)
    own = np.where(extreme[rows], exponent[rows], 0).astype(np.int64)
    shared = own.copy()  # one exponent per connected set of magnitude-group members
    members = [[panel.channels.index(m) for m in groups[g]] for g in groups]
    for _ in range(len(members)):
        for idx in members:
            shared[:, idx] = shared[:, idx].max(axis=1, keepdims=True)
    channel_names = list(panel.channels)
    passes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first pass said what there was to say
        for key, exponents in (("own", own), ("shared", shared)):
            if key == "shared" and not members:
                continue
            values = np.empty((len(sub), out.shape[1]))
            _plan_columns(_scaled(sub, exponents), plan, _last_use(plan), groups, values)
            passes[key] = (values, exponents)
    with np.errstate(over="ignore"):
        for step, (_, (scope, feature, _params, operands)) in enumerate(plan):
            degree = FEATURES[feature].degree
            if degree is None or (scope == "pair" and degree != 0):
                continue  # unknown scaling: keep the unscaled value
            if scope == "channel" and operands in channel_names:
                values, exponents = passes["own"]
                shift = exponents[:, channel_names.index(operands)]
            elif scope == "pair":
                values, shift = passes["own"][0], np.zeros(1, dtype=np.int64)
            else:  # a magnitude channel or a group feature
                values, exponents = passes["shared"]
                group = operands if scope == "channel" else None
                first = groups[group][0] if group is not None else operands[0]
                shift = exponents[:, channel_names.index(first)]
            out[rows, step] = np.ldexp(values[:, step], degree * np.asarray(shift))


def _last_use(plan) -> dict:
    last_use = {}
    for step, (_, (scope, _, _, operands)) in enumerate(plan):
        for name in _operands(scope, operands):
            last_use[name] = step
    return last_use


def compute_features(panel: Panel, feature_set: FeatureSet) -> pd.DataFrame:
    """Feature table (index = panel ids) of one panel held in memory.

    Each channel's Segments (and its cached intermediates) lives from its first use to its
    last, so the working set of a chunk stays small and hot in cache. With numba, every kind
    of compiled sum (moments, shape and lag sums, quantiles, spectra) of all input and
    magnitude channels comes from one pass over each series' rows (a ChannelBlock).

    Series with samples beyond ``2**200`` (about 1e60) in magnitude, or all below
    ``2**-200``, would overflow (or underflow) their squares and fourth powers: their
    registered features are computed again on the series scaled by a power of two per
    channel (exact), then scaled back by each feature's ``degree`` (see
    :func:`_rescale_extreme_rows`).

    Parameters
    ----------
    panel : Panel
        Finite samples (see :func:`featurekit.chunking.check_finite`).
    feature_set : FeatureSet
        Fitted.

    Returns
    -------
    DataFrame
        One row per series, one float64 column per feature.

    Raises
    ------
    ValueError
        The set holds unfitted blocks.
    """
    feature_set.check_fitted()
    plan, columns, last_use, groups = _cached_plan(feature_set, tuple(panel.channels))
    out = np.empty((len(panel), len(columns)), dtype=np.float64)
    if plan:
        # rows whose powers overflow are recomputed scaled below: no warning for them here
        with np.errstate(over="ignore", invalid="ignore"):
            extremes: dict = {}
            channel_block = _plan_columns(panel, plan, last_use, groups, out, extremes)
        _rescale_extreme_rows(panel, plan, groups, out, channel_block, extremes)
    start = len(plan)
    for block in feature_set.blocks:
        values = block.transform(panel)
        out[:, start : start + values.shape[1]] = values
        start += values.shape[1]
    table = pd.DataFrame(out, index=panel.ids, columns=columns, copy=False)
    if feature_set.tsfresh:
        table = pd.concat([table, extract_tsfresh(panel, feature_set.tsfresh)], axis=1)
    return table
