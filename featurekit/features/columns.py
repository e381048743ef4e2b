"""``from_columns``: the FeatureSet that extracts exactly a list of columns, e.g. those a
selection kept, so new data pays only for what was kept (tsfresh's ``from_columns``).

Column names are parsed back with :func:`~featurekit.features.registry.parse_feature_name`:
per-channel, per-magnitude-channel, pair and group features of the registry, tsfresh's
columns (``<channel>__tsfresh.<name>...``) and the columns of block families (interval
``quant``, convolution ``ppv``). The set holds one block, :class:`SelectedColumns`, which at
extraction time restricts the panel to the channels the columns need, runs the smallest
registered-feature set covering them there, runs each block family the columns come from
(on the channels they need when the family computes each channel alone, as the interval
quantiles do; whole, then filtered, when it mixes channels, as MiniRocket does), and returns
the columns in the order given.

Block columns depend on a fitted state (the reference length of the intervals, MiniRocket's
dilations and biases): ``from_columns(kept, blocks=extractor)`` carries the fitted blocks of
the set that produced the columns, so new data extracts without refitting; without
``blocks``, each family's default block is used, unfitted, and fitting the set on the same
training series (with the defaults, as the ``interval``, ``rocket``, ``shape`` and ``full``
sets have them) gives back the same columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from featurekit.features.registry import (
    BLOCKS,
    FEATURES,
    FeatureSet,
    feature_name,
    parse_feature_name,
)
from featurekit.validation import raise_problems

if TYPE_CHECKING:
    from featurekit.features.registry import Block
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
    """Block computing exactly ``names`` (in that order) of registered, tsfresh and block
    features.

    Parameters
    ----------
    names : tuple of str
        The columns, in output order.
    magnitude_groups : tuple or None
        ``None`` for automatic x/y/z triples, or ``((name, (channels, ...)), ...)`` as the set
        that produced the columns had it.
    blocks : tuple of Block
        One block per block family the names come from (interval ``quant``, convolution
        ``ppv``), fitted or not; :meth:`fit` fits them.
    """

    names: tuple
    magnitude_groups: tuple | None = None
    blocks: tuple = ()
    family: ClassVar[str] = "selection"
    feature: ClassVar[str] = "selected_columns"

    @property
    def is_fitted(self) -> bool:
        return all(block.is_fitted for block in self.blocks)

    def fit(self, panel: Panel) -> SelectedColumns:
        """A copy whose block families are fitted on ``panel`` (``self`` without any).

        Parameters
        ----------
        panel : Panel
            Training series.

        Returns
        -------
        SelectedColumns
        """
        if not self.blocks:
            return self
        return replace(self, blocks=tuple(block.fit(panel) for block in self.blocks))

    def columns(self, channels: list[str]) -> list[str]:
        """``names``, after checking that ``channels`` (and the fitted blocks) can give them.

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
            Some columns need channels or magnitude groups the panel lacks, or are not
            among the columns of their fitted block.
        """
        self.covering_set(channels)  # unknown channels raise here, before any work
        for block, wanted in self._block_names():
            _block_plan(block, list(channels), wanted)
        return list(self.names)

    def _block_names(self) -> list[tuple[Any, list[str]]]:
        """Each block with the names it gives, in ``names`` order."""
        groups: list[tuple[Any, list[str]]] = [(block, []) for block in self.blocks]
        by_feature: dict[str, int] = {}
        for i, block in enumerate(self.blocks):
            for feature in _column_features(block):
                by_feature.setdefault(feature, i)
        for name in _classify(self.names)[2]:
            groups[by_feature[parse_feature_name(name)[1]]][1].append(name)
        return [(block, wanted) for block, wanted in groups if wanted]

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
        raise_problems("from_columns: cannot extract these columns", problems)
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

        out = np.empty((len(panel), len(self.names)), dtype=np.float64)
        position = {name: i for i, name in enumerate(self.names)}
        covering, channels = self.covering_set(list(panel.channels))
        registered = [name for name, *_ in _classify(self.names)[0]]
        if registered:
            part = panel if channels == list(panel.channels) else panel.select_channels(channels)
            table = compute_features(part, covering)
            out[:, [position[n] for n in registered]] = table[registered].to_numpy(np.float64)
        for block, wanted in self._block_names():
            needed, take = _block_plan(block, list(panel.channels), wanted)
            part = panel if needed == list(panel.channels) else panel.select_channels(needed)
            out[:, [position[n] for n in wanted]] = block.transform(part)[:, take]
        return out


def _block_plan(block: Block, channels: list[str], wanted: list[str]) -> tuple[list[str], list]:
    """The channels ``block`` must read to give ``wanted``, and their positions in its output.

    A block whose columns for each channel alone add up to its columns for all (the interval
    quantiles) reads only the channels the wanted columns name; one that mixes channels
    (MiniRocket's combinations) reads them all.
    """
    everything = block.columns(channels)
    needed, names = channels, everything
    try:
        alone = {c: block.columns([c]) for c in channels}
    except ValueError:  # a block fitted on several channels needs them together
        alone = None
    if alone is not None and [n for c in channels for n in alone[c]] == everything:
        wanted_set = set(wanted)
        needed = [c for c in channels if not wanted_set.isdisjoint(alone[c])]
        names = [n for c in needed for n in alone[c]]
    index = {name: i for i, name in enumerate(names)}
    missing = [name for name in wanted if name not in index]
    if missing:
        raise ValueError(
            f"from_columns: {len(missing)} columns, e.g. {missing[:5]}, are not among the "
            f"{len(everything)} columns of the fitted {type(block).__name__}: it was fitted "
            "with other parameters or on other training series than the set that produced "
            "them; pass that fitted set (or FeatureExtractor) as from_columns(..., blocks=)"
        )
    return needed, [index[name] for name in wanted]


def _given_blocks(blocks: Any) -> tuple:
    """The blocks of a FeatureSet, of a fitted FeatureExtractor (``feature_set_``), or an
    iterable of blocks, nested :class:`SelectedColumns` unpacked."""
    given = getattr(blocks, "feature_set_", blocks)
    given = getattr(given, "blocks", given)
    if not isinstance(given, Iterable) or isinstance(given, (str, Mapping)):
        raise TypeError(
            "from_columns: blocks= must be a FeatureSet, a fitted FeatureExtractor or blocks, "
            f"got {type(blocks).__name__}"
        )
    found: list = []
    for block in given:
        found.extend(block.blocks if isinstance(block, SelectedColumns) else [block])
    return tuple(found)


def from_columns(
    columns: Iterable[str],
    *,
    magnitude_groups: Mapping | Sequence | None = None,
    blocks: Any = None,
) -> FeatureSet:
    """A FeatureSet whose extraction returns exactly ``columns``, in that order.

    Parameters
    ----------
    columns : names from a featurekit feature table (e.g. the columns a selection kept):
        registered per-channel, magnitude-channel, pair and group features, tsfresh's
        columns (``<channel>__tsfresh.<name>...``) and block families' columns (interval
        ``...__quant__...``, convolution ``...__ppv__...``).
    magnitude_groups : as given to the feature set that produced the columns (None: x/y/z
        triples found automatically).
    blocks : where the block families' columns come from: the fitted FeatureSet or
        FeatureExtractor that produced them (or its blocks), so that the set extracts
        without refitting. None: each family's default block, unfitted; fit the set on the
        same training series (``FeatureExtractor(from_columns(kept)).fit(train)``) to get
        the same columns, which holds when they came from the defaults.

    Raises
    ------
    ValueError
        Listing every name that is not a feature column of the registry, of tsfresh or of a
        block family, and block families that ``blocks`` lacks. A fitted block that does
        not give the named columns raises at extraction.

    Returns
    -------
    FeatureSet
        One :class:`SelectedColumns` block; unfitted when it holds unfitted block families.

    Examples
    --------
    >>> import featurekit as fk
    >>> panel = fk.Panel.from_arrays([np.arange(10.0)[:, None] * [1, 2]], channels=["x", "y"])
    >>> fk.extract(panel, from_columns(["y__max", "x__mean"]), cache=False).columns.tolist()
    ['y__max', 'x__mean']
    """
    names = tuple(columns)
    _, problems, block_names = _classify(names)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        problems.append(f"columns {duplicated[:10]} are listed more than once")
    raise_problems("from_columns: not feature columns", problems)
    families = list(dict.fromkeys(parse_feature_name(name)[1] for name in block_names))
    given = {} if blocks is None else _block_by_feature(_given_blocks(blocks))
    lacking = [f for f in families if blocks is not None and f not in given]
    if lacking:
        raise ValueError(
            f"from_columns: columns of block families {lacking} ({block_names[:3]}...), "
            f"but blocks= holds only {sorted(given)}"
        )
    if blocks is not None:
        chosen = tuple(dict.fromkeys(given[f] for f in families))
    else:  # each block class once, its default for the feature names asked of it
        by_class: dict[Any, list[str]] = {}
        for f in families:
            by_class.setdefault(BLOCKS[f], []).append(f)
        chosen = tuple(
            cls.default_for(names) if hasattr(cls, "default_for") else cls()
            for cls, names in by_class.items()
        )
    if magnitude_groups is not None:
        items = (
            magnitude_groups.items()
            if isinstance(magnitude_groups, Mapping)
            else (magnitude_groups)
        )
        magnitude_groups = tuple((str(g), tuple(members)) for g, members in items)
    return FeatureSet(
        blocks=(SelectedColumns(names, magnitude_groups, chosen),), name="from_columns"
    )


def _column_features(block: Any) -> tuple:
    """The feature names of a block's columns: its ``column_features`` (MiniRocket's pooling
    operators) where it has them, else its class's ``feature``."""
    return tuple(getattr(block, "column_features", None) or (type(block).feature,))


def _block_by_feature(blocks: tuple) -> dict:
    """The first block giving each block feature (``quant``, ``ppv``, ``mpv``...)."""
    found: dict = {}
    for block in blocks:
        for feature in _column_features(block):
            found.setdefault(feature, block)
    return found
