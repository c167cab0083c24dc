"""Where each person is held: one read model fed by detention stay events, shared by readmission
and voluntary_return so both answer the same way.

The decision (:func:`apply_fact`, :func:`current_location`) is stdlib only and order-independent:
it keeps a small state per stay and orders facts by event ``time``, so duplicates, late or
out-of-order deliveries converge on the same answer. :class:`LocationStore` applies it in
MongoDB inside the consumer's inbox transaction. Only person_ref, ids, times and the release
reason are stored: never names, birth dates, document numbers or other attributes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # typing only: the decision half of this module needs nothing beyond the stdlib
    from passage.events.envelope import Envelope
    from passage.transaction import Transaction

log = logging.getLogger(__name__)

COLLECTION = "person_locations"
EVENT_KINDS = {
    "detention.stay.opened": "opened",
    "detention.stay.transferred": "transferred",
    "detention.stay.closed": "closed",
}
# Why a stay closed: the reasons detention accepts, its detention.stay.closed events carry and the
# location model shows.
RELEASE_REASONS = (
    "removed",
    "readmitted",
    "voluntary_return",
    "released_by_court",
    "status_granted",
    "order_expired",
    "other",
)
_AT_FIELD = {"opened": "admitted_at", "transferred": "transferred_at", "closed": "released_at"}
# At one and the same instant a stay is opened before it is moved, and moved before it is closed.
_RANK = {"opened": 0, "transferred": 1, "closed": 2}

Order = tuple[str, int, str]  # (event time, rank of kind, event id): a total order of facts


def utc_text(value: str) -> str:
    """An RFC 3339 time as fixed-width UTC text (microseconds, ``Z``), so text order is time
    order."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time without offset")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class StayFact:
    """One detention stay event, reduced to what the projection keeps."""

    event_id: str
    kind: str  # opened | transferred | closed
    time: str  # event time (utc_text): the order of facts
    person_ref: str
    stay_id: str
    centre_id: str
    unit_id: str
    at: str  # when it happened in the centre (utc_text): admitted, transferred or released
    reason: str | None = None

    @property
    def order(self) -> Order:
        return (self.time, _RANK[self.kind], self.event_id)


@dataclass(frozen=True)
class StayState:
    """What is known of one stay; ``closed_order`` set means the stay is over for good."""

    stay_id: str
    first_time: str  # earliest event time seen for this stay: orders a person's stays
    admitted_at: str | None = None
    centre_id: str | None = None
    unit_id: str | None = None
    placed_since: str | None = None
    placement_order: Order | None = None
    released_at: str | None = None
    release_reason: str | None = None
    closed_order: Order | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_order is None and self.placement_order is not None


@dataclass(frozen=True)
class PersonLocation:
    """Every stay seen for one person (closed ones are kept, so a late event cannot revive them)."""

    person_ref: str
    stays: tuple[StayState, ...] = ()


@dataclass(frozen=True)
class LocationView:
    """The answer the APIs give: held or not, where and since when, or how the last stay ended."""

    person_ref: str
    held: bool
    centre_id: str | None
    unit_id: str | None
    stay_id: str | None
    since: str | None
    released_at: str | None
    release_reason: str | None


def fact_from_event(type_: str, event_id: str, time: str, data: Mapping[str, Any]) -> StayFact:
    """Read a validated detention stay event; ValueError when it is not one this model uses."""
    kind = EVENT_KINDS.get(type_)
    if kind is None:
        raise ValueError(f"not a detention stay event: {type_}")
    try:
        return StayFact(
            event_id=event_id,
            kind=kind,
            time=utc_text(time),
            person_ref=str(data["person_ref"]),
            stay_id=str(data["stay_id"]),
            centre_id=str(data["centre_id"]),
            unit_id=str(data["unit_id"]),
            at=utc_text(str(data[_AT_FIELD[kind]])),
            reason=str(data["reason"]) if kind == "closed" else None,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{type_} lacks {exc}") from None


def apply_fact(state: PersonLocation | None, fact: StayFact) -> PersonLocation:
    """The person's state after ``fact``, whatever order facts arrive in (pure; idempotent)."""
    stays = {stay.stay_id: stay for stay in (state.stays if state else ())}
    stays[fact.stay_id] = _apply_to_stay(stays.get(fact.stay_id), fact)
    ordered = sorted(stays.values(), key=lambda s: (s.first_time, s.stay_id))
    return PersonLocation(person_ref=fact.person_ref, stays=tuple(ordered))


def _apply_to_stay(stay: StayState | None, fact: StayFact) -> StayState:
    stay = stay or StayState(stay_id=fact.stay_id, first_time=fact.time)
    changes: dict[str, Any] = {"first_time": min(stay.first_time, fact.time)}
    if fact.kind == "opened":
        changes["admitted_at"] = fact.at
    if fact.kind != "closed" and (
        stay.placement_order is None or fact.order > stay.placement_order
    ):
        changes.update(
            centre_id=fact.centre_id,
            unit_id=fact.unit_id,
            placed_since=fact.at,
            placement_order=fact.order,
        )
    if fact.kind == "closed" and (stay.closed_order is None or fact.order > stay.closed_order):
        changes.update(released_at=fact.at, release_reason=fact.reason, closed_order=fact.order)
    return replace(stay, **changes)


def current_location(state: PersonLocation) -> LocationView:
    """Held in the newest open stay; else not held, with how the latest closed stay ended."""
    open_stays = [s for s in state.stays if s.is_open]
    if open_stays:
        stay = max(open_stays, key=lambda s: (s.first_time, s.stay_id))
        return LocationView(
            state.person_ref,
            True,
            stay.centre_id,
            stay.unit_id,
            stay.stay_id,
            stay.placed_since,
            None,
            None,
        )
    closed = [s for s in state.stays if s.closed_order is not None]
    if not closed:  # cannot happen: every fact either places or closes a stay
        raise ValueError("no stay known")
    stay = max(closed, key=lambda s: s.closed_order or ())
    return LocationView(
        state.person_ref,
        False,
        None,
        None,
        stay.stay_id,
        None,
        stay.released_at,
        stay.release_reason,
    )


def to_document(state: PersonLocation) -> dict[str, Any]:
    """The stored form (without ``_id``/``version``)."""
    return {
        "person_ref": state.person_ref,
        "stays": [
            {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(stay).items()}
            for stay in state.stays
        ],
    }


def from_document(doc: Mapping[str, Any]) -> PersonLocation:
    stays = []
    for raw in doc.get("stays", []):
        values: dict[str, Any] = {
            k: tuple(v) if k.endswith("_order") and v is not None else v for k, v in raw.items()
        }
        stays.append(StayState(**values))
    return PersonLocation(person_ref=doc["person_ref"], stays=tuple(stays))


@dataclass(frozen=True)
class StoredLocation:
    """A person's location as stored, with the document version (the API's ETag)."""

    location: LocationView
    version: int


class Locations(Protocol):
    """What the services need from the read model (Mongo adapter or in-memory fake)."""

    def record(self, event: Envelope, session: Transaction | None = None) -> bool: ...

    def get_location(self, person_ref: str) -> StoredLocation | None: ...


class LocationConflict(RuntimeError):
    """Another consumer changed this person meanwhile; the consumer base retries the event."""
