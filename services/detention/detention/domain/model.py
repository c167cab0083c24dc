"""Detention's entities and rules without I/O: centres, units and their capacity, people, legal
bases, placement and the admission decision. Imports the standard library, the id formats, the
family groups and the rule table only.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from detention.domain.families import Family
from detention.domain.ids import NATIONALITY, PERSON_REF, SLUG, STAY_ID, new_stay_id  # noqa: F401 (the domain's ids)
from detention.domain.rules import Rules, local_day
from passage import names
from passage.errors import DomainError
from passage.events.envelope import Envelope

UNIT_CATEGORIES = ("men", "women", "family", "vulnerable")
SEXES = ("male", "female", "other", "unknown")
LEGAL_BASIS_KINDS = ("court_order", "voluntary_placement", "asylum_applicant")
STAY_STATUSES = ("open", "closed")
VULNERABILITIES = (
    "separated_child",
    "trafficking_victim",
    "pregnant",
    "disability",
    "serious_illness",
    "elderly",
    "torture_survivor",
    "sogi",
)
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (65, "65+"),
    (35, "35-64"),
    (18, "18-34"),
    (14, "14-17"),
    (0, "0-13"),
)
# Where a stay keeps what person search matches (keys stored at admission: names.search_keys).
STAY_SEARCH = names.Paths(
    record_type="stay",
    names=("person.given_name", "person.family_name"),
    birth_date="person.birth_date",
)
# The fields of a legal basis each kind takes (the others must be absent) and which are required.
BASIS_FIELDS = {
    "court_order": (
        ("decision_ref", "court", "decided_on", "valid_until"),
        ("decision_ref", "court", "decided_on", "valid_until"),
    ),
    "voluntary_placement": (("decision_ref", "decided_on"), ("decision_ref",)),
    "asylum_applicant": (("decision_ref",), ()),
}


class DetentionError(DomainError):
    """A rule of the procedure refuses the request: ``rule`` names it, ``field`` says where, and
    ``unit_id`` (a member of the problem) which unit it concerns."""

    def __init__(
        self, rule: str, detail: str, *, field: str | None = None, unit_id: str | None = None
    ) -> None:
        super().__init__(
            detail, field=field, rule=rule, **({"unit_id": unit_id} if unit_id else {})
        )
        self.rule: str = rule
        self.unit_id = unit_id


class InvalidUnit(DetentionError):
    """A unit's declared figures contradict each other."""


class InvalidParticulars(DetentionError):
    """A person's particulars are impossible (e.g. born after the admission)."""


class InvalidLegalBasis(DetentionError):
    """The legal basis is incomplete, contradictory or no longer in force."""


class PlacementRefused(DetentionError):
    """The person may not be placed in this unit."""


class AlreadyExists(DetentionError):
    """A centre or unit with this id, or a once-only record (an entry examination), exists
    already."""


class PersonAlreadyHeld(DetentionError):
    """The person has an open stay already; where, only to a caller who may see it (``show``)."""

    def show(self, held: dict[str, str]) -> None:
        """Name the open stay (its ids) in the refusal: only for a caller who may see that stay."""
        self.extra.update(held)


class UnitFull(DetentionError):
    """No free place in the unit: occupancy has reached the capacity that counts."""

    def __init__(self, unit_id: str, occupancy: int, capacity: int) -> None:
        super().__init__(
            "unit_capacity",
            f"Unit {unit_id} is full ({occupancy} of {capacity} places taken).",
            unit_id=unit_id,
        )
        self.occupancy = occupancy
        self.capacity = capacity
        self.extra.update(occupancy=occupancy, capacity=capacity)


class NotEnoughPlaces(UnitFull):
    """A family needs more free places than the unit has: nobody of it is admitted (409)."""

    def __init__(self, unit_id: str, occupancy: int, capacity: int, needed: int) -> None:
        super().__init__(unit_id, occupancy, capacity)
        self.detail = (
            f"Unit {unit_id} has {max(0, capacity - occupancy)} free places; "
            f"the family needs {needed}: nobody was admitted."
        )


@dataclass(frozen=True)
class Centre:
    id: str
    name: str
    city: str

    def __post_init__(self) -> None:
        if not SLUG.fullmatch(self.id):
            raise DetentionError(
                "centre_id_format", "A centre id is a lower-case slug.", field="id"
            )


@dataclass(frozen=True)
class Block:
    """Places taken out of use (repairs, quarantine) until and including ``until``."""

    places: int
    reason: str
    until: date

    def in_force(self, day: date) -> bool:
        return day <= self.until


@dataclass(frozen=True)
class Unit:
    """A wing or room of a centre: what it may hold, and by the CPT standard what it should."""

    id: str
    centre_id: str
    name: str
    category: str
    declared_places: int
    floor_area_m2: float
    single_room: bool = False
    blocks: tuple[Block, ...] = ()

    def check(self, day: date) -> None:
        """Refuse figures that contradict each other on ``day``."""
        if not SLUG.fullmatch(self.id):
            raise InvalidUnit("unit_id_format", "A unit id is a lower-case slug.", field="id")
        if self.category not in UNIT_CATEGORIES:
            raise InvalidUnit(
                "unit_category", f"Unknown unit category {self.category!r}.", field="category"
            )
        if self.declared_places < 0:
            raise InvalidUnit(
                "unit_figures", "Declared places cannot be negative.", field="declared_places"
            )
        if not math.isfinite(self.floor_area_m2) or self.floor_area_m2 <= 0:
            raise InvalidUnit(
                "unit_figures", "The floor area must be positive.", field="floor_area_m2"
            )
        if any(block.places < 1 for block in self.blocks):
            raise InvalidUnit(
                "blocked_places", "A block takes at least one place.", field="blocked_places"
            )
        if self.blocked_on(day) > self.declared_places:
            raise InvalidUnit(
                "blocked_places",
                f"Unit {self.id}: more places blocked than declared.",
                field="blocked_places",
                unit_id=self.id,
            )

    def blocked_on(self, day: date) -> int:
        return sum(block.places for block in self.blocks if block.in_force(day))

    def capacity_on(self, day: date) -> int:
        """The capacity that counts: declared places less the blocks still in force."""
        return max(0, self.declared_places - self.blocked_on(day))

    def capacity_valid_until(self, day: date) -> date | None:
        """The last day this capacity holds (the earliest block end); None while nothing is
        blocked."""
        ends = [block.until for block in self.blocks if block.in_force(day)]
        return min(ends) if ends else None

    def cpt_capacity(self, rules: Rules) -> int:
        """Persons the floor area allows under the CPT standard (sanitary area excluded)."""
        per_person = (
            rules.cpt_m2_single_room if self.single_room else rules.cpt_m2_per_person_shared
        )
        return math.floor(self.floor_area_m2 / per_person + 1e-9)

    def over_standard(self, rules: Rules) -> bool:
        return self.declared_places > self.cpt_capacity(rules)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day`` (a 29 February birthday falls on 1 March in other years)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_band(age: int) -> str:
    """The reporting band of an age: 0-13, 14-17, 18-34, 35-64, 65+."""
    if age < 0:
        raise ValueError("age is negative")
    return next(band for lowest, band in AGE_BANDS if age >= lowest)


@dataclass(frozen=True)
class Person:
    """The particulars detention keeps; only ``person_ref``, sex, nationality and age band leave
    it."""

    person_ref: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    nationality: str | None = None

    def age_on(self, day: date) -> int:
        if self.birth_date > day:
            raise InvalidParticulars(
                "birth_date_future",
                "The birth date is after the admission date.",
                field="person.birth_date",
            )
        return age_on(self.birth_date, day)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; when that month is shorter, its last day."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class LegalBasis:
    """Why the person may be held: a court order, a voluntary placement, or an asylum
    application."""

    kind: str
    decision_ref: str | None = None
    court: str | None = None
    decided_on: date | None = None
    valid_until: date | None = None

    def check(self, admitted_on: date) -> None:
        """Refuse a basis that is incomplete, contradictory or not in force on ``admitted_on``."""
        if self.kind not in BASIS_FIELDS:
            raise InvalidLegalBasis(
                "legal_basis_kind", f"Unknown legal basis {self.kind!r}.", field="legal_basis.kind"
            )
        allowed, required = BASIS_FIELDS[self.kind]
        for name in ("decision_ref", "court", "decided_on", "valid_until"):
            value = getattr(self, name)
            if value is None and name in required:
                raise InvalidLegalBasis(
                    "legal_basis_complete",
                    f"A {self.kind} needs {name}.",
                    field=f"legal_basis.{name}",
                )
            if value is not None and name not in allowed:
                raise InvalidLegalBasis(
                    "legal_basis_fields",
                    f"A {self.kind} has no {name}.",
                    field=f"legal_basis.{name}",
                )
        self._check_dates(admitted_on)

    def _check_dates(self, admitted_on: date) -> None:
        if self.decided_on is not None and self.decided_on > admitted_on:
            raise InvalidLegalBasis(
                "decision_in_future",
                "The decision is dated after the admission.",
                field="legal_basis.decided_on",
            )
        if self.valid_until is None:
            return
        if self.decided_on is not None and self.valid_until < self.decided_on:
            raise InvalidLegalBasis(
                "order_validity",
                "valid_until is before decided_on.",
                field="legal_basis.valid_until",
            )
        if self.valid_until < admitted_on:
            raise InvalidLegalBasis(
                "order_expired",
                "The court order is no longer valid.",
                field="legal_basis.valid_until",
            )


def legal_end(basis: LegalBasis, admitted_on: date, rules: Rules) -> date | None:
    """The last day the person may be held on this basis (None: no maximum is set)."""
    if basis.kind == "court_order":
        return basis.valid_until
    if basis.kind == "asylum_applicant":
        return add_months(admitted_on, rules.asylum_max_months)
    if rules.voluntary_placement_max_months is not None:
        return add_months(admitted_on, rules.voluntary_placement_max_months)
    return None


@dataclass(frozen=True)
class MinorOverride:
    """The explicit, attributed decision to admit an unaccompanied minor."""

    reason: str
    approved_by: str


def check_placement(
    unit: Unit,
    person: Person,
    age: int,
    override: MinorOverride | None,
    rules: Rules,
    family: Family | None = None,
) -> None:
    """Refuse a placement the rules forbid; each refusal names its rule and the unit."""
    if unit.category == "family" and family is None:
        raise PlacementRefused(
            "family_unit_for_families",
            f"Unit {unit.id} is a family unit: it admits members of "
            "a family group (new or existing).",
            field="family_group",
            unit_id=unit.id,
        )
    wanted = {"men": "male", "women": "female"}.get(unit.category)
    if wanted is not None and person.sex != wanted:
        raise PlacementRefused(
            "sex_matches_unit",
            f"Unit {unit.id} is a {unit.category} unit; "
            f"a person of sex {person.sex!r} may not be placed there.",
            field="unit_id",
            unit_id=unit.id,
        )
    if age < rules.adult_age and not (family and family.accompanied) and override is None:
        raise PlacementRefused(
            "unaccompanied_minor",
            f"The person is {age} with no adult parent or guardian of the "
            f"family group held here: unit {unit.id} admits an unaccompanied minor only with an "
            "override giving the reason and the approving officer.",
            field="minor_override",
            unit_id=unit.id,
        )


def vulnerability_alerts(age: int, rules: Rules, accompanied: bool = False) -> tuple[str, ...]:
    """Alerts that suggest referral to voluntary return or to alternatives to detention."""
    if age < rules.adult_age:
        return ("accompanied_child",) if accompanied else ("unaccompanied_child",)
    if age >= rules.elderly_age:
        return ("elderly",)
    return ()


#: An admission's decision, made on the unit as the admitting transaction finds it: the stays to
#: open with their events, or a refusal raised (which stores nothing).
Decide = Callable[[Mapping[str, Any]], Sequence[tuple[dict[str, Any], Sequence[Envelope]]]]


@dataclass(frozen=True)
class Admission:
    """The decision to admit: everything the new stay records besides who decided it."""

    stay_id: str
    person: Person
    unit: Unit
    legal_basis: LegalBasis
    admitted_at: datetime
    admitted_on: date  # the day of admitted_at in the centres' time zone
    legal_end: date | None
    age_band: str
    alerts: tuple[str, ...]
    minor_override: MinorOverride | None
    family: Family | None = None


def decide_admission(
    unit: Unit,
    person: Person,
    basis: LegalBasis,
    override: MinorOverride | None,
    admitted_at: datetime,
    rules: Rules,
    family: Family | None = None,
) -> Admission:
    """Apply the legal-basis and placement rules; the unit's capacity is the repository's to
    enforce. The admission's day is its day in the centres' time zone, as everywhere else in the
    stay: a court order decided on 1 December in Baku admits at 01:00 there (21:00 UTC the day
    before), and the maximum counts from that day."""
    day = local_day(admitted_at, rules.time_zone)
    age = person.age_on(day)
    basis.check(day)
    check_placement(unit, person, age, override, rules, family)
    accompanied = family is not None and family.accompanied
    return Admission(
        stay_id=new_stay_id(admitted_at),
        person=person,
        unit=unit,
        legal_basis=basis,
        admitted_at=admitted_at,
        admitted_on=day,
        legal_end=legal_end(basis, day, rules),
        age_band=age_band(age),
        alerts=vulnerability_alerts(age, rules, accompanied),
        minor_override=override if age < rules.adult_age and not accompanied else None,
        family=family,
    )


@dataclass(frozen=True)
class StayFilter:
    """Validated, typed filters of a stay list (never raw request values)."""

    centre_id: str | None = None
    unit_id: str | None = None
    status: str | None = None
    person_ref: str | None = None
    nationality: str | None = None
    legal_basis: str | None = None
    due_before: date | None = None  # open stays whose first clock runs out on or before this day


def unit_from_record(rec: Mapping[str, Any]) -> Unit:
    """The domain unit behind a stored unit record."""
    blocks = tuple(
        Block(places=b["places"], reason=b["reason"], until=date.fromisoformat(b["until"]))
        for b in rec.get("blocked_places", [])
    )
    return Unit(
        id=rec["id"],
        centre_id=rec["centre_id"],
        name=rec["name"],
        category=rec["category"],
        declared_places=rec["declared_places"],
        floor_area_m2=rec["floor_area_m2"],
        single_room=rec["single_room"],
        blocks=blocks,
    )
