"""Moved to :mod:`featurekit.competition.synthetic` (0.2.0); this name stays an alias of it."""

import sys

from featurekit.competition import synthetic as _moved

sys.modules[__name__] = _moved
