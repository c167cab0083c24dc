"""Moves under concurrency over real HTTP: transfers between two nearly full units keep both
counters equal to their open stays, and one stay released many times at once is released once."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from typing import Any

import requests

from detention import service
from detention.adapters.occupancy import DAILY
from detention.adapters.repository import STAYS, UNITS
from detention.adapters.verify import verify
from detention.app import create_app
from passage.testing import LiveServer, identity_headers
from tests.integration.test_detention_capacity import admission

PREFIX = "/api/v1/detention"


def _all_at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run every call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [RuntimeError("not run")] * len(calls)

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[n] = calls[n]()
        except BaseException as exc:  # reported below
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    return results


def _setup(url: str, headers: dict[str, str], places: int) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:6]
    centre = f"mv-{tag}"
    assert (
        requests.post(
            f"{url}{PREFIX}/centres",
            headers=headers,
            timeout=30,
            json={"id": centre, "name": "Moves", "city": "Baku"},
        ).status_code
        == 201
    )
    units = (f"{centre}-a", f"{centre}-b")
    for unit in units:
        response = requests.post(
            f"{url}{PREFIX}/centres/{centre}/units",
            headers=headers,
            timeout=30,
            json={
                "id": unit,
                "name": unit,
                "category": "men",
                "declared_places": places,
                "floor_area_m2": 80.0,
            },
        )
        assert response.status_code == 201, response.text
    return units


def _admit(url: str, headers: dict[str, str], unit: str, n: int) -> str:
    response = requests.post(
        f"{url}{PREFIX}/stays", json=admission(unit, n), headers=headers, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_twenty_concurrent_transfers_keep_counters_equal_to_open_stays(settings_for) -> None:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    headers = identity_headers(settings.internal_token_secret, role="admin")
    with LiveServer(create_app(settings, deps)) as server:
        unit_a, unit_b = _setup(server.url, headers, places=12)
        in_a = [_admit(server.url, headers, unit_a, n) for n in range(11)]
        in_b = [_admit(server.url, headers, unit_b, 100 + n) for n in range(11)]
        moves = [(stay, unit_b) for stay in in_a[:10]] + [(stay, unit_a) for stay in in_b[:10]]
        random.shuffle(moves)
        responses = _all_at_once(
            [
                (
                    lambda stay=stay, target=target: requests.post(
                        f"{server.url}{PREFIX}/stays/{stay}/transfer",
                        json={"unit_id": target},
                        headers=headers,
                        timeout=60,
                    )
                )
                for stay, target in moves
            ]
        )

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409}, [
        r.text for r in responses if r.status_code not in (200, 409)
    ]
    assert statuses.count(200) >= 1
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["rule"] == "unit_capacity"
    units, stays = deps.mongo.collection(UNITS), deps.mongo.collection(STAYS)
    for unit in (unit_a, unit_b):
        doc = units.find_one({"_id": unit})
        held = stays.count_documents({"unit_id": unit, "status": "open"})
        assert doc["occupancy"] == held <= doc["capacity"], (unit, doc["occupancy"], held)
    assert stays.count_documents({"status": "open"}) == 22
    moved = [
        e
        for doc in stays.find({})
        for e in doc.get("outbox", [])
        if e["type"] == "detention.stay.transferred"
    ]
    assert len(moved) == statuses.count(200)
    daily = list(deps.mongo.collection(DAILY).find({"unit_id": {"$in": [unit_a, unit_b]}}))
    assert (
        sum(d.get("transfers_in", 0) for d in daily)
        == statuses.count(200)
        == sum(d.get("transfers_out", 0) for d in daily)
    )
    assert verify(deps.mongo) == []


def test_one_stay_released_ten_times_at_once_is_released_once(settings_for) -> None:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    headers = identity_headers(settings.internal_token_secret, role="admin")
    with LiveServer(create_app(settings, deps)) as server:
        unit_a, _ = _setup(server.url, headers, places=3)
        stay = _admit(server.url, headers, unit_a, 1)
        other = _admit(server.url, headers, unit_a, 2)
        responses = _all_at_once(
            [
                lambda: requests.post(
                    f"{server.url}{PREFIX}/stays/{stay}/release",
                    json={"reason": "removed"},
                    headers=headers,
                    timeout=60,
                )
                for _ in range(10)
            ]
        )

    assert sorted(r.status_code for r in responses) == [200] + [409] * 9, [
        r.text for r in responses
    ]
    assert {r.json()["rule"] for r in responses if r.status_code == 409} == {"stay_open"}
    assert deps.mongo.collection(UNITS).find_one({"_id": unit_a})["occupancy"] == 1
    doc = deps.mongo.collection(STAYS).find_one({"_id": stay})
    assert [e["type"] for e in doc["outbox"]] == ["detention.stay.opened", "detention.stay.closed"]
    assert deps.mongo.collection(STAYS).find_one({"_id": other})["status"] == "open"
    assert (
        sum(d.get("releases", 0) for d in deps.mongo.collection(DAILY).find({"unit_id": unit_a}))
        == 1
    )
