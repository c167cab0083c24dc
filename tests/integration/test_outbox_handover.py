"""Writers hand what they committed to the outbox relay (``outbox.committed``), so the relay sends
their envelopes without reading the documents back; only after the transaction has returned."""

from __future__ import annotations

import uuid

import pytest

from passage.bus.outbox import take_announced, take_committed
from readmission import service as readmission_service
from readmission.adapters.repository import REQUESTS
from tests.rabbitnode import stay_opened
from voluntary_return import service as voluntary_return_service
from voluntary_return.adapters.cases import CASES
from voluntary_return.domain import statistics


def test_a_new_readmission_request_is_handed_over_as_stored(settings_for) -> None:
    deps = readmission_service.build_deps(settings_for("readmission"))
    assert deps.repository is not None
    event = stay_opened("P-handover")
    request_id = f"R-{uuid.uuid4().hex[:8]}"
    stored = deps.repository.add({"_id": request_id, "state": "received"}, [], [event])
    take_announced()
    handed = take_committed()[REQUESTS][request_id]
    assert handed["outbox"] == stored["outbox"] and handed["outbox"][0]["id"] == event.id
    assert deps.mongo.collection(REQUESTS).find_one({"_id": request_id})["outbox_pending"] is True


def test_a_request_whose_transaction_failed_is_not_handed_over(settings_for) -> None:
    deps = readmission_service.build_deps(settings_for("readmission"))
    assert deps.repository is not None
    request_id = f"R-{uuid.uuid4().hex[:8]}"
    deps.repository.add({"_id": request_id, "state": "received"}, [], [stay_opened("P-1")])
    take_announced(), take_committed()
    with pytest.raises(Exception, match="exists already"):  # the same id again: refused
        deps.repository.add({"_id": request_id, "state": "received"}, [], [stay_opened("P-2")])
    take_announced()
    assert take_committed() == {}


def test_a_new_voluntary_return_case_is_handed_over_as_stored(settings_for) -> None:
    deps = voluntary_return_service.build_deps(settings_for("voluntary_return"))
    event = stay_opened("P-case")
    case_id = uuid.uuid4().hex
    delta = statistics.Delta("2026-11", None, None)
    deps.repository.insert({"_id": case_id, "stage": "referred"}, [event], delta)
    take_announced()
    handed = take_committed()[CASES][case_id]
    assert [e["id"] for e in handed["outbox"]] == [event.id] and handed["stage"] == "referred"
    assert deps.mongo.collection(CASES).find_one({"_id": case_id})["outbox_pending"] is True
