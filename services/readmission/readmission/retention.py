"""``python -m readmission.retention [--dry-run] [--as-of DAY]``: erase personal data past its
retention period. The rules and the erasure are in ``adapters.retention``."""

from __future__ import annotations

import sys

from readmission.adapters.retention import main

if __name__ == "__main__":
    sys.exit(main())
