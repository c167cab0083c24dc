"""Readmission's API, handlers and wiring with in-memory fakes (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest

from passage.bus.topology import ROUTES, Topology
from passage.config import Settings
from passage.events import new_event, registry, validate_event
from passage.location_store import InMemoryLocations
from passage.testing import identity_headers
from readmission import domain, event_handlers
from readmission.adapters.repository import MongoRepository
from readmission.app import create_app
from readmission.service import Deps
from readmission.worker import DETENTION_LOCATION, subscriptions
from tests.fakes import FakeMongo, FakePublisher

PREFIX = "/api/v1/readmission"
READERS = ("admin", "liaison_officer", "auditor")
OTHERS = ("centre_staff", "avr_caseworker", "partner", "system")


class FakeCollection:
    """find_one over dicts, for the equality and ``$in`` filters the location scope uses."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def find_one(self, query: dict[str, Any], projection: Any = None) -> dict[str, Any] | None:
        def hit(doc: dict[str, Any]) -> bool:
            return all(
                doc.get(k) in v["$in"] if isinstance(v, dict) else doc.get(k) == v
                for k, v in query.items()
            )

        return next((d for d in self.docs if hit(d)), None)


class RequestsMongo(FakeMongo):
    """The shared fake plus one request about AZ-2026-000001, for the location scope."""

    def __init__(self) -> None:
        super().__init__()
        self.stored = {
            "requests": [{"_id": "r1", "person_ref": "AZ-2026-000001", "member_state": "DE"}]
        }

    def collection(self, name: str) -> FakeCollection:
        return FakeCollection(self.stored.get(name, []))


@pytest.fixture
def deps() -> Deps:
    settings = Settings.from_env("readmission", env={})
    mongo = RequestsMongo()
    return Deps(
        settings=settings,
        mongo=mongo,  # type: ignore[arg-type]
        repository=MongoRepository(mongo),  # type: ignore[arg-type]
        topology=Topology(""),
        publisher=FakePublisher(),  # type: ignore[arg-type]
        locations=InMemoryLocations(),
    )  # type: ignore[arg-type]


def opened(person_ref: str = "AZ-2026-000001") -> Any:
    data = {**registry().get("detention.stay.opened", 1).examples[0], "person_ref": person_ref}
    return validate_event(
        new_event(
            "detention.stay.opened", source="detention", subject=data["stay_id"], data=data
        ).to_dict()
    )


def get(deps: Deps, ref: str, role: str = "liaison_officer", query: str = "", **scopes: Any) -> Any:
    client = create_app(deps.settings, deps).test_client()
    if role == "liaison_officer" and not scopes:
        scopes = {"member_states": ["DE"]}
    headers = identity_headers(deps.settings.internal_token_secret, role=role, **scopes)
    return client.get(f"{PREFIX}/persons/{ref}/location{query}", headers=headers)


def test_person_ref_rule() -> None:
    assert domain.is_person_ref("AZ-2026-000001") and domain.is_person_ref(
        "5f0c2b1e-8d0a-4c5e-9a57-3f1c8a2b9d10"
    )
    for bad in ("", "x" * 65, "$ne", "a b", "a/b", '{"$ne":null}', "été"):
        assert not domain.is_person_ref(bad)


@pytest.mark.parametrize("role", READERS)
def test_readers_see_the_location(deps: Deps, role: str) -> None:
    event_handlers.record_detention_event(deps.locations, opened(), None)  # type: ignore[arg-type]
    response = get(deps, "AZ-2026-000001", role)
    assert response.status_code == 200 and response.headers["ETag"] == '"v1"'
    assert response.get_json()["held"] is True and response.get_json()["centre_id"] == "baku"
    assert deps.mongo.indexes  # applied before the first request


def test_out_of_scope_or_without_a_request_is_not_found(deps: Deps) -> None:
    event_handlers.record_detention_event(deps.locations, opened(), None)  # type: ignore[arg-type]
    event_handlers.record_detention_event(deps.locations, opened("AZ-2026-000002"), None)  # type: ignore[arg-type]
    assert get(deps, "AZ-2026-000001", member_states=["FR"]).status_code == 404
    assert get(deps, "AZ-2026-000002", all_scopes=True).status_code == 404
    assert get(deps, "AZ-2026-000001", member_states=["FR", "DE"]).status_code == 200


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
    subscription, cases = subscriptions(deps)
    assert cases.queue == "readmission.voluntary_return_cases" and set(cases.handlers) == set(
        ROUTES[cases.queue]
    )
    assert subscription.queue == DETENTION_LOCATION == "readmission.detention_location"
    assert set(subscription.handlers) == set(ROUTES[DETENTION_LOCATION])
    subscription.handlers["detention.stay.opened.v1"](opened("AZ-via-handler"), None)
    assert deps.locations.get_location("AZ-via-handler") is not None


def test_openapi_documents_the_location_endpoint(deps: Deps) -> None:
    spec = create_app(deps.settings, deps).test_client().get("/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/readmission/persons/{person_ref}/location"]["get"]
    assert "200" in operation["responses"] and "404" in operation["responses"]
