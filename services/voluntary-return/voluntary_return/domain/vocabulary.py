"""Voluntary return's vocabulary without I/O (stdlib only): ids, enumerations, who may read and
write what, and whether a case is shared with the authorities."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from passage.formats import PERSON_REF

CASE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.ASCII)
COUNTRY = re.compile(r"^[A-Z]{3}$", re.ASCII)  # ISO 3166-1 alpha-3
CURRENCY = re.compile(r"^[A-Z]{3}$", re.ASCII)  # ISO 4217
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", re.ASCII)  # BCP 47, short form
ORG_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$", re.ASCII)

REFERRAL_SOURCES = ("detention_centre", "ngo", "embassy", "hotline", "self")
CLASSIFICATIONS = ("AVR", "AVM")
# As in detention (DESIGN §3.1).
VULNERABILITIES = (
    "unaccompanied_child",
    "separated_child",
    "trafficking_victim",
    "pregnant",
    "disability",
    "serious_illness",
    "elderly",
    "torture_survivor",
    "sogi",
)
SEXES = ("male", "female", "other", "unknown")
DOCUMENT_KINDS = (
    "passport",
    "national_id",
    "birth_certificate",
    "laissez_passer",
    "travel_document",
    "other",
)
# A laissez-passer or passport that is ``issued``/``valid`` makes the case ready to travel.
TRAVEL_DOCUMENT_STATUSES = ("not_started", "requested", "issued", "valid", "refused", "expired")
TRAVEL_DOCUMENT_READY = ("issued", "valid")
ELIGIBILITY_DECISIONS = ("eligible", "ineligible")
WITHDRAWAL_REASONS = ("migrant_withdrew", "other")
CLOSING_OUTCOMES = (
    "completed",
    "lost_contact",
    "ineligible",
    "withdrawn_from_reintegration",
    "other",
)
IN_KIND_TYPES = ("business", "training", "housing", "medical", "schooling")
MONITORING_MONTHS = (3, 6, 12)
NEXT_ACTIONS = ("counselling_due", "documents_pending", "booking_pending", "monitoring_due")

# Who may do what (admin passes every check).
CASE_WRITERS = ("avr_caseworker",)
CASE_READERS = ("avr_caseworker", "auditor")
# Counselling notes and medical needs: only the caseworkers who act on them.
SENSITIVE_READERS = ("avr_caseworker", "admin")
STATISTICS_READERS = ("auditor", "system")
# Caseworkers need the location to counsel and to plan departures; auditors check access.
LOCATION_READERS = ("admin", "avr_caseworker", "auditor")


def is_person_ref(value: str) -> bool:
    return PERSON_REF.fullmatch(value) is not None


def is_shared(case: Mapping[str, Any]) -> bool:
    """Whether the migrant's consent to share the case with the authorities is in force (DESIGN
    §3.3)."""
    consent = case.get("consent_to_share") or {}
    return bool(consent) and not consent.get("withdrawn_at")
