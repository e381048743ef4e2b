"""Run a FeatureSet over a Panel: every registered feature, every channel, in one pass each."""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np
import pandas as pd

from featurekit.features import kernels
from featurekit.features.cross import magnitude_columns, resolve_magnitude_groups
from featurekit.features.registry import FEATURES, FeatureSet, feature_name
from featurekit.features.segments import ChannelBlock, Layout, Segments
from featurekit.features.tsfresh_bridge import extract_tsfresh


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
    registered features' first, then each block's."""
    return list(_cached_plan(feature_set, tuple(channels))[1])


def _block_columns(feature_set: FeatureSet, channels: list[str]) -> list[str]:
    return [name for block in feature_set.blocks for name in block.columns(channels)]


def _plan(feature_set: FeatureSet, channels: list[str]) -> list[tuple[str, tuple]]:
    """(column name, (scope, feature, params, operands)) for every output column."""
    plan = []
    for channel in channels:
        for feature, params in feature_set.channel:
            plan.append((feature_name(channel, feature, params),
                         ("channel", feature, dict(params), channel)))
    for a, b in combinations(channels, 2):
        for feature, params in feature_set.pair:
            plan.append((feature_name(a, feature, {**dict(params), "with": b}),
                         ("pair", feature, dict(params), (a, b))))
    for group, members in _groups(feature_set, channels):
        for feature, params in feature_set.group:
            plan.append((feature_name(group, feature, params),
                         ("group", feature, dict(params), members)))
        for feature, params in feature_set.magnitude:
            plan.append((feature_name(group, feature, params),
                         ("channel", feature, dict(params), group)))
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


def compute_features(panel, feature_set: FeatureSet) -> pd.DataFrame:
    """Feature table (index = panel ids) of one panel held in memory.

    Each channel's Segments (and its cached intermediates) lives from its first use to its
    last, so the working set of a chunk stays small and hot in cache. With numba, every kind
    of compiled sum (moments, shape and lag sums, quantiles, spectra) of all input and
    magnitude channels comes from one pass over each series' rows (a ChannelBlock).
    """
    feature_set.check_fitted()
    layout = Layout(panel.offsets, panel.sampling_rate)
    plan, columns, last_use, groups = _cached_plan(feature_set, tuple(panel.channels))
    live: dict[str, Segments] = {}
    block, names = None, list(panel.channels)
    if plan and kernels.enabled():
        # Input and magnitude channels side by side: each compiled pass reads a series' rows
        # once for every channel (see ChannelBlock).
        members = [[names.index(m) for m in groups[g]] for g in groups]
        values = kernels.with_norms(panel.values, members) if members else panel.values
        block, names = ChannelBlock(values, layout), names + list(groups)

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
    out = np.empty((len(panel), len(columns)), dtype=np.float64)
    for step, (_, (scope, feature, params, operands)) in enumerate(plan):
        spec = FEATURES[feature]
        if scope == "channel":
            value = spec.func(segments(operands), **params)
        elif scope == "pair":
            value = spec.func(*(segments(c) for c in operands), **params)
        else:
            value = spec.func([segments(c) for c in operands], **params)
        min_length = spec.min_length_for(params)
        out[:, step] = value if shortest >= min_length else np.where(lengths >= min_length,
                                                                     value, np.nan)
        for name in _operands(scope, operands):
            if last_use[name] == step:
                live.pop(name, None)
    start = len(plan)
    for block in feature_set.blocks:
        values = block.transform(panel)
        out[:, start:start + values.shape[1]] = values
        start += values.shape[1]
    table = pd.DataFrame(out, index=panel.ids, columns=columns, copy=False)
    if feature_set.tsfresh:
        table = pd.concat([table, extract_tsfresh(panel, feature_set.tsfresh)], axis=1)
    return table
