"""The protocol registry's vocabulary: each state's implementing protocol under its readmission
agreement with Azerbaijan (the 27 member states under the EU agreement, Norway under its own),
versioned with effective dates (a new version never rewrites an older one).

The seed holds those states with their official languages and status ``none`` (no protocol
recorded yet), from the day their agreement entered into force; authorities, contacts, crossing
points and consular posts are entered by administrators from the official texts — the seed
invents none of them. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

STATUSES = ("in_force", "negotiating", "none")
# ISO 3166-1 alpha-2 -> official languages (ISO 639-1).
MEMBER_STATES: dict[str, tuple[str, ...]] = {
    "AT": ("de",),
    "BE": ("nl", "fr", "de"),
    "BG": ("bg",),
    "HR": ("hr",),
    "CY": ("el", "tr"),
    "CZ": ("cs",),
    "DK": ("da",),
    "EE": ("et",),
    "FI": ("fi", "sv"),
    "FR": ("fr",),
    "DE": ("de",),
    "GR": ("el",),
    "HU": ("hu",),
    "IE": ("en", "ga"),
    "IT": ("it",),
    "LV": ("lv",),
    "LT": ("lt",),
    "LU": ("lb", "fr", "de"),
    "MT": ("mt", "en"),
    "NL": ("nl",),
    "PL": ("pl",),
    "PT": ("pt",),
    "RO": ("ro",),
    "SK": ("sk",),
    "SI": ("sl",),
    "ES": ("es",),
    "SE": ("sv",),
}
AGREEMENT_IN_FORCE = date(2014, 9, 1)
# States with a protocol registry entry: the member states, and Norway (its agreement in force
# 1 June 2015).
PROTOCOL_STATES: dict[str, tuple[str, ...]] = {**MEMBER_STATES, "NO": ("no",)}
IN_FORCE = {"NO": date(2015, 6, 1)}
SEED_USER = "seed"


def seed_version(code: str, now: datetime) -> dict[str, Any]:
    return {
        "effective_from": IN_FORCE.get(code, AGREEMENT_IN_FORCE).isoformat(),
        "status": "none",
        "competent_authorities": {"own_nationals": [], "third_country_nationals": []},
        "contacts": [],
        "border_crossing_points": [],
        "languages": list(PROTOCOL_STATES[code]),
        "consular_posts": [],
        "recorded_at": now,
        "recorded_by": SEED_USER,
    }


def current_version(doc: Mapping[str, Any], today: date) -> dict[str, Any] | None:
    """The version in force on ``today`` (latest effective_from not after it)."""
    versions = [v for v in doc.get("versions", []) if v["effective_from"] <= today.isoformat()]
    return dict(max(versions, key=lambda v: v["effective_from"])) if versions else None
