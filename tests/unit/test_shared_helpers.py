"""Small shared helpers: ETags and If-Match, filter-value guard, JSON logs, outbox documents."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from passage import logs
from passage.bus.outbox import outbox_fields, outbox_indexes, with_outbox
from passage.events import new_event, registry
from passage.mongo import Index, Mongo, safe_value
from passage.problems import PreconditionFailed, PreconditionRequired
from passage.web import etag, expected_version
from passage.worker import every, run_loops

app = Flask(__name__)


def if_match(value: str | None) -> Any:
    return app.test_request_context(headers={"If-Match": value} if value is not None else {})


# ETag / If-Match ---------------------------------------------------------------------------


def test_etag_names_the_version() -> None:
    assert etag(7) == '"v7"'


def test_no_if_match_is_allowed_unless_required() -> None:
    with if_match(None):
        assert expected_version(3) is None
        with pytest.raises(PreconditionRequired) as caught:
            expected_version(3, required=True)
    assert caught.value.status == 428


@pytest.mark.parametrize("header", ['"v3"', 'W/"v3"', ' "v3" '])
def test_matching_if_match_returns_the_version(header: str) -> None:
    with if_match(header):
        assert expected_version(3) == 3
        assert expected_version() == 3


def test_stale_if_match_is_412_with_the_current_version() -> None:
    with if_match(etag(2)), pytest.raises(PreconditionFailed) as caught:
        expected_version(3)
    assert caught.value.status == 412 and caught.value.extra == {"current_version": 3}


@pytest.mark.parametrize("header", ["*", '"3"', "v3", '"v3", "v4"', '"v-1"', '"v3x"'])
def test_unparseable_if_match_is_412(header: str) -> None:
    with if_match(header), pytest.raises(PreconditionFailed):
        expected_version(3)


# safe_value ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["baku", "a.b", "", 0, 3.5, True, None, "x$y"])
def test_scalars_pass(value: Any) -> None:
    assert safe_value(value) == value


@pytest.mark.parametrize("value", [{"$ne": None}, {"a": 1}, ["a"], ("a",), {"a"}, "$where", "$ne"])
def test_operators_and_containers_are_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        safe_value(value)


# JSON logs ----------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter("unit"))
    logger = logging.getLogger("passage.unit-test-json")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.handlers.clear()


def test_one_json_object_per_line_with_request_and_correlation_ids(log_stream) -> None:
    logger, stream = log_stream
    rid, corr = logs.request_id.set("req-123456"), logs.correlation_id.set("corr-1")
    try:
        logger.info("admitted\nsecond line", extra={"stay_id": "s1", "status": 201})
        logger.warning("plain")
    finally:
        logs.request_id.reset(rid)
        logs.correlation_id.reset(corr)
    logger.info("outside a request")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert (
        first["msg"] == "admitted\nsecond line"
        and first["level"] == "info"
        and first["service"] == "unit"
    )
    assert first["request_id"] == "req-123456" and first["correlation_id"] == "corr-1"
    assert first["stay_id"] == "s1" and first["status"] == 201 and first["ts"].endswith("Z")
    assert second["level"] == "warning" and second["request_id"] == "req-123456"
    assert "request_id" not in third and "correlation_id" not in third


def test_exceptions_stay_on_one_line_and_unserialisable_extras_are_stringified(log_stream) -> None:
    logger, stream = log_stream
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed", extra={"when": object()})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["exc_type"] == "ValueError" and "Traceback" in entry["traceback"]
    assert entry["when"].startswith("<object")


def test_configure_logging_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logs.configure_logging("unit", "DEBUG")
        logs.configure_logging("unit", "INFO")
        assert len(root.handlers) == 1 and root.level == logging.INFO
        assert logging.getLogger("pymongo").level >= logging.WARNING
        logging.getLogger("passage.x").info("hello")
        err = capsys.readouterr().err.strip().splitlines()
        assert json.loads(err[-1])["msg"] == "hello"
    finally:
        root.handlers[:], root.level = saved[0], saved[1]


# outbox documents ---------------------------------------------------------------------------


def two_events() -> list[Any]:
    data = registry().get("detention.stay.opened", 1).examples[0]
    return [
        new_event("detention.stay.opened", source="detention", subject="s1", data=data)
        for _ in range(2)
    ]


def test_outbox_fields_for_a_new_document() -> None:
    events = two_events()
    fields = outbox_fields(events)
    assert fields == {"outbox": [e.to_dict() for e in events], "outbox_pending": True}
    assert outbox_fields([]) == {}


def test_with_outbox_merges_into_an_update_without_mutating_it() -> None:
    events = two_events()
    update = {"$set": {"status": "open"}, "$push": {"history": {"at": 1}}, "$inc": {"occupancy": 1}}
    snapshot = json.dumps(update, sort_keys=True)
    merged = with_outbox(update, events)
    assert json.dumps(update, sort_keys=True) == snapshot
    assert merged["$set"] == {"status": "open", "outbox_pending": True}
    assert merged["$push"] == {
        "history": {"at": 1},
        "outbox": {"$each": [e.to_dict() for e in events]},
    }
    assert merged["$inc"] == {"occupancy": 1}


def test_with_outbox_without_events_changes_nothing() -> None:
    update = {"$set": {"status": "open"}}
    merged = with_outbox(update, [])
    assert merged == update and merged is not update


def test_outbox_indexes_are_partial_per_collection() -> None:
    indexes = outbox_indexes(["stays", "units"])
    assert [i.collection for i in indexes] == ["stays", "units"]
    assert indexes[0].options() == {
        "name": "outbox_pending",
        "unique": False,
        "partialFilterExpression": {"outbox_pending": {"$exists": True}},
    }


@pytest.mark.parametrize(("query", "retrying"), [("", True), ("?retryWrites=false", False)])
def test_the_url_decides_whether_writes_are_retried(query: str, retrying: bool) -> None:
    """The embedded SecantusDB's URL turns retryable writes off (it scans its record of them on
    every write); production's URL keeps the driver's default. No connection is made here."""
    mongo = Mongo(f"mongodb://127.0.0.1:1/{query}", "passage_test")
    try:
        assert mongo.client.options.retry_writes is retrying
    finally:
        mongo.client.close()


def test_index_options() -> None:
    ttl = Index("inbox", [("processed_at", 1)], name="ttl", expire_after_seconds=60)
    assert ttl.options() == {"name": "ttl", "unique": False, "expireAfterSeconds": 60}


# worker loops -------------------------------------------------------------------------------


def test_run_loops_stops_every_loop_on_stop() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def job() -> None:
        calls.append(1)
        if len(calls) == 3:
            stop.set()
        if len(calls) == 2:
            raise RuntimeError("a failing job is logged, not fatal")

    worker = threading.Thread(target=run_loops, args=({"job": every(0.01, job)}, stop))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive() and len(calls) >= 3


def test_ports_for_test_servers_are_free_and_below_the_ephemeral_range() -> None:
    """A stack stopped and restarted on its base port once found it taken by some client's
    outgoing connection: ports handed to servers now come from below the ephemeral range."""
    import socket

    from passage.testing import bindable, ephemeral_ports_start, free_port, free_ports

    offsets = (0, 1, 2, 3, 18)
    for _ in range(50):
        base = free_ports(offsets)
        assert 20000 <= base and base + max(offsets) < ephemeral_ports_start()
        assert all(bindable(base + offset) for offset in offsets)
        assert free_port() < ephemeral_ports_start()

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        assert port >= ephemeral_ports_start()  # what the kernel hands out, and free_ports avoids
        assert not bindable(port)
