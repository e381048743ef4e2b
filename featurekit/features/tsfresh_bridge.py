"""Real ``tsfresh.extract_features`` on a Panel, with column names in featurekit's grammar.

tsfresh names columns ``x__quantile__q_0.1``; here they become ``x__tsfresh.quantile__q-0.1``
(the ``tsfresh.`` prefix keeps them apart from native features of the same name; quotes and
characters outside ``[A-Za-z0-9_.=-]`` are dropped: ``f_agg_"mean"`` becomes ``f_agg-mean``,
``widths_(2, 5, 10, 20)`` becomes ``widths-2_5_10_20``). :func:`to_tsfresh_name` turns a
column back into tsfresh's own name, so ``tsfresh.feature_extraction.settings.from_columns``
rebuilds the settings of selected columns (:func:`tsfresh_settings` does both).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from featurekit.conventions import CHANNEL_NAME_CHARS

if TYPE_CHECKING:
    from featurekit.panel import Panel

PROFILES = {
    "minimal": "MinimalFCParameters",
    "efficient": "EfficientFCParameters",
    "comprehensive": "ComprehensiveFCParameters",
}
_UNSAFE = re.compile(rf"[^{CHANNEL_NAME_CHARS}-]+")
_PREFIX = "tsfresh."
# a tuple of numbers, e.g. cwt_coefficients' widths "(2, 5, 10, 20)" renamed "2_5_10_20"
_NUMBERS = re.compile(r"^-?[0-9.]+(?:_-?[0-9.]+)+$")


def _import_tsfresh():
    try:
        import tsfresh
        import tsfresh.feature_extraction.settings as settings
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "tsfresh feature sets need tsfresh: pip install 'featurekit[tsfresh]'"
        ) from error
    return tsfresh, settings


def freeze_settings(settings: str | dict) -> str:
    """A hashable form of a profile name or a ``{feature: [params] | None}`` dict.

    Parameters
    ----------
    settings : str or dict
        ``"minimal"``, ``"efficient"``, ``"comprehensive"`` or a settings dict.

    Returns
    -------
    str
        The profile name, or ``"json:"`` and the dict as sorted JSON.

    Raises
    ------
    ValueError
        An unknown profile name.
    """
    if isinstance(settings, str):
        if settings not in PROFILES:
            raise ValueError(f"unknown tsfresh profile {settings!r}; known: {sorted(PROFILES)}")
        return settings
    return "json:" + json.dumps(settings, sort_keys=True)


def _thaw_settings(frozen: str) -> dict:
    _, settings = _import_tsfresh()
    if frozen.startswith("json:"):
        return json.loads(frozen[5:])
    return getattr(settings, PROFILES[frozen])()


def _rename(column: str) -> str:
    kind, feature, *params = column.split("__")
    parts = [kind, f"tsfresh.{feature}"]
    for param in params:
        key, _, value = param.rpartition("_")
        value = _UNSAFE.sub("_", value.replace('"', "").replace("'", "")).strip("_")
        parts.append(f"{key}-{value}")
    return "__".join(parts)


def _tsfresh_value(text: str) -> str:
    """tsfresh's text of a parameter value from its renamed form: numbers, booleans, None, nan
    and inf as they are, a number tuple in parentheses, anything else a quoted string (tsfresh
    quotes string values and parses values back with ``ast.literal_eval``)."""
    if _NUMBERS.match(text):
        return "(" + ", ".join(text.split("_")) + ")"
    if text.lower() in ("nan", "inf", "-inf"):
        return text
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return f'"{text}"'
    return text


def to_tsfresh_name(column: str) -> str:
    """tsfresh's own name of a column of a tsfresh feature set (undoes the renaming).

    Parameters
    ----------
    column : str
        ``<channel>__tsfresh.<feature>[__<param>-<value>...]``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        ``column`` is not a tsfresh column.

    Examples
    --------
    >>> to_tsfresh_name("ax__tsfresh.change_quantiles__f_agg-mean__isabs-False__qh-0.2__ql-0.0")
    'ax__change_quantiles__f_agg_"mean"__isabs_False__qh_0.2__ql_0.0'
    >>> to_tsfresh_name("ax__tsfresh.cwt_coefficients__coeff-0__w-2__widths-2_5_10_20")
    'ax__cwt_coefficients__coeff_0__w_2__widths_(2, 5, 10, 20)'
    """
    kind, feature, *params = column.split("__") if "__" in column else (column, "")
    if not feature.startswith(_PREFIX) or not kind:
        raise ValueError(f"{column!r} is not a tsfresh column (<channel>__tsfresh.<feature>...)")
    parts = [kind, feature[len(_PREFIX) :]]
    for param in params:
        key, sep, value = param.partition("-")
        if not sep or not key:
            raise ValueError(f"parameter {param!r} in {column!r} is not <param>-<value>")
        parts.append(f"{key}_{_tsfresh_value(value)}")
    return "__".join(parts)


def tsfresh_settings(columns: Iterable[str], *, merge_kinds: bool = False) -> dict:
    """tsfresh settings computing the tsfresh columns among ``columns`` (others are ignored).

    ``{kind: {feature: [params] | None}}`` from ``tsfresh.feature_extraction.settings
    .from_columns`` (pass it as ``kind_to_fc_parameters``), or with ``merge_kinds`` one
    ``{feature: [params] | None}`` for every kind (``default_fc_parameters``, as
    :func:`featurekit.features.tsfresh_set` takes it; it may compute more columns than
    listed).

    Parameters
    ----------
    columns : iterable of str
    merge_kinds : bool, default False

    Returns
    -------
    dict

    Raises
    ------
    ImportError
        tsfresh is not installed.
    """
    _, settings = _import_tsfresh()
    names = [
        to_tsfresh_name(c)
        for c in columns
        if c.count("__") >= 1 and c.split("__")[1].startswith(_PREFIX)
    ]
    by_kind = settings.from_columns(names)
    if not merge_kinds:
        return by_kind
    merged: dict = {}
    for features in by_kind.values():
        for feature, params in features.items():
            if params is None:
                merged.setdefault(feature, None)
                continue
            known = merged.setdefault(feature, []) or []
            merged[feature] = known + [p for p in params if p not in known]
    return merged


def extract_tsfresh(panel: Panel, frozen_settings: str, n_jobs: int = 0) -> pd.DataFrame:
    """tsfresh features of every series of ``panel``, indexed by its ids.

    Parameters
    ----------
    panel : Panel
    frozen_settings : str
        From :func:`freeze_settings`.
    n_jobs : int, default 0
        tsfresh's worker processes (0: none).

    Returns
    -------
    DataFrame
        Columns renamed to featurekit's grammar (``<channel>__tsfresh.<feature>...``).
    """
    tsfresh, _ = _import_tsfresh()
    long = panel.to_long()
    table = tsfresh.extract_features(
        long,
        column_id="id",
        column_sort="time",
        column_kind="kind",
        column_value="value",
        default_fc_parameters=_thaw_settings(frozen_settings),
        n_jobs=n_jobs,
        disable_progressbar=True,
    )
    table = table.reindex(pd.Index(panel.ids, dtype=object)).set_axis(panel.ids)
    return table.rename(columns=_rename)
