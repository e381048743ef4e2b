"""Moved to :mod:`featurekit.competition.submission` (0.2.0); this name stays an alias of it.

The generic probability clip is :func:`featurekit.proba.clip_proba`.
"""

import sys

from featurekit.competition import submission as _moved

sys.modules[__name__] = _moved
