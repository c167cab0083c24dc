"""Test doubles shared by the unit tests (one copy, not one per file).

Here: the app-level fakes of the three services' apps, each standing in for the slice of an
adapter the app touches when it is built and probed. In the modules beside it: the in-memory fakes
of each service's storage ports (``tests.fakes.detention``, ``tests.fakes.voluntary_return``), held
to their MongoDB twins by ``tests/contract/test_fakes_vs_mongo.py``.
"""

from __future__ import annotations

from typing import Any


class FakeMongo:
    """What ``passage.service.create_app`` calls on ``Mongo``: index creation and a ping."""

    def __init__(self) -> None:
        self.indexes: list[Any] = []

    def ensure_indexes(self, indexes: list[Any]) -> None:
        self.indexes.extend(indexes)

    def ping(self) -> bool:
        return True


class FakePublisher:
    """A publisher whose broker always answers the readiness probe."""

    def ping(self) -> bool:
        return True
