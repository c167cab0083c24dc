"""The bus routes are assembled from the services' own declarations (entry points in the group
``passage.routes``), not written in the library: the assembled table is exactly the one the
services agreed on, each service declares only its own queues, and every routed key has a handler
in the owning service's subscriptions (and no handler waits on a key nothing routes)."""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pytest

from passage.bus import topology
from passage.bus.consumer import Subscription
from passage.bus.topology import ROUTES, ROUTES_GROUP, routes
from passage.config import Settings

SERVICES = ("detention", "readmission", "voluntary_return")
# The table as it was written by hand in passage.bus.topology before the services declared it.
AGREED: dict[str, tuple[str, ...]] = {
    "readmission.detention_location": (
        "detention.stay.opened.v1",
        "detention.stay.transferred.v1",
        "detention.stay.closed.v1",
    ),
    "voluntary_return.detention_location": (
        "detention.stay.opened.v1",
        "detention.stay.transferred.v1",
        "detention.stay.closed.v1",
    ),
    "detention.readmission_outcomes": (
        "readmission.request.accepted.v1",
        "readmission.request.deemed_accepted.v1",
        "readmission.transfer.scheduled.v1",
        "readmission.transfer.completed.v1",
        "readmission.request.deemed_acceptance_reversed.v1",
    ),
    "detention.voluntary_return_departures": ("voluntary_return.departure.confirmed.v1",),
    "readmission.voluntary_return_cases": (
        "voluntary_return.case.opened.v1",
        "voluntary_return.departure.confirmed.v1",
        "voluntary_return.case.withdrawn.v1",
    ),
    "voluntary_return.readmission_outcomes": ("readmission.request.accepted.v1",),
}


def declared(service: str) -> dict[str, tuple[str, ...]]:
    (point,) = [p for p in entry_points(group=ROUTES_GROUP) if p.name == service]
    return dict(point.load())


def subscriptions(service: str) -> list[Subscription]:
    """The service's subscriptions over its real (lazy, unconnected) dependencies."""
    settings = Settings.from_env(service, env={})
    try:
        spec = importlib.import_module(f"{service}.service").SPEC
    except ModuleNotFoundError as missing:  # a service not yet in the common shape (#14)
        if missing.name != f"{service}.service":
            raise
        build = importlib.import_module(f"{service}.bootstrap").build
        return importlib.import_module(f"{service}.consumer").subscriptions(build(settings))
    return spec.subscriptions(spec.build_deps(settings))


def test_the_assembled_table_is_the_one_the_services_agreed_on() -> None:
    assert dict(ROUTES) == AGREED
    assert {p.name for p in entry_points(group=ROUTES_GROUP)} == set(SERVICES)


def test_the_table_is_read_once() -> None:
    assert routes() is routes() and ROUTES["voluntary_return.readmission_outcomes"] == (
        "readmission.request.accepted.v1",
    )


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_declares_only_its_own_queues(service: str) -> None:
    queues = declared(service)
    assert queues and all(queue.startswith(f"{service}.") for queue in queues)


@pytest.mark.parametrize("service", SERVICES)
def test_every_routed_key_has_a_handler_in_the_owning_service(service: str) -> None:
    handled = {s.queue: set(s.handlers) for s in subscriptions(service)}
    assert handled == {queue: set(keys) for queue, keys in declared(service).items()}


def test_two_services_claiming_one_queue_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def points(**_: Any) -> list[EntryPoint]:
        return [
            EntryPoint("detention", "detention.routes:ROUTES", ROUTES_GROUP),
            EntryPoint("voluntary_return", "detention.routes:ROUTES", ROUTES_GROUP),
        ]

    monkeypatch.setattr(topology, "entry_points", points)
    with pytest.raises(ValueError, match="detention.readmission_outcomes"):
        routes.__wrapped__()


def test_importing_the_topology_reads_no_declaration() -> None:
    """Lazily: a process that never touches the bus never imports another service's module."""
    import subprocess
    import sys

    code = (
        "import sys, passage.bus.topology as t; "
        "print(t.routes.cache_info().currsize, 'detention.routes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False"]
