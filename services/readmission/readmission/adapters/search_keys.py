"""``python -m readmission.search_keys``: store person-search keys on requests and transits
made before search existed (a one-off backfill; new records get their keys at creation)."""

from __future__ import annotations

import sys

from passage import person_search
from readmission.adapters.repository import REQUESTS, TRANSITS
from readmission.config import load_settings
from readmission.domain.search import REQUEST_SEARCH, TRANSIT_SEARCH


def main() -> int:
    return person_search.backfill_main(
        load_settings, [(REQUESTS, REQUEST_SEARCH), (TRANSITS, TRANSIT_SEARCH)]
    )


if __name__ == "__main__":
    sys.exit(main())
