"""Identifier formats of detention and the stay id generator (stdlib only)."""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime

from passage.formats import PERSON_REF  # noqa: F401 (one person_ref rule for all services)

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$", re.ASCII)
STAY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.ASCII)
FAMILY_GROUP_ID = STAY_ID  # a UUID as well
NATIONALITY = re.compile(r"^[A-Z]{3}$", re.ASCII)


def new_stay_id(at: datetime) -> str:
    """A UUID (version 7 layout) that sorts by admission time, so lists page in admission order."""
    millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return str(uuid.UUID(int=value))


def admitted_ms(stay_id: str) -> int | None:
    """The admission time (Unix milliseconds) a version-7 stay id carries; None for any other id
    (a bench's clones, ids from before ``new_stay_id``), which a reader must not slice by time."""
    if not STAY_ID.match(stay_id) or stay_id[14] != "7":
        return None
    return int(stay_id[:8] + stay_id[9:13], 16)


def first_id_at(millis: int) -> str:
    """A string that sorts before every stay id made at ``millis`` or later and after every one made
    earlier: the first 48 bits of a version-7 id are its milliseconds, in hex."""
    millis = max(0, min(millis, (1 << 48) - 1))
    return f"{millis >> 16:08x}-{millis & 0xFFFF:04x}"
