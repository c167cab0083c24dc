"""Voluntary return's API, handlers and wiring with in-memory fakes (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest

from passage.bus.topology import ROUTES, Topology
from passage.config import Settings
from passage.events import new_event, registry, validate_event
from passage.location_store import InMemoryLocations
from passage.testing import identity_headers
from tests.fakes import FakeMongo, FakePublisher
from voluntary_return import event_handlers
from voluntary_return.app import create_app
from voluntary_return.domain import vocabulary as domain
from voluntary_return.routes import DETENTION_LOCATION
from voluntary_return.service import Deps, subscriptions

PREFIX = "/api/v1/voluntary-return"
READERS = ("admin", "avr_caseworker", "auditor")
OTHERS = ("centre_staff", "liaison_officer", "partner", "system")


class FakeCases:
    """Only what the location endpoint asks: is there a case about this person?"""

    def __init__(self, *person_refs: str) -> None:
        self.person_refs = set(person_refs)

    def has_case_for(self, person_ref: str) -> bool:
        return person_ref in self.person_refs


@pytest.fixture
def deps() -> Deps:
    settings = Settings.from_env("voluntary_return", env={})
    return Deps(
        settings=settings,
        mongo=FakeMongo(),
        topology=Topology(""),
        publisher=FakePublisher(),  # type: ignore[arg-type]
        locations=InMemoryLocations(),
        repository=FakeCases("AZ-2026-000001"),
    )  # type: ignore[arg-type]


def opened(person_ref: str = "AZ-2026-000001") -> Any:
    data = {**registry().get("detention.stay.opened", 1).examples[0], "person_ref": person_ref}
    return validate_event(
        new_event(
            "detention.stay.opened", source="detention", subject=data["stay_id"], data=data
        ).to_dict()
    )


def get(deps: Deps, ref: str, role: str = "avr_caseworker", query: str = "") -> Any:
    client = create_app(deps.settings, deps).test_client()
    headers = identity_headers(deps.settings.internal_token_secret, role=role)
    return client.get(f"{PREFIX}/persons/{ref}/location{query}", headers=headers)


def test_person_ref_rule() -> None:
    assert domain.is_person_ref("AZ-2026-000001") and domain.is_person_ref(
        "5f0c2b1e-8d0a-4c5e-9a57-3f1c8a2b9d10"
    )
    for bad in ("", "x" * 65, "$ne", "a b", "a/b", '{"$ne":null}', "été"):
        assert not domain.is_person_ref(bad)


@pytest.mark.parametrize("role", READERS)
def test_readers_see_the_location(deps: Deps, role: str) -> None:
    event_handlers.record_detention_event(deps.locations, opened(), tx=None)  # type: ignore[arg-type]
    response = get(deps, "AZ-2026-000001", role)
    assert response.status_code == 200 and response.headers["ETag"] == '"v1"'
    assert response.get_json()["held"] is True and response.get_json()["centre_id"] == "baku"
    assert deps.mongo.indexes  # applied before the first request


def test_a_held_person_without_a_case_is_not_found(deps: Deps) -> None:
    event_handlers.record_detention_event(deps.locations, opened("AZ-2026-000002"), tx=None)  # type: ignore[arg-type]
    response = get(deps, "AZ-2026-000002")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_are_forbidden(deps: Deps, role: str) -> None:
    response = get(deps, "AZ-2026-000001", role)
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "ref,query,status",
    [
        ("AZ-unknown", "", 404),
        ("%24ne", "", 422),
        ("a%20b", "", 422),
        ("x" * 65, "", 422),
        ("AZ-1", "?person_ref[$ne]=1", 422),
    ],
)
def test_bad_or_unknown_person_is_a_problem(deps: Deps, ref: str, query: str, status: int) -> None:
    response = get(deps, ref, query=query)
    assert response.status_code == status and response.mimetype == "application/problem+json"


def test_the_worker_subscribes_to_every_detention_location_event(deps: Deps) -> None:
    subscription, readmission = subscriptions(deps)
    assert readmission.queue == "voluntary_return.readmission_outcomes"
    assert (
        set(readmission.handlers)
        == set(ROUTES[readmission.queue])
        == {"readmission.request.accepted.v1"}
    )
    assert subscription.queue == DETENTION_LOCATION == "voluntary_return.detention_location"
    assert set(subscription.handlers) == set(ROUTES[DETENTION_LOCATION])
    subscription.handlers["detention.stay.opened.v1"](opened("AZ-via-handler"), None)  # type: ignore[arg-type]
    assert deps.locations.get_location("AZ-via-handler") is not None


def test_openapi_documents_the_location_endpoint(deps: Deps) -> None:
    spec = create_app(deps.settings, deps).test_client().get("/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/voluntary-return/persons/{person_ref}/location"]["get"]
    assert "200" in operation["responses"] and "404" in operation["responses"]


def test_openapi_documents_every_case_action_with_its_refusals(deps: Deps) -> None:
    spec = create_app(deps.settings, deps).test_client().get("/openapi.json").get_json()
    for segment in (
        "registration",
        "counselling-sessions",
        "eligibility",
        "consent",
        "travel-document",
        "booking",
        "departure",
        "arrival",
        "reintegration-plan",
        "monitoring-visits",
        "closure",
        "withdrawal",
        "no-show",
    ):
        operation = spec["paths"][f"/api/v1/voluntary-return/cases/{{case_id}}/{segment}"]["post"]
        assert {"200", "409", "412", "422"} <= set(operation["responses"]), segment
        assert operation["requestBody"]["content"]["application/json"]["schema"]
    for path in (
        "/cases",
        "/cases/{case_id}",
        "/cases/stages",
        "/cases/needs-action",
        "/statistics",
    ):
        assert f"/api/v1/voluntary-return{path}" in spec["paths"]
