"""Which event types exist, at which versions, and the JSON Schema each one's data must meet.

Schemas live as files under ``schemas/<type>.v<version>.json`` (with ``examples``) so the
producer's and the consumers' tests validate against the same text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from passage.events.envelope import ENVELOPE_FIELDS, Envelope

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": list(ENVELOPE_FIELDS),
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "format": "uuid", "minLength": 36, "maxLength": 36},
        "type": {"type": "string", "pattern": r"^[a-z_]+\.[a-z_]+\.[a-z_]+$"},
        "version": {"type": "integer", "minimum": 1},
        "source": {"type": "string", "minLength": 1},
        "time": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"},
        "subject": {"type": "string", "minLength": 1},
        "correlation_id": {"type": "string", "minLength": 1},
        "causation_id": {"type": ["string", "null"]},
        "data": {"type": "object"},
        "traceparent": {
            "type": "string",
            "pattern": r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        },
    },
}


class EventInvalid(ValueError):
    """A message is not a valid event of a known type and version: it can never succeed."""


@dataclass(frozen=True)
class EventType:
    type: str
    version: int
    schema: Mapping[str, Any]

    @property
    def source(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def examples(self) -> list[dict[str, Any]]:
        return list(self.schema.get("examples", []))


class Registry:
    """Loads every schema file shipped in this package."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, int], EventType] = {}
        folder = resources.files("passage.events") / "schemas"
        for entry in folder.iterdir():
            if entry.name.endswith(".json"):
                stem = entry.name[: -len(".json")]
                type_, _, version = stem.rpartition(".v")
                schema = json.loads(entry.read_text("utf-8"))
                Draft202012Validator.check_schema(schema)
                self._types[(type_, int(version))] = EventType(type_, int(version), schema)

    def get(self, type_: str, version: int) -> EventType:
        try:
            return self._types[(type_, version)]
        except KeyError:
            raise EventInvalid(f"unknown event type {type_} v{version}") from None

    def all(self) -> list[EventType]:
        return sorted(self._types.values(), key=lambda t: (t.type, t.version))


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry()


@cache
def _validator(type_: str, version: int) -> Draft202012Validator:
    return Draft202012Validator(registry().get(type_, version).schema)


_ENVELOPE_VALIDATOR = Draft202012Validator(ENVELOPE_SCHEMA)


def _describe(error: ValidationError, prefix: str = "") -> str:
    """Where and which rule failed, never the offending value: it may be personal data and
    this text ends up in dead-letter headers and logs. Only ``required`` and
    ``additionalProperties`` messages are kept whole (they name members, not values)."""
    where = prefix + "".join(f"/{part}" for part in error.absolute_path) or "/"
    if error.validator in ("required", "additionalProperties"):
        return f"{where}: {error.message}"
    return f"{where}: fails '{error.validator}'"


def validate_event(raw: Any) -> Envelope:
    """Check envelope and data against their schemas; raise :class:`EventInvalid`."""
    if not isinstance(raw, dict):
        raise EventInvalid("event is not a JSON object")
    problems = [_describe(e) for e in _ENVELOPE_VALIDATOR.iter_errors(raw)]
    if problems:
        raise EventInvalid("; ".join(problems[:5]))
    errors = [
        _describe(e, "/data")
        for e in _validator(raw["type"], raw["version"]).iter_errors(raw["data"])
    ]
    if errors:
        raise EventInvalid(f"{raw['type']} v{raw['version']}: " + "; ".join(errors[:5]))
    return Envelope.from_dict(raw)
