"""Readmission requests over HTTP on a real SecantusDB: the full state machine, concurrent
decisions, the deadline clock with an injected clock, the worklist and the statistics."""

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

SCHEDULE = {
    "scheduled_for": "2026-11-20",
    "border_crossing_point": "Heydar Aliyev airport",
    "means": "air",
}
# HTTP path and a valid body for every action a person can take.
ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "submit": ("submit", {}),
    "request_info": ("request-info", {"note": "Photo missing", "replied_on": "2026-11-02"}),
    "accept": ("accept", {"replied_on": "2026-11-02"}),
    "reject": (
        "reject",
        {
            "reasons": [{"code": "insufficient_evidence", "explanation": "No ticket"}],
            "replied_on": "2026-11-02",
        },
    ),
    "withdraw": ("withdraw", {"reason": "duplicate"}),
    "extend": ("extensions", {"total_days": 30, "motivation": "Checks abroad"}),
    "add_evidence": ("evidence", {"of": "nationality", "type": "passport", "reference": "P1"}),
    "record_travel_document": ("travel-document", {"kind": "laissez_passer"}),
    "schedule_transfer": ("transfer-schedule", SCHEDULE),
    "complete_transfer": ("transfer-completion", {}),
    "fail_transfer": ("transfer-failure", {"reason": "Flight cancelled"}),
    "close": ("close", {}),
    "take_back": ("take-back", {"reason": "Wrongly readmitted"}),
}
# How to reach each state from a fresh draft.
ROUTES: dict[str, list[str]] = {
    "draft": [],
    "submitted": ["submit"],
    "info_requested": ["submit", "request_info"],
    "accepted": ["submit", "accept"],
    "rejected": ["submit", "reject"],
    "withdrawn": ["withdraw"],
    "transfer_scheduled": ["submit", "accept", "schedule_transfer"],
    "transferred": ["submit", "accept", "schedule_transfer", "complete_transfer"],
    "closed": ["submit", "accept", "schedule_transfer", "complete_transfer", "close"],
    "transfer_failed": ["submit", "accept", "schedule_transfer", "fail_transfer"],
    "taken_back": ["submit", "accept", "schedule_transfer", "complete_transfer", "take_back"],
    "deemed_accepted": ["submit", "<clock>"],
}


@pytest.fixture
def service(rabbit_url, settings_for) -> Service:
    return Service(settings_for("readmission", broker=rabbit_url))


def drive(service: Service, state: str) -> dict[str, Any]:
    request = service.create()
    for step in ROUTES[state]:
        if step == "<clock>":
            service.clock.now += timedelta(days=16)
            assert (
                run_clock(
                    service.deps.repository, service.clock(), service.deps.rules
                ).deemed_accepted
                == 1
            )
            request = service.get(request["id"]).get_json()
            continue
        path, body = ACTIONS[step]
        response = service.act(request["id"], path, body)
        assert response.status_code == 200, response.get_json()
        request = response.get_json()
    assert request["state"] == state
    return request


def allowed(action: str, state: str) -> bool:
    """From the design's table written out by hand (tests/transition_tables.py), never from
    rd.TRANSITIONS."""
    return (state, action) in tables.REQUEST_MOVES


@pytest.mark.parametrize("state", sorted(ROUTES))
def test_every_allowed_move_works_and_every_other_is_a_409_naming_the_state(
    service: Service, state: str
) -> None:
    for action, (path, body) in ACTIONS.items():
        if (state, action) in tables.REQUEST_REVERSAL_EDGES:
            # a dated reply to a deemed acceptance reverses it or is refused by its date:
            # test_readmission_legal_core
            continue
        request = drive(service, state)
        response = service.act(request["id"], path, body)
        result = response.get_json()
        if allowed(action, state):
            target = tables.REQUEST_MOVES[(state, action)]
            assert response.status_code == 200, (action, state, result)
            assert result["state"] == target and result["version"] == request["version"] + 1
            assert (
                result["history"][-1]["action"] == action
                and result["history"][-1]["by"] == "test-liaison_officer"
            )
        else:
            assert (
                response.status_code == 409 and response.mimetype == "application/problem+json"
            ), (action, state)
            assert result["current_state"] == state and f"'{state}'" in result["detail"]
            assert (
                service.get(request["id"]).get_json()["version"] == request["version"]
            )  # nothing stored


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


def test_concurrent_accept_and_reject_exactly_one_wins(service: Service) -> None:
    with LiveServer(service.app) as server:
        for _ in range(8):
            request = drive(service, "submitted")
            results: list[tuple[int, dict[str, Any]]] = []
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(
                    target=_post,
                    args=(
                        f"{server.url}{PREFIX}/requests/{request['id']}/{path}",
                        service.headers(),
                        body,
                        results,
                        barrier,
                    ),
                )
                for path, body in (ACTIONS["accept"], ACTIONS["reject"])
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            statuses = sorted(status for status, _ in results)
            assert statuses == [200, 409], results
            winner = next(body for status, body in results if status == 200)
            loser = next(body for status, body in results if status == 409)
            assert loser["current_state"] == winner["state"] in ("accepted", "rejected")
            stored = service.get(request["id"]).get_json()
            assert (
                stored["state"] == winner["state"] and stored["version"] == request["version"] + 1
            )
            decisions = [
                t
                for t in service.outbox_types(request["id"])
                if t.endswith(("accepted", "rejected"))
            ]
            assert len(decisions) == 1


def test_if_match_pins_the_version(service: Service) -> None:
    request = drive(service, "submitted")
    stale = service.act(
        request["id"], *ACTIONS["accept"], **{"If-Match": f'"v{request["version"] - 1}"'}
    )
    assert stale.status_code == 412 and stale.get_json()["current_version"] == request["version"]
    fresh = service.act(
        request["id"], *ACTIONS["accept"], **{"If-Match": f'"v{request["version"]}"'}
    )
    assert fresh.status_code == 200 and fresh.headers["ETag"] == f'"v{request["version"] + 1}"'


def test_deemed_acceptance_happens_exactly_once_with_its_event_once(service: Service) -> None:
    request = drive(service, "submitted")
    reply = next(d for d in request["deadlines"] if d["kind"] == "reply")
    assert reply["due_on"] == "2026-11-17" and reply["rule_version"] == "eu-az-2014.normal.2"
    repo, rules = service.deps.repository, service.deps.rules
    service.clock.now = service.clock.now.replace(
        day=17, hour=23, minute=59
    )  # the last day is not over yet
    assert run_clock(repo, service.clock(), rules).deemed_accepted == 0
    assert service.get(request["id"]).get_json()["state"] == "submitted"
    service.clock.now += timedelta(minutes=2)
    runs = []
    threads = [
        threading.Thread(target=lambda: runs.append(run_clock(repo, service.clock(), rules)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    runs.append(run_clock(repo, service.clock() + timedelta(days=1), rules))
    assert sum(r.deemed_accepted for r in runs) == 1
    after = service.get(request["id"]).get_json()
    assert after["state"] == "deemed_accepted" and after["decided_on"] == "2026-11-18"
    assert [h["action"] for h in after["history"]].count("deem_accept") == 1
    assert after["history"][-1]["by"] == "system:deadline-clock"
    outbox = service.outbox_types(request["id"])
    assert outbox.count("readmission.request.deemed_accepted") == 1
    assert outbox.count("readmission.request.deadline_missed") == 1
    stats = service.client.get(
        f"{PREFIX}/statistics?month=2026-11", headers=service.headers("auditor")
    ).get_json()
    assert (
        stats["rows"][0]["deemed_accepted"] == 1
        and stats["rows"][0]["answered_within_limit_share"] == 0.0
    )


def test_missed_deadlines_are_announced_once_each_and_the_worklist_puts_them_first(
    service: Service,
) -> None:
    late = drive(service, "accepted")  # travel document due in 5 working days, transfer in 3 months
    fresh = service.create(member_state="FR")
    service.clock.now += timedelta(days=10)
    repo, rules = service.deps.repository, service.deps.rules
    assert run_clock(repo, service.clock(), rules).missed == 1
    assert run_clock(repo, service.clock(), rules).missed == 0
    assert service.outbox_types(late["id"]).count("readmission.request.deadline_missed") == 1
    work = service.client.get(f"{PREFIX}/worklist", headers=service.headers()).get_json()
    kinds = [(i["request_id"], i["deadline"], i["overdue"]) for i in work["items"]]
    assert (
        kinds[0] == (late["id"], "travel_document", True)
        and work["items"][0]["time_left_unit"] == "working_days"
    )
    assert work["items"][0]["time_left"] < 0
    assert {(fresh["id"], "submit")} <= {(r, k) for r, k, _ in kinds}
    scoped = service.client.get(
        f"{PREFIX}/worklist", headers=service.headers(member_states=("FR",))
    ).get_json()
    assert {i["member_state"] for i in scoped["items"]} == {"FR"}
    service.clock.now += timedelta(days=90)
    assert (
        run_clock(repo, service.clock(), rules).missed == 1
    )  # now the transfer (3 months); the draft has a year
    assert service.outbox_types(late["id"]).count("readmission.request.deadline_missed") == 2


def test_statistics_count_by_member_state_month_reason_and_reply_time(service: Service) -> None:
    for days, action in ((3, "accept"), (5, "reject"), (20, "accept")):
        request = drive(service, "submitted")
        service.clock.now += timedelta(days=days)
        path, body = ACTIONS[action]
        dated = {
            **body,
            "replied_on": service.clock.now.date().isoformat(),
        }  # statistics count the reply's date
        assert service.act(request["id"], path, dated).status_code == 200
        service.clock.now -= timedelta(days=days)
    drive(service, "submitted")
    service.create(direction="incoming", category="own_national", person_ref="AZ-2")
    incoming = service.create(direction="incoming", category="own_national", person_ref="AZ-3")
    assert service.act(incoming["id"], "submit", {}).status_code == 200
    body = service.client.get(
        f"{PREFIX}/statistics?month=2026-11", headers=service.headers("auditor")
    ).get_json()
    (row,) = body["rows"]
    assert row["requests_outgoing"] == 4 and row["requests_incoming"] == 1
    assert row["by_category"] == {"own_national": 1, "third_country_national": 4}
    assert (row["accepted"], row["rejected"], row["rejected_by_reason"]) == (
        2,
        1,
        {"insufficient_evidence": 1},
    )
    assert row["median_days_to_reply"] == 5.0 and row["answered_within_limit_share"] == round(
        2 / 3, 4
    )
    for role in ("partner", "liaison_officer", "centre_staff"):
        assert (
            service.client.get(
                f"{PREFIX}/statistics?month=2026-11", headers=service.headers(role)
            ).status_code
            == 403
        )
    assert (
        service.client.get(
            f"{PREFIX}/statistics?month=2026-13", headers=service.headers("auditor")
        ).status_code
        == 422
    )


def test_lists_page_through_with_cursors(service: Service) -> None:
    made = {service.create(person_ref=f"AZ-PAGE-{i}")["id"] for i in range(5)}
    seen: list[str] = []
    cursor = ""
    while True:
        page = service.client.get(
            f"{PREFIX}/requests?limit=2{cursor}", headers=service.headers()
        ).get_json()
        seen += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert set(seen) == made and len(seen) == 5
    more = {
        service.create(
            person_ref=f"AZ-PAGE-{ms}-{i}", member_state=ms, learned_on=f"2026-0{i + 1}-15"
        )["id"]
        for ms in ("FR", "IT")
        for i in range(3)
    }
    for scope, wanted in (
        (None, made | more),
        (("DE", "FR"), made | {m for m in more if _state(service, m) == "FR"}),
    ):
        headers = service.headers(**({"member_states": scope} if scope else {}))
        entries: list[tuple[str, str]] = []
        cursor = ""
        while True:
            page = service.client.get(
                f"{PREFIX}/worklist?limit=2{cursor}", headers=headers
            ).get_json()
            entries += [(item["due_on"], item["request_id"]) for item in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert sorted(r for _, r in entries) == sorted(wanted)  # each open deadline exactly once
        assert [d for d, _ in entries] == sorted(d for d, _ in entries)  # soonest (overdue) first


def _state(service: Service, request_id: str) -> str:
    return service.get(request_id).get_json()["member_state"]
