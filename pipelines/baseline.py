"""`make baseline`: the seed recipe's figures on load_watch(), or on a competition folder.

python pipelines/baseline.py                       # load_watch(): (a), (b), (c)
python pipelines/baseline.py --data DIR [--out D]  # CV figures + submission.csv
"""

import sys

from featurekit.cli import main

if __name__ == "__main__":
    sys.exit(main(["baseline", *sys.argv[1:]]))
