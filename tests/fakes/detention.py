"""In-memory fakes of detention's storage ports, for the handlers' and the deadline job's unit
tests; ``tests/contract/test_fakes_vs_mongo.py`` runs the same scenarios against them and against
``MongoRepository`` / ``StayStore`` on SecantusDB, so a fake that drifts from its twin fails there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from detention.domain.model import PersonAlreadyHeld, StayFilter, UnitFull
from passage.events.envelope import Envelope


class FakeRepository:
    """The same protocol as ``MongoRepository``, in dictionaries."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, dict[str, Any]]] = {"centres": {}, "units": {}, "stays": {}}
        self.outbox: list[Envelope] = []

    def _add(
        self, kind: str, doc: dict[str, Any], events: Sequence[Envelope] = ()
    ) -> dict[str, Any]:
        rec = {"id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
        self.docs[kind][rec["id"]] = rec
        self.outbox += events
        return dict(rec)

    def _page(
        self, records: list[dict[str, Any]], after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return sorted(
            (r for r in records if after is None or r["id"] > after), key=lambda r: r["id"]
        )[:limit]

    def add_centre(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self._add("centres", doc)

    def centre(self, centre_id: str) -> dict[str, Any] | None:
        return self.docs["centres"].get(centre_id)

    def centres(
        self, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return self._page(
            [c for c in self.docs["centres"].values() if scope is None or c["id"] in scope],
            after,
            limit,
        )

    def add_unit(self, doc: dict[str, Any], events: Sequence[Envelope]) -> dict[str, Any]:
        return self._add("units", doc, events)

    def unit(self, unit_id: str) -> dict[str, Any] | None:
        return self.docs["units"].get(unit_id)

    def units(self, centre_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        return self._page(
            [u for u in self.docs["units"].values() if u["centre_id"] == centre_id], after, limit
        )

    def admit(self, stay: dict[str, Any], events: Sequence[Envelope]) -> dict[str, Any]:
        unit = self.docs["units"][stay["unit_id"]]
        if unit["occupancy"] >= unit["capacity"]:
            raise UnitFull(unit["id"], unit["occupancy"], unit["capacity"])
        if any(
            s["person_ref"] == stay["person_ref"] and s["status"] == "open"
            for s in self.docs["stays"].values()
        ):
            raise PersonAlreadyHeld("one_open_stay", "held already")
        unit["occupancy"] += 1
        return self._add("stays", stay, events)

    def admit_family(
        self, stays: Sequence[dict[str, Any]], events: Sequence[Sequence[Envelope]]
    ) -> list[dict[str, Any]]:
        unit = self.docs["units"][stays[0]["unit_id"]]
        if unit["occupancy"] + len(stays) > unit["capacity"]:
            raise UnitFull(unit["id"], unit["occupancy"], unit["capacity"])
        if any(self.open_stay_of_person(s["person_ref"]) for s in stays):
            raise PersonAlreadyHeld("one_open_stay", "held already")
        unit["occupancy"] += len(stays)
        return [self._add("stays", stay, evs) for stay, evs in zip(stays, events, strict=False)]

    def held_family_members(self, group_id: str, centre_id: str) -> list[dict[str, Any]]:
        return [
            s
            for s in self.docs["stays"].values()
            if (s.get("family_group") or {}).get("id") == group_id
            and s["centre_id"] == centre_id
            and s["status"] == "open"
        ]

    def open_stay_of_person(self, person_ref: str) -> dict[str, Any] | None:
        return next(
            (
                s
                for s in self.docs["stays"].values()
                if s["person_ref"] == person_ref and s["status"] == "open"
            ),
            None,
        )

    def stay(self, stay_id: str) -> dict[str, Any] | None:
        return self.docs["stays"].get(stay_id)

    def stays(
        self, where: StayFilter, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        wanted = {k: v for k, v in vars(where).items() if v is not None}
        found = [
            s
            for s in self.docs["stays"].values()
            if all(s[k] == v for k, v in wanted.items())
            and (scope is None or s["centre_id"] in scope)
        ]
        return self._page(found, after, limit)


class FakeStore:
    """The deadline job's part of ``StayStore``, in a dictionary."""

    def __init__(self, *stays: dict[str, Any]) -> None:
        self.stays = {s["id"]: s for s in stays}
        self.outbox: list[Envelope] = []

    def stays_due_by(self, day: str) -> list[dict[str, Any]]:
        return [
            dict(s)
            for s in self.stays.values()
            if s["status"] == "open" and s["due_on"] and s["due_on"] <= day
        ]

    def stays_without_entry_examination(self, admitted_before: datetime) -> list[dict[str, Any]]:
        return [
            dict(s)
            for s in self.stays.values()
            if s["status"] == "open"
            and "admitted_at" in s
            and not s.get("entry_medical")
            and s["admitted_at"] <= admitted_before
            and "entry_medical" not in s["deadlines_emitted"]
        ]

    def mark_deadline(
        self,
        stay_id: str,
        key: str,
        covered: Sequence[str],
        events: Sequence[Envelope],
        still: dict[str, Any] | None = None,
    ) -> bool:
        doc = self.stays[stay_id]
        if key in doc["deadlines_emitted"] or any(
            doc.get(k) != v for k, v in (still or {}).items()
        ):
            return False
        doc["deadlines_emitted"] = sorted(set(doc["deadlines_emitted"]) | set(covered))
        self.outbox.extend(events)
        return True
