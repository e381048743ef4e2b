"""Moved to :mod:`featurekit.competition.ingest` (0.2.0); this name stays an alias of it."""

import sys

from featurekit.competition import ingest as _moved

sys.modules[__name__] = _moved
