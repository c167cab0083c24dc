"""Detention law as data through the HTTP API (issue #10 finding 7): a court decision beyond the
legal basis's statutory maximum is refused naming the rule and its source; an asylum applicant
granted status gets the further months; the entry examination is recorded after admission (staff
of the centre, If-Match), and a stay without one alerts once after 24 hours."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from detention import timers
from detention.adapters.repository import STAYS
from detention.app import create_app
from detention.domain.rules import RULE_TABLE, Rules, rules_on
from passage.events import validate_event
from tests.integration.test_detention_api import NOW, ORDER, Api
from tests.integration.test_detention_moves import send

# A rule-table entry an administrator adds: court orders may hold a person at most 6 months.
TABLE = (*RULE_TABLE, Rules(effective_from=date(2026, 1, 1), court_order_max_months=6))
EXAM = {"examined_on": "2026-11-20", "examined_by": "Dr. N. Aliyeva", "fit_for_detention": True}
EXTENSION = {
    "decision_ref": "2-2345/2027",
    "court": "Baku Administrative Court",
    "decided_on": "2026-11-20",
}


@pytest.fixture
def api(settings_for: Any) -> Iterator[Api]:
    built = Api(settings_for)
    built.deps = replace(built.deps, rules_for=lambda day: rules_on(day, TABLE))
    built.client = create_app(built.settings, built.deps).test_client()
    built.centre("baku")
    built.centre("yevlakh")
    built.unit("baku", "baku-m1")
    yield built


def test_a_court_extension_beyond_the_statutory_maximum_is_refused_naming_the_rule_and_source(
    api: Api,
) -> None:
    stay = api.admit("baku-m1").get_json()  # admitted 2026-11-20: the maximum ends 2027-05-20
    refused = send(
        api, f"/stays/{stay['id']}/extensions", {**EXTENSION, "valid_until": "2027-05-21"}
    )
    problem = refused.get_json()
    assert (refused.status_code, problem["rule"], problem["last_lawful_day"]) == (
        422,
        "statutory_maximum",
        "2027-05-20",
    )
    assert (
        problem["source"]["rule"] == "court_order_max_months"
        and problem["source"]["verified"] is False
    )
    assert "Migration Code" in problem["source"]["law"] and "unverified" in problem["detail"]
    assert problem["errors"][0]["pointer"] == "/valid_until"
    assert api.get(f"/stays/{stay['id']}").get_json()["legal_end"] == "2027-02-20"  # nothing stored
    allowed = send(
        api, f"/stays/{stay['id']}/extensions", {**EXTENSION, "valid_until": "2027-05-20"}
    )
    assert allowed.status_code == 200 and allowed.get_json()["legal_end"] == "2027-05-20"


def test_an_admission_on_an_order_beyond_the_maximum_is_refused(api: Api) -> None:
    refused = api.admit("baku-m1", legal_basis={**ORDER, "valid_until": "2027-06-01"}).get_json()
    assert (refused["status"], refused["rule"], refused["errors"][0]["pointer"]) == (
        422,
        "statutory_maximum",
        "/legal_basis/valid_until",
    )
    assert api.deps.mongo.collection(STAYS).count_documents({}) == 0


def test_an_asylum_applicant_granted_status_gets_the_further_three_months_once(api: Api) -> None:
    stay = api.admit("baku-m1", legal_basis={"kind": "asylum_applicant"}).get_json()
    assert stay["legal_end"] == "2027-02-20"
    api.now = NOW + timedelta(days=40)
    granted = send(
        api,
        f"/stays/{stay['id']}/status-granted",
        {"decision_ref": "SMS-1", "granted_on": "2026-12-28"},
        if_match='"v1"',
    )
    body = granted.get_json()
    assert granted.status_code == 200, body
    assert body["legal_end"] == "2027-05-20" and body["history"][-1]["state"] == "extended"
    assert (
        body["asylum_extension"]["months"] == 3
        and body["asylum_extension"]["source"]["verified"] is False
    )
    again = send(
        api,
        f"/stays/{stay['id']}/status-granted",
        {"decision_ref": "SMS-1", "granted_on": "2026-12-28"},
    )
    assert (again.status_code, again.get_json()["rule"]) == (409, "asylum_extension_once")
    # beyond the further months, no court decision may go either
    beyond = send(
        api, f"/stays/{stay['id']}/extensions", {**EXTENSION, "valid_until": "2027-05-21"}
    ).get_json()
    assert (beyond["rule"], beyond["source"]["rule"]) == (
        "statutory_maximum",
        "asylum_extension_months",
    )
    order = api.admit("baku-m1", person={"person_ref": "AZ-ORDER-1"}).get_json()
    wrong = send(
        api,
        f"/stays/{order['id']}/status-granted",
        {"decision_ref": "SMS-2", "granted_on": "2026-12-28"},
    )
    assert (wrong.status_code, wrong.get_json()["rule"]) == (422, "asylum_extension_basis")


def test_the_entry_examination_is_recorded_after_admission_by_the_centres_staff(api: Api) -> None:
    stay = api.admit("baku-m1").get_json()
    assert stay["entry_examination_missing"] is True and "entry_medical" not in stay
    path = f"/stays/{stay['id']}/entry-examination"
    assert send(api, path, EXAM, "centre_staff", centres=("yevlakh",)).status_code == 404
    assert send(api, path, EXAM, "auditor").status_code == 403
    assert send(api, path, EXAM, "admin", if_match='"v7"').status_code == 412
    future = send(
        api, path, {**EXAM, "examined_on": "2026-11-21"}, "centre_staff", centres=("baku",)
    ).get_json()
    assert (future["status"], future["rule"]) == (422, "examined_on_range")
    recorded = send(
        api,
        path,
        {**EXAM, "examined_on": "2026-11-20"},
        "centre_staff",
        if_match='"v1"',
        centres=("baku",),
    )
    assert recorded.status_code == 200, recorded.get_json()
    view = recorded.get_json()
    assert (
        view["entry_medical"]["examined_by"] == "Dr. N. Aliyeva"
        and view["entry_examination_missing"] is False
    )
    assert recorded.headers["ETag"] == '"v2"' and view["history"][-1]["state"] == "examined"
    assert send(api, path, EXAM, "admin").get_json()["rule"] == "entry_examination_once"
    assert "entry_medical" not in api.get(f"/stays/{stay['id']}", "auditor").get_json()


def test_a_stay_without_an_entry_examination_alerts_once_after_24_hours(api: Api) -> None:
    waiting = api.admit("baku-m1", person={"person_ref": "AZ-NOEXAM"}).get_json()
    examined = api.admit(
        "baku-m1", person={"person_ref": "AZ-EXAM"}, medical_examination=EXAM
    ).get_json()
    late = api.admit("baku-m1", person={"person_ref": "AZ-LATE"}).get_json()
    assert (
        send(
            api, f"/stays/{late['id']}/entry-examination", {**EXAM, "examined_on": "2026-11-20"}
        ).status_code
        == 200
    )
    store = api.deps.stay_store
    assert (
        timers.missing_entry_examinations(store, NOW + timedelta(hours=23), rules_on(NOW.date()))
        == 0
    )
    assert timers.emit_deadlines(store, NOW + timedelta(hours=25), api.deps.rules_for) == 1
    assert timers.emit_deadlines(store, NOW + timedelta(hours=49), api.deps.rules_for) == 0
    stays = api.deps.mongo.collection(STAYS)
    alerts = [
        validate_event(e)
        for doc in stays.find({})
        for e in doc["outbox"]
        if e["type"] == "detention.stay.deadline_due"
    ]
    assert [
        (a.subject, a.data["clock"], a.data["due_on"], a.data["threshold_days"]) for a in alerts
    ] == [(waiting["id"], "entry_medical", "2026-11-21", 0)]
    assert "entry_medical" not in stays.find_one({"_id": examined["id"]})["deadlines_emitted"]
