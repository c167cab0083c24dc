"""Moves of held people through the API (real SecantusDB): transfer, release, extension, review,
If-Match, the clocks list, the occupancy figures and the estate updates, with their events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from detention.adapters.occupancy import DAILY
from detention.adapters.repository import STAYS, UNITS
from passage.events import validate_event
from tests.integration.test_detention_api import NOW, Api

P = "/api/v1/detention"


@pytest.fixture
def api(settings_for: Any) -> Iterator[Api]:
    built = Api(settings_for)
    built.centre("baku")
    built.centre("yevlakh")
    built.unit("baku", "baku-m1", places=2)
    built.unit("baku", "baku-w1", category="women", places=2)
    built.unit("yevlakh", "yev-m1", places=1)
    yield built


def send(
    api: Api,
    path: str,
    body: dict[str, Any],
    role: str = "admin",
    if_match: str | None = None,
    **scopes: Any,
) -> Any:
    headers = api.headers(role, **scopes)
    if if_match:
        headers["If-Match"] = if_match
    return api.client.post(f"{P}{path}", json=body, headers=headers)


def patch(api: Api, path: str, body: dict[str, Any], if_match: str | None = None) -> Any:
    headers = api.headers()
    if if_match:
        headers["If-Match"] = if_match
    return api.client.patch(f"{P}{path}", json=body, headers=headers)


def outbox(api: Api, collection: str, doc_id: str) -> list[Any]:
    return [
        validate_event(e)
        for e in api.deps.mongo.collection(collection).find_one({"_id": doc_id}).get("outbox", [])
    ]


def occupancy(api: Api, unit_id: str) -> int:
    return api.deps.mongo.collection(UNITS).find_one({"_id": unit_id})["occupancy"]


def test_a_transfer_moves_both_counters_and_tells_others(api: Api) -> None:
    stay = api.admit("baku-m1", person={"person_ref": "P1"}).get_json()
    api.now = NOW + timedelta(hours=2)
    moved = send(
        api,
        f"/stays/{stay['id']}/transfer",
        {"unit_id": "yev-m1", "reason": "closer to family"},
        if_match='"v1"',
    )
    assert moved.status_code == 200, moved.get_json()
    view = moved.get_json()
    assert (view["centre_id"], view["unit_id"], view["version"], moved.headers["ETag"]) == (
        "yevlakh",
        "yev-m1",
        2,
        '"v2"',
    )
    assert [h["state"] for h in view["history"]] == ["admitted", "transferred"]
    assert (occupancy(api, "baku-m1"), occupancy(api, "yev-m1")) == (0, 1)
    event = outbox(api, STAYS, stay["id"])[-1]
    assert event.type == "detention.stay.transferred"
    assert (event.data["from_unit_id"], event.data["unit_id"], event.data["centre_id"]) == (
        "baku-m1",
        "yev-m1",
        "yevlakh",
    )
    daily = api.deps.mongo.collection(DAILY)
    assert daily.find_one({"_id": "yev-m1:2026-11-20"})["transfers_in"] == 1
    assert daily.find_one({"_id": "baku-m1:2026-11-20"})["occupied"] == 0


def test_a_transfer_into_a_full_unit_changes_nothing(api: Api) -> None:
    api.admit("yev-m1", person={"person_ref": "P0"})
    stay = api.admit("baku-m1", person={"person_ref": "P1"}).get_json()
    full = send(api, f"/stays/{stay['id']}/transfer", {"unit_id": "yev-m1"})
    assert full.status_code == 409 and full.get_json()["rule"] == "unit_capacity"
    assert (occupancy(api, "baku-m1"), occupancy(api, "yev-m1")) == (1, 1)
    assert api.get(f"/stays/{stay['id']}").get_json()["unit_id"] == "baku-m1"
    refused = send(api, f"/stays/{stay['id']}/transfer", {"unit_id": "baku-w1"})
    assert refused.status_code == 422 and (
        refused.get_json()["rule"],
        refused.get_json()["unit_id"],
    ) == ("sex_matches_unit", "baku-w1")
    same = send(api, f"/stays/{stay['id']}/transfer", {"unit_id": "baku-m1"})
    assert same.status_code == 422 and same.get_json()["rule"] == "transfer_elsewhere"


def test_release_frees_the_place_once_and_records_the_exit_examination(api: Api) -> None:
    stay = api.admit(
        "baku-m1",
        person={"person_ref": "P1"},
        medical_examination={
            "examined_on": "2026-11-20",
            "examined_by": "Dr. N. Aliyeva",
            "fit_for_detention": True,
        },
    ).get_json()
    assert stay["entry_medical"]["examined_by"] == "Dr. N. Aliyeva"
    api.now = NOW + timedelta(days=3)
    stale = send(
        api, f"/stays/{stay['id']}/release", {"reason": "released_by_court"}, if_match='"v7"'
    )
    assert stale.status_code == 412
    before = send(
        api,
        f"/stays/{stay['id']}/release",
        {"reason": "other", "released_at": "2026-11-19T00:00:00Z"},
    )
    assert before.status_code == 422 and before.get_json()["errors"][0]["pointer"] == "/released_at"
    released = send(
        api,
        f"/stays/{stay['id']}/release",
        {
            "reason": "released_by_court",
            "exit_medical": {"examined_on": "2026-11-23", "examined_by": "Dr. N. Aliyeva"},
        },
        if_match='"v1"',
    )
    assert released.status_code == 200, released.get_json()
    view = released.get_json()
    assert (view["status"], view["release_reason"], view["exit_medical"]["examined_on"]) == (
        "closed",
        "released_by_court",
        "2026-11-23",
    )
    assert occupancy(api, "baku-m1") == 0
    again = send(api, f"/stays/{stay['id']}/release", {"reason": "other"})
    assert again.status_code == 409 and again.headers["Content-Type"] == "application/problem+json"
    event = outbox(api, STAYS, stay["id"])[-1]
    assert (event.type, event.data["reason"], event.data["released_at"]) == (
        "detention.stay.closed",
        "released_by_court",
        "2026-11-23T09:30:00.000Z",
    )
    assert api.deps.mongo.collection(DAILY).find_one({"_id": "baku-m1:2026-11-23"})["releases"] == 1


def test_extension_and_review_move_the_clocks(api: Api) -> None:
    stay = api.admit("baku-m1").get_json()
    assert (stay["legal_end"], stay["next_review_on"], stay["due_on"]) == (
        "2027-02-20",
        "2026-12-20",
        "2026-12-20",
    )
    short = send(
        api,
        f"/stays/{stay['id']}/extensions",
        {
            "decision_ref": "2-9/2027",
            "court": "Baku Court",
            "decided_on": "2026-11-20",
            "valid_until": "2027-01-01",
        },
    )
    assert short.status_code == 422 and short.get_json()["rule"] == "extension_extends"
    extended = send(
        api,
        f"/stays/{stay['id']}/extensions",
        {
            "decision_ref": "2-9/2027",
            "court": "Baku Court",
            "decided_on": "2026-11-20",
            "valid_until": "2027-05-20",
        },
    )
    assert extended.status_code == 200 and extended.get_json()["legal_end"] == "2027-05-20"
    reviewed = send(
        api,
        f"/stays/{stay['id']}/reviews",
        {"next_review_on": "2026-11-25", "outcome": "still needed"},
        if_match='"v2"',
    )
    assert reviewed.status_code == 200, reviewed.get_json()
    assert (reviewed.get_json()["due_on"], reviewed.get_json()["version"]) == ("2026-11-25", 3)
    assert [s["id"] for s in api.get("/stays?due_within=7d").get_json()["items"]] == [stay["id"]]
    assert api.get("/stays?due_within=4d").get_json()["items"] == []
    assert [s["id"] for s in api.get("/stays?due_before=2026-11-25").get_json()["items"]] == [
        stay["id"]
    ]
    assert [h["state"] for h in reviewed.get_json()["history"]] == [
        "admitted",
        "extended",
        "reviewed",
    ]


def test_a_due_window_says_which_day_it_counts_from_in_the_centres_time_zone(api: Api) -> None:
    """Staff at a centre in Baku work past 20:00 UTC, when the gateway's clock is still on
    yesterday: the page names the day the service counted from, for the UI's "due today"."""
    stay = api.admit("baku-m1", person={"person_ref": "P1"}).get_json()
    due_on = stay["due_on"]
    api.now = datetime.fromisoformat(f"{due_on}T00:30:00+04:00")  # 20:30 UTC the day before
    page = api.get("/stays?due_within=1d").get_json()
    assert page["today"] == due_on != api.now.astimezone(UTC).date().isoformat()
    assert [s["id"] for s in page["items"]] == [stay["id"]]
    assert "today" not in api.get("/stays").get_json()  # no window, no day counted


def test_list_filters_by_nationality_legal_basis_and_person(api: Api) -> None:
    first = api.admit("baku-m1", person={"person_ref": "P1"}).get_json()
    api.admit(
        "baku-m1",
        person={"person_ref": "P2", "nationality": "AFG"},
        legal_basis={"kind": "asylum_applicant"},
    )
    assert [s["id"] for s in api.get("/stays?nationality=IRN").get_json()["items"]] == [first["id"]]
    assert [
        s["person_ref"] for s in api.get("/stays?legal_basis=asylum_applicant").get_json()["items"]
    ] == ["P2"]
    items = api.get("/stays?person_ref=P1").get_json()["items"]
    assert [s["id"] for s in items] == [first["id"]] and items[0]["history"][0][
        "state"
    ] == "admitted"


def test_occupancy_now_history_and_statistics(api: Api) -> None:
    api.admit("baku-m1", person={"person_ref": "P1"})
    api.admit("baku-w1", person={"person_ref": "P2", "sex": "female", "nationality": "AFG"})
    now = api.get("/centres/baku/occupancy").get_json()
    assert (now["capacity"], now["occupied"], now["free_places"]) == (4, 2, 2)
    assert now["by_category"]["women"] == {"capacity": 2, "occupied": 1, "free_places": 1}
    assert now["by_sex"] == {"male": 1, "female": 1} and now["by_nationality"] == {
        "IRN": 1,
        "AFG": 1,
    }
    stay = api.get("/stays?person_ref=P1").get_json()["items"][0]
    api.now = NOW + timedelta(days=2)
    assert send(api, f"/stays/{stay['id']}/release", {"reason": "removed"}).status_code == 200
    history = api.get("/centres/baku/occupancy/history?from=2026-11-19&to=2026-11-23").get_json()
    assert [d["occupied"] for d in history["days"]] == [0, 2, 2, 1, 1]
    assert [d["admissions"] for d in history["days"]] == [0, 2, 0, 0, 0]
    assert [d["releases"] for d in history["days"]] == [0, 0, 0, 1, 0]
    assert {d["capacity"] for d in history["days"][1:]} == {4}
    api.now = datetime(2026, 12, 2, tzinfo=UTC)
    stats = api.get("/statistics/occupancy?month=2026-11", "system").get_json()
    men = next(r for r in stats["rows"] if r["unit_id"] == "baku-m1")
    assert (
        men["admissions"],
        men["releases"],
        men["occupied_end_of_month"],
        men["by_nationality"],
    ) == (1, 1, 0, {"IRN": 1})
    for row in stats[
        "rows"
    ]:  # the occupancy identity partner reports are audited against (all stays began in 2026-11)
        assert (
            row["occupied_end_of_month"]
            == row["admissions"] - row["releases"] + row["transfers_in"] - row["transfers_out"]
        )
    assert api.get("/statistics/occupancy?month=2026-11", "partner").status_code == 403
    assert api.get("/statistics/occupancy?month=2026-13").status_code == 422
    assert (
        api.get("/centres/baku/occupancy/history?from=2026-11-30&to=2026-11-01").status_code == 422
    )


def test_centre_staff_move_only_in_their_centres(api: Api) -> None:
    stay = api.admit("baku-m1").get_json()
    other = send(
        api,
        f"/stays/{stay['id']}/release",
        {"reason": "other"},
        "centre_staff",
        centres=("yevlakh",),
    )
    assert other.status_code == 404
    away = send(
        api,
        f"/stays/{stay['id']}/transfer",
        {"unit_id": "yev-m1"},
        "centre_staff",
        centres=("baku",),
    )
    assert away.status_code == 404
    assert (
        send(api, f"/stays/{stay['id']}/release", {"reason": "other"}, "auditor").status_code == 403
    )
    assert (
        api.get("/centres/yevlakh/occupancy", "centre_staff", centres=("baku",)).status_code == 404
    )
    assert occupancy(api, "baku-m1") == 1


def test_unit_updates_recount_capacity_and_refuse_to_drop_below_the_held(api: Api) -> None:
    api.admit("baku-m1", person={"person_ref": "P1"})
    api.admit("baku-m1", person={"person_ref": "P2"})
    etag = api.get("/units/baku-m1").headers["ETag"]
    below = patch(api, "/units/baku-m1", {"declared_places": 1}, if_match=etag)
    assert below.status_code == 409 and below.get_json()["rule"] == "capacity_above_occupancy"
    assert patch(api, "/units/baku-m1", {"declared_places": 6}, if_match='"v1"').status_code == 412
    grown = patch(
        api,
        "/units/baku-m1",
        {
            "declared_places": 6,
            "blocked_places": [{"places": 1, "reason": "repairs", "until": "2026-12-01"}],
        },
        if_match=etag,
    )
    assert grown.status_code == 200, grown.get_json()
    assert (grown.get_json()["capacity"], grown.get_json()["free_places"]) == (5, 3)
    event = outbox(api, UNITS, "baku-m1")[-1]
    assert (event.type, event.data["capacity"], event.data["blocked_places"]) == (
        "detention.unit.capacity_changed",
        5,
        1,
    )


def test_a_centre_is_deactivated_only_when_empty_and_then_takes_nobody(api: Api) -> None:
    stay = api.admit("yev-m1").get_json()
    held = patch(api, "/centres/yevlakh", {"active": False})
    assert held.status_code == 409 and api.get("/centres/yevlakh").get_json()["active"] is True
    assert send(api, f"/stays/{stay['id']}/release", {"reason": "other"}).status_code == 200
    closed = patch(
        api, "/centres/yevlakh", {"active": False, "name": "Yevlakh (closed)"}, if_match='"v1"'
    )
    assert closed.status_code == 200 and closed.get_json()["active"] is False, closed.get_json()
    refused = api.admit("yev-m1", person={"person_ref": "P9"})
    assert refused.status_code == 409 and refused.get_json()["rule"] == "centre_active"


def test_the_deadline_job_alerts_once_per_threshold_with_the_alert_in_the_outbox(api: Api) -> None:
    from detention import timers

    stay = api.admit(
        "baku-m1",
        legal_basis={**ORDER_SHORT},
        medical_examination={  # legal end 2026-11-30
            "examined_on": "2026-11-20",
            "examined_by": "Dr. N. Aliyeva",
        },
    ).get_json()  # (no missing-examination alert)
    store, rules = api.deps.stay_store, api.deps.rules_for
    assert timers.emit_deadlines(store, NOW, rules) == 1  # 10 days left: the 14-day alert
    assert timers.emit_deadlines(store, NOW, rules) == 0
    assert timers.emit_deadlines(store, NOW + timedelta(days=3), rules) == 1  # 7 days left
    doc = api.deps.mongo.collection(STAYS).find_one({"_id": stay["id"]})
    assert sorted(doc["deadlines_emitted"]) == ["legal_end:2026-11-30:14", "legal_end:2026-11-30:7"]
    alerts = [
        validate_event(e) for e in doc["outbox"] if e["type"] == "detention.stay.deadline_due"
    ]
    assert [(a.data["clock"], a.data["due_on"], a.data["threshold_days"]) for a in alerts] == [
        ("legal_end", "2026-11-30", 14),
        ("legal_end", "2026-11-30", 7),
    ]
    assert send(api, f"/stays/{stay['id']}/release", {"reason": "order_expired"}).status_code == 200
    assert (
        timers.emit_deadlines(store, NOW + timedelta(days=10), rules) == 0
    )  # closed stays are quiet


ORDER_SHORT = {
    "kind": "court_order",
    "decision_ref": "2-1/2026",
    "court": "Baku Administrative Court",
    "decided_on": "2026-11-20",
    "valid_until": "2026-11-30",
}


def test_openapi_documents_the_new_endpoints_with_examples(api: Api) -> None:
    spec = api.client.get("/openapi.json").get_json()
    for path in (
        "/stays/{stay_id}/transfer",
        "/stays/{stay_id}/release",
        "/stays/{stay_id}/extensions",
        "/stays/{stay_id}/reviews",
    ):
        post = spec["paths"][f"{P}{path}"]["post"]
        assert post["requestBody"]["content"]["application/json"]["example"], path
        assert {"200", "409", "412", "422"} <= set(post["responses"]), path
    for path in ("/centres/{centre_id}", "/units/{unit_id}"):
        assert spec["paths"][f"{P}{path}"]["patch"]["requestBody"]["content"]["application/json"][
            "example"
        ]
    assert {
        f"{P}/centres/{{centre_id}}/occupancy",
        f"{P}/centres/{{centre_id}}/occupancy/history",
        f"{P}/statistics/occupancy",
    } <= set(spec["paths"])


def test_the_daily_roll_fills_quiet_days_and_history_carries_levels_across_gaps(api: Api) -> None:
    from detention.adapters import occupancy

    api.admit("baku-m1", person={"person_ref": "P1"})
    assert occupancy.roll_day(api.deps.mongo, "2026-11-21") == 3  # one document per unit
    assert occupancy.roll_day(api.deps.mongo, "2026-11-21") == 0  # never overwritten
    daily = api.deps.mongo.collection(DAILY)
    known: set[str] = set()  # a worker's memory: each day's documents are written once per process
    assert occupancy.roll_day(api.deps.mongo, "2025-01-01", known) == 3
    daily.delete_one({"_id": "baku-m1:2025-01-01"})
    assert occupancy.roll_day(api.deps.mongo, "2025-01-01", known) == 0  # not even tried again
    assert daily.find_one({"_id": "baku-m1:2025-01-01"}) is None
    daily.delete_many({"day": "2025-01-01"})
    assert (
        daily.find_one({"_id": "baku-m1:2026-11-21"})["occupied"],
        daily.find_one({"_id": "yev-m1:2026-11-21"})["occupied"],
    ) == (1, 0)
    later = api.get(
        "/centres/baku/occupancy/history?from=2027-01-10&to=2027-01-11"
    ).get_json()  # seven quiet weeks
    assert [(d["occupied"], d["capacity"], d["admissions"]) for d in later["days"]] == [
        (1, 4, 0),
        (1, 4, 0),
    ]
    near = api.get(
        "/centres/baku/occupancy/history?from=2026-11-22&to=2026-11-22"
    ).get_json()  # found by id
    assert [u["days"][0]["occupied"] for u in near["units"]] == [1, 0]


def test_declared_vulnerabilities_raise_an_alert_and_stay_with_the_particulars(api: Api) -> None:
    stay = api.admit("baku-m1", vulnerabilities=["torture_survivor", "serious_illness"]).get_json()
    assert stay["alerts"] == ["vulnerability_declared"]
    assert stay["vulnerabilities"] == ["serious_illness", "torture_survivor"]
    audited = api.get(f"/stays/{stay['id']}", "auditor").get_json()
    # Alerts name vulnerability categories (special categories): auditors see neither (role-field
    # contract).
    assert "alerts" not in audited and "vulnerabilities" not in audited
    refused = api.admit("baku-m1", person={"person_ref": "P9"}, vulnerabilities=["unknown"])
    assert (
        refused.status_code == 422
        and refused.get_json()["errors"][0]["pointer"] == "/vulnerabilities/0"
    )
