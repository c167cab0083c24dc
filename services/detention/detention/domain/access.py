"""Who may see and do what in detention (stdlib only): roles, centre scopes and personal data.

Centre staff act for their own centres only; anything of another centre is reported as not
found, so its existence is not revealed. Partners get no detention records (their statistics
come through the gateway's suppressed reports); auditors read without personal particulars.
"""

from __future__ import annotations

from typing import Protocol

from passage.errors import NotAllowed


class Caller(Protocol):
    """What the rules need to know about the caller (``passage.identity.Identity`` fits)."""

    role: str
    centres: tuple[str, ...]


CENTRE_READERS = (
    "admin",
    "centre_staff",
    "liaison_officer",
    "avr_caseworker",
    "partner",
    "auditor",
    "system",
)
# Free places are no personal data: liaison officers and caseworkers plan interviews and transfers.
UNIT_READERS = ("admin", "centre_staff", "liaison_officer", "avr_caseworker", "auditor", "system")
STAY_READERS = ("admin", "centre_staff", "auditor", "system")
ADMITTERS = ("admin", "centre_staff")
PARTICULARS_READERS = ("admin", "centre_staff")
MANAGERS = ("admin",)
_SCOPED = ("centre_staff",)


def require(caller: Caller, roles: tuple[str, ...]) -> None:
    if caller.role not in roles:
        raise NotAllowed("Your role does not allow this action.")


def centre_scope(caller: Caller) -> tuple[str, ...] | None:
    """The centres the caller is limited to, or None when not limited."""
    if caller.role not in _SCOPED or getattr(caller, "all_scopes", False):
        return None
    return tuple(caller.centres)


def in_scope(caller: Caller, centre_id: str) -> bool:
    scope = centre_scope(caller)
    return scope is None or centre_id in scope


def sees_particulars(caller: Caller, centre_id: str) -> bool:
    """Names and birth dates only for those who hold the person (and administrators)."""
    return caller.role in PARTICULARS_READERS and in_scope(caller, centre_id)
