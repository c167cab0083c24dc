"""Voluntary return records where each person is held from detention events (real SecantusDB, real
bus)."""

from __future__ import annotations

import pytest

from tests.integration import test_locations_support as scenario
from voluntary_return.app import create_app
from voluntary_return.service import build_deps
from voluntary_return.worker import build_worker


def refer(client, settings, person_ref: str) -> None:
    response = client.post(
        "/api/v1/voluntary-return/cases",
        json={"person_ref": person_ref, "source": "ngo"},
        headers=scenario.headers_for(settings, "avr_caseworker"),
    )
    assert response.status_code == 201, response.get_json()


SUT = scenario.ServiceUnderTest(
    service="voluntary_return",
    package="voluntary_return",
    api_prefix="/api/v1/voluntary-return",
    queue="voluntary_return.detention_location",
    readers=("admin", "avr_caseworker", "auditor"),
    create_app=create_app,
    build_worker=build_worker,
    build_deps=build_deps,
    give_record=refer,
)


def test_location_follows_the_stay_over_the_bus_and_duplicates_apply_once(
    broker_url, bus_prefix, settings_for
) -> None:
    scenario.check_location_follows_the_stay(
        SUT, settings_for("voluntary_return", broker=broker_url)
    )


def test_worker_command_consumes_and_stops_on_sigterm(broker_url, bus_prefix, settings_for) -> None:
    scenario.check_worker_process_runs_and_stops(
        SUT, settings_for("voluntary_return", broker=broker_url)
    )


@pytest.fixture
def known(rabbit_url, bus_prefix, settings_for) -> scenario.KnownPerson:
    return scenario.KnownPerson(SUT, settings_for("voluntary_return", broker=rabbit_url))


def test_readers_get_the_agreed_shape_with_an_etag(known) -> None:
    scenario.check_readers_get_the_contract_shape(known)


def test_missing_forged_or_expired_identity_is_401_and_other_roles_403(known) -> None:
    scenario.check_refused_callers(known)


def test_bad_person_refs_and_query_operators_are_refused_and_nothing_changes(known) -> None:
    scenario.check_bad_person_refs_and_queries(known)


def test_readiness_checks_mongo_and_broker(known, settings_for) -> None:
    response = known.client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["checks"] == {
        "mongo": True,
        "broker": True,
    }
    down = create_app(
        settings_for("voluntary_return", broker="amqp://guest:guest@127.0.0.1:1//")
    ).test_client()
    response = down.get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"]["broker"] is False


def test_a_location_is_answered_only_for_people_with_a_case(known) -> None:
    """#11 finding 3: a caseworker cannot look up any detainee by trying person_refs."""
    unknown = scenario.assert_problem(known.get(path_ref="AZ-2026-never-seen"), 404)
    held_only, stay = scenario.new_person()
    scenario.record_directly(known.deps, scenario.stay_event("opened", held_only, stay))
    for role in SUT.readers:
        body = scenario.assert_problem(known.get(path_ref=held_only, role=role), 404)
        assert {k: body[k] for k in ("type", "title", "detail")} == {
            k: unknown[k] for k in ("type", "title", "detail")
        }
    refer(known.client, known.settings, held_only)
    assert known.get(path_ref=held_only).get_json()["stay_id"] == stay


def test_referral_prefill_is_its_own_call_for_caseworkers_only(known) -> None:
    held_only, stay = scenario.new_person()
    scenario.record_directly(
        known.deps,
        scenario.stay_event("opened", held_only, stay, centre_id="baku", unit_id="baku-m1"),
    )
    path = f"/api/v1/voluntary-return/referral-prefill/{held_only}"
    for role in ("avr_caseworker", "admin"):
        response = known.client.get(path, headers=scenario.headers_for(known.settings, role))
        assert response.status_code == 200
        assert response.get_json() == {
            "person_ref": held_only,
            "centre_id": "baku",
            "unit_id": "baku-m1",
            "stay_id": stay,
            "since": "2026-11-20T09:30:00.000000Z",
        }
    for role in ("auditor", "liaison_officer", "centre_staff", "partner"):
        scenario.assert_problem(
            known.client.get(path, headers=scenario.headers_for(known.settings, role)), 403
        )
    never = known.client.get(
        "/api/v1/voluntary-return/referral-prefill/AZ-2026-never-seen",
        headers=scenario.headers_for(known.settings, "avr_caseworker"),
    )
    scenario.assert_problem(never, 404)
    scenario.assert_problem(
        known.client.get(
            "/api/v1/voluntary-return/referral-prefill/%24ne",
            headers=scenario.headers_for(known.settings, "avr_caseworker"),
        ),
        422,
    )
    scenario.assert_problem(
        known.client.get(path + "?x=1", headers=scenario.headers_for(known.settings, "admin")), 422
    )
