"""Every transit endpoint answers bad input with a 4xx problem and stores nothing; scopes hold and
auditors never see who the person is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_readmission_support import Service
from tests.integration.test_readmission_transit_support import (
    ACTIONS,
    TRANSITS,
    act,
    counts,
    create,
    drive,
    get,
    list_crossing_points,
    new_transit,
)

GOOD = new_transit()
BAD_CREATES: list[dict[str, Any] | list[Any]] = [
    {**GOOD, "extra": 1},
    {**GOOD, "$where": "1"},
    {**GOOD, "direction": "sideways"},
    {**GOOD, "member_state": "GB"},
    {**GOOD, "member_state": {"$ne": None}},
    {**GOOD, "person_ref": "$where"},
    {**GOOD, "person_ref": {"$gt": ""}},
    {k: v for k, v in GOOD.items() if k != "particulars"},
    {**GOOD, "particulars": {**GOOD["particulars"], "ssn": "1"}},
    {**GOOD, "route": "DE,AZ"},
    {**GOOD, "route": ["de", "az"]},
    {**GOOD, "route": ["AZ"]},
    {**GOOD, "route": ["AZ"] * 11},
    {**GOOD, "route": [{"$ne": 1}, "AZ"]},
    {**GOOD, "route": ["DE", "TR", "IRN"]},
    {**GOOD, "direction": "outgoing", "route": ["AZ", "TR"]},
    {**GOOD, "route": ["DEU", "AZ1"]},
    {**GOOD, "transit_at": "2026-11-01T06:30:00+04:00"},
    {**GOOD, "transit_at": "2026-11-02T12:59:00+04:00"},
    {**GOOD, "transit_at": "2026-11-20T06:30:00"},
    {**GOOD, "transit_at": "2026-11-20"},
    {**GOOD, "transit_at": 1795000000},
    {**GOOD, "transit_at": "tomorrow"},
    {**GOOD, "transit_at": "2028-01-01T00:00:00Z"},
    {**GOOD, "transit_at": "2026-02-30T06:30:00Z"},
    {**GOOD, "transit_at": {"$gt": ""}},
    {**GOOD, "border_crossing_point": ""},
    {**GOOD, "border_crossing_point": "x" * 101},
    {**GOOD, "border_crossing_point": {"$ne": 1}},
    {**GOOD, "border_crossing_point": "Airport\nGate 3"},
    {**GOOD, "escorts": {"count": 2, "names": ["Officer A"]}},
    {**GOOD, "escorts": {"count": "2"}},
    {**GOOD, "escorts": {"count": True}},
    {**GOOD, "escorts": {"count": 21}},
    {**GOOD, "escorts": 2},
    {**GOOD, "means": "rocket"},
    {**GOOD, "received_on": "2026-11-03"},
    {**GOOD, "received_on": "2026-11-2"},
    {**GOOD, "note": "x" * 1001},
    [GOOD],
]
BAD_ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("approve", {"x": 1}),
    ("approve", {"note": 5}),
    ("approve", {"note": {"$ne": 1}}),
    ("refuse", {}),
    ("refuse", {"reasons": []}),
    ("refuse", {"reasons": "security"}),
    ("refuse", {"reasons": [{"code": "dislike", "explanation": "x"}]}),
    ("refuse", {"reasons": [{"code": "other"}]}),
    ("withdraw", {}),
    ("withdraw", {"reason": "bored"}),
    ("revoke-consent", {"reason": "other"}),
    ("revoke-consent", {"explanation": "No reason code"}),
    ("complete", {"completed": True}),
]


@pytest.fixture
def service(rabbit_url, settings_for) -> Service:
    return Service(settings_for("readmission", broker=rabbit_url))


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_bad_creations_are_refused_and_store_nothing(service: Service) -> None:
    list_crossing_points(service, "FR", ["Paris CDG"])
    before = counts(service)
    for body in [*BAD_CREATES, {**GOOD, "member_state": "FR", "border_crossing_point": "Nice"}]:
        response = service.client.post(TRANSITS, json=body, headers=service.headers())
        assert response.status_code == 422 and response.mimetype == "application/problem+json", (
            body,
            response.get_json(),
        )
    problem(
        service.client.post(
            TRANSITS,
            data="{not json",
            headers={**service.headers(), "Content-Type": "application/json"},
        ),
        400,
    )
    problem(
        service.client.post(
            f"{TRANSITS}?member_state[$ne]=1", json=GOOD, headers=service.headers()
        ),
        422,
    )
    huge = {**GOOD, "note": "x" * (service.deps.settings.max_body_bytes + 1)}
    problem(service.client.post(TRANSITS, json=huge, headers=service.headers()), 413)
    assert counts(service) == before


def test_bad_actions_are_refused_and_change_nothing(service: Service) -> None:
    transit = create(service)
    before = counts(service)
    for path, body in BAD_ACTIONS:
        response = act(service, transit["id"], path, body)
        assert (
            400 <= response.status_code < 500 and response.mimetype == "application/problem+json"
        ), (path, body)
    for bad_id in ("not-a-uuid", "%24ne", "x" * 80):
        problem(act(service, bad_id, "approve"), 422)
    problem(act(service, "00000000-0000-4000-8000-000000000000", "approve"), 404)
    assert act(service, transit["id"], "deem-accept").status_code in (404, 405)
    problem(act(service, transit["id"], "approve", **{"If-Match": "v1"}), 412)
    problem(
        service.client.post(
            f"{TRANSITS}/{transit['id']}/approve?state=approved", json={}, headers=service.headers()
        ),
        422,
    )
    problem(
        service.client.post(
            f"{TRANSITS}/{transit['id']}/approve",
            data="{",
            headers={**service.headers(), "Content-Type": "application/json"},
        ),
        400,
    )
    problem(
        act(
            service,
            transit["id"],
            "approve",
            {"note": "x" * (service.deps.settings.max_body_bytes + 1)},
        ),
        413,
    )
    after = get(service, transit["id"]).get_json()
    assert (after["version"], after["state"], len(after["history"])) == (1, "submitted", 1)
    assert counts(service) == before


@pytest.mark.parametrize(
    "query",
    [
        "?person_ref[$ne]=1",
        "?person_ref=%24where",
        "?limit=0",
        "?limit=201",
        "?limit=true",
        "?cursor=%7B%7D",
        "?cursor=bm90LWEtdXVpZA",
        "?state=lost",
        "?state=draft",
        "?member_state=XX",
        "?direction=up",
        "?route=AZ",
        "?member_state=DE&member_state[$in]=FR",
    ],
)
def test_bad_list_queries_are_problems(service: Service, query: str) -> None:
    problem(service.client.get(f"{TRANSITS}{query}", headers=service.headers("admin")), 422)


def test_bad_ids_and_queries_on_one_transit_are_problems(service: Service) -> None:
    problem(service.client.get(f"{TRANSITS}/not-an-id", headers=service.headers()), 422)
    problem(
        service.client.get(
            f"{TRANSITS}/00000000-0000-4000-8000-000000000000", headers=service.headers()
        ),
        404,
    )
    transit = create(service)
    problem(service.client.get(f"{TRANSITS}/{transit['id']}?x=1", headers=service.headers()), 422)


def test_scopes_and_personal_data(service: Service) -> None:
    de = create(service)
    fr = drive(service, "approved", member_state="FR", person_ref="AZ-FR-1")
    france = {"member_states": ("FR",)}
    problem(get(service, de["id"], **france), 404)
    problem(act(service, de["id"], "approve", scopes=france), 404)
    before = counts(service)
    problem(
        service.client.post(TRANSITS, json=new_transit(), headers=service.headers(**france)), 403
    )
    assert counts(service) == before
    listed = service.client.get(TRANSITS, headers=service.headers(**france)).get_json()
    assert [i["id"] for i in listed["items"]] == [fr["id"]]
    assert (
        service.client.get(
            f"{TRANSITS}?member_state=DE", headers=service.headers(**france)
        ).get_json()["items"]
        == []
    )
    assert get(service, fr["id"], **france).get_json()["particulars"]["family_name"] == "Rezaei"
    assert act(service, fr["id"], *ACTIONS["complete"], scopes=france).status_code == 200
    audited = get(service, de["id"], "auditor").get_json()
    assert "particulars" not in audited and audited["history"] and audited["deadlines"]
    audited_list = service.client.get(TRANSITS, headers=service.headers("auditor")).get_json()[
        "items"
    ]
    assert len(audited_list) == 2 and all("particulars" not in item for item in audited_list)
    for role in ("auditor", "centre_staff", "avr_caseworker", "partner"):
        problem(act(service, de["id"], "approve", role=role), 403)
        problem(
            service.client.post(TRANSITS, json=new_transit(), headers=service.headers(role)), 403
        )
    for role in ("centre_staff", "avr_caseworker", "partner"):
        problem(get(service, de["id"], role), 403)
        problem(service.client.get(TRANSITS, headers=service.headers(role)), 403)
    assert counts(service) == before
