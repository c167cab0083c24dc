"""Retention and erasure, the same way in every service: per record type a retention period held
as data with its legal source (and whether that source was verified), a dry run that lists what
would go, and a run that erases the personal fields of records past their period -- keeping the
non-identifying attributes, dates and states that statistics and the audit trail rely on -- and
stores an erasure record (ids only) in the service's own ``erasures`` collection.

A service describes each record type with a :class:`Policy`; :func:`main` is its command line
(``python -m <package>.retention [--dry-run] [--as-of DATE]``), printing JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from passage.logs import configure_logging
from passage.mongo import Mongo

log = logging.getLogger(__name__)

ERASURES = "erasures"
ERASED_PREFIX = "erased:"  # what a pseudonymised person_ref starts with


@dataclass(frozen=True)
class RetentionRule:
    """How long a record type is kept after it ended, and on what authority (DESIGN: rules are
    data)."""

    record_type: str
    keep_days: int
    counted_from: str  # in the users' words: "release from the centre", "closing of the case"
    source: str
    article: str | None
    verified: bool  # True only when the official text was read
    version: str
    note: str = ""


@dataclass(frozen=True)
class Policy:
    """Where a record type lives and what of it is personal."""

    rule: RetentionRule
    collection: str
    ended_at: str  # the field with the (UTC datetime) moment the record ended
    ended: Mapping[str, Any]  # the filter of ended records (e.g. status closed)
    erase: tuple[str, ...]  # fields removed ($unset; dotted paths allowed)
    keep: tuple[str, ...] = field(default=())  # for the report: what stays (statistics, audit)


def cutoff(rule: RetentionRule, as_of: date) -> datetime:
    """Records that ended before this moment are past their retention period."""
    return datetime.combine(as_of - timedelta(days=rule.keep_days), time.min, tzinfo=UTC)


def _due_query(policy: Policy, as_of: date) -> dict[str, Any]:
    return {
        **policy.ended,
        policy.ended_at: {"$lt": cutoff(policy.rule, as_of)},
        "erased_at": {"$exists": False},
    }


def due_ids(mongo: Mongo, policy: Policy, as_of: date) -> list[str]:
    """Ids of the records ``policy`` would erase on ``as_of`` (not yet erased)."""
    found = (
        mongo.collection(policy.collection)
        .find(_due_query(policy, as_of), {"_id": 1})
        .sort("_id", 1)
    )
    return [str(doc["_id"]) for doc in found]


def report(mongo: Mongo, policies: Sequence[Policy], as_of: date) -> list[dict[str, Any]]:
    """What would go, per record type: the rule, the cutoff, the ids and the fields erased."""
    return [_due(mongo, policy, as_of) for policy in policies]


def _due(mongo: Mongo, policy: Policy, as_of: date) -> dict[str, Any]:
    ids = due_ids(mongo, policy, as_of)
    return {
        "rule": asdict(policy.rule),
        "cutoff": cutoff(policy.rule, as_of).isoformat(),
        "ids": ids,
        "count": len(ids),
        "erases": list(policy.erase),
        "keeps": list(policy.keep),
    }


def erase(mongo: Mongo, policy: Policy, as_of: date, now: datetime) -> dict[str, Any]:
    """Erase the records past their period; store and log the erasure (ids only); return it."""
    erasure_id, erased = str(uuid.uuid4()), []
    for record_id in due_ids(mongo, policy, as_of):
        update = {
            "$unset": dict.fromkeys(policy.erase, ""),
            "$set": {
                "person_ref": ERASED_PREFIX + record_id,
                "erased_at": now,
                "erasure_id": erasure_id,
            },
        }
        query = {**_due_query(policy, as_of), "_id": record_id}
        if mongo.collection(policy.collection).update_one(query, update).modified_count == 1:
            erased.append(record_id)
    record = {
        "_id": erasure_id,
        "at": now,
        "as_of": as_of.isoformat(),
        "record_type": policy.rule.record_type,
        "rule": asdict(policy.rule),
        "ids": erased,
        "count": len(erased),
        "fields": list(policy.erase),
    }
    mongo.collection(ERASURES).insert_one(record)
    log.info(
        "personal data erased after retention",
        extra={"erasure_id": erasure_id, "ids": erased, "record_type": policy.rule.record_type},
    )
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in record.items()
        if k != "_id"
    } | {"erasure_id": erasure_id}


def main(
    prog: str,
    settings_loader: Callable[[], Any],
    policies: Sequence[Policy],
    argv: Sequence[str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """The service's retention command: ``--dry-run`` lists, otherwise erases; JSON on stdout."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Erase personal data past its retention period."
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be erased; change nothing"
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, help="the day to count from (default: today, UTC)"
    )
    args = parser.parse_args(argv)
    now = (clock or (lambda: datetime.now(UTC)))()
    as_of = args.as_of or now.date()
    settings = settings_loader()
    configure_logging(f"{settings.service}-retention", settings.log_level)
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    try:
        if args.dry_run:
            result: dict[str, Any] = {
                "dry_run": True,
                "as_of": as_of.isoformat(),
                "due": report(mongo, policies, as_of),
            }
        else:
            result = {
                "dry_run": False,
                "as_of": as_of.isoformat(),
                "erasures": [erase(mongo, p, as_of, now) for p in policies],
            }
    finally:
        mongo.close()
    print(json.dumps({"service": settings.service, **result}, default=str))
    return 0
