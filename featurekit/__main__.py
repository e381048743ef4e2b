"""``python -m featurekit``: the ``featurekit`` command (see :mod:`featurekit.cli`)."""

import sys

from featurekit.cli import main

if __name__ == "__main__":
    sys.exit(main())
