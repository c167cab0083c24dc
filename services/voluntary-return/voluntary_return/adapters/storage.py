"""Where voluntary return keeps its data in MongoDB: collection names, the outbox collections, the
indexes behind every list, and the shared location read model's store."""

from __future__ import annotations

from passage import person_search
from passage.bus.consumer import INBOX_INDEXES
from passage.bus.outbox import outbox_indexes
from passage.evidence_files import FileStore
from passage.location_store import location_indexes
from passage.locations import COLLECTION as PERSON_LOCATIONS
from passage.mongo import Index, Mongo
from voluntary_return.domain import statistics

CASES, FORCED_ROUTES, CALENDAR, STAGE_COUNTS = (
    "cases",
    "forced_routes",
    "action_calendar",
    "stage_counts",
)
OUTBOX_COLLECTIONS: tuple[str, ...] = (CASES,)
EVIDENCE_BUCKET = "evidence_files"


def evidence_store(mongo: Mongo) -> FileStore:
    """The cases' evidence files (GridFS in the service's own database)."""
    return FileStore(mongo.db, EVIDENCE_BUCKET)


def indexes() -> list[Index]:
    """Every index this service declares; applied by the API and the worker at start-up."""
    return [
        *INBOX_INDEXES,
        *location_indexes(PERSON_LOCATIONS),
        *outbox_indexes(OUTBOX_COLLECTIONS),
        Index(CASES, [("person_ref", 1), ("_id", 1)], name="cases_by_person"),
        Index(CASES, [("nationality", 1), ("_id", 1)], name="cases_by_nationality"),
        Index(CASES, [("destination_country", 1), ("_id", 1)], name="cases_by_destination"),
        # Both filters at once (the case board's "from ... returning to ..."): SecantusDB (the
        # embedded default) bounds an id slice by one index alone, and by nationality alone it
        # read every case of that nationality in the slice; MongoDB would intersect or filter.
        Index(
            CASES,
            [("nationality", 1), ("destination_country", 1), ("_id", 1)],
            name="cases_by_nationality_and_destination",
        ),
        Index(CASES, [("stage", 1), ("_id", 1)], name="cases_by_stage"),
        # The unfiltered case list reads slices of the id space (``CaseRepository.find``).
        # MongoDB serves an ``_id`` range from its own ``_id`` index, and this one only duplicates
        # it (``person_ref`` never changes, so a case's entry is written once); SecantusDB (the
        # embedded default) plans ranges only on declared indexes and otherwise scans every case.
        Index(CASES, [("_id", 1), ("person_ref", 1)], name="cases_by_id"),
        *person_search.indexes(CASES),
        # Not partial: SecantusDB (the embedded default) plans only full indexes; a case without a
        # next action is indexed as null, which no date range matches.
        Index(CASES, [("next_action_due", 1), ("_id", 1)], name="cases_by_next_action_due"),
        Index(
            CASES,
            [("next_action", 1), ("next_action_due", 1), ("_id", 1)],
            name="cases_by_next_action",
        ),
        Index(
            statistics.COLLECTION,
            [("month", 1), ("nationality", 1), ("destination_country", 1)],
            name="statistics_by_month",
        ),
        Index(FORCED_ROUTES, [("person_ref", 1)], name="forced_routes_by_person"),
        Index(CALENDAR, [("due", 1), ("kind", 1)], name="calendar_by_due"),
    ]
