"""In-memory fakes of detention's storage ports, for the handlers' and the deadline job's unit
tests; ``tests/contract/test_fakes_vs_mongo.py`` runs the same scenarios against them and against
``MongoRepository`` / ``StayStore`` on SecantusDB, so a fake that drifts from its twin fails there.

Records come back as copies, with the fields the adapter's projection returns, so a handler that
keeps or edits one, or reads a field the adapter does not send, behaves here as in production.
Not kept: the daily occupancy figures (a read model the adapters write inside their transactions).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from detention.domain.model import AlreadyExists, Decide, PersonAlreadyHeld, StayFilter, UnitFull
from passage.events.envelope import Envelope

WHERE_HELD = ("id", "centre_id", "unit_id")  # MongoRepository.open_stay_of_person's projection
FAMILY_MEMBER = ("id", "centre_id", "family_group")  # held_family_members' (and the birth date)
NO_PERSON = ("person", "history")  # what StayStore.stays_due_by leaves out
UNEXAMINED = ("id", "person_ref", "centre_id", "admitted_at", "admitted_on")  # and its projection


def _only(rec: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {k: copy.deepcopy(rec[k]) for k in fields if k in rec}


class FakeRepository:
    """The same protocol as ``MongoRepository``, in dictionaries."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, dict[str, Any]]] = {"centres": {}, "units": {}, "stays": {}}
        self.outbox: list[Envelope] = []

    def _add(
        self, kind: str, doc: dict[str, Any], events: Sequence[Envelope] = ()
    ) -> dict[str, Any]:
        rec = {"id": doc["_id"], **{k: copy.deepcopy(v) for k, v in doc.items() if k != "_id"}}
        self.docs[kind][rec["id"]] = rec
        self.outbox += events
        return copy.deepcopy(rec)

    def _add_new(
        self, kind: str, doc: dict[str, Any], what: str, events: Sequence[Envelope] = ()
    ) -> dict[str, Any]:
        """Like the adapter's unique ``_id``: an existing id is refused, the record kept."""
        if doc["_id"] in self.docs[kind]:
            raise AlreadyExists(
                f"{what}_exists", f"A {what} with id {doc['_id']} exists already.", field="id"
            )
        return self._add(kind, doc, events)

    def _get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.docs[kind].get(doc_id))

    def _page(
        self, records: list[dict[str, Any]], after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return copy.deepcopy(
            sorted((r for r in records if after is None or r["id"] > after), key=lambda r: r["id"])[
                :limit
            ]
        )

    def add_centre(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self._add_new("centres", doc, "centre")

    def centre(self, centre_id: str) -> dict[str, Any] | None:
        return self._get("centres", centre_id)

    def centres(
        self, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return self._page(
            [c for c in self.docs["centres"].values() if scope is None or c["id"] in scope],
            after,
            limit,
        )

    def add_unit(self, doc: dict[str, Any], events: Sequence[Envelope]) -> dict[str, Any]:
        return self._add_new("units", doc, "unit", events)

    def unit(self, unit_id: str) -> dict[str, Any] | None:
        return self._get("units", unit_id)

    def units(self, centre_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        return self._page(
            [u for u in self.docs["units"].values() if u["centre_id"] == centre_id], after, limit
        )

    def admit(
        self, unit_id: str, places: int, scope: Sequence[str] | None, decide: Decide
    ) -> list[dict[str, Any]]:
        """Take the places (none in a closed centre's unit, none outside ``scope``), decide on the
        unit as it was, then open the stays, or do neither."""
        unit = self.docs["units"].get(unit_id)
        if unit is None or (scope is not None and unit["centre_id"] not in scope):
            raise UnitFull(unit_id, 0, 0)
        if unit.get("centre_active") is False or unit["occupancy"] + places > unit["capacity"]:
            raise UnitFull(unit["id"], unit["occupancy"], unit["capacity"])
        decided = list(decide(dict(unit)))
        if len(decided) != places:
            raise ValueError(f"{places} places taken for {len(decided)} stays")
        if any(self.open_stay_of_person(s["person_ref"]) for s, _ in decided):
            raise PersonAlreadyHeld("one_open_stay", "held already")
        unit["occupancy"] += places
        unit["version"] = unit.get("version", 0) + 1
        return [self._add("stays", stay, evs) for stay, evs in decided]

    def held_family_members(self, group_id: str, centre_id: str) -> list[dict[str, Any]]:
        return [
            {**_only(s, FAMILY_MEMBER), "person": {"birth_date": s["person"]["birth_date"]}}
            for s in self.docs["stays"].values()
            if (s.get("family_group") or {}).get("id") == group_id
            and s["centre_id"] == centre_id
            and s["status"] == "open"
        ]

    def open_stay_of_person(self, person_ref: str) -> dict[str, Any] | None:
        return next(
            (
                _only(s, WHERE_HELD)
                for s in self.docs["stays"].values()
                if s["person_ref"] == person_ref and s["status"] == "open"
            ),
            None,
        )

    def stay(self, stay_id: str) -> dict[str, Any] | None:
        return self._get("stays", stay_id)

    def stays(
        self, where: StayFilter, scope: Sequence[str] | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return self._page(
            [
                s
                for s in self.docs["stays"].values()
                if _matches(s, where) and (scope is None or s["centre_id"] in scope)
            ],
            after,
            limit,
        )


def _matches(stay: Mapping[str, Any], where: StayFilter) -> bool:
    """The adapter's stay filter: plain fields, the legal basis's kind, open stays due by a day."""
    plain = ("unit_id", "status", "person_ref", "centre_id", "nationality")
    if any((v := getattr(where, k)) is not None and stay.get(k) != v for k in plain):
        return False
    if where.legal_basis is not None and (stay.get("legal_basis") or {}).get("kind") != (
        where.legal_basis
    ):
        return False
    if where.due_before is None:
        return True
    due = stay.get("due_on")
    return stay["status"] == "open" and due is not None and due <= where.due_before.isoformat()


class FakeStore:
    """The deadline job's part of ``StayStore``, in a dictionary."""

    def __init__(self, *stays: dict[str, Any]) -> None:
        self.stays = {s["id"]: s for s in stays}
        self.outbox: list[Envelope] = []

    def stays_due_by(self, day: str) -> list[dict[str, Any]]:
        due = [
            {k: copy.deepcopy(v) for k, v in s.items() if k not in NO_PERSON}
            for s in self.stays.values()
            if s["status"] == "open" and s["due_on"] and s["due_on"] <= day
        ]
        return sorted(due, key=lambda s: s["due_on"])

    def stays_without_entry_examination(self, admitted_before: datetime) -> list[dict[str, Any]]:
        found = [
            _only(s, UNEXAMINED)
            for s in self.stays.values()
            if s["status"] == "open"
            and "admitted_at" in s
            and not s.get("entry_medical")
            and s["admitted_at"] <= admitted_before
            and "entry_medical" not in s["deadlines_emitted"]
        ]
        return sorted(found, key=lambda s: s["admitted_at"])

    def mark_deadline(
        self,
        stay_id: str,
        key: str,
        covered: Sequence[str],
        events: Sequence[Envelope],
        still: dict[str, Any] | None = None,
    ) -> bool:
        """Like the adapter's ``$addToSet``: only an open stay, new keys appended in order."""
        doc = self.stays[stay_id]
        if (
            doc["status"] != "open"
            or key in doc["deadlines_emitted"]
            or any(doc.get(k) != v for k, v in (still or {}).items())
        ):
            return False
        emitted = doc["deadlines_emitted"]
        doc["deadlines_emitted"] = [
            *emitted,
            *dict.fromkeys(c for c in covered if c not in emitted),
        ]
        self.outbox.extend(events)
        return True
