"""Readmission rules that need no I/O (stdlib only): who may see where a person is held, and
what a person_ref looks like."""
from __future__ import annotations

import re

# A national identifier or a UUID; nothing else (no '$', no spaces, no '/') reaches a query.
PERSON_REF = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

# Liaison officers need the location to arrange interviews and transfers; auditors check access.
LOCATION_READERS = ("admin", "liaison_officer", "auditor")


class PersonUnknown(Exception):
    """No detention event was ever seen for this person_ref."""


def is_person_ref(value: str) -> bool:
    return PERSON_REF.fullmatch(value) is not None
