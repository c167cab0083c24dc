"""Reads through the gateway are audited with whose records they returned, for every service.

The three real services on a real SecantusDB behind the real gateway: a search by ``person_ref``
is recorded with its filter and the ids of the stays, requests and cases it returned (finding 4 of
issue 11: it was recorded as ``ids={}``), and no record holds a name, birth date or document number.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from detention.app import create_app as detention_app
from gateway.auth.tokens import issue_access_token
from gateway.testing import gateway_for_tests, settings_for_tests
from passage.config import Settings
from passage.identity import Identity
from passage.testing import LiveServer
from readmission.app import create_app as readmission_app
from tests.integration.test_readmission_support import new_request
from voluntary_return.app import create_app as voluntary_return_app

PERSON, OTHER = "AZ-2026-700001", "AZ-2026-700002"
PERSONAL = ("Rezaei", "Karimi", "1990-04-02", "K1234567", "Caritas")
IDENTITIES = {
    "admin": Identity("admin", "admin"),
    "liaison": Identity("liaison.de", "liaison_officer", member_states=("DE",)),
    "caseworker": Identity("caseworker", "avr_caseworker"),
}


def _admission(person: str, family: str) -> dict[str, Any]:
    today = date.today()
    return {
        "unit_id": "baku-m1",
        "person": {
            "person_ref": person,
            "given_name": "Ali",
            "family_name": family,
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "IRN",
        },
        "legal_basis": {
            "kind": "court_order",
            "decision_ref": "2-1234/2026",
            "court": "Baku Administrative Court",
            "decided_on": (today - timedelta(days=2)).isoformat(),
            "valid_until": (today + timedelta(days=60)).isoformat(),
        },
    }


def _seed(client: Any, bearer: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """A stay, a readmission request and an AVRR case for each of two people: ``{kind: {person:
    id}}``."""
    admin = bearer["admin"]
    assert (
        client.post(
            "/api/v1/detention/centres",
            headers=admin,
            json={"id": "baku", "name": "Baku centre", "city": "Baku"},
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/detention/centres/baku/units",
            headers=admin,
            json={
                "id": "baku-m1",
                "name": "Men's wing 1",
                "category": "men",
                "declared_places": 40,
                "floor_area_m2": 180.0,
                "single_room": False,
            },
        ).status_code
        == 201
    )
    made: dict[str, dict[str, str]] = {"stay": {}, "request": {}, "case": {}}
    for person, family in ((PERSON, "Rezaei"), (OTHER, "Karimi")):
        calls = (
            ("stay", "/api/v1/detention/stays", admin, _admission(person, family)),
            (
                "request",
                "/api/v1/readmission/requests",
                bearer["liaison"],
                new_request(person_ref=person),
            ),
            (
                "case",
                "/api/v1/voluntary-return/cases",
                bearer["caseworker"],
                {
                    "person_ref": person,
                    "source": "ngo",
                    "organisation": "Caritas Baku",
                    "nationality": "IRN",
                },
            ),
        )
        for kind, path, headers, body in calls:
            r = client.post(path, headers=headers, json=body)
            assert r.status_code == 201, r.get_data(as_text=True)
            made[kind][person] = r.json["id"]
    return made


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[dict[str, Any]]:
    run = uuid.uuid4().hex[:10]

    def settings(service: str) -> Settings:
        return Settings.from_env(
            service, env={}, mongo_url=mongo_url, mongo_db=f"t_{run}_{service}"
        )

    apps = {
        "detention": detention_app(settings("detention")),
        "readmission": readmission_app(settings("readmission")),
        "voluntary-return": voluntary_return_app(settings("voluntary-return")),
    }
    servers = {name: LiveServer(app) for name, app in apps.items()}
    for server in servers.values():
        server.__enter__()
    try:
        gateway, deps = gateway_for_tests(
            settings_for_tests(settings("gateway"), {n: s.url for n, s in servers.items()})
        )
        client = gateway.test_client()
        bearer = {
            name: {"Authorization": f"Bearer {issue_access_token(i, deps.keys, ttl_seconds=3600)}"}
            for name, i in IDENTITIES.items()
        }
        yield {
            "client": client,
            "bearer": bearer,
            "ids": _seed(client, bearer),
            "trail": deps.guard.trail,
        }
        deps.mongo.close()
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


def _last_read(stack: dict[str, Any], resource: str) -> dict[str, Any]:
    return next(
        r for r in stack["trail"].search(resource=resource, limit=20) if r["action"] == "read"
    )


@pytest.mark.parametrize(
    "kind,path,who",
    [
        ("stay", "/api/v1/detention/stays", "admin"),
        ("request", "/api/v1/readmission/requests", "liaison"),
        ("case", "/api/v1/voluntary-return/cases", "caseworker"),
    ],
)
def test_a_search_by_person_is_audited_with_its_filter_and_the_ids_it_returned(
    stack, kind, path, who
):
    r = stack["client"].get(f"{path}?person_ref={PERSON}", headers=stack["bearer"][who])
    assert r.status_code == 200 and [item["id"] for item in r.json["items"]] == [
        stack["ids"][kind][PERSON]
    ]
    record = _last_read(stack, path)
    assert record["filters"] == {"person_ref": PERSON}
    assert record["returned"]["id"] == [stack["ids"][kind][PERSON]]
    assert record["returned"]["person_ref"] == [PERSON]


def test_an_unfiltered_list_names_everyone_on_the_page(stack):
    r = stack["client"].get("/api/v1/detention/stays?limit=10", headers=stack["bearer"]["admin"])
    assert r.status_code == 200
    record = _last_read(stack, "/api/v1/detention/stays")
    assert record["filters"] == {"limit": "10"}
    assert record["returned"]["person_ref"] == sorted([PERSON, OTHER])
    assert record["returned"]["id"] == sorted(stack["ids"]["stay"].values())


def test_reading_one_record_names_the_person_it_belongs_to(stack):
    stay_id = stack["ids"]["stay"][OTHER]
    assert (
        stack["client"]
        .get(f"/api/v1/detention/stays/{stay_id}", headers=stack["bearer"]["admin"])
        .status_code
        == 200
    )
    record = _last_read(stack, "/api/v1/detention/stays/{stay_id}")
    assert record["ids"] == {"stay_id": stay_id} and record["returned"]["person_ref"] == [OTHER]


def test_a_refused_search_keeps_only_the_filter_names(stack):
    r = stack["client"].get(
        "/api/v1/readmission/requests?person_ref=Ali%20Rezaei", headers=stack["bearer"]["liaison"]
    )
    assert r.status_code == 422
    record = next(
        r
        for r in stack["trail"].search(
            resource="/api/v1/readmission/requests", outcome=422, limit=5
        )
    )
    assert record["filters"] == {"person_ref": "(refused)"} and record["returned"] == {}


def test_no_audit_record_holds_personal_particulars(stack):
    records = json.dumps(list(stack["trail"].in_order()), default=str)
    assert PERSON in records  # identifiers are named…
    assert not [word for word in PERSONAL if word in records]  # …particulars never


def test_an_auditor_finds_who_read_a_persons_records_and_sees_what_they_asked(stack):
    stack["client"].get(
        f"/api/v1/voluntary-return/cases?person_ref={OTHER}", headers=stack["bearer"]["caseworker"]
    )
    auditor = {"Authorization": stack["bearer"]["admin"]["Authorization"]}
    page = stack["client"].get(f"/api/v1/audit?person_ref={OTHER}&limit=200", headers=auditor)
    assert page.status_code == 200, page.json
    assert page.json["items"] and all(
        OTHER in r["returned"].get("person_ref", []) + [r["ids"].get("person_ref")]
        for r in page.json["items"]
    )
    read = next(r for r in page.json["items"] if r["resource"] == "/api/v1/voluntary-return/cases")
    assert read["user"] == "caseworker" and read["filters"] == {"person_ref": OTHER}
    assert read["key_id"] and read["returned"]["id"] == [stack["ids"]["case"][OTHER]]
    assert (
        stack["client"].get("/api/v1/audit?person_ref[$ne]=x", headers=auditor).status_code == 422
    )
