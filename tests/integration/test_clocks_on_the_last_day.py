"""Every legal clock run on its LAST day and on the DAY AFTER, on the real SecantusDB where the due
queries live: a deadline is not missed while its last day lasts (up to 23:59:59), and is acted on
once the day is over. Readmission: submission, reply (deemed acceptance), travel document, transfer,
take-back window, transit reply. Detention: the legal end and the next review of a stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from readmission.timers import run_clock
from tests.integration.test_detention_api import NOW, Api
from tests.integration.test_readmission_requests import drive
from tests.integration.test_readmission_support import Service
from tests.integration.test_readmission_transit_support import create as create_transit
from tests.integration.test_readmission_transit_support import get as get_transit

MISSED = "readmission.request.deadline_missed"


@pytest.fixture
def service(rabbit_url: str, settings_for: Any) -> Service:
    return Service(settings_for("readmission", broker=rabbit_url))


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, UTC)


def _deadline(view: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(d for d in view["deadlines"] if d["kind"] == kind)


def _missed_events(service: Service, collection: str, doc_id: str, kind: str) -> int:
    doc = service.deps.mongo.collection(collection).find_one({"_id": doc_id})
    return sum(
        1 for e in doc.get("outbox", []) if e["type"] == MISSED and e["data"]["deadline"] == kind
    )


def _run(service: Service, moment: datetime) -> None:
    run_clock(service.deps.repository, moment, service.deps.rules)


def _last_day_then_day_after(
    service: Service, read: Any, kind: str, collection: str = "requests"
) -> tuple[dict[str, Any], dict[str, Any], date]:
    """The view before the last day and after the day after, having checked the clock all through
    the last day (00:00, noon, 23:59:59) left the deadline open, unflagged and without an event."""
    due = date.fromisoformat(_deadline(read(), kind)["due_on"])
    _run(
        service, _at(due - timedelta(days=1), time(23, 59, 59))
    )  # earlier deadlines of the same request settle
    before = read()
    for moment in (time(0, 0), time(12, 0), time(23, 59, 59)):
        _run(service, _at(due, moment))
    last_day = read()
    assert (
        _deadline(last_day, kind)["status"] == "open"
        and _deadline(last_day, kind)["missed_notified"] is False
    )
    assert last_day["state"] == before["state"], f"{kind} acted on during its last day"
    assert _missed_events(service, collection, before["id"], kind) == 0
    _run(service, _at(due + timedelta(days=1), time(0, 0, 1)))
    return before, read(), due


@pytest.mark.parametrize(
    "kind,state", [("submit", "draft"), ("travel_document", "accepted"), ("transfer", "accepted")]
)
def test_a_request_deadline_is_missed_only_the_day_after_its_last_day(
    service: Service, kind: str, state: str
) -> None:
    request = drive(service, state)
    read = lambda: service.get(request["id"]).get_json()  # noqa: E731
    _, after, due = _last_day_then_day_after(service, read, kind)
    assert _deadline(after, kind)["missed_notified"] is True and after["state"] == state
    assert _missed_events(service, "requests", request["id"], kind) == 1
    _run(service, _at(due + timedelta(days=2), time(12, 0)))
    assert _missed_events(service, "requests", request["id"], kind) == 1  # once


def test_the_reply_is_deemed_given_only_the_day_after_the_last_day_to_reply(
    service: Service,
) -> None:
    request = drive(service, "submitted")
    read = lambda: service.get(request["id"]).get_json()  # noqa: E731
    before, after, due = _last_day_then_day_after(service, read, "reply")
    assert before["state"] == "submitted"
    assert (
        after["state"] == "deemed_accepted"
        and after["decided_on"] == (due + timedelta(days=1)).isoformat()
    )
    assert _deadline(after, "reply")["status"] == "missed"


def test_the_take_back_window_stays_open_through_its_last_day(service: Service) -> None:
    request = drive(service, "transferred")
    read = lambda: service.get(request["id"]).get_json()  # noqa: E731
    _, after, due = _last_day_then_day_after(service, read, "take_back")
    assert _deadline(after, "take_back")["status"] == "expired"
    assert (
        _missed_events(service, "requests", request["id"], "take_back") == 0
    )  # a window ending is no missed duty


def test_a_take_back_on_the_windows_last_day_is_accepted(service: Service) -> None:
    request = drive(service, "transferred")
    due = date.fromisoformat(_deadline(request, "take_back")["due_on"])
    service.clock.now = _at(due, time(23, 0))
    response = service.act(request["id"], "take-back", {"reason": "Wrongly readmitted"})
    assert response.status_code == 200 and response.get_json()["state"] == "taken_back", (
        response.get_json()
    )


def test_a_transit_reply_deadline_is_flagged_only_the_day_after(service: Service) -> None:
    transit = create_transit(service)
    read = lambda: get_transit(service, transit["id"]).get_json()  # noqa: E731
    _, after, _ = _last_day_then_day_after(service, read, "transit_reply", "transits")
    assert (
        after["state"] == "submitted"
        and _deadline(after, "transit_reply")["missed_notified"] is True
    )


# detention: legal end and review ---------------------------------------------------------------
ORDER_ENDS = date(2026, 11, 30)
ORDER = {
    "kind": "court_order",
    "decision_ref": "2-1/2026",
    "court": "Baku Administrative Court",
    "decided_on": "2026-11-20",
    "valid_until": ORDER_ENDS.isoformat(),
}


@pytest.fixture
def detention(settings_for: Any) -> Iterator[Api]:
    built = Api(settings_for)
    built.centre("baku")
    built.unit("baku", "baku-m1", places=4)
    yield built


def _baku_noon(day: date) -> datetime:
    return datetime.combine(day, time(8, 0), UTC)  # 12:00 in Baku (UTC+4)


def _alerts(api: Api, stay_id: str, clock: str) -> list[tuple[str, int]]:
    doc = api.deps.mongo.collection("stays").find_one({"_id": stay_id})
    return [
        (e["data"]["due_on"], e["data"]["threshold_days"])
        for e in doc.get("outbox", [])
        if e["type"] == "detention.stay.deadline_due" and e["data"]["clock"] == clock
    ]


def _emit(api: Api, day: date) -> None:
    from detention import timers

    timers.emit_deadlines(api.deps.stay_store, _baku_noon(day), api.deps.rules_for)


def test_an_order_admits_on_its_last_day_and_not_the_day_after(detention: Api) -> None:
    detention.now = _baku_noon(ORDER_ENDS)
    assert detention.admit("baku-m1", legal_basis=ORDER).status_code == 201
    detention.now = _baku_noon(ORDER_ENDS + timedelta(days=1))
    refused = detention.admit("baku-m1", legal_basis=ORDER, person={"person_ref": "AZ-2026-000002"})
    assert refused.status_code in (409, 422) and refused.get_json()["rule"] == "order_expired"


def test_the_legal_end_alerts_due_today_on_its_last_day_and_not_before(detention: Api) -> None:
    stay = detention.admit("baku-m1", legal_basis=ORDER).get_json()
    _emit(detention, ORDER_ENDS - timedelta(days=15))
    assert (
        _alerts(detention, stay["id"], "legal_end") == []
    )  # 15 days left: outside every threshold
    _emit(
        detention, ORDER_ENDS - timedelta(days=14)
    )  # exactly 14 days left: the due-by query includes the day
    _emit(detention, ORDER_ENDS - timedelta(days=1))
    assert _alerts(detention, stay["id"], "legal_end") == [("2026-11-30", 14), ("2026-11-30", 1)]
    _emit(detention, ORDER_ENDS)
    _emit(detention, ORDER_ENDS + timedelta(days=1))
    assert _alerts(detention, stay["id"], "legal_end")[2:] == [("2026-11-30", 0)]


def test_the_review_alerts_due_today_on_its_last_day_even_when_the_job_missed_the_days_before(
    detention: Api,
) -> None:
    stay = detention.admit("baku-m1", legal_basis={**ORDER, "valid_until": "2027-02-20"}).get_json()
    review = date(2026, 12, 10)
    done = detention.post(
        f"/stays/{stay['id']}/reviews",
        {"next_review_on": review.isoformat(), "outcome": "detention still necessary"},
    )
    assert done.status_code == 200, done.get_json()
    _emit(detention, review - timedelta(days=1))
    assert _alerts(detention, stay["id"], "review") == [("2026-12-10", 1)]
    _emit(detention, review)
    _emit(detention, review + timedelta(days=1))
    assert _alerts(detention, stay["id"], "review") == [("2026-12-10", 1), ("2026-12-10", 0)]


def test_a_review_can_be_set_for_tomorrow_but_not_for_today(detention: Api) -> None:
    stay = detention.admit("baku-m1", legal_basis={**ORDER, "valid_until": "2027-02-20"}).get_json()
    today = NOW.date()
    same_day = detention.post(
        f"/stays/{stay['id']}/reviews", {"next_review_on": today.isoformat(), "outcome": "x"}
    )
    assert same_day.status_code == 422 and same_day.get_json()["rule"] == "review_in_future"
    tomorrow = (today + timedelta(days=1)).isoformat()
    next_day = detention.post(
        f"/stays/{stay['id']}/reviews", {"next_review_on": tomorrow, "outcome": "x"}
    )
    assert next_day.status_code == 200
