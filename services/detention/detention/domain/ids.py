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
