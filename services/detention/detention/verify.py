"""``python -m detention.verify [--repair]``: the capacity invariant checked (and repaired) by
``adapters.verify`` — every unit's occupancy equals its open stays; exit 1 on drift."""

from __future__ import annotations

import sys

from detention.adapters.verify import main

if __name__ == "__main__":
    sys.exit(main())
