"""Voluntary return's use cases, one function each; dependencies are passed in."""
from __future__ import annotations

from pymongo.client_session import ClientSession

from passage.events.envelope import Envelope
from passage.locations import Locations, StoredLocation

from voluntary_return.domain import PersonUnknown


def record_detention_event(locations: Locations, event: Envelope, session: ClientSession) -> None:
    """detention.stay.opened|transferred|closed v1: keep where the person is held up to date."""
    locations.record(event, session=session)


def person_location(locations: Locations, person_ref: str) -> StoredLocation:
    """Where the person is held (or how their last stay ended); PersonUnknown if never seen."""
    found = locations.get_location(person_ref)
    if found is None:
        raise PersonUnknown(person_ref)
    return found
