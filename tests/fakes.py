"""Test doubles shared by the unit tests of the three services' apps (one copy, not one per file).

Each stands in for the slice of an adapter the app touches when it is built and probed; the real
adapters are exercised over the wire in ``tests/integration``.
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
