"""Detention's handlers with an in-memory repository: who may do what, what each role sees, and
what an admission records and emits. No sockets (the Mongo adapter is tested in integration)."""

from __future__ import annotations

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
from tests.fakes.detention import FakeRepository

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
