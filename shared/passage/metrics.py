"""Passage's Prometheus metrics, true across every process of a service.

Under gunicorn each worker is its own process: with ``PROMETHEUS_MULTIPROC_DIR`` set (before
Python starts, as devstack and the images do) every process writes its values to files in that
directory and :func:`exposition` sums them all, so one scrape counts every worker and the
service's background worker. Without the variable (tests in one process) the default registry
is used. Every metric has labels, so defining them does no file I/O at import.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

http_requests = Counter(
    "passage_http_requests_total",
    "HTTP requests, by route template",
    ["service", "method", "route", "status"],
)
http_latency = Histogram(
    "passage_http_request_seconds",
    "HTTP request latency, by route template",
    ["service", "method", "route"],
)
events_published = Counter(
    "passage_events_published_total", "Events the outbox relay published (confirmed)", ["type"]
)
events_consumed = Counter(
    "passage_events_consumed_total", "Events applied by a consumer (acked)", ["queue", "type"]
)
events_duplicate = Counter(
    "passage_events_duplicate_total", "Redelivered events the inbox absorbed", ["queue", "type"]
)
events_dead_lettered = Counter(
    "passage_events_dead_lettered_total",
    "Messages parked in a dead-letter queue",
    ["queue", "type", "reason"],
)
outbox_backlog = Gauge(
    "passage_outbox_backlog",
    "Documents with unpublished events, per collection (as the relay's last pass found them, "
    "up to its batch size)",
    ["collection"],
    multiprocess_mode="livemax",
)
clock_runs = Counter(
    "passage_clock_runs_total", "Runs of a timed job, by outcome", ["job", "outcome"]
)
unit_capacity = Gauge(
    "passage_unit_capacity",
    "Places in a detention unit today",
    ["centre", "unit"],
    multiprocess_mode="livemax",
)
unit_occupancy = Gauge(
    "passage_unit_occupancy",
    "People held in a detention unit",
    ["centre", "unit"],
    multiprocess_mode="livemax",
)


def multiprocess_dir() -> str | None:
    """The shared metrics directory of this service's processes, when multiprocess mode is on."""
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> tuple[bytes, str]:
    """The text a scrape of ``/metrics`` returns: every process's values summed when
    multiprocess."""
    if multiprocess_dir() is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def process_ended(pid: int) -> None:
    """Drop a dead process's live gauges (gunicorn's ``child_exit``, a worker's exit)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


def event_type(routing_key_or_type: str) -> str:
    """``detention.stay.opened.v1`` -> ``detention.stay.opened`` (labels stay few and stable)."""
    head, _, tail = routing_key_or_type.rpartition(".v")
    return head if head and tail.isdigit() else routing_key_or_type
