"""Transit requests over HTTP on a real SecantusDB: create, list, get, every transition, 409s naming
the state, If-Match, concurrent approve and refuse over real HTTP, the worklist and the clock."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

from passage.testing import LiveServer
from readmission.timers import run_clock
from tests import transition_tables as tables
from tests.integration.test_readmission_support import PREFIX, Service
from tests.integration.test_readmission_transit_support import (
    ACTIONS,
    ROUTES,
    TRANSITS,
    act,
    create,
    drive,
    get,
    list_crossing_points,
    new_transit,
)


@pytest.fixture
def service(rabbit_url, settings_for) -> Service:
    return Service(settings_for("readmission", broker=rabbit_url))


def test_create_get_and_list_with_filters(service: Service) -> None:
    response = service.client.post(TRANSITS, json=new_transit(), headers=service.headers())
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert (
        response.headers["Location"] == f"{TRANSITS}/{created['id']}"
        and response.headers["ETag"] == '"v1"'
    )
    assert created["state"] == "submitted" and created["version"] == 1
    assert created["transit_at"] == "2026-11-20T02:30:00.000Z" and created["route"] == [
        "DE",
        "AZ",
        "IRN",
    ]
    assert created["escorts"] == {"count": 2, "agency": "Bundespolizei"}
    assert (
        created["particulars"]["family_name"] == "Rezaei" and created["received_on"] == "2026-11-02"
    )
    (deadline,) = created["deadlines"]
    assert (
        deadline["kind"],
        deadline["due_on"],
        deadline["unit"],
        deadline["amount"],
        deadline["calendar"],
    ) == ("transit_reply", "2026-11-07", "calendar_days", 5, "AZ")
    assert created["history"] == [
        {
            "at": "2026-11-02T09:00:00.000Z",
            "action": "submit",
            "state": "submitted",
            "by": "test-liaison_officer",
            "role": "liaison_officer",
        }
    ]
    other = create(
        service,
        member_state="FR",
        person_ref="AZ-FR-9",
        direction="outgoing",
        route=["AZE", "FRA", "SN"],
        border_crossing_point="Paris CDG",
    )
    assert get(service, created["id"]).get_json() == created

    def listing(query: str) -> list[str]:
        answer = service.client.get(f"{TRANSITS}{query}", headers=service.headers()).get_json()
        return [item["id"] for item in answer["items"]]

    assert sorted(listing("")) == sorted([created["id"], other["id"]])
    assert listing("?person_ref=AZ-2026-000777") == [created["id"]]
    assert listing("?member_state=FR") == [other["id"]] and listing("?direction=outgoing") == [
        other["id"]
    ]
    assert listing("?state=approved") == []
    page = service.client.get(f"{TRANSITS}?limit=1", headers=service.headers()).get_json()
    rest = service.client.get(
        f"{TRANSITS}?limit=1&cursor={page['next_cursor']}", headers=service.headers()
    ).get_json()
    assert (
        len(page["items"]) == len(rest["items"]) == 1
        and page["items"][0]["id"] != rest["items"][0]["id"]
    )


@pytest.mark.parametrize("state", sorted(ROUTES))
def test_every_allowed_move_works_and_every_other_is_a_409_naming_the_state(
    service: Service, state: str
) -> None:
    for action, (path, body) in ACTIONS.items():
        transit = drive(service, state)
        response = act(service, transit["id"], path, body)
        result = response.get_json()
        target = tables.TRANSIT_MOVES.get(
            (state, action)
        )  # the design's table by hand, not td.TRANSITIONS
        if target is not None:
            assert response.status_code == 200, (action, state, result)
            assert result["state"] == target and result["version"] == transit["version"] + 1
            last = result["history"][-1]
            assert (last["action"], last["state"], last["by"]) == (
                action,
                target,
                "test-liaison_officer",
            )
            assert response.headers["ETag"] == f'"v{result["version"]}"'
        else:
            assert (
                response.status_code == 409 and response.mimetype == "application/problem+json"
            ), (action, state)
            assert result["current_state"] == state and f"'{state}'" in result["detail"]
            assert (
                get(service, transit["id"]).get_json()["version"] == transit["version"]
            )  # nothing stored


def test_decisions_record_what_was_decided(service: Service) -> None:
    refused = drive(service, "refused")
    assert (
        refused["refusal"]["reasons"][0]["code"] == "public_order_or_security"
        and refused["decided_on"] == "2026-11-02"
    )
    assert refused["deadlines"][0]["status"] == "met"
    revoked = drive(service, "consent_revoked")
    assert revoked["revocation"] == {
        "reason": "facts_came_to_light",
        "explanation": "Onward flight cancelled",
    }
    assert [h["state"] for h in revoked["history"]] == ["submitted", "approved", "consent_revoked"]
    assert revoked["history"][-1]["reason"] == "facts_came_to_light"
    withdrawn = drive(service, "withdrawn")
    assert withdrawn["withdrawal"] == {"reason": "requesting_state_withdrew"}
    assert withdrawn["deadlines"][0]["status"] == "cancelled"


def _post(
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    out: list[tuple[int, dict[str, Any]]],
    barrier: threading.Barrier,
) -> None:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={**headers, "Content-Type": "application/json"},
    )
    barrier.wait()
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            out.append((response.status, json.loads(response.read())))
    except urllib.error.HTTPError as exc:
        out.append((exc.code, json.loads(exc.read())))


def test_concurrent_approve_and_refuse_exactly_one_wins(service: Service) -> None:
    with LiveServer(service.app) as server:
        for _ in range(8):
            transit = create(service)
            results: list[tuple[int, dict[str, Any]]] = []
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(
                    target=_post,
                    args=(
                        f"{server.url}{TRANSITS}/{transit['id']}/{path}",
                        service.headers(),
                        body,
                        results,
                        barrier,
                    ),
                )
                for path, body in (ACTIONS["approve"], ACTIONS["refuse"])
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(status for status, _ in results) == [200, 409], results
            winner = next(body for status, body in results if status == 200)
            loser = next(body for status, body in results if status == 409)
            assert loser["current_state"] == winner["state"] in ("approved", "refused")
            stored = get(service, transit["id"]).get_json()
            assert stored["state"] == winner["state"] and stored["version"] == 2
            assert [h["action"] for h in stored["history"]] == [
                "submit",
                "approve" if winner["state"] == "approved" else "refuse",
            ]


def test_if_match_pins_the_version(service: Service) -> None:
    transit = create(service)
    stale = act(service, transit["id"], "approve", {}, **{"If-Match": '"v0"'})
    assert stale.status_code == 412 and stale.get_json()["current_version"] == 1
    assert get(service, transit["id"]).get_json()["state"] == "submitted"
    fresh = act(service, transit["id"], "approve", {}, **{"If-Match": '"v1"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"v2"'


def test_crossing_point_must_be_the_protocols_when_it_lists_any(service: Service) -> None:
    list_crossing_points(service, "FR", ["Paris CDG", "Marseille Port"])
    ok = create(service, member_state="FR", border_crossing_point="Marseille Port", means="sea")
    assert ok["border_crossing_point"] == "Marseille Port"
    refused = service.client.post(
        TRANSITS,
        json=new_transit(member_state="FR", border_crossing_point="Nice"),
        headers=service.headers(),
    )
    assert (
        refused.status_code == 422
        and refused.get_json()["errors"][0]["pointer"] == "/border_crossing_point"
    )
    assert (
        create(service, border_crossing_point="Any free text point")["state"] == "submitted"
    )  # DE lists none


def test_the_reply_deadline_is_on_the_worklist_and_the_clock_flags_it_once(
    service: Service,
) -> None:
    transit = create(service)
    decided = create(service, person_ref="AZ-2026-000778")
    assert act(service, decided["id"], "approve", {}).status_code == 200
    items = service.client.get(f"{PREFIX}/worklist", headers=service.headers()).get_json()["items"]
    mine = [i for i in items if i["resource"] == "transit"]
    assert [
        (i["request_id"], i["deadline"], i["time_left"], i["time_left_unit"]) for i in mine
    ] == [(transit["id"], "transit_reply", 5, "calendar_days")]
    service.clock.now += timedelta(days=6)
    repo, rules = service.deps.repository, service.deps.rules
    assert run_clock(repo, service.clock(), rules).missed == 1
    assert run_clock(repo, service.clock(), rules).missed == 0
    stored = get(service, transit["id"]).get_json()
    assert stored["state"] == "submitted" and stored["deadlines"][0]["missed_notified"] is True
    overdue = service.client.get(f"{PREFIX}/worklist", headers=service.headers()).get_json()[
        "items"
    ]
    assert [(i["request_id"], i["overdue"], i["time_left"]) for i in overdue] == [
        (transit["id"], True, -1)
    ]
    late = act(service, transit["id"], "refuse", ACTIONS["refuse"][1]).get_json()
    assert late["deadlines"][0]["status"] == "late"
    assert (
        service.client.get(f"{PREFIX}/worklist", headers=service.headers()).get_json()["items"]
        == []
    )
