"""featurekit: wearable-sensor time series to feature tables and calibrated classifiers."""

from featurekit.panel import Panel

__version__ = "0.1.0"
__all__ = ["Panel", "__version__"]
