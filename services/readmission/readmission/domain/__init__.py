"""Readmission rules that need no I/O (stdlib only)."""

from __future__ import annotations

from passage.formats import PERSON_REF

# Liaison officers need the location to arrange interviews and transfers; auditors check access.
LOCATION_READERS = ("admin", "liaison_officer", "auditor")


def is_person_ref(value: str) -> bool:
    return PERSON_REF.fullmatch(value) is not None
