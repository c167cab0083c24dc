"""The event envelope (field names after CloudEvents); stdlib only.

``id`` is the idempotency key every consumer records; ``data`` holds identifiers and
non-identifying attributes only, never names, birth dates or document numbers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from passage.clock import utc_now

ENVELOPE_FIELDS = (
    "id",
    "type",
    "version",
    "source",
    "time",
    "subject",
    "correlation_id",
    "causation_id",
    "data",
)


def rfc3339(moment: datetime) -> str:
    """UTC, millisecond precision, trailing Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Envelope:
    """One fact that happened, as it travels between services."""

    id: str
    type: str
    version: int
    source: str
    time: str
    subject: str
    correlation_id: str
    causation_id: str | None
    data: Mapping[str, Any] = field(default_factory=dict)
    # W3C trace context of the work that caused the event (optional; set when written to an outbox)
    traceparent: str | None = None

    @property
    def routing_key(self) -> str:
        """``<type>.v<version>`` on the ``<source>.events`` exchange."""
        return f"{self.type}.v{self.version}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["data"] = dict(self.data)
        if out["traceparent"] is None:
            del out["traceparent"]
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Envelope:
        """Rebuild from a decoded message; raises KeyError/TypeError on a malformed one."""
        missing = [name for name in ENVELOPE_FIELDS if name not in raw]
        if missing:
            raise KeyError(f"envelope lacks {missing}")
        return cls(
            **{name: raw[name] for name in ENVELOPE_FIELDS}, traceparent=raw.get("traceparent")
        )


def new_event(
    type: str,
    *,
    source: str,
    subject: str,
    data: Mapping[str, Any],
    version: int = 1,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    """A fresh envelope; ``correlation_id`` defaults to the event's own id."""
    event_id = str(uuid.uuid4())
    return Envelope(
        id=event_id,
        type=type,
        version=version,
        source=source,
        time=rfc3339(time or utc_now()),
        subject=subject,
        correlation_id=correlation_id or event_id,
        causation_id=causation_id,
        data=dict(data),
    )
