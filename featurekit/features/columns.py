"""``from_columns``: the FeatureSet that extracts exactly a list of columns, e.g. those a
selection kept, so new data pays only for what was kept (tsfresh's ``from_columns``).

Column names are parsed back with :func:`~featurekit.features.registry.parse_feature_name`:
per-channel, per-magnitude-channel, pair and group features of the registry, and tsfresh's
columns (``<channel>__tsfresh.<name>...``). The set holds one block,
:class:`SelectedColumns`, which at extraction time restricts the panel to the channels the
columns need, runs the smallest registered-feature set covering them there, and returns
the columns in the order given. Block families (interval ``quant``, convolution ``ppv``) are
not supported yet: their columns raise ``NotImplementedError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from featurekit.features.registry import (
    BLOCKS,
    FEATURES,
    FeatureSet,
    feature_name,
    parse_feature_name,
)

if TYPE_CHECKING:
    from featurekit.panel import Panel

_TSFRESH = "tsfresh."


def _call(feature: str, params: dict) -> tuple:
    """``(feature, sorted params)`` with the registered grid's own values where one matches
    the name (``lo-0`` parses as int 0, the grid holds 0.0)."""
    spec = FEATURES[feature]
    wanted = feature_name("c", feature, params)
    for grid_params in spec.grid:
        if feature_name("c", feature, grid_params) == wanted:
            params = dict(grid_params)
            break
    return (feature, tuple(sorted(params.items())))


def _classify(names: Sequence[str]) -> tuple[list, list, list]:
    """Parsed columns, and the problems and block-family columns among them."""
    parsed, problems, blocks = [], [], []
    for name in names:
        try:
            channel, feature, params = parse_feature_name(name)
        except ValueError as error:
            problems.append(str(error))
            continue
        if feature in BLOCKS:
            blocks.append(name)
        elif feature in FEATURES or feature.startswith(_TSFRESH):
            parsed.append((name, channel, feature, params))
        else:
            problems.append(f"{name!r}: no registered feature {feature!r}")
    return parsed, problems, blocks


@dataclass(frozen=True)
class SelectedColumns:
    """Block computing exactly ``names`` (in that order) of registered or tsfresh features.

    Parameters
    ----------
    names : tuple of str
        The columns, in output order.
    magnitude_groups : tuple or None
        ``None`` for automatic x/y/z triples, or ``((name, (channels, ...)), ...)`` as the set
        that produced the columns had it.
    """

    names: tuple
    magnitude_groups: tuple | None = None
    family: ClassVar[str] = "selection"
    feature: ClassVar[str] = "selected_columns"

    @property
    def is_fitted(self) -> bool:
        return True

    def fit(self, panel: Panel) -> SelectedColumns:
        """Nothing to fit: ``self``.

        Parameters
        ----------
        panel : Panel
            Ignored.

        Returns
        -------
        SelectedColumns
        """
        return self

    def columns(self, channels: list[str]) -> list[str]:
        """``names``, after checking that ``channels`` can give them.

        Parameters
        ----------
        channels : list of str
            Input channels of the panel.

        Returns
        -------
        list of str

        Raises
        ------
        ValueError
            Some columns need channels or magnitude groups the panel lacks.
        """
        self.covering_set(channels)  # unknown channels raise here, before any work
        return list(self.names)

    def covering_set(self, channels: Sequence[str]) -> tuple[FeatureSet, list[str]]:
        """The registered-feature set covering ``names`` and the input channels it needs.

        Parameters
        ----------
        channels : sequence of str
            Input channels of the panel.

        Returns
        -------
        covering : FeatureSet
        needed : list of str
            The channels the set reads, in panel order.

        Raises
        ------
        ValueError
            Listing every column whose channels or magnitude groups are missing.
        """
        from featurekit.features.cross import resolve_magnitude_groups
        from featurekit.features.tsfresh_bridge import freeze_settings, tsfresh_settings

        groups = dict(resolve_magnitude_groups(self.magnitude_groups, channels))
        calls: dict[str, list] = {"channel": [], "magnitude": [], "pair": [], "group": []}
        needed_channels, needed_groups, tsfresh_columns, problems = set(), set(), [], []
        for name, channel, feature, params in _classify(self.names)[0]:
            if feature.startswith(_TSFRESH):
                tsfresh_columns.append(name)
                operands, scope = [channel], "tsfresh"
            elif FEATURES[feature].scope == "pair":
                other = str(params.pop("with", ""))
                operands, scope = [channel, other], "pair"
            elif FEATURES[feature].scope == "group":
                operands, scope = [], "group"
                needed_groups.add(channel)
            elif channel in channels:
                operands, scope = [channel], "channel"
            else:
                operands, scope = [], "magnitude"
                needed_groups.add(channel)
            unknown = [c for c in operands if c not in channels]
            if scope in ("group", "magnitude") and channel not in groups:
                unknown.append(channel)
            if unknown:
                problems.append(
                    f"{name!r} needs channels {unknown}, not among the panel's "
                    f"channels {list(channels)} or magnitude groups {list(groups)}"
                )
                continue
            needed_channels.update(operands)
            if scope != "tsfresh":
                call = _call(feature, params)
                if call not in calls[scope]:
                    calls[scope].append(call)
        if problems:
            raise ValueError(
                "from_columns: cannot extract these columns:\n  - " + "\n  - ".join(problems)
            )
        for group in needed_groups:
            needed_channels.update(groups[group])
        settings = tsfresh_settings(tsfresh_columns, merge_kinds=True) if tsfresh_columns else None
        covering = FeatureSet(
            channel=tuple(calls["channel"]),
            magnitude=tuple(calls["magnitude"]),
            pair=tuple(calls["pair"]),
            group=tuple(calls["group"]),
            magnitude_groups=tuple((g, tuple(groups[g])) for g in groups if g in needed_groups),
            tsfresh=None if settings is None else freeze_settings(settings),
            name="covering",
        )
        return covering, [c for c in channels if c in needed_channels]

    def transform(self, panel: Panel) -> np.ndarray:
        """The columns ``names`` of ``panel``, computed by the covering set.

        Parameters
        ----------
        panel : Panel

        Returns
        -------
        ndarray of shape (n_series, len(names))
        """
        from featurekit.features.compute import compute_features

        covering, channels = self.covering_set(list(panel.channels))
        if channels != list(panel.channels):
            panel = panel.select_channels(channels)
        table = compute_features(panel, covering)
        return table[list(self.names)].to_numpy(dtype=np.float64)


def from_columns(
    columns: Iterable[str], *, magnitude_groups: Mapping | Sequence | None = None
) -> FeatureSet:
    """A FeatureSet whose extraction returns exactly ``columns``, in that order.

    Parameters
    ----------
    columns : names from a featurekit feature table (e.g. the columns a selection kept):
        registered per-channel, magnitude-channel, pair and group features, and tsfresh's
        columns (``<channel>__tsfresh.<name>...``).
    magnitude_groups : as given to the feature set that produced the columns (None: x/y/z
        triples found automatically).

    Raises
    ------
    ValueError
        Listing every name that is not a feature column of the registry or of tsfresh.
    NotImplementedError
        For columns of block families (interval ``quant``, convolution ``ppv``).

    Returns
    -------
    FeatureSet
        One :class:`SelectedColumns` block.

    Examples
    --------
    >>> import featurekit as fk
    >>> panel = fk.Panel.from_arrays([np.arange(10.0)[:, None] * [1, 2]], channels=["x", "y"])
    >>> fk.extract(panel, from_columns(["y__max", "x__mean"]), cache=False).columns.tolist()
    ['y__max', 'x__mean']
    """
    names = tuple(columns)
    _, problems, blocks = _classify(names)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        problems.append(f"columns {duplicated[:10]} are listed more than once")
    if problems:
        raise ValueError("from_columns: not feature columns:\n  - " + "\n  - ".join(problems))
    if blocks:
        raise NotImplementedError(
            f"from_columns does not rebuild block families yet (interval, convolution): "
            f"{blocks[:10]}{' and more' if len(blocks) > 10 else ''}; extract their family "
            "and select the columns from its table"
        )
    if magnitude_groups is not None:
        items = (
            magnitude_groups.items()
            if isinstance(magnitude_groups, Mapping)
            else (magnitude_groups)
        )
        magnitude_groups = tuple((str(g), tuple(members)) for g, members in items)
    return FeatureSet(blocks=(SelectedColumns(names, magnitude_groups),), name="from_columns")
