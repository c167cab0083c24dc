"""Issue #10's readmission findings over HTTP on a real SecantusDB: each test failed on the code
before
#10 and passes now — agreements (DK/IE not bound, Norway recorded), the 6-month submission limit for
third-country nationals and stateless persons only, the accelerated limit on the requesting state's
calendar, dated replies reversing a deemed acceptance (once), transfer extensions for obstacles,
evidence class from document type, sourced deadlines, Annex 5 particulars kept from auditors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from readmission.timers import run_clock
from tests.integration.test_readmission_support import PREFIX, Service, new_request

REVERSED = "readmission.request.deemed_acceptance_reversed"


@pytest.fixture
def service(rabbit_url, settings_for) -> Service:
    return Service(settings_for("readmission", broker=rabbit_url))


def deemed(service: Service) -> dict[str, Any]:
    """A request received 2 Nov 2026 (reply limit 17 Nov), deemed accepted by the clock on 18
    Nov."""
    request = service.create()
    assert service.act(request["id"], "submit", {}).status_code == 200
    service.clock.now += timedelta(days=16)
    assert (
        run_clock(service.deps.repository, service.clock(), service.deps.rules).deemed_accepted == 1
    )
    return service.get(request["id"]).get_json()


@pytest.mark.parametrize("member_state,name", [("DK", "Denmark"), ("IE", "Ireland")])
def test_denmark_and_ireland_are_not_bound_by_the_eu_agreement(
    service: Service, member_state: str, name: str
) -> None:
    before = service.counts()
    response = service.client.post(
        f"{PREFIX}/requests", json=new_request(member_state=member_state), headers=service.headers()
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert name in response.get_json()["detail"] and "2014/239/EU" in response.get_json()["detail"]
    assert service.counts() == before  # nothing stored


def test_a_request_under_the_norway_agreement_is_recorded_with_its_rules(service: Service) -> None:
    request = service.create(agreement="NO-AZ", member_state="NO")
    assert request["agreement"] == "NO-AZ"
    submit = next(d for d in request["deadlines"] if d["kind"] == "submit")
    assert (
        submit["rule_version"].startswith("no-az-2015") and submit["source"]["agreement"] == "NO-AZ"
    )
    wrong = service.client.post(
        f"{PREFIX}/requests", json=new_request(agreement="NO-AZ"), headers=service.headers()
    )
    assert wrong.status_code == 422 and "not a party" in wrong.get_json()["detail"]
    agreements = service.client.get(f"{PREFIX}/agreements", headers=service.headers()).get_json()[
        "items"
    ]
    assert {a["code"] for a in agreements} == {"EU-AZ", "NO-AZ"}
    assert next(a for a in agreements if a["code"] == "NO-AZ")["in_force"] == "2015-06-01"


def test_submission_limit_six_months_for_third_country_nationals_none_for_own_nationals(
    service: Service,
) -> None:
    tcn = service.create()
    submit = next(d for d in tcn["deadlines"] if d["kind"] == "submit")
    assert (submit["due_on"], submit["amount"], submit["unit"]) == ("2027-04-01", 6, "months")
    assert submit["source"]["article"] and submit["unverified"] is True
    own = service.create(direction="incoming", category="own_national", person_ref="AZ-OWN-1")
    assert own["deadlines"] == []
    service.clock.now += timedelta(
        days=400
    )  # long after any 12-month limit: no spurious deadline_missed
    run_clock(service.deps.repository, service.clock(), service.deps.rules)
    assert "readmission.request.deadline_missed" not in service.outbox_types(own["id"])


def test_accelerated_submission_runs_on_the_requesting_states_calendar(service: Service) -> None:
    service.clock.now = service.clock.now.replace(month=12, day=23)
    request = service.create(
        direction="incoming",
        procedure="accelerated",
        apprehended_on="2026-12-23",
        learned_on="2026-12-23",
    )
    submit = next(d for d in request["deadlines"] if d["kind"] == "submit")
    assert (submit["due_on"], submit["calendar"]) == ("2026-12-28", "DE")


def test_an_administrators_calendar_override_is_applied(service: Service) -> None:
    url = f"{PREFIX}/calendars/DE/days/2026-12-24"
    body = {"working": False, "kind": "office_closure", "reason": "Christmas Eve closure"}
    assert service.client.put(url, json=body, headers=service.headers()).status_code == 403
    first = service.client.put(url, json=body, headers=service.headers("admin"))
    assert first.status_code == 200
    stale = service.client.put(
        url, json=body, headers={**service.headers("admin"), "If-Match": '"v0"'}
    )
    assert stale.status_code == 412
    service.clock.now = service.clock.now.replace(month=12, day=23)
    request = service.create(
        direction="incoming", procedure="accelerated", apprehended_on="2026-12-23"
    )
    assert next(d for d in request["deadlines"] if d["kind"] == "submit")["due_on"] == "2026-12-29"


def test_a_timely_rejection_entered_after_the_deemed_acceptance_reverses_it_once(
    service: Service,
) -> None:
    request = deemed(service)
    service.clock.now += timedelta(days=1)  # 19 Nov: the rejection dated 16 Nov arrives
    body = {
        "replied_on": "2026-11-16",
        "received_on": "2026-11-19",
        "reason": "Rejection arrived by post",
        "reasons": [{"code": "nationality_not_established", "explanation": "Not on the register"}],
    }
    assert (
        service.act(
            request["id"], "reject", {k: v for k, v in body.items() if k != "reason"}
        ).status_code
        == 422
    )
    response = service.act(request["id"], "reject", body)
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    assert after["state"] == "rejected" and after["decided_on"] == "2026-11-16"
    assert after["history"][-1]["reason"] == "Rejection arrived by post"
    assert (
        after["history"][-1]["replied_on"] == "2026-11-16"
        and after["history"][-1]["reversed"] == "deemed_accepted"
    )
    assert {d["kind"]: d["status"] for d in after["deadlines"]}["transfer"] == "cancelled"
    again = service.act(request["id"], "reject", body)
    assert again.status_code == 409 and again.get_json()["current_state"] == "rejected"
    assert service.outbox_types(request["id"]).count(REVERSED) == 1
    row = service.client.get(
        f"{PREFIX}/statistics?month=2026-11", headers=service.headers("auditor")
    ).get_json()["rows"][0]
    assert (row["deemed_accepted"], row["rejected"], row["answered_within_limit_share"]) == (
        0,
        1,
        1.0,
    )
    assert row["median_days_to_reply"] == 14.0  # 2 → 16 Nov, by the reply's date


def test_a_late_reply_after_the_deemed_acceptance_leaves_it_standing(service: Service) -> None:
    request = deemed(service)
    body = {
        "replied_on": "2026-11-18",
        "reason": "x",
        "reasons": [{"code": "other", "explanation": "Late"}],
    }
    response = service.act(request["id"], "reject", body)
    assert response.status_code == 409 and "stands" in response.get_json()["detail"]
    assert service.get(request["id"]).get_json()["state"] == "deemed_accepted"
    assert REVERSED not in service.outbox_types(request["id"])


def test_a_timely_acceptance_reverses_with_a_new_transfer_date_in_its_event(
    service: Service,
) -> None:
    request = deemed(service)
    body = {"replied_on": "2026-11-10", "reason": "Acceptance found in the mailbox"}
    after = service.act(request["id"], "accept", body).get_json()
    assert after["state"] == "accepted"
    doc = service.deps.mongo.collection("requests").find_one({"_id": request["id"]})
    (event,) = [e for e in doc["outbox"] if e["type"] == REVERSED]
    assert (
        event["data"]["outcome"],
        event["data"]["replied_on"],
        event["data"]["transfer_due_on"],
    ) == ("accepted", "2026-11-10", "2027-02-10")


def test_the_transfer_limit_extended_for_an_obstacle_is_not_missed(service: Service) -> None:
    request = deemed(service)
    body = {"due_on": "2027-05-31", "reason": "The person is in hospital"}
    after = service.act(request["id"], "transfer-extensions", body).get_json()
    transfer = next(d for d in after["deadlines"] if d["kind"] == "transfer")
    assert (
        transfer["due_on"] == "2027-05-31"
        and transfer["extensions"][0]["reason"] == "The person is in hospital"
    )
    service.clock.now += timedelta(
        days=120
    )  # past the original 3 months (18 Feb 2027), before 31 May
    run_clock(service.deps.repository, service.clock(), service.deps.rules)
    doc = service.deps.mongo.collection("requests").find_one({"_id": request["id"]})
    missed = [
        e["data"]["deadline"]
        for e in doc["outbox"]
        if e["type"] == "readmission.request.deadline_missed"
    ]
    assert "transfer" not in missed and sorted(missed) == ["reply", "travel_document"]


def test_evidence_class_comes_from_the_document_type(service: Service) -> None:
    request = service.create(category="own_national", direction="incoming", evidence=[])
    assert request["evidence_sufficiency"]["indicator"] == "none"
    marked = service.act(
        request["id"], "evidence", {"of": "nationality", "type": "photocopy", "kind": "proof"}
    )
    assert marked.status_code == 422
    copy = service.act(
        request["id"], "evidence", {"of": "nationality", "type": "photocopy"}
    ).get_json()
    assert (
        copy["evidence"][-1]["kind"] == "prima_facie"
        and copy["evidence_sufficiency"]["indicator"] == "prima_facie_only"
    )
    passport = service.act(
        request["id"], "evidence", {"of": "nationality", "type": "passport"}
    ).get_json()
    assert passport["evidence_sufficiency"]["indicator"] == "proof_present"


def test_annex_5_particulars_are_kept_and_never_shown_to_auditors(service: Service) -> None:
    from tests.integration.test_readmission_support import particulars

    annex5 = {
        **particulars(),
        "maiden_name": "Karimi",
        "father_name": "Reza",
        "mother_name": "Maryam",
        "civil_status": "married",
        "spouse": {"family_name": "Rezaei", "given_names": "Sara"},
        "children": [{"family_name": "Rezaei", "given_names": "Omid", "birth_date": "2019-05-01"}],
        "special_care_needs": "Insulin",
        "health_statement": "Diabetic",
        "dangerousness_statement": "None known",
        "interview_wanted": True,
        "photo_reference": "PH-77",
        "escorts": [{"name": "Officer Aliyev", "rank": "Captain", "document": "SC-1"}],
    }
    request = service.create(particulars=annex5)
    assert (
        request["particulars"]["escorts"][0]["rank"] == "Captain"
        and request["particulars"]["maiden_name"] == "Karimi"
    )
    audited = service.get(request["id"], "auditor").get_json()
    assert (
        "particulars" not in audited
        and "Aliyev" not in str(audited)
        and "Karimi" not in str(audited)
    )
    work = service.client.get(f"{PREFIX}/worklist", headers=service.headers()).get_json()["items"]
    assert all(item["source"] and item["unverified"] is True for item in work)


def test_transits_carry_their_agreement_and_annex_6_escorts_are_kept_from_auditors(
    service: Service,
) -> None:
    from tests.integration.test_readmission_transit_support import counts, create, get, new_transit

    before = counts(service)
    refused = service.client.post(
        f"{PREFIX}/transits",
        json=new_transit(member_state="IE", route=["IE", "AZ", "IRN"]),
        headers=service.headers(),
    )
    assert refused.status_code == 422 and "Ireland" in refused.get_json()["detail"]
    assert counts(service) == before
    escorts = {
        "count": 1,
        "agency": "Bundespolizei",
        "officers": [
            {"name": "Anna Schmidt", "rank": "Polizeioberkommissarin", "document": "BP-4411"}
        ],
    }
    transit = create(service, escorts=escorts)
    assert (
        transit["agreement"] == "EU-AZ"
        and transit["escorts"]["officers"][0]["rank"] == "Polizeioberkommissarin"
    )
    assert next(d for d in transit["deadlines"])["source"]["agreement"] == "EU-AZ"
    audited = get(service, transit["id"], "auditor").get_json()
    assert audited["escorts"] == {"count": 1} and "Schmidt" not in str(
        audited
    )  # auditors: metadata only


def test_concurrent_identical_reversals_reverse_once(service: Service) -> None:
    import threading

    from passage.testing import LiveServer
    from tests.integration.test_readmission_requests import _post

    body = {
        "replied_on": "2026-11-16",
        "reason": "Rejection arrived by post",
        "reasons": [{"code": "other", "explanation": "Not ours"}],
    }
    with LiveServer(service.app) as server:
        for _ in range(4):
            service.clock.now = service.clock.now.replace(day=2)
            request = deemed(service)
            results: list[tuple[int, dict[str, Any]]] = []
            barrier = threading.Barrier(3)
            threads = [
                threading.Thread(
                    target=_post,
                    args=(
                        f"{server.url}{PREFIX}/requests/{request['id']}/reject",
                        service.headers(),
                        body,
                        results,
                        barrier,
                    ),
                )
                for _ in range(3)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(status for status, _ in results) == [200, 409, 409], results
            assert all(b["current_state"] == "rejected" for status, b in results if status == 409)
            assert service.outbox_types(request["id"]).count(REVERSED) == 1
