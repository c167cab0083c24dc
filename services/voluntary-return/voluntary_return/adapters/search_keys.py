"""``python -m voluntary_return.search_keys``: store person search keys on cases
registered before person search existed (a one-off backfill)."""

from __future__ import annotations

import sys

from passage import person_search
from voluntary_return.adapters.storage import CASES
from voluntary_return.config import load_settings
from voluntary_return.domain.commands import CASE_SEARCH


def main() -> int:
    return person_search.backfill_main(load_settings, [(CASES, CASE_SEARCH)])


if __name__ == "__main__":
    sys.exit(main())
