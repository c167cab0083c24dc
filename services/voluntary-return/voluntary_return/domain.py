"""Voluntary return rules that need no I/O (stdlib only)."""
from __future__ import annotations

from passage.locations_api import PERSON_REF

# Caseworkers need the location to counsel and to plan departures; auditors check access.
LOCATION_READERS = ("admin", "avr_caseworker", "auditor")


def is_person_ref(value: str) -> bool:
    return PERSON_REF.fullmatch(value) is not None
