"""Bounded work per HTTP process: a saturated process answers 503 + Retry-After at once.

Each process does at most ``work_slots`` requests at a time; a request that cannot get a slot
within ``queue_wait_seconds`` is answered ``503`` with ``Retry-After`` instead of queueing
until the gateway gives up with a slow ``504``. Every request's database work shares one
deadline of ``database_seconds`` (pymongo's client-side operation timeout: it sets
``maxTimeMS`` on each command and bounds server selection and socket reads); a database that
does not answer in time, or cannot be reached, is a ``503`` too, never a hung worker.

The timeouts fit together (see the README's "Timeouts" table): queue wait + database deadline
< the gateway's upstream read timeout < gunicorn's worker timeout < what a client should wait.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pymongo
from flask import Flask, Response, g, request
from pymongo.errors import ConnectionFailure, ExecutionTimeout

from passage.problems import Problem, problem_response
from passage.turns import Turns

#: Work slots per process: below gunicorn's threads (8), so the other threads can say 503 quickly.
WORK_SLOTS = 4
QUEUE_WAIT_SECONDS = 5.0
DATABASE_SECONDS = 8.0
RETRY_AFTER = "1"


class Saturated(Problem):
    status = 503
    slug = "saturated"


@dataclass(frozen=True)
class Limits:
    work_slots: int = WORK_SLOTS
    queue_wait_seconds: float = QUEUE_WAIT_SECONDS
    database_seconds: float = DATABASE_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        """``PASSAGE_WORK_SLOTS``, ``PASSAGE_QUEUE_WAIT``, ``PASSAGE_DB_DEADLINE`` (seconds)."""
        env = os.environ if env is None else env
        return cls(
            int(env.get("PASSAGE_WORK_SLOTS", WORK_SLOTS)),
            float(env.get("PASSAGE_QUEUE_WAIT", QUEUE_WAIT_SECONDS)),
            float(env.get("PASSAGE_DB_DEADLINE", DATABASE_SECONDS)),
        )


def install(app: Flask, limits: Limits, open_paths: Iterable[str]) -> None:
    """Slot and database deadline per request; probes (``open_paths``) are never turned away."""
    slots = Turns(limits.work_slots)  # first come, first served: no waiter loses round after round
    unlimited = frozenset(open_paths)

    @app.before_request
    def _take_slot() -> None:
        if request.path in unlimited:
            return
        if not slots.acquire(timeout=limits.queue_wait_seconds):
            raise Saturated(
                "This service is busy; try again shortly.", headers={"Retry-After": RETRY_AFTER}
            )
        g.work_slot = True
        deadline = pymongo.timeout(limits.database_seconds)
        deadline.__enter__()
        g.database_deadline = deadline

    @app.teardown_request
    def _free_slot(_exc: BaseException | None) -> None:
        deadline = g.pop("database_deadline", None)
        if deadline is not None:
            deadline.__exit__(None, None, None)
        if g.pop("work_slot", False):
            slots.release()

    @app.errorhandler(ConnectionFailure)
    @app.errorhandler(ExecutionTimeout)
    def _database_late(_exc: Exception) -> Response:
        return problem_response(
            503,
            "The database did not answer in time; try again shortly.",
            slug="database-unavailable",
            headers={"Retry-After": "2"},
        )
