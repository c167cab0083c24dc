"""Subject access requests (#11): each service exports everything it holds about a person_ref as
JSON, to administrators only; the gateway audits the call (its route table marks it personal)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.edge.routes import match
from tests.contract.role_fields_support import ROLES, World

SERVICES = ("detention", "readmission", "voluntary_return")


@pytest.fixture(scope="module")
def world(mongo_url: str) -> World:
    return World(mongo_url)


def _export(world: World, service: str, role: str, ref: str | None = None) -> Any:
    return world.get(service, f"/persons/{ref or '{person}'}/export", role)


def test_an_administrator_gets_everything_each_service_holds_about_the_person(world: World) -> None:
    bodies = {service: _export(world, service, "admin").get_json() for service in SERVICES}
    for service, body in bodies.items():
        assert (
            body["service"] == service
            and body["person_ref"] == world.person_ref
            and body["exported_at"]
        )
    (stay,) = bodies["detention"]["records"]["stays"]
    assert stay["id"] == world.stay["id"] and stay["person"]["family_name"] == "Rezaei"
    assert stay["entry_medical"]["notes"] == "Scars on both arms."
    readmission = bodies["readmission"]["records"]
    assert (
        len(readmission["requests"]) == 2
        and readmission["transits"][0]["id"] == world.transit["id"]
    )
    assert readmission["requests"][0]["particulars"]["family_name"] == "Rezaei"
    assert readmission["location"]["stay_id"] == world.stay["id"]
    (case,) = bodies["voluntary_return"]["records"]["cases"]
    assert case["id"] == world.case["id"] and case["household"][0]["given_name"] == "Sara"
    assert case["counselling_sessions"][0]["notes"] and case["created_at"].endswith("Z")
    assert bodies["voluntary_return"]["records"]["location"]["centre_id"] == "baku"


def test_a_person_nothing_is_held_about_is_not_found(world: World) -> None:
    for service in SERVICES:
        response = _export(world, service, "admin", "AZ-2026-nobody")
        assert response.status_code == 404 and response.mimetype == "application/problem+json", (
            service
        )


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_administrators_may_export(world: World, role: str) -> None:
    for service in SERVICES:
        response = _export(world, service, role)
        assert response.status_code == 403 and response.mimetype == "application/problem+json", (
            service,
            role,
        )


def test_bad_person_refs_and_queries_are_refused(world: World) -> None:
    for service in SERVICES:
        assert _export(world, service, "admin", "%24ne").status_code == 422
        assert world.get(service, "/persons/{person}/export?x=1", "admin").status_code == 422


@pytest.mark.parametrize("prefix", ["detention", "readmission", "voluntary-return"])
def test_the_gateway_audits_exports_and_prefills_and_lets_only_their_roles_through(
    prefix: str,
) -> None:
    found = match(f"/api/v1/{prefix}/persons/AZ-1/export", "GET")
    assert found is not None and found.route.personal and found.route.roles == ("admin",)
    assert found.ids == {"person_ref": "AZ-1"}
    if prefix == "voluntary-return":
        prefill = match("/api/v1/voluntary-return/referral-prefill/AZ-1", "GET")
        assert prefill.route.personal and prefill.route.roles == ("admin", "avr_caseworker")
