"""Registered features, named feature sets and the column-name grammar."""

from featurekit.features import cross, spectral, stats  # noqa: F401  (registers features)
from featurekit.features.catalogue import describe_features
from featurekit.features.columns import from_columns  # noqa: F401  (exported)
from featurekit.features.compute import compute_features, feature_columns
from featurekit.features.registry import (
    FEATURES,
    FeatureSet,
    FeatureSpec,
    feature_name,
    get_feature_set,
    list_feature_sets,
    parse_feature_name,
    register_feature,
    register_feature_set,
)
from featurekit.features.sets import tsfresh_set

__all__ = [
    "FEATURES",
    "FeatureSet",
    "FeatureSpec",
    "compute_features",
    "describe_features",
    "feature_columns",
    "feature_name",
    "get_feature_set",
    "list_feature_sets",
    "parse_feature_name",
    "register_feature",
    "register_feature_set",
    "tsfresh_set",
]
