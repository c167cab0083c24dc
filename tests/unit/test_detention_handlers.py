"""Detention's handlers with an in-memory repository: who may do what, what each role sees, and
what an admission records and emits. No sockets (the Mongo adapter is tested in integration)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from detention.domain import access
from detention.domain.model import PersonAlreadyHeld, StayFilter, UnitFull
from detention.handlers import admissions
from detention.handlers import common as handlers
from passage.errors import NotFoundError
from passage.events import validate_event
from passage.events.envelope import Envelope

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
PERSON = {
    "given_name": "Ali",
    "family_name": "Rezaei",
    "birth_date": date(1990, 4, 2),
    "sex": "male",
    "nationality": "IRN",
}
ORDER = {
    "kind": "court_order",
    "decision_ref": "2-1234/2026",
    "court": "Baku Administrative Court",
    "decided_on": date(2026, 11, 20),
    "valid_until": date(2027, 2, 20),
}


@dataclass(frozen=True)
class Caller:
    role: str
    centres: tuple[str, ...] = ()
    user_id: str = "u1"
    all_scopes: bool = False


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


def ctx(role: str = "admin", *centres: str, **more: Any) -> handlers.Context:
    return handlers.Context(caller=Caller(role, centres, **more), now=NOW, correlation_id="corr-1")


@pytest.fixture
def repo() -> FakeRepository:
    repo = FakeRepository()
    for centre in ("baku", "yevlakh"):
        handlers.create_centre(
            repo, ctx(), {"id": centre, "name": centre.title(), "city": centre.title()}
        )
        handlers.create_unit(
            repo,
            ctx(),
            centre,
            {
                "id": f"{centre}-m1",
                "name": "M1",
                "category": "men",
                "declared_places": 2,
                "floor_area_m2": 8.0,
            },
        )
    return repo


def admit(
    repo: FakeRepository,
    unit_id: str = "baku-m1",
    caller: handlers.Context | None = None,
    **person: Any,
) -> dict:
    body = {"unit_id": unit_id, "person": {**PERSON, **person}, "legal_basis": ORDER}
    return admissions.admit(repo, caller or ctx(), body)


def test_admission_records_the_stay_and_emits_a_valid_event(repo: FakeRepository) -> None:
    stay = admit(repo, person_ref="AZ-1")
    assert (stay["status"], stay["legal_end"], stay["age_band"], stay["admitted_by"]) == (
        "open",
        "2027-02-20",
        "35-64",
        "u1",
    )
    assert repo.unit("baku-m1")["occupancy"] == 1
    event = validate_event(repo.outbox[-1].to_dict())
    assert (event.type, event.data["stay_id"], event.correlation_id) == (
        "detention.stay.opened",
        stay["id"],
        "corr-1",
    )


def test_a_full_unit_and_a_person_held_already_are_refused(repo: FakeRepository) -> None:
    admit(repo, person_ref="AZ-1")
    with pytest.raises(PersonAlreadyHeld):
        admit(repo, person_ref="AZ-1")
    admit(repo, person_ref="AZ-2")
    with pytest.raises(UnitFull) as full:
        admit(repo, person_ref="AZ-3")
    assert (full.value.occupancy, full.value.capacity) == (2, 2)


def test_centre_staff_act_in_their_centres_only(repo: FakeRepository) -> None:
    staff = ctx("centre_staff", "baku")
    stay = admit(repo, caller=staff)
    assert stay["person"]["family_name"] == "Rezaei"
    with pytest.raises(NotFoundError):
        admit(repo, "yevlakh-m1", caller=staff)
    for read in (
        lambda: handlers.get_centre(repo, staff, "yevlakh"),
        lambda: handlers.get_unit(repo, staff, "yevlakh-m1"),
        lambda: handlers.list_units(repo, staff, "yevlakh", None, 10),
    ):
        with pytest.raises(NotFoundError):
            read()
    assert [c["id"] for c in handlers.list_centres(repo, staff, None, 10).items] == ["baku"]
    other = admit(repo, "yevlakh-m1", person_ref="AZ-9")
    with pytest.raises(NotFoundError):
        handlers.get_stay(repo, staff, other["id"])
    assert [s["id"] for s in handlers.list_stays(repo, staff, StayFilter(), None, 10).items] == [
        stay["id"]
    ]


def test_centre_staff_with_every_centre_see_them_all(repo: FakeRepository) -> None:
    everywhere = ctx("centre_staff", all_scopes=True)
    assert len(handlers.list_centres(repo, everywhere, None, 10).items) == 2


@pytest.mark.parametrize(
    "role", ["liaison_officer", "avr_caseworker", "partner", "auditor", "centre_staff"]
)
def test_only_administrators_manage_centres_and_units(repo: FakeRepository, role: str) -> None:
    with pytest.raises(access.NotAllowed):
        handlers.create_centre(
            repo, ctx(role, "baku"), {"id": "ganja", "name": "Ganja", "city": "Ganja"}
        )
    with pytest.raises(access.NotAllowed):
        handlers.create_unit(repo, ctx(role, "baku"), "baku", {"id": "baku-m2"})


@pytest.mark.parametrize(
    "role, sees_units, sees_stays",
    [
        ("liaison_officer", True, False),
        ("avr_caseworker", True, False),
        ("partner", False, False),
        ("auditor", True, True),
        ("system", True, True),
    ],
)
def test_what_each_other_role_may_read(
    repo: FakeRepository, role: str, sees_units: bool, sees_stays: bool
) -> None:
    stay = admit(repo)
    assert handlers.get_centre(repo, ctx(role), "baku")["id"] == "baku"
    for allowed, read in (
        (sees_units, lambda: handlers.get_unit(repo, ctx(role), "baku-m1")),
        (sees_stays, lambda: handlers.get_stay(repo, ctx(role), stay["id"])),
    ):
        if allowed:
            read()
        else:
            with pytest.raises(access.NotAllowed):
                read()
    if sees_stays:
        view = handlers.get_stay(repo, ctx(role), stay["id"])
        assert "person" not in view and view["legal_basis"] == {"kind": "court_order"}


@pytest.mark.parametrize("role", ["auditor", "liaison_officer", "partner", "avr_caseworker"])
def test_only_admins_and_centre_staff_admit(repo: FakeRepository, role: str) -> None:
    with pytest.raises(access.NotAllowed):
        admit(repo, caller=ctx(role, "baku"))
    assert repo.unit("baku-m1")["occupancy"] == 0


def test_pages_carry_a_cursor_until_the_last(repo: FakeRepository) -> None:
    ids = [admit(repo, person_ref=f"AZ-{n}")["id"] for n in range(2)] + [
        admit(repo, "yevlakh-m1", person_ref="AZ-7")["id"]
    ]
    first = handlers.list_stays(repo, ctx(), StayFilter(), None, 2)
    second = handlers.list_stays(repo, ctx(), StayFilter(), first.last_id, 2)
    assert [s["id"] for s in first.items + second.items] == sorted(ids) and second.last_id is None
