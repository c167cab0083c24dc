"""Seed the protocol registry with the 27 member states and Norway (idempotent):
``python -m readmission.seed``.

The agreements themselves (EU–Azerbaijan, Norway–Azerbaijan) are built-in data
(``readmission.domain.agreements``).
"""

from __future__ import annotations

import json
import sys

from passage.clock import utc_now
from passage.mongo import Mongo
from readmission.adapters import repository
from readmission.adapters.protocols import ProtocolStore
from readmission.config import load_settings


def main() -> int:
    settings = load_settings()
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    mongo.ensure_indexes(repository.indexes())
    added = ProtocolStore(mongo).seed(utc_now())
    print(json.dumps({"protocols_added": added}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
