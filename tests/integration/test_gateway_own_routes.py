"""Who may call the gateway's OWN routes (audit trail, user administration, partner reports, the
person timeline, sign-in), written out by hand from DESIGN §1 and §3.4 — independent of
gateway/edge/routes.py — and checked against the running gateway app on a real SecantusDB.

A role the table does not name gets exactly 403; a role it names gets the route's own answer
(200/201, or 404 for a user that does not exist, 502 for a report whose service is down — the
services are deliberately unreachable here: these routes are the gateway's, not theirs).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.auth.tokens import issue_access_token
from gateway.testing import add_user, gateway_for_tests, settings_for_tests
from passage.config import Settings
from passage.identity import Identity
from passage.testing import down_url

ROLES = ("admin", "centre_staff", "liaison_officer", "avr_caseworker", "partner", "auditor")
IDENTITIES = {
    "admin": Identity("admin", "admin"),
    "centre_staff": Identity("staff.baku", "centre_staff", centres=("baku",)),
    "liaison_officer": Identity("liaison.de", "liaison_officer", member_states=("DE",)),
    "avr_caseworker": Identity("caseworker", "avr_caseworker"),
    "partner": Identity("partner.iom", "partner", organisation="IOM"),
    "auditor": Identity("auditor", "auditor"),
}
PASSWORD = "correct horse battery staple"
TARGET = "target.user"  # an account that exists
# The table, by hand: (method, path, body, roles allowed, the answer an allowed role gets).
#   auditor/administrator: "see who read or changed which record; manage users" (DESIGN §1)
#   partner: statistics only; a person's timeline: every role whose job needs persons (not partners)
OWN_ROUTES: list[tuple[str, str, dict[str, Any] | None, set[str], int]] = [
    ("GET", "/api/v1/audit", None, {"auditor", "admin"}, 200),
    ("GET", "/api/v1/audit?outcome=403", None, {"auditor", "admin"}, 200),
    (
        "POST",
        "/api/v1/admin/users",
        {"username": "<new>", "role": "auditor", "password": PASSWORD},
        {"admin"},
        201,
    ),
    ("GET", f"/api/v1/admin/users/{TARGET}", None, {"admin"}, 200),
    ("GET", "/api/v1/admin/users/nobody.here", None, {"admin"}, 404),
    ("POST", "/api/v1/admin/users/nobody.here/disable", {}, {"admin"}, 404),
    ("PUT", "/api/v1/admin/users/nobody.here/password", {"password": PASSWORD}, {"admin"}, 404),
    # A month is published whole from all three services' figures: with the services down, 502.
    ("GET", "/api/v1/reports/monthly?month=2026-10", None, {"partner", "admin", "auditor"}, 502),
    (
        "GET",
        "/api/v1/reports/readmission?month=2026-10",
        None,
        {"partner", "admin", "auditor"},
        502,
    ),
    (
        "GET",
        "/api/v1/reports/monthly-occupancy?month=2026-10&format=csv",
        None,
        {"partner", "admin", "auditor"},
        502,
    ),
    (
        "GET",
        "/api/v1/persons/AZ-2026-000001/timeline",
        None,
        {"admin", "centre_staff", "liaison_officer", "avr_caseworker", "auditor"},
        200,
    ),
]
CASES = [
    (method, path, body, role, allowed, ok)
    for method, path, body, allowed, ok in OWN_ROUTES
    for role in ROLES
]


@pytest.fixture(scope="module")
def gateway(mongo_url: str) -> Iterator[dict[str, Any]]:
    base = Settings.from_env(
        "gateway", env={}, mongo_url=mongo_url, mongo_db=f"t_{uuid.uuid4().hex[:10]}_gateway"
    )
    with down_url() as down:  # nothing listens: the services are down
        app, deps = gateway_for_tests(
            settings_for_tests(
                base, {"detention": down, "readmission": down, "voluntary-return": down}
            )
        )
        add_user(deps, TARGET, "auditor", PASSWORD)
        yield {"client": app.test_client(), "deps": deps}
        deps.mongo.close()


def _bearer(gateway: dict[str, Any], role: str) -> dict[str, str]:
    token = issue_access_token(IDENTITIES[role], gateway["deps"].keys, ttl_seconds=600)
    return {"Authorization": f"Bearer {token}"}


def _send(
    gateway: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> Any:
    if body is not None and body.get("username") == "<new>":
        body = {**body, "username": f"u{uuid.uuid4().hex[:12]}"}
    return gateway["client"].open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize(
    "method,path,body,role,allowed,ok",
    CASES,
    ids=[f"{m} {p.split('?')[0]} {r}" for m, p, _, r, _, _ in CASES],
)
def test_each_role_reaches_exactly_the_own_routes_the_table_gives_it(
    gateway: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    role: str,
    allowed: set[str],
    ok: int,
) -> None:
    response = _send(gateway, method, path, body, _bearer(gateway, role))
    if role in allowed:
        assert response.status_code == ok, (role, path, response.get_data(as_text=True))
    else:
        assert response.status_code == 403, (role, path, response.status_code)
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("method,path,body", [(m, p, b) for m, p, b, _, _ in OWN_ROUTES])
def test_without_a_token_every_own_route_is_a_401(
    gateway: dict[str, Any], method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = _send(gateway, method, path, body, {})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_signing_in_is_open_to_everyone_and_signing_out_to_every_signed_in_role(
    gateway: dict[str, Any],
) -> None:
    client = gateway["client"]
    signed_in = client.post("/api/v1/auth/login", json={"username": TARGET, "password": PASSWORD})
    assert signed_in.status_code == 200 and signed_in.get_json()["access_token"]
    refreshed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": signed_in.get_json()["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert client.post("/api/v1/auth/logout", json={}).status_code == 401
    for role in ROLES:
        assert (
            client.post("/api/v1/auth/logout", json={}, headers=_bearer(gateway, role)).status_code
            == 204
        ), role
