"""``python -m numeras run script.py [args]``: the same as the ``numeras`` command."""

import sys

from numeras.cli import main

if __name__ == "__main__":
    sys.exit(main())
