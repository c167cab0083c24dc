"""Family groups in detention (stdlib only): who belongs to a family, and when a minor is
accompanied.

A family group (parents or guardians with their children) is recorded at admission: a new group,
or a member joining an existing group by its id. A minor is accompanied when an adult member of
the same group with the relation ``parent`` or ``guardian`` is held in the same centre; every
other minor is unaccompanied and needs the explicit, attributed override (DESIGN §3.1).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

RELATIONS = ("parent", "guardian", "child", "spouse", "sibling", "other_relative")
CARERS = ("parent", "guardian")


@dataclass(frozen=True)
class Family:
    """A person's place in a family group at admission; ``accompanied`` is the answer for a
    minor."""

    group_id: str
    relation: str
    accompanied: bool = False


@dataclass(frozen=True)
class Member:
    """A group member held (or being admitted together) in the centre: relation and birth date."""

    relation: str
    birth_date: date


def new_group_id() -> str:
    return str(uuid.uuid4())


def completed_years(birth_date: date, day: date) -> int:
    """Completed years on ``day`` (as ``domain.age_on``; kept here so this module needs no
    domain)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def has_carer(members: Iterable[Member], day: date, adult_age: int) -> bool:
    """True when one of ``members`` is an adult parent or guardian on ``day``."""
    return any(
        m.relation in CARERS and completed_years(m.birth_date, day) >= adult_age for m in members
    )
