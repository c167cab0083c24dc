"""Trace context: continued from an incoming traceparent, in log lines, carried by envelopes."""

from __future__ import annotations

import json
import logging

import pytest
from flask import jsonify

from passage import tracing
from passage.bus.outbox import outbox_fields, with_outbox
from passage.events import new_event
from passage.events.registry import EventInvalid, validate_event
from passage.logs import JsonFormatter
from passage.web import build_app

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE}-00f067aa0ba902b7-01"


def _opened() -> object:
    return new_event(
        "detention.stay.opened",
        source="detention",
        subject="s-1",
        data={
            "stay_id": "s-1",
            "person_ref": "AZ-1",
            "centre_id": "c",
            "unit_id": "u",
            "legal_basis": "court_order",
            "admitted_at": "2026-11-30T10:00:00.000Z",
        },
    )


def test_a_request_continues_the_callers_trace_and_its_log_lines_name_it() -> None:
    app, _ = build_app("tracingprobe.app", title="probe")
    record = logging.makeLogRecord({"msg": "inside", "levelno": logging.INFO, "levelname": "INFO"})

    @app.get("/where")
    def where():
        return jsonify(
            ids=tracing.current_ids(), line=json.loads(JsonFormatter("probe").format(record))
        )

    answer = app.test_client().get("/where", headers={"traceparent": INCOMING}).get_json()
    assert answer["ids"][0] == TRACE and answer["line"]["trace_id"] == TRACE
    fresh = app.test_client().get("/where").get_json()
    assert fresh["ids"] and fresh["ids"][0] != TRACE  # a new trace when none comes in: ids always


def test_events_written_in_a_trace_carry_it_and_the_schema_accepts_it() -> None:
    event = _opened()
    assert "traceparent" not in event.to_dict()  # outside any trace: the envelope is as before
    with tracing.continued("admit", INCOMING):
        created = outbox_fields([event])["outbox"][0]
        pushed = with_outbox({"$set": {"x": 1}}, [event])["$push"]["outbox"]["$each"][0]
    assert created["traceparent"].split("-")[1] == TRACE == pushed["traceparent"].split("-")[1]
    assert validate_event(created).traceparent == created["traceparent"]
    with pytest.raises(EventInvalid):
        validate_event({**created, "traceparent": "not-a-trace"})


def test_a_consumer_span_continues_the_events_trace_and_lines_outside_have_no_ids() -> None:
    with tracing.continued("consume detention.stay.opened", INCOMING):
        inside = tracing.current_ids()
    assert inside is not None and inside[0] == TRACE
    record = logging.makeLogRecord({"msg": "outside", "levelno": logging.INFO, "levelname": "INFO"})
    assert "trace_id" not in json.loads(JsonFormatter("probe").format(record))
