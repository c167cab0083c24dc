"""The protocol registry in MongoDB: one document per state, ``versions`` ordered by effective
date (the vocabulary and the seed's content are in :mod:`readmission.domain.protocols`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from passage.mongo import Mongo, safe_value
from readmission.adapters.repository import PROTOCOLS
from readmission.domain.protocols import PROTOCOL_STATES, seed_version


class ProtocolStore:
    """Protocol documents: ``_id`` is the member state code; ``versions`` ordered by effective
    date."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    @property
    def collection(self):
        return self.mongo.collection(PROTOCOLS)

    def seed(self, now: datetime) -> int:
        """Insert the member states that are missing; existing ones are left as they are.
        Idempotent."""
        added = 0
        for code in PROTOCOL_STATES:
            try:
                self.collection.insert_one(
                    {"_id": code, "version": 1, "versions": [seed_version(code, now)]}
                )
                added += 1
            except DuplicateKeyError:
                pass
        return added

    def all(self) -> list[dict[str, Any]]:
        return list(self.collection.find({}).sort("_id", ASCENDING))

    def get(self, code: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": safe_value(code)})

    def add_version(
        self, code: str, expected: int, version: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Add a version if the document is still at ``expected``; None when it moved meanwhile."""
        return self.collection.find_one_and_update(
            {"_id": safe_value(code), "version": expected},
            {
                "$push": {"versions": {"$each": [version], "$sort": {"effective_from": 1}}},
                "$inc": {"version": 1},
            },
            return_document=True,
        )
