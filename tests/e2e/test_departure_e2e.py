"""Issue 5's end-to-end journey across all three services, through the gateway, with the stack
started as the launcher starts it (real processes, the embedded bus).

A detained man with a pending readmission request chooses assisted voluntary return. When IOM
confirms his departure, exactly one ``voluntary_return.departure.confirmed`` crosses the bus,
detention closes his stay (reason ``voluntary_return``, the place freed) and readmission
withdraws the pending request — each once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from pymongo import MongoClient

from devstack import Stack
from devstack.probes import free_port_base
from passage.testing import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
REPO = Path(__file__).resolve().parents[2]
DEPARTURE = "voluntary_return.departure.confirmed"


class Gateway:
    """An admin's API client on the gateway."""

    def __init__(self, stack: Stack) -> None:
        self.base = stack.gateway_url
        self.session = requests.Session()
        r = self.session.post(
            f"{self.base}/api/v1/auth/login",
            json={"username": "admin", "password": stack.logins["admin"]},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        self.session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=30)

    def post(self, path: str, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        r = self.session.post(self.base + path, json=body, timeout=30)
        assert r.status_code == expect, (path, r.status_code, r.text)
        return r.json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    env = {"MONGO_URL": None, "AMQP_URL": None, "PASSAGE_BUS_PREFIX": None}
    with Stack(
        REPO,
        var_dir=tmp_path_factory.mktemp("departure") / "var",
        base_port=free_port_base(),
        env=env,
        workers=1,
    ) as running:
        running.seed()
        yield running


def admit(api: Gateway, person_ref: str) -> dict[str, Any]:
    today = date.today()
    return api.post(
        "/api/v1/detention/stays",
        {
            "unit_id": "yevlakh-m1",
            "person": {
                "person_ref": person_ref,
                "given_name": "Ali",
                "family_name": "Rezaei",
                "birth_date": "1990-04-02",
                "sex": "male",
                "nationality": "IRN",
            },
            "legal_basis": {
                "kind": "court_order",
                "decision_ref": "2-77/2026",
                "court": "Yevlakh District Court",
                "decided_on": today.isoformat(),
                "valid_until": (today + timedelta(days=90)).isoformat(),
            },
        },
        expect=201,
    )


def pending_request(api: Gateway, person_ref: str) -> dict[str, Any]:
    created = api.post(
        "/api/v1/readmission/requests",
        {
            "direction": "outgoing",
            "member_state": "DE",
            "person_ref": person_ref,
            "category": "third_country_national",
            "procedure": "normal",
            "learned_on": (date.today() - timedelta(days=30)).isoformat(),
            "voluntary_return_offered": True,
            "particulars": {
                "family_name": "Rezaei",
                "given_names": "Ali",
                "birth_date": "1990-04-02",
                "sex": "male",
                "nationality": "IRN",
                "documents": [{"type": "passport", "number": "K1234567", "issued_by": "IRN"}],
            },
            "evidence": [
                {"of": "third_country_conditions", "type": "travel_ticket", "reference": "TK-0099"}
            ],
        },
        expect=201,
    )
    return api.post(f"/api/v1/readmission/requests/{created['id']}/submit", {})


def booked_case(api: Gateway, person_ref: str) -> dict[str, Any]:
    """Referred from detention and walked to ``booked`` by an IOM caseworker's steps."""
    today = date.today().isoformat()
    case = api.post(
        "/api/v1/voluntary-return/cases",
        {"person_ref": person_ref, "source": "detention_centre", "nationality": "IRN"},
        expect=201,
    )
    steps = [
        (
            "registration",
            {
                "particulars": {
                    "given_name": "Ali",
                    "family_name": "Rezaei",
                    "birth_date": "1990-04-02",
                    "sex": "male",
                    "nationality": "IRN",
                },
                "languages": ["fa"],
                "classification": "AVR",
                "destination_country": "IRN",
            },
        ),
        (
            "counselling-sessions",
            {
                "held_on": today,
                "counsellor": "Leyla Mammadova",
                "interpreter_language": "fa",
                "notes": "Wants to go home.",
            },
        ),
        (
            "eligibility",
            {"decision": "eligible", "reasons": ["Meets the AVRR criteria."], "decided_on": today},
        ),
        (
            "consent",
            {
                "declaration_signed": True,
                "declared_on": today,
                "language": "fa",
                "interpreter_language": "fa",
            },
        ),
        # Without consent to share, detention and readmission would hear nothing of the case (#11
        # finding 7).
        ("consent-to-share", {"agreed_on": today, "language": "fa", "interpreter_language": "fa"}),
        (
            "travel-document",
            {"kind": "laissez_passer", "status": "issued", "reference": "LP-2026-78"},
        ),
        ("booking", {"route": "GYD-IKA J2 9012", "departure_date": today, "escort": False}),
    ]
    for segment, body in steps:
        case = api.post(f"/api/v1/voluntary-return/cases/{case['id']}/{segment}", body)
    assert case["stage"] == "booked", case
    return case


def test_departure_closes_the_stay_and_withdraws_the_request_once(stack: Stack) -> None:
    api = Gateway(stack)
    person_ref = f"AZ-E2E-{uuid.uuid4().hex[:8]}"
    stay = admit(api, person_ref)
    request = pending_request(api, person_ref)
    assert request["state"] == "submitted"
    # The caseworker's own (audited) prefill call; the location endpoint answers only once a case
    # exists.
    wait_for(
        lambda: (
            api.get(f"/api/v1/voluntary-return/referral-prefill/{person_ref}").status_code == 200
        ),
        timeout=60,
        message="voluntary return to learn where the person is held",
    )
    case = booked_case(api, person_ref)
    assert case["referral"]["centre_id"] == "yevlakh"  # prefilled from detention's events

    departed_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    api.post(f"/api/v1/voluntary-return/cases/{case['id']}/departure", {"departed_at": departed_at})
    repeat = api.session.post(
        f"{api.base}/api/v1/voluntary-return/cases/{case['id']}/departure",
        json={"departed_at": departed_at},
        timeout=30,
    )
    assert (
        repeat.status_code == 409 and repeat.headers["Content-Type"] == "application/problem+json"
    )

    closed = wait_for(
        lambda: _stay_if_closed(api, stay["id"]), timeout=90, message="the stay to be closed"
    )
    assert closed["release_reason"] == "voluntary_return"
    withdrawn = wait_for(
        lambda: _request_if(api, request["id"], "withdrawn"),
        timeout=90,
        message="the pending request to be withdrawn",
    )
    assert [h["state"] for h in withdrawn["history"]].count("withdrawn") == 1
    unit = api.get("/api/v1/detention/units/yevlakh-m1").json()
    assert unit["occupancy"] == 0  # the place is free again

    # Exactly one departure event crossed: each consumer's inbox holds one entry for it.
    client = MongoClient(stack.mongo_url)
    try:
        for database in ("passage_detention", "passage_readmission"):
            assert client[database]["inbox"].count_documents({"type": DEPARTURE}) == 1, database
    finally:
        client.close()


def _stay_if_closed(api: Gateway, stay_id: str) -> dict[str, Any] | None:
    stay = api.get(f"/api/v1/detention/stays/{stay_id}").json()
    return stay if stay.get("status") == "closed" else None


def _request_if(api: Gateway, request_id: str, state: str) -> dict[str, Any] | None:
    found = api.get(f"/api/v1/readmission/requests/{request_id}").json()
    return found if found.get("state") == state else None
