"""Readmission's use cases, one function each; dependencies are passed in."""
from __future__ import annotations

from pymongo.client_session import ClientSession

from passage.events.envelope import Envelope
from passage.locations import Locations


def record_detention_event(locations: Locations, event: Envelope, session: ClientSession) -> None:
    """detention.stay.opened|transferred|closed v1: keep where the person is held up to date."""
    locations.record(event, session=session)
