"""The rules of moving a held person (stdlib only): transfer to another unit, release, and the
refusals they can meet. The counters themselves are the repository's to change atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from detention.domain import model as domain
from detention.domain.families import Family
from detention.domain.rules import Rules
from passage.locations import RELEASE_REASONS  # noqa: F401 (one list of release reasons for all)


class StayClosed(domain.DetentionError):
    """The stay is closed already: it cannot be moved, released or extended again (409)."""

    def __init__(self, stay_id: str) -> None:
        super().__init__("stay_open", f"Stay {stay_id} is closed already.")


class CentreClosed(domain.DetentionError):
    """The centre is deactivated: nobody is admitted or transferred into it (409)."""


class StillHeld(domain.DetentionError):
    """The change would leave people without a place: capacity below occupancy, or a centre closed
    while it holds someone (409)."""


@dataclass(frozen=True)
class StayChange:
    """What a step changes on a stay: fields that take new values, and records appended to its
    lists (``history``, ``extensions``). Storage applies it in one conditional write."""

    fields: Mapping[str, Any]
    appended: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MedicalExamination:
    """An entry or exit medical examination: who examined, when, and the finding."""

    examined_at: datetime
    examined_by: str
    fit_for_detention: bool | None = None
    notes: str | None = None

    def as_document(self) -> dict[str, Any]:
        return {
            "examined_at": self.examined_at,
            "examined_by": self.examined_by,
            "fit_for_detention": self.fit_for_detention,
            "notes": self.notes,
        }


def person_of(stay: Mapping[str, Any]) -> domain.Person:
    """The domain person behind a stored stay's particulars."""
    p = stay["person"]
    return domain.Person(
        person_ref=stay["person_ref"],
        given_name=p["given_name"],
        family_name=p["family_name"],
        birth_date=date.fromisoformat(p["birth_date"]),
        sex=p["sex"],
        nationality=p.get("nationality"),
    )


def check_transfer(stay: Mapping[str, Any], target: domain.Unit, day: date, rules: Rules) -> None:
    """The placement rules apply to the target unit as to an admission (an override travels
    along)."""
    if stay["status"] != "open":
        raise StayClosed(stay["id"])
    if stay["unit_id"] == target.id:
        raise domain.DetentionError(
            "transfer_elsewhere",
            f"The person is already in unit {target.id}.",
            field="unit_id",
            unit_id=target.id,
        )
    person = person_of(stay)
    raw = stay.get("minor_override")
    override = domain.MinorOverride(raw["reason"], raw["approved_by"]) if raw else None
    domain.check_placement(target, person, person.age_on(day), override, rules, family_of(stay))


def family_of(stay: Mapping[str, Any]) -> Family | None:
    """The family group recorded at admission; a minor stays accompanied as recorded then."""
    raw = stay.get("family_group")
    if not raw:
        return None
    return Family(
        raw["id"], raw["relation"], accompanied="accompanied_child" in stay.get("alerts", ())
    )


def check_release(stay: Mapping[str, Any], released_at: datetime, now: datetime) -> None:
    """A release happens after the admission and not in the future."""
    if stay["status"] != "open":
        raise StayClosed(stay["id"])
    if released_at < stay["admitted_at"]:
        raise domain.DetentionError(
            "release_after_admission", "The release is before the admission.", field="released_at"
        )
    if released_at > now:
        raise domain.DetentionError(
            "release_not_future", "The release cannot be in the future.", field="released_at"
        )
