"""The event schemas every producer and consumer test relies on: valid, exemplified, closed,
anonymous."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from passage.bus.topology import ROUTES, Topology
from passage.events import new_event, registry, validate_event
from passage.events.registry import ENVELOPE_SCHEMA

SCHEMA_DIR = Path(str(resources.files("passage.events") / "schemas"))
SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.json"))
# Property names that suggest personal data, which events must never carry (DESIGN §3, §4).
# "name" and "dob" must be whole words of the property name; the others may appear anywhere in it.
PERSONAL_WORDS = ("name", "names", "dob")
PERSONAL_PARTS = (
    "given_name",
    "family_name",
    "surname",
    "birth",
    "document",
    "passport",
    "address",
    "phone",
    "email",
)
DESIGN_TYPES = {
    "detention.stay.opened",
    "detention.stay.transferred",
    "detention.stay.closed",
    "detention.stay.deadline_due",
    "detention.unit.capacity_changed",
    "readmission.request.accepted",
    "readmission.request.deemed_accepted",
    "readmission.transfer.scheduled",
    "readmission.transfer.completed",
    "readmission.request.deadline_missed",
    "voluntary_return.case.opened",
    "voluntary_return.departure.confirmed",
    "voluntary_return.case.withdrawn",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def subschemas(schema: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object nested anywhere inside ``schema`` (examples excluded)."""
    if isinstance(schema, dict):
        yield where, schema
        for key, value in schema.items():
            if key in ("examples", "enum", "const", "default"):
                continue
            if key in ("properties", "patternProperties", "$defs", "definitions"):
                for name, sub in value.items():
                    yield from subschemas(sub, f"{where}/{key}/{name}")
            elif isinstance(value, (dict, list)):
                yield from subschemas(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, item in enumerate(schema):
            yield from subschemas(item, f"{where}/{i}")


def is_object_schema(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema
    )


def test_there_are_schema_files() -> None:
    assert SCHEMA_FILES, f"no schemas in {SCHEMA_DIR}"


def test_every_event_type_of_the_design_has_a_schema() -> None:
    assert DESIGN_TYPES <= {t.type for t in registry().all()}


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_valid_2020_12_with_examples(path: Path) -> None:
    schema = load(path)
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert path.name.endswith(".json") and ".v" in path.stem
    assert schema.get("title") == path.stem
    assert isinstance(schema.get("examples"), list) and schema["examples"], "at least one example"
    assert schema.get("type") == "object"


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_examples_validate_inside_an_envelope(path: Path) -> None:
    type_, _, version = path.stem.rpartition(".v")
    for example in load(path)["examples"]:
        event = new_event(
            type_,
            source=type_.split(".", 1)[0],
            subject="contract-test",
            data=example,
            version=int(version),
        )
        wire = json.loads(json.dumps(event.to_dict()))
        assert validate_event(wire) == event


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_object_is_closed(path: Path) -> None:
    for where, sub in subschemas(load(path)):
        if is_object_schema(sub):
            assert sub.get("additionalProperties") is False, (
                f"{path.name} {where} must set additionalProperties: false"
            )


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_no_property_suggests_personal_data(path: Path) -> None:
    for where, sub in subschemas(load(path)):
        for prop in sub.get("properties", {}) if isinstance(sub.get("properties"), dict) else {}:
            words = prop.lower().split("_")
            flagged = [w for w in PERSONAL_WORDS if w in words] + [
                p for p in PERSONAL_PARTS if p in prop.lower()
            ]
            assert not flagged, (
                f"{path.name} {where}/properties/{prop} looks like personal data ({flagged})"
            )


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_examples_carry_no_obvious_personal_data(path: Path) -> None:
    for example in load(path)["examples"]:
        for key in example:
            assert not any(w in key.lower() for w in ("name", "birth", "passport", "document"))


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_examples_that_break_the_schema_are_refused(path: Path) -> None:
    """The schema is not vacuous: an unknown member and a missing required member both fail."""
    type_, _, version = path.stem.rpartition(".v")
    schema = load(path)
    example = dict(schema["examples"][0])
    validator = Draft202012Validator(schema)
    assert not validator.is_valid({**example, "full_name": "Jane Doe"})
    for required in schema.get("required", []):
        partial = {k: v for k, v in example.items() if k != required}
        assert not validator.is_valid(partial), f"{path.name} accepts data without {required}"
    assert schema.get("required"), f"{path.name} requires nothing"


def test_every_routing_key_in_routes_has_a_schema() -> None:
    known = {f"{t.type}.v{t.version}" for t in registry().all()}
    for queue, keys in ROUTES.items():
        assert keys, f"{queue} receives nothing"
        for key in keys:
            assert key in known, f"{queue} routes {key}, which has no schema"


def test_routes_bind_to_the_exchange_of_the_event_source() -> None:
    topology = Topology("p.")
    for queue_name in ROUTES:
        queue = topology.queue(queue_name)
        exchanges = {b.exchange.name for b in queue.bindings if b.routing_key != queue.name}
        sources = {k.split(".", 1)[0] for k in ROUTES[queue_name]}
        assert exchanges == {f"p.{s}.events" for s in sources}
        assert (
            queue.durable and topology.dead_letter_queue(queue_name).name == f"p.{queue_name}.dlq"
        )


def test_envelope_schema_is_closed_and_valid() -> None:
    Draft202012Validator.check_schema(ENVELOPE_SCHEMA)
    assert ENVELOPE_SCHEMA["additionalProperties"] is False
