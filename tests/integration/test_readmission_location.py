"""Readmission records where each person is held from detention events (real SecantusDB, real bus)."""
from __future__ import annotations

import pytest

from readmission import bootstrap
from readmission.app import create_app
from readmission.consumer import build_worker
from tests.integration import test_locations_support as scenario

SUT = scenario.ServiceUnderTest(
    service="readmission", package="readmission", api_prefix="/api/v1/readmission",
    queue="readmission.detention_location", readers=("admin", "liaison_officer", "auditor"),
    create_app=create_app, build_worker=build_worker, build_deps=bootstrap.build,
)


def test_location_follows_the_stay_over_the_bus_and_duplicates_apply_once(broker_url, bus_prefix, settings_for) -> None:
    scenario.check_location_follows_the_stay(SUT, settings_for("readmission", broker=broker_url))


def test_worker_command_consumes_and_stops_on_sigterm(broker_url, bus_prefix, settings_for) -> None:
    scenario.check_worker_process_runs_and_stops(SUT, settings_for("readmission", broker=broker_url))


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
    assert response.status_code == 200 and response.get_json()["checks"] == {"mongo": True, "broker": True}
    down = create_app(settings_for("readmission", broker="amqp://guest:guest@127.0.0.1:1//")).test_client()
    response = down.get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"]["broker"] is False
