"""Helpers the voluntary-return integration tests share (no tests of its own): a service on the
real SecantusDB with a settable clock, request bodies for every action, and the shortest path of
actions to each stage of the case stage machine."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from passage.config import Settings
from passage.testing import identity_headers
from voluntary_return.app import create_app
from voluntary_return.service import Deps, build_deps

PREFIX = "/api/v1/voluntary-return"
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

BODIES: dict[str, dict[str, Any]] = {
    "register": {
        "particulars": {
            "given_name": "Ali",
            "family_name": "Rezaei",
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "IRN",
        },
        "documents": [{"kind": "passport", "number": "K1234567", "expires_on": "2025-01-01"}],
        "languages": ["fa", "az"],
        "classification": "AVM",
        "vulnerabilities": ["serious_illness"],
        "household": [
            {
                "given_name": "Sara",
                "family_name": "Rezaei",
                "relationship": "daughter",
                "birth_date": "2015-06-01",
            }
        ],
        "destination_country": "IRN",
    },
    "record_counselling": {
        "held_on": "2026-11-24",
        "counsellor": "Leyla Mammadova",
        "interpreter_language": "fa",
        "notes": "Worried about debts at home.",
    },
    "decide_eligibility": {
        "decision": "eligible",
        "reasons": ["Meets the AVRR criteria."],
        "decided_on": "2026-11-24",
    },
    "record_consent": {
        "declaration_signed": True,
        "declared_on": "2026-11-24",
        "language": "fa",
        "interpreter_language": "fa",
    },
    "record_travel_document": {
        "kind": "laissez_passer",
        "status": "issued",
        "reference": "LP-2026-77",
    },
    "book_travel": {
        "route": "GYD-IKA J2 9012",
        "departure_date": "2026-11-24",
        "escort": True,
        "escort_details": "IOM operations assistant",
        "medical_needs": "insulin in cabin",
    },
    "confirm_departure": {"departed_at": "2026-11-24T08:00:00Z"},
    "confirm_arrival": {"arrived_at": "2026-11-24T09:30:00+00:00"},
    "plan_reintegration": {
        "cash_grant": {"amount": 1500, "currency": "EUR"},
        "in_kind": [
            {
                "type": "business",
                "description": "grocery stall",
                "value": {"amount": 800.5, "currency": "EUR"},
            }
        ],
    },
    "record_monitoring_visit": {
        "month": 3,
        "visited_on": "2026-11-24",
        "scores": {"economic": 0.5, "social": 0.75, "psychosocial": 1},
    },
    "close": {"outcome": "completed"},
    "withdraw": {"reason": "migrant_withdrew", "detail": "Decided to stay with relatives."},
    "record_no_show": {"detail": "Did not come to the airport."},
    "record_consent_to_share": {
        "agreed_on": "2026-11-24",
        "language": "fa",
        "interpreter_language": "fa",
    },
    "withdraw_consent_to_share": {"withdrawn_on": "2026-11-24"},
}
SEGMENTS = {
    "register": "registration",
    "record_counselling": "counselling-sessions",
    "decide_eligibility": "eligibility",
    "record_consent": "consent",
    "record_travel_document": "travel-document",
    "book_travel": "booking",
    "confirm_departure": "departure",
    "confirm_arrival": "arrival",
    "plan_reintegration": "reintegration-plan",
    "record_monitoring_visit": "monitoring-visits",
    "close": "closure",
    "withdraw": "withdrawal",
    "record_no_show": "no-show",
    "record_consent_to_share": "consent-to-share",
    "withdraw_consent_to_share": "consent-to-share-withdrawal",
}
INELIGIBLE = {
    **BODIES["decide_eligibility"],
    "decision": "ineligible",
    "reasons": ["Holds refugee status."],
}
REQUESTED = {**BODIES["record_travel_document"], "status": "requested"}
_ELIGIBLE = ["register", "record_counselling", "decide_eligibility"]
_READY = [*_ELIGIBLE, "record_consent", "record_travel_document"]
_ARRIVED = [*_READY, "book_travel", "confirm_departure", "confirm_arrival"]
# The shortest path to each stage: (action, body override or None).
PATHS: dict[str, list[tuple[str, dict[str, Any] | None]]] = {
    "referred": [],
    "registered": [("register", None)],
    "counselled": [("register", None), ("record_counselling", None)],
    "eligible": [(a, None) for a in _ELIGIBLE],
    "ineligible": [
        ("register", None),
        ("record_counselling", None),
        ("decide_eligibility", INELIGIBLE),
    ],
    "documents": [*[(a, None) for a in _ELIGIBLE], ("record_travel_document", REQUESTED)],
    "travel_ready": [(a, None) for a in _READY],
    "booked": [(a, None) for a in (*_READY, "book_travel")],
    "departed": [(a, None) for a in (*_READY, "book_travel", "confirm_departure")],
    "arrived": [(a, None) for a in _ARRIVED],
    "reintegration": [(a, None) for a in (*_ARRIVED, "plan_reintegration")],
    "monitoring": [(a, None) for a in (*_ARRIVED, "plan_reintegration", "record_monitoring_visit")],
    "closed": [
        (a, None) for a in (*_ARRIVED, "plan_reintegration", "record_monitoring_visit", "close")
    ],
    "withdrawn": [("withdraw", None)],
    "no_show": [("record_no_show", None)],
}


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


@dataclass
class Service:
    """The API over a real database, with helpers speaking as a given role."""

    settings: Settings
    deps: Deps
    client: FlaskClient
    clock: Clock = field(default_factory=Clock)

    def headers(self, role: str = "avr_caseworker", **extra: str) -> dict[str, str]:
        return {
            **identity_headers(self.settings.internal_token_secret, role=role, user_id=f"{role}-1"),
            **extra,
        }

    def refer(
        self, person_ref: str | None = None, role: str = "avr_caseworker", **body: Any
    ) -> Any:
        payload = {
            "person_ref": person_ref or new_ref(),
            "source": "ngo",
            "organisation": "Caritas Baku",
            "nationality": "IRN",
            **body,
        }
        return self.client.post(f"{PREFIX}/cases", json=payload, headers=self.headers(role))

    def act(
        self,
        case_id: str,
        action: str,
        body: dict[str, Any] | None = None,
        role: str = "avr_caseworker",
        **headers: str,
    ) -> Any:
        return self.client.post(
            f"{PREFIX}/cases/{case_id}/{SEGMENTS[action]}",
            json=BODIES[action] if body is None else body,
            headers=self.headers(role, **headers),
        )

    def get(self, path: str, role: str = "avr_caseworker") -> Any:
        return self.client.get(f"{PREFIX}{path}", headers=self.headers(role))

    def case_at(
        self, stage: str, person_ref: str | None = None, shared: bool = False
    ) -> dict[str, Any]:
        """A new case walked along the shortest path to ``stage``; ``shared``: with the migrant's
        consent to share it with the authorities recorded first (else no event leaves)."""
        response = self.refer(person_ref)
        assert response.status_code == 201, response.get_json()
        case = response.get_json()
        for action, body in [("record_consent_to_share", None)] * shared + PATHS[stage]:
            response = self.act(case["id"], action, body)
            assert response.status_code == 200, (action, response.get_json())
            case = response.get_json()
        assert case["stage"] == stage
        return case

    def stored(self, case_id: str) -> dict[str, Any]:
        return self.deps.mongo.collection("cases").find_one({"_id": case_id})

    def statistics_rows(self) -> list[dict[str, Any]]:
        return list(self.deps.mongo.collection("monthly_statistics").find({}, sort=[("_id", 1)]))


def new_ref() -> str:
    return f"AZ-2026-{uuid.uuid4().hex[:8]}"


def service(settings: Settings) -> Service:
    clock = Clock()
    deps = build_deps(settings, clock=clock)
    return Service(settings, deps, create_app(settings, deps).test_client(), clock)
