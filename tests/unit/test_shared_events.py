"""The event envelope survives the wire unchanged, and only well-formed known events validate."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from passage.events import Envelope, EventInvalid, new_event, registry, validate_event
from passage.events.envelope import ENVELOPE_FIELDS, rfc3339


def opened_data() -> dict[str, Any]:
    return copy.deepcopy(registry().get("detention.stay.opened", 1).examples[0])


def opened_event(**kwargs: Any) -> Envelope:
    return new_event(
        "detention.stay.opened", source="detention", subject="stay-1", data=opened_data(), **kwargs
    )


def test_new_event_fills_the_envelope() -> None:
    event = opened_event()
    assert uuid.UUID(event.id).version == 4
    assert event.version == 1 and event.source == "detention" and event.subject == "stay-1"
    assert event.correlation_id == event.id and event.causation_id is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event.time)
    assert event.routing_key == "detention.stay.opened.v1"


def test_new_event_keeps_given_correlation_and_causation() -> None:
    event = opened_event(correlation_id="req-1", causation_id="evt-0")
    assert (event.correlation_id, event.causation_id) == ("req-1", "evt-0")


def test_round_trip_through_json_is_lossless() -> None:
    event = opened_event(correlation_id="req-1")
    wire = json.loads(json.dumps(event.to_dict()))
    assert set(wire) == set(ENVELOPE_FIELDS)
    assert validate_event(wire) == event
    assert Envelope.from_dict(wire) == event


def test_envelope_is_frozen_and_data_is_copied() -> None:
    data = opened_data()
    event = new_event("detention.stay.opened", source="detention", subject="s", data=data)
    data["unit_id"] = "changed"
    assert event.data["unit_id"] != "changed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.type = "other"  # type: ignore[misc]


def test_from_dict_names_missing_fields() -> None:
    raw = opened_event().to_dict()
    del raw["subject"]
    with pytest.raises(KeyError, match="subject"):
        Envelope.from_dict(raw)


def test_rfc3339_is_utc_with_milliseconds() -> None:
    moment = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=4)))
    assert rfc3339(moment) == "2026-03-01T08:00:00.123Z"


def mutated(change: Any) -> dict[str, Any]:
    raw = opened_event().to_dict()
    change(raw)
    return raw


@pytest.mark.parametrize(
    "change, why",
    [
        (lambda r: r.update(type="detention.stay.vanished"), "unknown type"),
        (lambda r: r.update(version=9), "unknown version"),
        (lambda r: r.pop("id"), "missing id"),
        (lambda r: r.pop("data"), "missing data"),
        (lambda r: r.pop("causation_id"), "missing causation_id"),
        (lambda r: r.update(extra="x"), "extra envelope field"),
        (lambda r: r.update(id="not-a-uuid"), "bad id"),
        (lambda r: r.update(version="1"), "version as string"),
        (lambda r: r.update(version=True), "version as boolean"),
        (lambda r: r.update(time="yesterday"), "bad time"),
        (lambda r: r.update(type="Detention.Stay Opened"), "bad type"),
        (lambda r: r.update(data=[]), "data not an object"),
        (lambda r: r["data"].pop("person_ref"), "data lacks a required field"),
        (lambda r: r["data"].update(full_name="Jane Doe"), "data has an extra field"),
        (lambda r: r["data"].update(person_ref={"$ne": None}), "data with an operator"),
        (lambda r: r["data"].update(legal_basis="whim"), "data with a bad enum"),
        (lambda r: r["data"].update(nationality="iran"), "data with a bad pattern"),
    ],
)
def test_invalid_events_are_refused(change: Any, why: str) -> None:
    with pytest.raises(EventInvalid):
        validate_event(mutated(change))


@pytest.mark.parametrize("raw", [None, "text", 42, [], ["a"]])
def test_non_objects_are_refused(raw: Any) -> None:
    with pytest.raises(EventInvalid):
        validate_event(raw)


def test_refusals_name_the_member_and_rule_but_never_the_value() -> None:
    """The reason goes to dead-letter headers and logs, which must hold no personal data."""
    raw = mutated(
        lambda r: r["data"].update(
            person_ref="Jane Doe 1980-01-02", nationality="Jane", sex="Jane", given="Jane"
        )
    )
    with pytest.raises(EventInvalid) as caught:
        validate_event(raw)
    reason = str(caught.value)
    assert "Jane" not in reason and "1980" not in reason
    assert "/data/person_ref: fails 'pattern'" in reason and "'given' was unexpected" in reason
    with pytest.raises(EventInvalid) as caught:
        validate_event(mutated(lambda r: r.update(id="Jane Doe")))
    assert "Jane" not in str(caught.value) and "/id" in str(caught.value)


def test_event_invalid_is_a_value_error() -> None:
    assert issubclass(EventInvalid, ValueError)


def test_registry_lists_every_type_with_its_source() -> None:
    types = {(t.type, t.version): t for t in registry().all()}
    assert ("detention.stay.opened", 1) in types
    assert types[("detention.stay.opened", 1)].source == "detention"
    with pytest.raises(EventInvalid):
        registry().get("detention.stay.opened", 2)
