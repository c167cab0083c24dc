"""``python -m detention.search_keys``: give records made before person search existed
their search keys (idempotent). The backfill is in ``adapters.search_keys``."""

from __future__ import annotations

import sys

from detention.adapters.search_keys import main

if __name__ == "__main__":
    sys.exit(main())
