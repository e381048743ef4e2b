"""`make compare`: every model on mirrored load_watch() 4-s windows, `default` features,
calibrated, GroupKFold(5) by subject; writes the report folder (default reports/compare).

    python pipelines/compare.py [--out DIR]
"""

import argparse

from featurekit.recipes import compare_watch

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="reports/compare")
    compare_watch(parser.parse_args().out)
