"""The capacity invariant over real HTTP: concurrent admissions never overbook a unit, and every
admitted stay carries its ``detention.stay.opened`` envelope in the outbox."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from pymongo import monitoring

from detention import service
from detention.adapters.repository import STAYS, UNITS, NoPlace
from detention.app import create_app
from passage.events import validate_event
from passage.testing import LiveServer, identity_headers

PREFIX = "/api/v1/detention"
ATTEMPTS = 40
FREE_PLACES = 10


def admission(unit_id: str, n: int) -> dict[str, Any]:
    today = date.today()
    return {
        "unit_id": unit_id,
        "person": {
            "person_ref": f"AZ-TEST-{n:06d}",
            "given_name": "Test",
            "family_name": f"Person {n}",
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "IRN",
        },
        "legal_basis": {
            "kind": "court_order",
            "decision_ref": f"2-{n}/2026",
            "court": "Baku Administrative Court",
            "decided_on": today.isoformat(),
            "valid_until": (today + timedelta(days=90)).isoformat(),
        },
    }


def _admit_all(
    url: str,
    headers: dict[str, str],
    unit_id: str,
    attempts: int = ATTEMPTS,
    same_person: bool = False,
) -> list[requests.Response]:
    """Fire ``attempts`` admissions at once (a barrier releases every thread together)."""
    barrier = threading.Barrier(attempts)
    responses: list[requests.Response | BaseException] = [RuntimeError("not run")] * attempts

    def attempt(n: int) -> None:
        body = admission(unit_id, 0 if same_person else n)
        try:
            barrier.wait(timeout=30)
            responses[n] = requests.post(
                f"{url}{PREFIX}/stays", json=body, headers=headers, timeout=60
            )
        except BaseException as exc:  # reported below with the others
            responses[n] = exc

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [r for r in responses if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    return responses  # type: ignore[return-value]


def _unit_with_ten_free_places(url: str, headers: dict[str, str]) -> tuple[str, str]:
    """13 declared places, 3 blocked until next month, 5 more whose block has expired: 10 count."""
    unique = uuid.uuid4().hex[:6]
    centre_id, unit_id = f"cap-{unique}", f"cap-{unique}-m1"
    blocks = [
        {
            "places": 3,
            "reason": "repairs",
            "until": (date.today() + timedelta(days=30)).isoformat(),
        },
        {
            "places": 5,
            "reason": "old quarantine",
            "until": (date.today() - timedelta(days=1)).isoformat(),
        },
    ]
    assert (
        requests.post(
            f"{url}{PREFIX}/centres",
            headers=headers,
            timeout=30,
            json={"id": centre_id, "name": "Capacity test centre", "city": "Baku"},
        ).status_code
        == 201
    )
    created = requests.post(
        f"{url}{PREFIX}/centres/{centre_id}/units",
        headers=headers,
        timeout=30,
        json={
            "id": unit_id,
            "name": "Men's wing",
            "category": "men",
            "declared_places": 13,
            "floor_area_m2": 60.0,
            "blocked_places": blocks,
        },
    )
    assert created.status_code == 201, created.text
    assert (created.json()["capacity"], created.json()["free_places"]) == (FREE_PLACES, FREE_PLACES)
    return centre_id, unit_id


def test_forty_concurrent_admissions_into_ten_free_places(settings_for) -> None:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    headers = identity_headers(settings.internal_token_secret, role="admin")
    with LiveServer(create_app(settings, deps)) as server:
        centre_id, unit_id = _unit_with_ten_free_places(server.url, headers)
        responses = _admit_all(server.url, headers, unit_id)
        unit = requests.get(
            f"{server.url}{PREFIX}/units/{unit_id}", headers=headers, timeout=30
        ).json()

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * FREE_PLACES + [409] * (ATTEMPTS - FREE_PLACES), statuses
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["Content-Type"] == "application/problem+json"
        body = refused.json()
        assert (body["occupancy"], body["capacity"], body["status"]) == (
            FREE_PLACES,
            FREE_PLACES,
            409,
        ), body
    for admitted in (r for r in responses if r.status_code == 201):
        assert admitted.headers["ETag"] == '"v1"' and admitted.headers["Location"].endswith(
            admitted.json()["id"]
        )

    assert (unit["occupancy"], unit["capacity"], unit["free_places"]) == (
        FREE_PLACES,
        FREE_PLACES,
        0,
    )
    assert deps.mongo.collection(UNITS).find_one({"_id": unit_id})["occupancy"] == FREE_PLACES
    stays = deps.mongo.collection(STAYS)
    assert (
        stays.count_documents({"unit_id": unit_id, "status": "open"})
        == stays.count_documents({})
        == FREE_PLACES
    )
    _assert_one_event_per_admission(
        stays, {r.json()["id"] for r in responses if r.status_code == 201}, centre_id, unit_id
    )


def _assert_one_event_per_admission(
    stays: Any, admitted_ids: set[str], centre_id: str, unit_id: str
) -> None:
    envelopes = [e for doc in stays.find({"unit_id": unit_id}) for e in doc["outbox"]]
    assert len(envelopes) == FREE_PLACES
    events = [validate_event(e) for e in envelopes]
    assert {e.type for e in events} == {"detention.stay.opened"}
    assert {e.data["stay_id"] for e in events} == admitted_ids
    assert all(e.data["unit_id"] == unit_id and e.data["centre_id"] == centre_id for e in events)
    assert all("given_name" not in e.data and "birth_date" not in e.data for e in events)


def test_the_same_person_admitted_concurrently_is_held_once(settings_for) -> None:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    headers = identity_headers(settings.internal_token_secret, role="admin")
    with LiveServer(create_app(settings, deps)) as server:
        _, unit_id = _unit_with_ten_free_places(server.url, headers)
        responses = _admit_all(server.url, headers, unit_id, attempts=10, same_person=True)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    assert {r.json()["rule"] for r in responses if r.status_code == 409} == {"one_open_stay"}
    assert deps.mongo.collection(UNITS).find_one({"_id": unit_id})["occupancy"] == 1
    assert deps.mongo.collection(STAYS).count_documents({"status": "open"}) == 1


class _CommandCounter(monitoring.CommandListener):
    """Counts the commands clients send while ``active`` (pymongo command monitoring)."""

    def __init__(self) -> None:
        self.active = False
        self.commands: list[str] = []

    def started(self, event: Any) -> None:
        if self.active:
            self.commands.append(event.command_name)

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


def test_an_admission_is_four_database_operations_and_a_commit(settings_for) -> None:
    counter = _CommandCounter()
    monitoring.register(counter)  # process-wide; counts only while active
    settings = settings_for("detention")
    deps = service.build_deps(settings)  # its client is created after the listener is registered
    client = create_app(settings, deps).test_client()
    headers = identity_headers(settings.internal_token_secret, role="admin")
    assert (
        client.post(
            f"{PREFIX}/centres", headers=headers, json={"id": "rt", "name": "RT", "city": "Baku"}
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{PREFIX}/centres/rt/units",
            headers=headers,
            json={
                "id": "rt-m1",
                "name": "M1",
                "category": "men",
                "declared_places": 2,
                "floor_area_m2": 8.0,
            },
        ).status_code
        == 201
    )
    counter.active = True
    assert (
        client.post(f"{PREFIX}/stays", headers=headers, json=admission("rt-m1", 1)).status_code
        == 201
    )
    counter.active = False
    # read the unit in the transaction's snapshot and take the place on condition of its version
    # (no findAndModify or $expr: SecantusDB scans every unit for either); insert the stay with its
    # envelope; count the day's figures
    assert counter.commands == ["find", "update", "insert", "update", "commitTransaction"], (
        counter.commands
    )


def test_a_place_is_never_taken_on_a_stale_read_of_its_unit(settings_for) -> None:
    """Another process fills the unit after this transaction read it: the versioned write
    conflicts, the transaction runs again on the unit as it is now, and refuses."""
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    repo, units = deps.repository, deps.mongo.collection(UNITS)
    units.insert_one(
        {"_id": "stale-u", "centre_id": "c", "occupancy": 0, "capacity": 1, "version": 1}
    )
    attempts: list[int] = []

    def work(session: Any) -> dict[str, Any]:
        attempts.append(units.find_one({"_id": "stale-u"}, session=session)["occupancy"])
        if len(attempts) == 1:  # the other process takes the last place, after our snapshot
            units.update_one({"_id": "stale-u"}, {"$inc": {"occupancy": 1, "version": 1}})
        return repo.take_place(session, "stale-u")

    with pytest.raises(NoPlace) as refused:
        deps.mongo.transaction(work)
    assert attempts == [0, 1]  # the first run saw a free place; the second, none
    assert refused.value.unit is not None and refused.value.unit["occupancy"] == 1
    assert units.find_one({"_id": "stale-u"})["occupancy"] == 1  # not overbooked
