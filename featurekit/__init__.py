"""featurekit: wearable-sensor time series to feature tables and calibrated classifiers."""

__version__ = "0.1.0"

from featurekit.embeddings import EmbeddingFeatures  # noqa: E402
from featurekit.extraction import FeatureExtractor, extract, extract_to_parquet  # noqa: E402
from featurekit.features import (  # noqa: E402
    FeatureSet,
    get_feature_set,
    list_feature_sets,
    parse_feature_name,
)
from featurekit.panel import Panel  # noqa: E402

__all__ = [
    "EmbeddingFeatures",
    "FeatureExtractor",
    "FeatureSet",
    "Panel",
    "__version__",
    "extract",
    "extract_to_parquet",
    "get_feature_set",
    "list_feature_sets",
    "parse_feature_name",
]
