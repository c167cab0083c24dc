"""AVRR cases through the API on a real database: referral (prefilled from detention), who may
read what, search and pages, caseworker views (stages, needs action), reintegration and the
monthly statistics read model written with the transitions."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from passage.events import new_event, registry, validate_event
from tests.integration.test_voluntary_return_support import (
    BODIES,
    PREFIX,
    Service,
    new_ref,
    service,
)
from voluntary_return.domain.stages import STAGES


@pytest.fixture
def svc(settings_for) -> Service:
    return service(settings_for("voluntary_return"))


def _held(svc: Service, person_ref: str) -> None:
    data = {
        **registry().get("detention.stay.opened", 1).examples[0],
        "person_ref": person_ref,
        "stay_id": "5f0c2b1e-0000-4c5e-9a57-3f1c8a2b9d10",
        "centre_id": "yevlakh",
        "unit_id": "yevlakh-m2",
    }
    event = validate_event(
        new_event(
            "detention.stay.opened", source="detention", subject=data["stay_id"], data=data
        ).to_dict()
    )
    svc.deps.mongo.transaction(lambda session: svc.deps.locations.record(event, session=session))


def test_a_detention_referral_is_prefilled_from_where_the_person_is_held(svc: Service) -> None:
    ref = new_ref()
    _held(svc, ref)
    response = svc.refer(ref, source="detention_centre")
    assert response.status_code == 201 and response.headers["ETag"] == '"v1"'
    case = response.get_json()
    assert response.headers["Location"] == f"{PREFIX}/cases/{case['id']}"
    assert case["referral"] | {} == {
        **case["referral"],
        "source": "detention_centre",
        "centre_id": "yevlakh",
        "unit_id": "yevlakh-m2",
        "stay_id": "5f0c2b1e-0000-4c5e-9a57-3f1c8a2b9d10",
        "location_prefilled": True,
        "referred_by": "avr_caseworker-1",
    }
    assert case["stage"] == "referred" and case["history"] == [
        {
            "at": "2026-11-24T10:00:00.000Z",
            "stage": "referred",
            "action": "refer",
            "by": "avr_caseworker-1",
        }
    ]
    assert case["next_action"] == "counselling_due" and case["next_action_due"] == "2026-12-01"
    # #11 finding 7: nothing leaves before the migrant's consent to share with the authorities.
    assert not svc.stored(case["id"]).get("outbox")
    svc.clock.advance(hours=1)
    assert svc.act(case["id"], "record_consent_to_share").status_code == 200
    (event,) = svc.stored(case["id"])["outbox"]
    assert validate_event(event).data == {
        "case_id": case["id"],
        "person_ref": ref,
        "referral_source": "detention_centre",
        "nationality": "IRN",
        "opened_at": "2026-11-24T10:00:00.000Z",
        "stage": "referred",
        "shared_at": "2026-11-24T11:00:00.000Z",
    }


def test_a_detention_referral_without_a_known_stay_names_the_centre_or_is_refused(
    svc: Service,
) -> None:
    response = svc.refer(source="detention_centre")
    assert (
        response.status_code == 422 and response.get_json()["rule"] == "detention_location_unknown"
    )
    assert svc.deps.mongo.collection("cases").count_documents({}) == 0
    case = svc.refer(source="detention_centre", centre_id="baku").get_json()
    assert (
        case["referral"]["centre_id"] == "baku" and case["referral"]["location_prefilled"] is False
    )


def test_notes_and_medical_needs_only_for_avr_caseworkers_and_admins(svc: Service) -> None:
    case = svc.case_at("booked")
    for role in ("avr_caseworker", "admin"):
        seen = svc.get(f"/cases/{case['id']}", role).get_json()
        assert seen["counselling_sessions"][0]["notes"] == "Worried about debts at home."
        assert seen["booking"]["medical_needs"] == "insulin in cabin"
    audited = svc.get(f"/cases/{case['id']}", "auditor")
    assert audited.status_code == 200
    body = audited.get_json()
    assert "notes" not in body["counselling_sessions"][0] and "medical_needs" not in body["booking"]
    assert body["counselling_sessions"][0] == {
        "held_on": "2026-11-24",
        "recorded_by": "avr_caseworker-1",
        "recorded_at": "2026-11-24T10:00:00.000Z",
    }
    listed = svc.get(f"/cases?person_ref={case['person_ref']}", "auditor").get_json()["items"][0]
    assert (
        "notes" not in listed["counselling_sessions"][0]
        and "medical_needs" not in listed["booking"]
    )


def test_auditors_see_no_particulars_household_or_vulnerabilities(svc: Service) -> None:
    """#11 finding 2: an auditor reads who acted and when, never who the migrant is."""
    case = svc.case_at("booked", shared=True)
    svc.case_at("registered", case["person_ref"])  # counselling due: on the needs-action list
    due = svc.get("/cases/needs-action?within_days=365", "auditor").get_json()["items"]
    assert due
    for body in (
        svc.get(f"/cases/{case['id']}", "auditor").get_json(),
        *svc.get(f"/cases?person_ref={case['person_ref']}", "auditor").get_json()["items"],
        *due,
    ):
        text = str(body)
        for secret in (
            "Rezaei",
            "Ali",
            "Sara",
            "1990-04-02",
            "2015-06-01",
            "K1234567",
            "serious_illness",
            "AVM",
            "Worried",
            "insulin",
            "Leyla",
            "debts",
            "IRN",
            "LP-2026-77",
            "GYD-IKA",
            "Caritas",
        ):
            assert secret not in text, secret
        assert {"particulars", "household", "vulnerabilities", "documents", "languages"}.isdisjoint(
            body
        )
        assert body["stage"] in ("booked", "registered") and body["history"] and body["person_ref"]
    assert (
        svc.get(f"/cases/{case['id']}", "avr_caseworker").get_json()["household"][0]["given_name"]
        == "Sara"
    )


@pytest.mark.parametrize("role", ["partner", "centre_staff", "liaison_officer", "system"])
def test_other_roles_are_refused_every_case_endpoint(svc: Service, role: str) -> None:
    case = svc.case_at("registered")
    for path in (
        f"/cases/{case['id']}",
        "/cases",
        "/cases/stages",
        "/cases/needs-action",
        f"/persons/{case['person_ref']}/location",
    ):
        response = svc.get(path, role)
        assert response.status_code == 403 and response.mimetype == "application/problem+json", path
    assert svc.refer(role=role).status_code == 403
    assert svc.act(case["id"], "record_counselling", role=role).status_code == 403
    assert (
        svc.act(case["id"], "record_counselling", {"bad": 1}, role=role).status_code == 403
    )  # role before body
    assert svc.stored(case["id"])["version"] == case["version"]


def test_auditors_read_but_do_not_write(svc: Service) -> None:
    case = svc.case_at("registered")
    assert svc.act(case["id"], "record_counselling", role="auditor").status_code == 403
    assert svc.refer(role="auditor").status_code == 403
    assert svc.stored(case["id"])["version"] == case["version"]


def test_search_by_person_nationality_destination_and_pages(svc: Service) -> None:
    ref = new_ref()
    mine = [svc.refer(ref).get_json()["id"] for _ in range(3)]
    svc.refer(nationality="AFG", destination_country="AFG")
    found = svc.get(f"/cases?person_ref={ref}&limit=2").get_json()
    assert len(found["items"]) == 2 and found["next_cursor"]
    rest = svc.get(f"/cases?person_ref={ref}&limit=2&cursor={found['next_cursor']}").get_json()
    assert rest["next_cursor"] is None
    assert sorted(c["id"] for c in found["items"] + rest["items"]) == sorted(mine)
    afg = svc.get("/cases?nationality=AFG").get_json()["items"]
    assert [c["nationality"] for c in afg] == ["AFG"]
    assert len(svc.get("/cases?destination_country=AFG").get_json()["items"]) == 1
    item = svc.get(f"/cases?person_ref={ref}&limit=1").get_json()["items"][0]
    assert {"id", "person_ref", "stage", "history"} <= set(item) and item["history"][0][
        "stage"
    ] == "referred"


def test_counts_by_stage(svc: Service) -> None:
    for stage in ("referred", "referred", "eligible", "withdrawn"):
        svc.case_at(stage)
    body = svc.get("/cases/stages").get_json()
    assert set(body["counts"]) == set(STAGES) and body["total"] == 4
    assert (
        body["counts"]["referred"] == 2
        and body["counts"]["eligible"] == 1
        and body["counts"]["withdrawn"] == 1
    )
    svc.deps.mongo.collection("stage_counts").update_many(
        {}, {"$inc": {"n": 3}}
    )  # drifted by a manual edit
    assert svc.deps.repository.recount_stages() == {"referred": 2, "eligible": 1, "withdrawn": 1}
    assert svc.get("/cases/stages").get_json()["counts"] == body["counts"]


def test_needs_action_lists_what_is_due_earliest_first(svc: Service) -> None:
    referred = svc.case_at("referred")  # counselling due 2026-12-01
    eligible = svc.case_at("eligible")  # documents pending: due 2026-12-24
    arrived = svc.case_at("arrived")  # monitoring due 2027-02-24
    svc.case_at("withdrawn")
    within_week = svc.get("/cases/needs-action").get_json()["items"]
    assert [c["id"] for c in within_week] == [referred["id"]]
    every = svc.get("/cases/needs-action?within_days=365").get_json()["items"]
    assert [(c["id"], c["next_action"]) for c in every] == [
        (referred["id"], "counselling_due"),
        (eligible["id"], "documents_pending"),
        (arrived["id"], "monitoring_due"),
    ]
    page = svc.get("/cases/needs-action?within_days=365&limit=2").get_json()
    second = svc.get(
        f"/cases/needs-action?within_days=365&limit=2&cursor={page['next_cursor']}"
    ).get_json()
    assert [c["id"] for c in page["items"] + second["items"]] == [c["id"] for c in every]
    assert svc.get("/cases/needs-action?overdue=true").get_json()["items"] == []
    svc.clock.advance(days=100)  # 2027-03-04: the 3-month visit (2027-02-24) is overdue
    overdue = svc.get("/cases/needs-action?overdue=true&kind=monitoring_due").get_json()["items"]
    assert [(c["id"], c["next_action_due"]) for c in overdue] == [(arrived["id"], "2027-02-24")]


def test_needs_action_reads_the_calendar_and_survives_a_wrong_one(svc: Service) -> None:
    cases = [svc.case_at("referred") for _ in range(5)] + [
        svc.case_at("eligible") for _ in range(3)
    ]
    calendar = svc.deps.mongo.collection("action_calendar")
    days: dict[tuple[str, str], int] = {}
    for row in calendar.find():
        days[(row["due"], row["kind"])] = days.get((row["due"], row["kind"]), 0) + row["n"]
    assert {k: v for k, v in days.items() if v} == {
        ("2026-12-01", "counselling_due"): 5,
        ("2026-12-24", "documents_pending"): 3,
    }
    expected = sorted((c["next_action_due"], c["id"]) for c in cases)

    def walk(limit: int, kind: str = "") -> list[tuple[str, str]]:
        seen, cursor = [], kind and f"&kind={kind}"
        while True:
            page = svc.get(f"/cases/needs-action?within_days=365&limit={limit}{cursor}").get_json()
            seen += [(c["next_action_due"], c["id"]) for c in page["items"]]
            if not page["next_cursor"]:
                return seen
            cursor = f"{kind and f'&kind={kind}'}&cursor={page['next_cursor']}"

    for limit in (1, 2, 3, 5, 8, 50):
        assert walk(limit) == expected, limit
        # a cursor inside a day: the rest of that day, then the later days, of that kind only
        assert walk(limit, "counselling_due") == expected[:5], limit
        assert walk(limit, "documents_pending") == expected[5:], limit
    calendar.update_many({}, {"$set": {"n": 1}})  # a calendar that under- and over-counts
    calendar.insert_one(
        {
            "_id": "2026-11-25|counselling_due|0",
            "due": "2026-11-25",
            "kind": "counselling_due",
            "n": 4,
        }
    )
    for limit in (1, 2, 3, 5, 8, 50):
        assert walk(limit) == expected, limit
    svc.case_at("withdrawn")  # a withdrawal takes the case out of the calendar
    assert walk(50) == expected


def test_reintegration_plan_visits_and_score(svc: Service) -> None:
    case = svc.case_at("reintegration")
    plan = case["reintegration"]["plan"]
    assert plan["cash_grant"] == {"amount": "1500", "currency": "EUR"}
    assert plan["in_kind"][0] == {
        "type": "business",
        "description": "grocery stall",
        "value": {"amount": "800.5", "currency": "EUR"},
    }
    assert [(v["month"], v["due_on"]) for v in case["reintegration"]["monitoring"]] == [
        (3, "2027-02-24"),
        (6, "2027-05-24"),
        (12, "2027-11-24"),
    ]
    visited = svc.act(case["id"], "record_monitoring_visit").get_json()
    first = visited["reintegration"]["monitoring"][0]
    assert (
        first["score"] == 0.75
        and first["weights_version"] == 1
        and visited["stage"] == "monitoring"
    )
    assert visited["next_action_due"] == "2027-05-24"
    again = svc.act(case["id"], "record_monitoring_visit")
    assert again.status_code == 409 and again.get_json()["rule"] == "visit_recorded"
    out_of_range = svc.act(
        case["id"],
        "record_monitoring_visit",
        {
            **BODIES["record_monitoring_visit"],
            "month": 6,
            "scores": {"economic": 1.5, "social": 0, "psychosocial": 0},
        },
    )
    assert out_of_range.status_code == 422


def test_arrival_at_a_month_end_plans_visits_at_month_ends(svc: Service) -> None:
    from datetime import datetime

    case = svc.case_at("departed")
    svc.clock.now = datetime(2027, 12, 1, tzinfo=UTC)
    arrived = svc.act(
        case["id"], "confirm_arrival", {"arrived_at": "2027-11-30T23:00:00Z"}
    ).get_json()
    assert [v["due_on"] for v in arrived["reintegration"]["monitoring"]] == [
        "2028-02-29",
        "2028-05-30",
        "2028-11-30",
    ]
    early = svc.act(case["id"], "confirm_arrival", {"arrived_at": "2027-11-30T23:00:00Z"})
    assert early.status_code == 409


def _row(
    rows: list[dict[str, Any]], nationality: str | None, destination: str | None
) -> dict[str, Any]:
    (row,) = [
        r
        for r in rows
        if r["nationality"] == nationality and r["destination_country"] == destination
    ]
    return row


def test_monthly_statistics_follow_the_transitions(svc: Service) -> None:
    svc.case_at("monitoring")
    svc.case_at("withdrawn")
    svc.refer(source="hotline", nationality="AFG")
    for role in ("admin", "auditor", "system"):
        response = svc.get("/statistics?month=2026-11", role)
        assert response.status_code == 200, role
    body = svc.get("/statistics?month=2026-11", "system").get_json()
    assert body["month"] == "2026-11"
    # Rows follow the case's attributes at each transition: referral before the destination was
    # known.
    iran = _row(body["rows"], "IRN", "IRN")
    assert (
        iran["referrals"] == 0
        and iran["by_stage"]["departed"] == 1
        and iran["by_stage"]["registered"] == 1
    )
    assert (
        iran["departures"] == 1
        and iran["monitoring_completed"] == 1
        and iran["mean_sustainability_score"] == 0.75
    )
    assert iran["median_days_referral_to_departure"] == 0 and iran["vulnerability"] == {
        "serious_illness": 1
    }
    unregistered = [r for r in body["rows"] if r["destination_country"] is None]
    assert (
        sum(r["referrals"] for r in body["rows"]) == 3
        and sum(r["withdrawals"] for r in body["rows"]) == 1
    )
    assert {r["nationality"] for r in unregistered} == {"IRN", "AFG"}
    assert _row(unregistered, "AFG", None)["by_referral_source"] == {"hotline": 1}
    assert svc.get("/statistics?month=2026-12", "system").get_json() == {
        "month": "2026-12",
        "rows": [],
    }


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?month=2026-13",
        "?month=2026-1",
        "?month=26-11",
        "?month[$ne]=1",
        "?month=2026-11&extra=1",
    ],
)
def test_statistics_refuse_a_bad_month(svc: Service, query: str) -> None:
    response = svc.get(f"/statistics{query}", "system")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("role", ["partner", "avr_caseworker", "centre_staff", "liaison_officer"])
def test_statistics_are_for_admin_auditor_and_system_only(svc: Service, role: str) -> None:
    assert svc.get("/statistics?month=2026-11", role).status_code == 403


@pytest.mark.parametrize("window", [1 << 26, 1 << 20, 1 << 31])
def test_broad_searches_page_through_id_windows_without_gaps(
    svc: Service, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voluntary_return.adapters import cases

    monkeypatch.setattr(cases, "ID_WINDOW", window)
    monkeypatch.setattr(cases, "ID_WINDOW_UNFILTERED", window)
    ids = sorted(svc.refer(nationality="GEO").get_json()["id"] for _ in range(14))
    returning = [
        svc.refer(nationality="GEO", destination_country="TUR").get_json()["id"] for _ in range(9)
    ]
    ids = sorted([*ids, *returning])
    other = svc.refer(nationality="AFG", destination_country="TUR").get_json()["id"]

    def paged(query: str, limit: int) -> list[str]:
        seen, cursor = [], ""
        while True:
            page = svc.get(f"/cases?{query}limit={limit}{cursor}").get_json()
            assert len(page["items"]) <= limit
            seen += [c["id"] for c in page["items"]]
            if not page["next_cursor"]:
                return seen
            cursor = f"&cursor={page['next_cursor']}"

    for limit in (1, 4, 7, 50):
        assert paged("nationality=GEO&", limit) == ids, limit
        # both filters: one index of both on SecantusDB, never another nationality or destination
        assert paged("nationality=GEO&destination_country=TUR&", limit) == sorted(returning)
        assert paged("destination_country=TUR&", limit) == sorted([*returning, other]), limit
        # no filter: the id slices alone (an index on _id on SecantusDB)
        assert paged("", limit) == sorted([*ids, other]), limit
    everything = svc.get("/cases?limit=200").get_json()
    assert len(everything["items"]) == 24 and everything["next_cursor"] is None
