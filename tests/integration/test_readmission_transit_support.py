"""Shared set-up for transit-request integration tests: valid bodies, a way to reach each state,
and the readmission app (from test_readmission_support) with transit helpers."""

from __future__ import annotations

from typing import Any

from readmission.domain import protocols
from tests.integration.test_readmission_support import PREFIX, Service, particulars

TRANSITS = f"{PREFIX}/transits"
# HTTP path and a valid body for every action.
ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "approve": ("approve", {"note": "Crossing and escort confirmed"}),
    "refuse": (
        "refuse",
        {"reasons": [{"code": "public_order_or_security", "explanation": "Entry ban on file"}]},
    ),
    "withdraw": ("withdraw", {"reason": "requesting_state_withdrew"}),
    "revoke_consent": (
        "revoke-consent",
        {"reason": "facts_came_to_light", "explanation": "Onward flight cancelled"},
    ),
    "complete": ("complete", {}),
}
# How to reach each state from a fresh application.
ROUTES: dict[str, list[str]] = {
    "submitted": [],
    "approved": ["approve"],
    "refused": ["refuse"],
    "withdrawn": ["withdraw"],
    "consent_revoked": ["approve", "revoke_consent"],
    "completed": ["approve", "complete"],
}


def new_transit(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "direction": "incoming",
        "member_state": "DE",
        "person_ref": "AZ-2026-000777",
        "particulars": particulars(),
        "route": ["DE", "AZ", "IRN"],
        "border_crossing_point": "Heydar Aliyev International Airport",
        "transit_at": "2026-11-20T06:30:00+04:00",
        "means": "air",
        "escorts": {"count": 2, "agency": "Bundespolizei"},
    }
    body.update(overrides)
    return body


def create(service: Service, role: str = "liaison_officer", **overrides: Any) -> dict[str, Any]:
    response = service.client.post(
        TRANSITS, json=new_transit(**overrides), headers=service.headers(role)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(
    service: Service,
    transit_id: str,
    path: str,
    body: dict[str, Any] | None = None,
    role: str = "liaison_officer",
    scopes: dict[str, Any] | None = None,
    **headers: str,
) -> Any:
    return service.client.post(
        f"{TRANSITS}/{transit_id}/{path}",
        json=body if body is not None else {},
        headers={**service.headers(role, **(scopes or {})), **headers},
    )


def get(service: Service, transit_id: str, role: str = "liaison_officer", **scopes: Any) -> Any:
    return service.client.get(f"{TRANSITS}/{transit_id}", headers=service.headers(role, **scopes))


def drive(service: Service, state: str, **overrides: Any) -> dict[str, Any]:
    transit = create(service, **overrides)
    for step in ROUTES[state]:
        path, body = ACTIONS[step]
        response = act(service, transit["id"], path, body)
        assert response.status_code == 200, response.get_json()
        transit = response.get_json()
    assert transit["state"] == state
    return transit


def list_crossing_points(service: Service, member_state: str, points: list[str]) -> None:
    """Give ``member_state``'s protocol crossing points (in force from before the test clock's
    today)."""
    store = service.deps.protocols
    store.seed(service.clock())
    version = {
        **protocols.seed_version(member_state, service.clock()),
        "effective_from": "2026-01-01",
        "status": "in_force",
        "border_crossing_points": points,
    }
    assert store.add_version(member_state, store.get(member_state)["version"], version) is not None


def counts(service: Service) -> dict[str, int]:
    db = service.deps.mongo.db
    return {name: db[name].count_documents({}) for name in ("transits", "deadlines")}
