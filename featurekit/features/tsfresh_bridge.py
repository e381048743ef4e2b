"""Real ``tsfresh.extract_features`` on a Panel, with column names in featurekit's grammar.

tsfresh names columns ``x__quantile__q_0.1``; here they become ``x__tsfresh.quantile__q-0.1``
(the ``tsfresh.`` prefix keeps them apart from native features of the same name).
"""

from __future__ import annotations

import json
import re

import pandas as pd

PROFILES = {
    "minimal": "MinimalFCParameters",
    "efficient": "EfficientFCParameters",
    "comprehensive": "ComprehensiveFCParameters",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


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
    """A hashable form of a profile name or a ``{feature: [params] | None}`` dict."""
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


def extract_tsfresh(panel, frozen_settings: str, n_jobs: int = 0) -> pd.DataFrame:
    """tsfresh features of every series of ``panel``, indexed by its ids."""
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
