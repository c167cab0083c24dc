"""Bad input on every voluntary-return endpoint: a 4xx problem and nothing stored (real database).
Each bad body is sent to a case at a stage where the good body would succeed, so the refusal
is the input's doing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from passage.config import Settings
from tests.integration.test_voluntary_return_support import (
    BODIES,
    PREFIX,
    SEGMENTS,
    Service,
    service,
)

OPERATOR = {"$ne": None}
# The stage from which the action's good body succeeds.
STAGE_FOR = {
    "register": "referred",
    "record_counselling": "registered",
    "decide_eligibility": "counselled",
    "record_consent": "eligible",
    "record_travel_document": "eligible",
    "book_travel": "travel_ready",
    "confirm_departure": "booked",
    "confirm_arrival": "departed",
    "plan_reintegration": "arrived",
    "record_monitoring_visit": "reintegration",
    "close": "monitoring",
    "withdraw": "booked",
    "record_no_show": "booked",
}


def _with(action: str, **changes: Any) -> dict[str, Any]:
    return {**BODIES[action], **changes}


def _without(action: str, name: str) -> dict[str, Any]:
    return {k: v for k, v in BODIES[action].items() if k != name}


def _particulars(**changes: Any) -> dict[str, Any]:
    return _with("register", particulars={**BODIES["register"]["particulars"], **changes})


BAD: dict[str, list[Any]] = {
    "register": [
        _without("register", "particulars"),
        _without("register", "languages"),
        _particulars(birth_date="1990-02-30"),
        _particulars(sex="m"),
        _particulars(nationality="IR"),
        _particulars(given_name=OPERATOR),
        _particulars(given_name=" Ali"),
        _with("register", classification="AVRR"),
        _with("register", vulnerabilities=["tall"]),
        _with("register", languages=[]),
        _with("register", languages=["Farsi"]),
        _with("register", documents=[{"kind": "visa"}]),
        _with("register", household=[{"given_name": "Sara"}]),
        _with("register", destination_country="$ne"),
        _with("register", classification="AVM", vulnerabilities=[]),
    ],
    "record_counselling": [
        _without("record_counselling", "held_on"),
        _with("record_counselling", held_on="24.11.2026"),
        _with("record_counselling", held_on="2026-11-25"),
        _with("record_counselling", counsellor=""),
        _with("record_counselling", interpreter_language="$where"),
        _with("record_counselling", notes="x" * 5001),
    ],
    "decide_eligibility": [
        _with("decide_eligibility", decision="maybe"),
        _with("decide_eligibility", reasons=[]),
        _with("decide_eligibility", reasons="because"),
        _without("decide_eligibility", "decided_on"),
    ],
    "record_consent": [
        _with("record_consent", declaration_signed=False),
        _with("record_consent", declaration_signed="yes"),
        _with("record_consent", declared_on="2027-01-01"),
        _without("record_consent", "language"),
    ],
    "record_travel_document": [
        _with("record_travel_document", status="lost"),
        _with("record_travel_document", kind="visa"),
        _without("record_travel_document", "status"),
    ],
    "book_travel": [
        _without("book_travel", "route"),
        _with("book_travel", escort="no"),
        _with("book_travel", departure_date="2026-11-23"),
        _with("book_travel", destination_country="iran"),
        _with("book_travel", medical_needs=OPERATOR),
    ],
    "confirm_departure": [
        {"departed_at": "2026-11-24T08:00:00"},
        {"departed_at": "2026-11-24"},
        {"departed_at": 1},
        {"departed_at": "2026-11-24T11:00:00Z"},
        {},
    ],
    "confirm_arrival": [{"arrived_at": "2026-11-24T07:00:00Z"}, {"arrived_at": "tomorrow"}, {}],
    "plan_reintegration": [
        {"cash_grant": {"amount": "1500", "currency": "EUR"}},
        {"cash_grant": {"amount": -1, "currency": "EUR"}},
        {"cash_grant": {"amount": 10.001, "currency": "EUR"}},
        {"cash_grant": {"amount": 10, "currency": "euro"}},
        {"in_kind": [{"type": "car", "description": "x"}]},
        {"in_kind": []},
        {},
    ],
    "record_monitoring_visit": [
        _with("record_monitoring_visit", month=4),
        _with("record_monitoring_visit", month="3"),
        _with("record_monitoring_visit", scores={"economic": 1, "social": 1}),
        _with("record_monitoring_visit", scores={"economic": "1", "social": 1, "psychosocial": 1}),
        _with("record_monitoring_visit", visited_on="2026-11-23"),
    ],
    "close": [{"outcome": "done"}, {"outcome": "ineligible"}, {}],
    "withdraw": [{"reason": "no_show"}, {"reason": "migrant_withdrew", "detail": OPERATOR}, {}],
    "record_no_show": [{"reason": "no_show"}, {"detail": ""}],
}
GENERIC = [{"$where": "1"}, [], "x", None]
CASES = [
    (a, i, b)
    for a, bodies in BAD.items()
    for i, b in enumerate(bodies + [{**BODIES[a], "extra": 1}] + GENERIC)
]


@pytest.fixture(scope="module")
def svc(mongo_url: str) -> Service:
    settings = Settings.from_env(
        "voluntary_return",
        env={},
        mongo_url=mongo_url,
        mongo_db=f"t_{uuid.uuid4().hex[:10]}_vr_bad",
        amqp_url="",
        bus_prefix="unused.",
    )
    return service(settings)


@pytest.fixture(scope="module")
def ready(svc: Service) -> dict[str, str]:
    """A case per action, at the stage from which the action's good body would succeed."""
    return {action: svc.case_at(STAGE_FOR[action])["id"] for action in BAD}


def _everything(svc: Service) -> tuple[Any, ...]:
    db = svc.deps.mongo
    names = ("cases", "monthly_statistics", "action_calendar", "stage_counts")
    return tuple(list(db.collection(name).find({}, sort=[("_id", 1)])) for name in names)


def _assert_problem(response: Any, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.get_json())
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("action,index,body", CASES, ids=[f"{a}-{i}" for a, i, _ in CASES])
def test_a_bad_body_is_refused_and_nothing_is_stored(
    svc: Service, ready: dict[str, str], action: str, index: int, body: Any
) -> None:
    before = _everything(svc)
    url = f"{PREFIX}/cases/{ready[action]}/{SEGMENTS[action]}"
    sent = {"data": "null", "content_type": "application/json"} if body is None else {"json": body}
    _assert_problem(svc.client.post(url, headers=svc.headers(), **sent), 400, 409, 422)
    assert _everything(svc) == before


@pytest.mark.parametrize("action", list(BAD))
def test_the_good_body_would_have_passed(svc: Service, ready: dict[str, str], action: str) -> None:
    """The control: the cases above were refused for their input, not their stage."""
    body = {"outcome": "completed"} if action == "close" else None
    assert svc.act(ready[action], action, body).status_code == 200


def test_malformed_json_and_oversized_bodies(svc: Service) -> None:
    before = _everything(svc)
    headers = {**svc.headers(), "Content-Type": "application/json"}
    _assert_problem(
        svc.client.post(f"{PREFIX}/cases", data='{"person_ref": ', headers=headers), 400
    )
    _assert_problem(svc.client.post(f"{PREFIX}/cases", data="x" * 300_000, headers=headers), 413)
    assert _everything(svc) == before


@pytest.mark.parametrize(
    "body",
    [
        {"source": "ngo"},
        {"person_ref": "a b", "source": "ngo"},
        {"person_ref": OPERATOR, "source": "ngo"},
        {"person_ref": "$where", "source": "ngo"},
        {"person_ref": "AZ-1", "source": "police"},
        {"person_ref": "AZ-1", "source": "ngo", "nationality": "Iran"},
        {"person_ref": "AZ-1", "source": "ngo", "x": 1},
        {"person_ref": "AZ-1", "source": "detention_centre", "centre_id": "Baku Centre"},
        {"person_ref": "AZ-1", "source": "detention_centre"},
        {"$where": "1"},
        [],
        None,
        {"person_ref": "AZ-1\n", "source": "ngo"},
        {"person_ref": "AZ-1\x00", "source": "ngo"},
        {"person_ref": "АZ-1", "source": "ngo"},
        {"person_ref": "AZ-１", "source": "ngo"},
        {"person_ref": "AZ-1", "source": "ngo", "nationality": "IRN\n"},
        {"person_ref": "AZ-1", "source": "detention_centre", "centre_id": "baku\r"},
    ],
)
def test_a_bad_referral_is_refused_and_nothing_is_stored(svc: Service, body: Any) -> None:
    before = _everything(svc)
    _assert_problem(svc.client.post(f"{PREFIX}/cases", json=body, headers=svc.headers()), 400, 422)
    assert _everything(svc) == before


@pytest.mark.parametrize(
    "path,status",
    [
        ("/cases/not-a-case", 422),
        ("/cases/%24ne", 422),
        (f"/cases/{uuid.uuid4()}", 404),
        ("/cases/not-a-case/registration", 422),
        (f"/cases/{uuid.uuid4()}/withdrawal", 404),
        ("/cases?person_ref[$ne]=1", 422),
        ("/cases?stage=flying", 422),
        ("/cases?limit=0", 422),
        ("/cases?limit=201", 422),
        ("/cases?cursor=%24ne", 422),
        ("/cases?nationality=iran", 422),
        ("/cases?destination_country[$gt]=", 422),
        ("/cases?sort=stage", 422),
        ("/cases/needs-action?kind=coffee", 422),
        ("/cases/needs-action?within_days=-1", 422),
        ("/cases/needs-action?cursor=abc", 422),
        ("/cases/needs-action?overdue=perhaps", 422),
        ("/cases/stages?stage=referred", 422),
        ("/cases/x?y=1", 422),
    ],
)
def test_bad_paths_and_queries_are_problems(svc: Service, path: str, status: int) -> None:
    before = _everything(svc)
    method = svc.client.post if path.endswith(("registration", "withdrawal")) else svc.client.get
    body = (
        BODIES["withdraw"]
        if path.endswith("withdrawal")
        else (BODIES["register"] if "registration" in path else None)
    )
    response = (
        method(f"{PREFIX}{path}", json=body, headers=svc.headers())
        if body
        else method(f"{PREFIX}{path}", headers=svc.headers())
    )
    _assert_problem(response, status)
    assert _everything(svc) == before
