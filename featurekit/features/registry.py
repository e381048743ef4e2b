"""Explicit registry of features and named feature sets, and the column-name grammar.

A feature is a function over :class:`~featurekit.features.segments.Segments` (one channel of
a whole panel) returning one value per series. ``register_feature`` records a frozen
:class:`FeatureSpec`; named sets are builders returning a :class:`FeatureSet`, registered with
``register_feature_set``. Nothing scans a module's namespace.

A *block* family (interval quantiles, convolution PPVs) computes thousands of columns from the
whole panel at once and may be *fitted* on training series (MiniRocket's biases): it is an
object following :class:`Block`, registered with ``register_block`` so that its column names
parse back to its family, and carried by ``FeatureSet.blocks``.

Column names are ``<channel>__<feature>[__<param>-<value>...]`` with parameters sorted and
characters from ``[A-Za-z0-9_.=-]``; :func:`parse_feature_name` turns one back into parts.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from featurekit.conventions import CHANNEL_NAME

if TYPE_CHECKING:
    import numpy as np

    from featurekit.panel import Panel

NAME_CHARS = CHANNEL_NAME  # one rule for every part of a column name (conventions)
SCOPES = ("channel", "pair", "group")


@dataclass(frozen=True)
class FeatureSpec:
    """What one registered feature computes.

    Parameters
    ----------
    name : feature name used in columns.
    func : ``func(segments, **params) -> ndarray (n_series,)``; for scope ``"pair"`` it takes two
        Segments, for ``"group"`` a list of Segments.
    family : ``"stats"``, ``"spectral"`` or ``"cross"``; presets are queries on it.
    grid : default parameter dicts, one column each.
    min_length : shortest series with a defined value (shorter ones give NaN); an int or a
        function of the parameters.
    scope : ``"channel"`` (per channel), ``"pair"`` (per channel pair) or ``"group"`` (per
        magnitude group).
    cost : 0 for features made only of ``kernels`` sums (one compiled pass with numba, a few
        NumPy passes without), 1 for a few vectorized passes over the samples, 2 for
        features that build padded matrices (sorts, FFTs); extraction sizes its chunks by
        the largest cost in a set.
    degree : how the feature scales with its input: multiplying a series by ``s`` multiplies
        the value by ``s ** degree`` (0 for shares, correlations, counts; 1 for locations and
        spreads; 2 for energy). Series with samples beyond about 1e60 (or all below 1e-60
        in magnitude) are computed scaled by a power of two so that their moments stay
        finite, then scaled back with it; None (unknown) keeps the unscaled value.
    """

    name: str
    func: Callable
    family: str
    grid: tuple = ({},)
    min_length: int | Callable[[Mapping], int] = 1
    scope: str = "channel"
    cost: int = 1
    description: str = ""
    degree: int | None = None

    def min_length_for(self, params: Mapping) -> int:
        """Shortest series length with a defined value for these parameters.

        Parameters
        ----------
        params : dict
            One parameter dict of the grid.

        Returns
        -------
        int
        """
        return self.min_length(params) if callable(self.min_length) else self.min_length


FEATURES: dict[str, FeatureSpec] = {}
FEATURE_SETS: dict[str, Callable[..., FeatureSet]] = {}
# Block feature name (the ``<feature>`` part of its columns) -> its Block class.
BLOCKS: dict[str, Any] = {}


@runtime_checkable
class Block(Protocol):
    """A family computed over a whole panel as one matrix, possibly fitted on training data.

    Implementations are frozen, hashable dataclasses (the hash keys caches); ``fit`` returns a
    fitted copy and never changes ``self``; ``transform`` of one series never depends on the
    other series of the panel.

    Parameters
    ----------
    **fields
        Each implementation's own dataclass fields (kernel counts, interval counts, seed...).
    """

    family: ClassVar[str]
    feature: ClassVar[str]

    @property
    def is_fitted(self) -> bool: ...

    def fit(self, panel: Panel) -> Block:
        """A fitted copy (``self`` is left unchanged).

        Parameters
        ----------
        panel : Panel
            Training series.

        Returns
        -------
        Block
        """
        ...

    def columns(self, channels: list[str]) -> list[str]:
        """Column names the block gives for these input channels.

        Parameters
        ----------
        channels : list of str

        Returns
        -------
        list of str
        """
        ...

    def transform(self, panel: Panel) -> np.ndarray:
        """Feature matrix of ``panel``, one row per series, columns as :meth:`columns`.

        Parameters
        ----------
        panel : Panel

        Returns
        -------
        ndarray of shape (n_series, n_columns)
        """
        ...


def _check_new_feature_name(name: str) -> None:
    """Refuse a feature name that is taken or cannot be part of a column name."""
    if name in FEATURES or name in BLOCKS:
        raise ValueError(f"feature {name!r} is already registered")
    if not NAME_CHARS.match(name) or "__" in name:
        raise ValueError(f"feature name {name!r} must use [A-Za-z0-9_.=-] and no '__'")


def register_block(cls: Any) -> Any:
    """Class decorator recording a :class:`Block` under its ``feature`` name, and under the
    names of its class attribute ``features`` when it has one (every feature name its columns
    may carry, e.g. MiniRocket's pooling operators).

    Parameters
    ----------
    cls : type
        A :class:`Block` class with ``family`` and ``feature`` class attributes.

    Returns
    -------
    type
        ``cls``, unchanged.

    Raises
    ------
    ValueError
        The name is taken or not a valid column-name part.
    """
    names = list(dict.fromkeys([cls.feature, *getattr(cls, "features", ())]))
    for name in names:
        _check_new_feature_name(name)
    for name in names:
        BLOCKS[name] = cls
    return cls


def feature_family(column: str) -> str | None:
    """Family of a featurekit column (``"stats"``, ``"interval"``, ...), None if unknown.

    tsfresh's columns (``<channel>__tsfresh.<name>``) are family ``"tsfresh"``.

    Parameters
    ----------
    column : str
        A feature column name.

    Returns
    -------
    str or None

    Examples
    --------
    >>> feature_family("ax__mean")
    'stats'
    """
    try:
        feature = parse_feature_name(column)[1]
    except ValueError:
        return None
    if feature in FEATURES:
        return FEATURES[feature].family
    if feature in BLOCKS:
        return BLOCKS[feature].family
    return "tsfresh" if feature.startswith("tsfresh.") else None


def register_feature(
    name: str,
    *,
    family: str,
    grid: Iterable[Mapping] = ({},),
    min_length: int | Callable[[Mapping], int] = 1,
    scope: str = "channel",
    cost: int = 1,
    degree: int | None = None,
) -> Callable[[Callable], Callable]:
    """Decorator recording a feature function under ``name``; names must be unique.

    Parameters
    ----------
    name : str
        Feature name used in columns, from ``[A-Za-z0-9_.=-]`` without ``__``.
    family, grid, min_length, scope, cost, degree
        As the fields of :class:`FeatureSpec`. The first line of the function's docstring
        becomes its description.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ValueError
        The name is taken or invalid, or ``scope`` is unknown.
    """
    _check_new_feature_name(name)
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")

    def decorate(func):
        FEATURES[name] = FeatureSpec(
            name=name,
            func=func,
            family=family,
            grid=tuple(dict(p) for p in grid),
            min_length=min_length,
            scope=scope,
            cost=cost,
            degree=degree,
            description=(func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else "",
        )
        return func

    return decorate


def _call(name: str, params: Mapping | None = None) -> tuple:
    """A hashable (name, sorted params) pair."""
    return (name, tuple(sorted((params or {}).items())))


def family_members(family: str) -> tuple[str, ...]:
    """Names of the per-channel features registered with ``family``, in registration order.

    Presets are queries on this metadata (as tsfresh derives its presets from function
    flags): a feature registered with ``family="stats"`` joins ``stats`` and ``default``.

    Parameters
    ----------
    family : str

    Returns
    -------
    tuple of str
    """
    return tuple(
        name for name, spec in FEATURES.items() if spec.family == family and spec.scope == "channel"
    )


def calls(names: Iterable[str], **grids: Iterable[Mapping]) -> tuple:
    """Expand feature names with their default grids (or ``grids[name]`` when given).

    Parameters
    ----------
    names : iterable of str
        Registered feature names.
    **grids
        Parameter dicts replacing a feature's default grid, by feature name.

    Returns
    -------
    tuple
        Hashable ``(name, sorted params)`` calls, one per column.

    Raises
    ------
    KeyError
        An unregistered name.
    """
    out = []
    for name in names:
        spec = FEATURES[name]
        for params in grids.get(name, spec.grid):
            out.append(_call(name, params))
    return tuple(out)


@dataclass(frozen=True)
class FeatureSet:
    """A resolved, hashable feature configuration.

    ``channel`` calls run on every input channel, ``magnitude`` calls on every magnitude
    channel (see ``magnitude_groups``), ``pair`` calls on every pair of input channels and
    ``group`` calls on every magnitude group. ``magnitude_groups`` is ``None`` for automatic
    x/y/z triples or a tuple of ``(name, (channels...))``. ``tsfresh`` holds tsfresh settings
    (a profile name, or a ``{feature: [params]}`` dict frozen to a JSON string). ``blocks`` holds
    :class:`Block` families; a set with an unfitted block must be fitted (:meth:`fit`, or
    ``FeatureExtractor.fit``) on training series before it extracts.

    Parameters
    ----------
    channel, magnitude, pair, group : tuple
        Calls as built by :func:`calls`.
    magnitude_groups : tuple or None
    tsfresh : tuple, str or None
    blocks : tuple of Block
    name : str, default "custom"
        For messages; not compared. Sets combine with ``+``.
    """

    channel: tuple = ()
    magnitude: tuple = ()
    pair: tuple = ()
    group: tuple = ()
    magnitude_groups: tuple | None = None
    tsfresh: str | None = None
    blocks: tuple = ()
    name: str = field(default="custom", compare=False)

    def __add__(self, other: FeatureSet) -> FeatureSet:
        def merge(a, b):
            return a + tuple(c for c in b if c not in a)

        if self.tsfresh and other.tsfresh and self.tsfresh != other.tsfresh:
            raise ValueError("cannot combine two different tsfresh settings in one set")
        groups = (
            self.magnitude_groups if self.magnitude_groups is not None else (other.magnitude_groups)
        )
        return FeatureSet(
            channel=merge(self.channel, other.channel),
            magnitude=merge(self.magnitude, other.magnitude),
            pair=merge(self.pair, other.pair),
            group=merge(self.group, other.group),
            magnitude_groups=groups,
            tsfresh=self.tsfresh or other.tsfresh,
            blocks=merge(self.blocks, other.blocks),
            name=f"{self.name}+{other.name}",
        )

    @property
    def is_fitted(self) -> bool:
        """False while a block of the set still needs :meth:`fit`."""
        return all(block.is_fitted for block in self.blocks)

    def fit(self, panel: Panel) -> FeatureSet:
        """A copy whose blocks are fitted on ``panel`` (training series only: the fitted state
        of a convolution block comes from their values).

        Parameters
        ----------
        panel : Panel
            Training series.

        Returns
        -------
        FeatureSet
            ``self`` when the set has no blocks.
        """
        if not self.blocks:
            return self
        return replace(self, blocks=tuple(block.fit(panel) for block in self.blocks))

    def check_fitted(self) -> None:
        """Refuse to extract with unfitted blocks, naming them and the fix."""
        unfitted = [type(block).__name__ for block in self.blocks if not block.is_fitted]
        if unfitted:
            raise ValueError(
                f"feature set {self.name!r} holds families fitted on training series "
                f"({', '.join(unfitted)}): fit it first, with "
                "featurekit.FeatureExtractor(features).fit(train_panel) and then "
                ".transform(panel), or get_feature_set(features).fit(train_panel)"
            )

    @property
    def needs_magnitude(self) -> bool:
        return bool(self.magnitude or self.group)

    @property
    def cost(self) -> int:
        """Largest cost of the set's features (2 if tsfresh runs)."""
        calls = self.channel + self.magnitude + self.pair + self.group
        heavy = 2 if self.tsfresh or self.blocks else 0
        return max([FEATURES[name].cost for name, _ in calls] + [heavy])


def register_feature_set(name: str) -> Callable[[Callable], Callable]:
    """Decorator recording a builder ``(**options) -> FeatureSet`` under ``name``.

    Parameters
    ----------
    name : str
        The set's name, as given to :func:`get_feature_set`.

    Returns
    -------
    callable
        The decorator; it returns the builder unchanged.

    Raises
    ------
    ValueError
        The name is taken.
    """
    if name in FEATURE_SETS:
        raise ValueError(f"feature set {name!r} is already registered")

    def decorate(builder):
        FEATURE_SETS[name] = builder
        return builder

    return decorate


def get_feature_set(features: str | FeatureSet | Iterable[str], **options: Any) -> FeatureSet:
    """Resolve a set name (``"default"``), a list of set names, or a FeatureSet.

    Parameters
    ----------
    features : str, iterable of str or FeatureSet
        Several names are combined with ``+``; a FeatureSet is returned as is.
    **options
        E.g. ``bands=[(0, 1), (1, 3)]`` or ``magnitude_groups={"acc": ["x", "y", "z"]}``:
        they go to the builders that accept them.

    Returns
    -------
    FeatureSet

    Raises
    ------
    ValueError
        Unknown set names, an option no builder accepts, or options with a FeatureSet.
    TypeError
        ``features`` is none of the accepted types.
    """
    if isinstance(features, FeatureSet):
        if options:
            raise ValueError(f"options {sorted(options)} cannot modify an explicit FeatureSet")
        return features
    allowed = f"a set name ({', '.join(sorted(FEATURE_SETS))}), a list of them or a FeatureSet"
    if isinstance(features, str):
        names = [features]
    elif isinstance(features, Iterable) and not isinstance(features, Mapping):
        names = list(features)
        if not all(isinstance(n, str) for n in names):
            raise TypeError(f"features must be {allowed}, got {features!r:.80}")
    else:
        raise TypeError(f"features must be {allowed}, got {features!r:.80}")
    unknown = [n for n in names if n not in FEATURE_SETS]
    if unknown or not names:
        raise ValueError(f"unknown feature sets {unknown}; known: {sorted(FEATURE_SETS)}")
    used: set[str] = set()
    built = []
    for name in names:
        accepted = inspect.signature(FEATURE_SETS[name]).parameters
        kwargs = {k: v for k, v in options.items() if k in accepted}
        used.update(kwargs)
        built.append(FeatureSet(**{**FEATURE_SETS[name](**kwargs).__dict__, "name": name}))
    if set(options) - used:
        raise ValueError(f"options {sorted(set(options) - used)} are not used by {names}")
    result = built[0]
    for more in built[1:]:
        result = result + more
    return result


def list_feature_sets() -> list[str]:
    """Names of the registered feature sets, sorted.

    Returns
    -------
    list of str
    """
    return sorted(FEATURE_SETS)


# ---------------------------------------------------------------------- names
def _format_value(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if not NAME_CHARS.match(text) or "__" in text:
        raise ValueError(f"parameter value {value!r} cannot appear in a column name")
    return text


def feature_name(channel: str, feature: str, params: Mapping | Iterable = ()) -> str:
    """``<channel>__<feature>[__<param>-<value>...]`` with params sorted by name.

    Parameters
    ----------
    channel, feature : str
    params : dict or iterable of (name, value) pairs

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A parameter value with characters a column name cannot hold.
    """
    items = sorted(dict(params).items())
    parts = [channel, feature] + [f"{k}-{_format_value(v)}" for k, v in items]
    return "__".join(parts)


def _parse_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_feature_name(name: str) -> tuple[str, str, dict]:
    """Split a column name into ``(channel, feature, params)``.

    Parameters
    ----------
    name : str
        A column name; parameter values are read back as int, float or str.

    Returns
    -------
    tuple of (str, str, dict)

    Raises
    ------
    ValueError
        ``name`` does not follow the grammar.

    Examples
    --------
    >>> parse_feature_name("x__quantile__q-0.05")
    ('x', 'quantile', {'q': 0.05})
    """
    parts = name.split("__")
    if len(parts) < 2 or not all(parts):
        raise ValueError(f"{name!r} is not a feature column name (<channel>__<feature>[...])")
    params = {}
    for part in parts[2:]:
        key, sep, value = part.partition("-")
        if not sep or not key:
            raise ValueError(f"parameter {part!r} in {name!r} is not <param>-<value>")
        params[key] = _parse_value(value)
    return parts[0], parts[1], params
