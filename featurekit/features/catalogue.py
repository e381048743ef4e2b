"""The feature catalogue: what every column of a feature set is, read from the registry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from featurekit.features.compute import feature_columns
from featurekit.features.registry import (
    FEATURES,
    FeatureSet,
    get_feature_set,
    parse_feature_name,
)

CATALOGUE_COLUMNS = (
    "column",
    "channel",
    "feature",
    "family",
    "params",
    "min_length",
    "description",
)


def describe_features(
    features: str | FeatureSet | Iterable[str] = "default",
    channels: Sequence[str] = ("x", "y", "z"),
    **options,
) -> pd.DataFrame:
    """One row per column a feature set produces for these channels.

    Parameters
    ----------
    features : str, list of str or FeatureSet
        A registered set (see :func:`featurekit.list_feature_sets`) or an explicit set.
    channels : sequence of str
        Input channel names; x/y/z triples also give magnitude columns, as in extraction.
    **options
        Feature-set options, as for :func:`featurekit.extract` (e.g. ``bands=...``).

    Returns
    -------
    DataFrame
        Columns ``column, channel, feature, family, params, min_length, description``.
        A fitted family (``interval``, ``rocket``) whose columns depend on its fit is
        described by one row per family, ``column`` holding its name pattern, until the set
        is fitted (pass ``get_feature_set(...).fit(panel)``). tsfresh columns are not listed
        (tsfresh names them when it runs).

    Examples
    --------
    >>> table = describe_features("seed", channels=["ax"])
    >>> table.loc[0, "column"], table.loc[0, "family"], int(table.loc[0, "min_length"])
    ('ax__mean', 'stats', 1)
    """
    feature_set = get_feature_set(features, **options)
    native = FeatureSet(
        channel=feature_set.channel,
        magnitude=feature_set.magnitude,
        pair=feature_set.pair,
        group=feature_set.group,
        magnitude_groups=feature_set.magnitude_groups,
    )
    rows: list[tuple] = []
    for column in feature_columns(native, list(channels)):
        channel, feature, params = parse_feature_name(column)
        spec = FEATURES[feature]
        own = {k: v for k, v in params.items() if k != "with"}
        rows.append(
            (
                column,
                channel,
                feature,
                spec.family,
                params,
                spec.min_length_for(own),
                spec.description,
            )
        )
    for block in feature_set.blocks:
        description = (type(block).__doc__ or "").strip().splitlines()[0]
        if block.is_fitted:
            for column in block.columns(list(channels)):
                channel, feature, params = parse_feature_name(column)
                rows.append((column, channel, feature, block.family, params, None, description))
        else:
            rows.append(
                (
                    f"<channel>__{block.feature}__...",
                    None,
                    block.feature,
                    block.family,
                    {},
                    None,
                    f"{description} (columns fixed by fitting)",
                )
            )
    return pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS))
