"""Published partner reports: each closed month frozen when first asked for, corrections as new,
dated versions (MongoDB, the gateway's database).

A month's three reports are stored as the exact JSON text partners receive, so every later request
gets the same bytes. Versions are unique per month (index), so two first requests at the same
moment publish once: the second insert fails and its caller serves the first one's text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from gateway.composition.report_month import build_month
from gateway.composition.reports import SPECS, ReportSpec
from passage.mongo import Index, Mongo, safe_value
from passage.problems import Problem

COLLECTION = "published_reports"
INDEXES = [
    Index(COLLECTION, [("month", 1), ("version", -1)], "published_month_version", unique=True)
]
FetchRows = Callable[
    [ReportSpec, str], Sequence[Any]
]  # a service's raw monthly rows (Problem 502 if down)


def month_before(month: str, step: int = -1) -> str:
    year, number = int(month[:4]), int(month[5:7]) - 1 + step
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def is_closed(month: str, now: datetime) -> bool:
    """Closed once the next month has begun in UTC (east of UTC, e.g. Baku,
    it has begun already)."""
    return month < now.strftime("%Y-%m")


class PublishedReports:
    """The stored publications: one document per month and version."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    def latest(self, month: str) -> dict[str, Any] | None:
        return self.mongo.collection(COLLECTION).find_one(
            {"month": safe_value(month)}, sort=[("version", DESCENDING)]
        )

    def get(self, month: str, version: int) -> dict[str, Any] | None:
        return self.mongo.collection(COLLECTION).find_one(
            {"month": safe_value(month), "version": int(version)}
        )

    def add(self, doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store ``doc`` unless its month and version exist already;
        the stored one and whether it is new."""
        try:
            self.mongo.collection(COLLECTION).insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            stored = self.get(doc["month"], doc["version"])
            if stored is None:  # the unique index refused it, so it exists
                raise
            return stored, False


def reports_of(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return (
        None if doc is None else {name: json.loads(text) for name, text in doc["reports"].items()}
    )


@dataclass
class Publisher:
    """Publishes a closed month on first request; serves the stored text ever after."""

    store: PublishedReports
    fetch: FetchRows
    now: Callable[[], datetime]

    def month(self, month: str, version: int | None = None) -> dict[str, Any]:
        """The month's publication (the latest version unless ``version``),
        publishing it if it is new."""
        self.require_closed(month)
        if version is not None:
            found = self.store.get(month, version)
            if found is None:
                raise Problem(f"There is no version {version} of {month}.", status=404)
            return found
        found = self.store.latest(month)
        if found is not None:
            return found
        stored, _ = self.store.add(self._build(month, 1, None, {"reason": "first publication"}))
        return stored

    def correct(self, month: str, reason: str, by: str) -> tuple[dict[str, Any], bool]:
        """A new version built from the services' figures now,
        suppressed against the version it replaces."""
        self.require_closed(month)
        current = self.store.latest(month)
        if current is None:
            raise Problem(
                f"{month} has not been published; there is nothing to correct.", status=409
            )
        doc = self._build(
            month, current["version"] + 1, current, {"reason": reason, "corrected_by": by}
        )
        return self.store.add(doc)

    def require_closed(self, month: str) -> None:
        if not is_closed(month, self.now()):
            raise Problem(
                f"{month} is not over yet: reports are published for closed months only, from "
                f"{month_before(month, 1)}-01 (UTC).",
                status=409,
                month=month,
            )

    def _build(
        self, month: str, version: int, replaced: Mapping[str, Any] | None, note: Mapping[str, str]
    ) -> dict[str, Any]:
        raw = {name: self.fetch(spec, month) for name, spec in SPECS.items()}
        neighbours = {
            "previous": reports_of(self.store.latest(month_before(month))),
            "following": reports_of(self.store.latest(month_before(month, 1))),
        }
        built = build_month(
            month,
            raw,
            previous=neighbours["previous"],
            following=neighbours["following"],
            replaced=reports_of(replaced),
        )
        at = self.now().isoformat(timespec="seconds").replace("+00:00", "Z")
        stamp = {
            "version": version,
            "published_at": at,
            **({"corrects_version": version - 1} if replaced else {}),
        }
        texts = {
            name: json.dumps({**report, **stamp}, separators=(",", ":"))
            for name, report in built.items()
        }
        return {
            "_id": f"{month}:{version}",
            "month": month,
            "version": version,
            "published_at": at,
            "reports": texts,
            **note,
        }


def monthly_text(doc: Mapping[str, Any]) -> str:
    """All three reports of a publication as one JSON text (the same bytes for the same version)."""
    inner = ",".join(f"{json.dumps(name)}:{text}" for name, text in sorted(doc["reports"].items()))
    return (
        f'{{"month":{json.dumps(doc["month"])},"version":{int(doc["version"])},'
        f'"published_at":{json.dumps(doc["published_at"])},"reports":{{{inner}}},'
        f'"partial":false,"failed_services":[]}}'
    )
