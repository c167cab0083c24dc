"""Readmission records where each person is held from detention events (real SecantusDB, real
bus)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readmission import service
from readmission.app import create_app
from readmission.worker import build_worker
from tests.integration import test_locations_support as scenario
from tests.integration.test_readmission_support import new_request


def file_request(client, settings, person_ref: str, member_state: str = "DE") -> None:
    headers = scenario.headers_for(settings, "admin")
    response = client.post(
        "/api/v1/readmission/requests",
        json=new_request(person_ref=person_ref, member_state=member_state),
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()


SUT = scenario.ServiceUnderTest(
    service="readmission",
    package="readmission",
    api_prefix="/api/v1/readmission",
    queue="readmission.detention_location",
    readers=("admin", "liaison_officer", "auditor"),
    create_app=create_app,
    build_worker=build_worker,
    build_deps=service.build_deps,
    give_record=file_request,
)


def test_location_follows_the_stay_over_the_bus_and_duplicates_apply_once(
    broker_url, bus_prefix, settings_for
) -> None:
    scenario.check_location_follows_the_stay(SUT, settings_for("readmission", broker=broker_url))


def test_worker_command_consumes_and_stops_on_sigterm(broker_url, bus_prefix, settings_for) -> None:
    scenario.check_worker_process_runs_and_stops(
        SUT, settings_for("readmission", broker=broker_url)
    )


@pytest.fixture
def known(rabbit_url, bus_prefix, settings_for) -> scenario.KnownPerson:
    return scenario.KnownPerson(SUT, settings_for("readmission", broker=rabbit_url))


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
        settings_for("readmission", broker="amqp://guest:guest@127.0.0.1:1//")
    ).test_client()
    response = down.get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"]["broker"] is False


def _same_404(known, ref: str, **scopes) -> dict:
    response = known.client.get(
        SUT.location_path(ref),
        headers=scenario.headers_for(known.settings, "liaison_officer", **scopes),
    )
    body = scenario.assert_problem(response, 404)
    return {k: body[k] for k in ("type", "title", "status", "detail")}


def test_a_location_is_answered_only_for_people_with_a_request_or_transit_in_scope(known) -> None:
    """#11 finding 3: a liaison officer scoped to France learns nothing of a person only Germany
    asked about."""
    unknown = _same_404(known, "AZ-2026-never-seen", member_states=["FR"])
    assert _same_404(known, known.person_ref, member_states=["FR"]) == unknown
    allowed = known.client.get(
        SUT.location_path(known.person_ref),
        headers=scenario.headers_for(known.settings, "liaison_officer", member_states=["DE"]),
    )
    assert allowed.status_code == 200 and allowed.get_json()["stay_id"] == known.stay_id
    held_only, stay = scenario.new_person()  # held, but no request or transit about them anywhere
    scenario.record_directly(known.deps, scenario.stay_event("opened", held_only, stay))
    assert _same_404(known, held_only) == unknown
    for role in ("admin", "auditor"):
        assert known.get(path_ref=held_only, role=role).status_code == 404
    from readmission.domain import protocols
    from tests.integration.test_readmission_transit_support import new_transit

    store, now = known.deps.protocols, known.deps.clock()
    store.seed(now)
    version = {
        **protocols.seed_version("FR", now),
        "effective_from": "2026-01-01",
        "status": "in_force",
        "border_crossing_points": ["Heydar Aliyev International Airport"],
    }
    store.add_version("FR", store.get("FR")["version"], version)
    created = known.client.post(
        "/api/v1/readmission/transits",
        json=new_transit(
            person_ref=held_only,
            member_state="FR",
            transit_at=(now + timedelta(days=10)).isoformat(),
        ),
        headers=scenario.headers_for(known.settings, "admin"),
    )
    assert created.status_code == 201, created.get_json()
    seen = known.client.get(
        SUT.location_path(held_only),
        headers=scenario.headers_for(known.settings, "liaison_officer", member_states=["FR"]),
    )
    assert seen.status_code == 200 and seen.get_json()["stay_id"] == stay
    assert _same_404(known, held_only, member_states=["DE"]) == unknown
