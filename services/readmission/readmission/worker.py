"""Readmission's worker process: event consumer, outbox relay and the deadline clock, in one
process.

    python -m readmission.worker

SIGTERM/SIGINT stop it cleanly (unacked work goes back to the broker).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from passage import service
from passage.config import Settings
from passage.worker import ServiceWorker
from readmission.service import (
    CLOCK_SECONDS,
    DETENTION_LOCATION,
    SPEC,
    VOLUNTARY_RETURN_CASES,
    Deps,
    jobs,
    subscriptions,
)

__all__ = [
    "DETENTION_LOCATION",
    "VOLUNTARY_RETURN_CASES",
    "build_worker",
    "main",
    "subscriptions",
]


def build_worker(
    settings: Settings | None = None,
    deps: Deps | None = None,
    clock_seconds: float = CLOCK_SECONDS,
) -> ServiceWorker:
    """The worker; tests slow the deadline clock down (``clock_seconds``) to drive it by hand."""
    spec = replace(SPEC, jobs=partial(jobs, clock_seconds=clock_seconds))
    return service.build_worker(spec, settings, deps)


def main() -> None:
    service.run_worker(SPEC)


if __name__ == "__main__":
    main()
