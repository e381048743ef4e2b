"""featurekit: wearable-sensor time series to feature tables and calibrated classifiers."""

__version__ = "0.2.0"

from featurekit.embeddings import (  # noqa: E402
    EmbeddingFeatures,
    EncoderEmbeddings,
    TableEmbeddings,
)
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
    "EncoderEmbeddings",
    "FeatureExtractor",
    "FeatureSet",
    "Panel",
    "TableEmbeddings",
    "__version__",
    "datasets",
    "extract",
    "extract_to_parquet",
    "get_feature_set",
    "io",
    "list_feature_sets",
    "parse_feature_name",
    "preprocess",
]

# Submodules loaded on first use (``fk.preprocess``...), so ``import featurekit`` stays light.
_SUBMODULES = {"calibration", "chunking", "competition", "conventions", "datasets", "encoder",
               "evaluate", "io", "models", "preprocess", "proba", "recipes", "report",
               "submission", "synthetic", "validation"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"featurekit.{name}")
    raise AttributeError(f"module 'featurekit' has no attribute {name!r}")
