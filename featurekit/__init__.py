"""featurekit: wearable-sensor time series to feature tables and calibrated classifiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.2.0"

# Public names and their modules, imported on first use (PEP 562), like the submodules
# below: ``import featurekit`` loads neither NumPy nor scikit-learn, so the ``featurekit``
# command answers ``--help`` and ``--version`` at once.
_EXPORTS = {
    "EmbeddingFeatures": "featurekit.embeddings",
    "EncoderEmbeddings": "featurekit.embeddings",
    "TableEmbeddings": "featurekit.embeddings",
    "FeatureExtractor": "featurekit.extraction",
    "extract": "featurekit.extraction",
    "extract_to_parquet": "featurekit.extraction",
    "FeatureSet": "featurekit.features",
    "describe_features": "featurekit.features",
    "get_feature_set": "featurekit.features",
    "list_feature_sets": "featurekit.features",
    "parse_feature_name": "featurekit.features",
    "Panel": "featurekit.panel",
}

if TYPE_CHECKING:  # the names as static tools see them
    from featurekit.embeddings import EmbeddingFeatures, EncoderEmbeddings, TableEmbeddings
    from featurekit.extraction import FeatureExtractor, extract, extract_to_parquet
    from featurekit.features import (
        FeatureSet,
        describe_features,
        get_feature_set,
        list_feature_sets,
        parse_feature_name,
    )
    from featurekit.panel import Panel

__all__ = [
    "EmbeddingFeatures",
    "EncoderEmbeddings",
    "FeatureExtractor",
    "FeatureSet",
    "Panel",
    "TableEmbeddings",
    "__version__",
    "datasets",
    "describe_features",
    "extract",
    "extract_to_parquet",
    "get_feature_set",
    "io",
    "list_feature_sets",
    "parse_feature_name",
    "preprocess",
]

# Submodules loaded on first use (``fk.preprocess``...), so ``import featurekit`` stays light.
_SUBMODULES = {
    "cache",
    "calibration",
    "chunking",
    "cli",
    "competition",
    "conventions",
    "datasets",
    "embeddings",
    "encoder",
    "evaluate",
    "extraction",
    "families",
    "features",
    "io",
    "logs",
    "models",
    "panel",
    "preprocess",
    "proba",
    "recipes",
    "report",
    "selection",
    "submission",
    "synthetic",
    "validation",
}


def __getattr__(name: str):
    import importlib

    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"featurekit.{name}")
    raise AttributeError(f"module 'featurekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
