"""In-memory fake of voluntary return's case store (the handlers' ``Repository`` port), for the
handlers' unit tests; ``tests/contract/test_fakes_vs_mongo.py`` runs the same scenarios against it
and against ``CaseRepository`` on SecantusDB, so a fake that drifts from its twin fails there.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from passage.errors import VersionConflict
from passage.events.envelope import Envelope
from voluntary_return.domain import statistics
from voluntary_return.domain.records import CaseFilter, CaseUpdate


class InMemoryCases:
    """The handlers' Repository protocol over dicts (the typed updates the handlers hand it).

    Unlike ``CaseRepository`` it keeps the statistics deltas as they come (``deltas``) rather than
    summed into monthly rows, keeps no due-date calendar or stage counters, and so has no
    ``needing_action``, ``stage_counts`` or ``statistics``: the unit tests using it call none of
    them (the adapter's are tested in ``tests/integration``). ``unset`` clears top-level fields
    only, the only ones the handlers clear. ``races`` is a test knob without a twin.
    """

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.outbox: list[Envelope] = []
        self.deltas: list[statistics.Delta] = []
        self.races = 0  # how many next updates lose to a concurrent writer

    def insert(
        self,
        case: dict[str, Any],
        events: Sequence[Envelope],
        delta: statistics.Delta,
        moves: Sequence[Any] = (),
    ) -> None:
        self.cases[case["_id"]] = copy.deepcopy(case)
        self.outbox.extend(events)
        self.deltas.append(delta)

    def update(
        self,
        case_id: str,
        version: int,
        stage: str,
        update: CaseUpdate,
        events: Sequence[Envelope],
        delta: statistics.Delta,
        moves: Sequence[Any] = (),
    ) -> dict[str, Any]:
        doc = self.cases.get(case_id)
        if self.races:
            self.races -= 1
            doc["version"] += 1  # type: ignore[index]
        if doc is None or doc["version"] != version or doc["stage"] != stage:
            raise VersionConflict(None)
        for path, value in update.set.items():
            _set(doc, path, copy.deepcopy(value))
        for path, value in update.push.items():
            doc.setdefault(path, []).append(copy.deepcopy(value))
        for path in update.unset:
            doc.pop(path, None)
        doc["version"] += 1
        self.outbox.extend(events)
        self.deltas.append(delta)
        return copy.deepcopy(doc)

    def get(self, case_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.cases.get(case_id))

    def find(self, where: CaseFilter, after: str | None, limit: int) -> list[dict[str, Any]]:
        wanted = where.given()  # every filter the adapter applies
        rows = [
            c
            for _, c in sorted(self.cases.items())
            if all(c.get(k) == v for k, v in wanted.items())
        ]
        return copy.deepcopy([r for r in rows if after is None or r["_id"] > after][:limit])

    def forced_routes_for(self, person_ref: str) -> list[dict[str, Any]]:
        return []


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
