"""``python -m detention.search_keys``: store search keys on stays admitted before search
existed."""

from __future__ import annotations

import sys

from detention.adapters.repository import STAYS
from detention.config import load_settings
from detention.domain.model import STAY_SEARCH
from passage import person_search


def main() -> int:
    """Backfill the name and birth-date keys person search matches (idempotent)."""
    return person_search.backfill_main(load_settings, [(STAYS, STAY_SEARCH)])


if __name__ == "__main__":
    sys.exit(main())
