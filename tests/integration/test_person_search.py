"""Person search through the gateway over the three real services: one person under four spellings,
nobody outside the caller's scope, every search audited, bad input refused with a 422."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import pytest

from gateway.auth.tokens import issue_access_token
from passage.identity import Identity
from tests.integration.test_readmission_support import new_request, particulars
from tests.integration.test_ui_support import UiStack
from tests.integration.test_voluntary_return_support import BODIES

D, R, V = "/api/v1/detention", "/api/v1/readmission", "/api/v1/voluntary-return"
PERSON, STRANGER = "AZ-2026-500001", "AZ-2026-500002"
SPELLINGS = ("Məmmədov", "Mammadov", "Mamedov", "Мамедов")


def _admit(stack: UiStack, ref: str, unit: str, centre: str, family: str) -> None:
    body = {
        "unit_id": unit,
        "legal_basis": {
            "kind": "court_order",
            "decision_ref": "2-9/2026",
            "court": "Baku Administrative Court",
            "decided_on": "2026-11-20",
            "valid_until": "2027-02-20",
        },
        "person": {
            "person_ref": ref,
            "given_name": "Rəşad",
            "family_name": family,
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "AZE",
        },
    }
    r = stack.api("POST", f"{D}/stays", role="centre_staff", body=body, centres=(centre,))
    assert r.status_code == 201, r.text


def _request(stack: UiStack, ref: str, member_state: str, family: str, passport: str) -> None:
    who = {
        **particulars(),
        "family_name": family,
        "given_names": "Rashad",
        "documents": [{"type": "passport", "number": passport, "issued_by": "AZE"}],
    }
    r = stack.api(
        "POST",
        f"{R}/requests",
        role="liaison_officer",
        body=new_request(person_ref=ref, member_state=member_state, particulars=who),
        all_scopes=True,
    )
    assert r.status_code == 201, r.text


def _case(stack: UiStack, ref: str, family: str) -> None:
    case = stack.api(
        "POST",
        f"{V}/cases",
        role="avr_caseworker",
        body={"person_ref": ref, "source": "ngo", "organisation": "Caritas Baku"},
    ).json()
    body = {
        **BODIES["register"],
        "particulars": {
            **BODIES["register"]["particulars"],
            "family_name": family,
            "given_name": "Rəşad",
        },
    }
    r = stack.api("POST", f"{V}/cases/{case['id']}/registration", role="avr_caseworker", body=body)
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[UiStack]:
    with UiStack(mongo_url) as ui:
        ui.centres()
        _admit(ui, PERSON, "baku-m1", "baku", "Məmmədov")
        _admit(ui, STRANGER, "yevlakh-m1", "yevlakh", "Mamedov")
        _request(ui, PERSON, "DE", "Mamedov", "C 01234567")
        _request(ui, STRANGER, "FR", "Mammadov", "C07654321")
        _case(ui, PERSON, "Mammadov")
        yield ui


def _search(stack: UiStack, who: Identity, **query: str) -> Any:
    token = issue_access_token(who, stack.deps.keys, ttl_seconds=600)
    return stack.app.test_client().get(
        "/api/v1/persons/search", query_string=query, headers={"Authorization": f"Bearer {token}"}
    )


ADMIN = Identity("admin", "admin")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_one_person_is_found_under_each_spelling_in_all_three_services(
    stack: UiStack, spelling: str
) -> None:
    r = _search(stack, ADMIN, name=f"{spelling} Rashad", birth_date="1990-04-02")
    assert r.status_code == 200, r.json
    found = {p["person_ref"]: p for p in r.json["items"]}
    assert PERSON in found and r.json["partial"] is False
    assert {rec["service"] for rec in found[PERSON]["records"]} == {
        "detention",
        "readmission",
        "voluntary-return",
    }
    assert found[PERSON]["timeline"] == f"/api/v1/persons/{PERSON}/timeline"
    assert "particulars" not in r.get_data(as_text=True) and "Rəşad" not in r.get_data(as_text=True)


def test_a_document_number_finds_the_person_whatever_its_spacing(stack: UiStack) -> None:
    r = _search(stack, ADMIN, document="c01234567")
    assert [p["person_ref"] for p in r.json["items"]] == [PERSON]
    assert _search(stack, ADMIN, ref=STRANGER).json["items"][0]["person_ref"] == STRANGER


def test_centre_staff_do_not_find_a_person_held_in_another_centre(stack: UiStack) -> None:
    staff = Identity("staff.baku", "centre_staff", centres=("baku",))
    r = _search(stack, staff, name="Mamedov")
    assert r.status_code == 200, r.json
    assert [p["person_ref"] for p in r.json["items"]] == [PERSON]
    assert r.json["not_included"] == ["readmission", "voluntary-return"]
    other = _search(
        stack, Identity("staff.yevlakh", "centre_staff", centres=("yevlakh",)), name="Мамедов"
    )
    assert [p["person_ref"] for p in other.json["items"]] == [STRANGER]


def test_a_liaison_officer_does_not_find_a_request_of_another_member_state(stack: UiStack) -> None:
    liaison = Identity("liaison.de", "liaison_officer", member_states=("DE",))
    r = _search(stack, liaison, name="Məmmədov")
    assert [p["person_ref"] for p in r.json["items"]] == [PERSON]
    assert [rec["service"] for rec in r.json["items"][0]["records"]] == ["readmission"]
    assert _search(stack, liaison, document="C07654321").json["items"] == []


def test_roles_without_particulars_may_not_search(stack: UiStack) -> None:
    for who in (Identity("auditor", "auditor"), Identity("p", "partner", organisation="IOM")):
        r = _search(stack, who, name="Mamedov")
        assert r.status_code == 403 and PERSON not in r.get_data(as_text=True)
    direct = stack.api("GET", f"{V}/persons/search?name=Mamedov", role="auditor")
    assert direct.status_code == 403


def test_every_search_is_audited_with_its_filters_and_the_people_returned(stack: UiStack) -> None:
    staff = Identity("staff.audit", "centre_staff", centres=("baku",))
    assert _search(stack, staff, name="Mammadov", birth_date="1990-04-02").status_code == 200
    records = stack.deps.guard.trail.search(user="staff.audit", resource="/api/v1/persons/search")
    assert records, "no audit record"
    assert records[0]["filters"] == {"name": "Mammadov", "birth_date": "1990-04-02"}
    assert records[0]["returned"] == {"person_ref": [PERSON]}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"name": ""},
        {"name": "$ne"},
        {"name": '{"$gt": ""}'},
        {"name": "a" * 201},
        {"name": "Ali1"},
        {"name[$ne]": "x"},
        {"birth_date": "1990-02-30"},
        {"document": "{$where}"},
        {"ref": "a b"},
        {"name": "Mamedov", "limit": "1000"},
        {"name": " ".join(["Ali"] * 9)},
    ],
)
def test_bad_input_is_refused_by_the_gateway_and_by_each_service(
    stack: UiStack, query: dict
) -> None:
    r = _search(stack, ADMIN, **query)
    assert r.status_code == 422 and r.mimetype == "application/problem+json", (
        r.status_code,
        r.json,
    )
    for prefix in (D, R, V):
        direct = stack.api("GET", f"{prefix}/persons/search?{urlencode(query)}", role="admin")
        assert direct.status_code == 422, (prefix, direct.status_code, direct.text)


def test_the_backfill_gives_records_made_before_search_their_keys(mongo_url: str) -> None:
    from pymongo import MongoClient

    from detention.domain.model import STAY_SEARCH
    from passage import person_search

    client = MongoClient(mongo_url)
    stays = client[f"t_backfill_{uuid4().hex[:8]}"]["stays"]
    try:
        stays.insert_many(
            [
                {
                    "_id": "old",
                    "person_ref": "AZ-OLD",
                    "person": {"given_name": "Рашад", "family_name": "Мамедов"},
                },
                {
                    "_id": "new",
                    "person_ref": "AZ-NEW",
                    "name_keys": ["kept"],
                    "person": {"given_name": "Ali"},
                },
            ]
        )
        assert person_search.backfill(stays, STAY_SEARCH) == 1
        assert stays.find_one({"_id": "new"})["name_keys"] == ["kept"]
        found = person_search.find_hits(
            stays, {}, {"name": "Məmmədov Rəşad", "limit": 20}, STAY_SEARCH
        )
        assert [h["person_ref"] for h in found] == ["AZ-OLD"]
    finally:
        client.drop_database(stays.database.name)
        client.close()
