"""The AVRR case stage machine of DESIGN §3.3, pure (stdlib only): which action is allowed from
which stage, where it leads, and the preconditions that guard voluntariness (no booking or
departure without recorded consent). Storage and HTTP only ask it; they never decide."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from voluntary_return.domain.errors import RuleRefused, WrongStage
from voluntary_return.domain.vocabulary import TRAVEL_DOCUMENT_READY

STAGES = (
    "referred",
    "registered",
    "counselled",
    "eligible",
    "ineligible",
    "documents",
    "travel_ready",
    "booked",
    "departed",
    "arrived",
    "reintegration",
    "monitoring",
    "closed",
    "withdrawn",
    "no_show",
)
# The migrant may withdraw (or fail to show) at any stage before departure.
BEFORE_DEPARTURE = (
    "referred",
    "registered",
    "counselled",
    "eligible",
    "ineligible",
    "documents",
    "travel_ready",
    "booked",
)
FINAL = ("closed", "withdrawn", "no_show")
OPEN = tuple(s for s in STAGES if s not in FINAL)


@dataclass(frozen=True)
class Facts:
    """What the preconditions look at: recorded consent, the decision or document status given."""

    has_consent: bool = False
    has_booking: bool = False
    decision: str | None = None
    document_status: str | None = None


Target = Callable[[str, Facts], str]


def _to(stage: str) -> Target:
    return lambda _current, _facts: stage


def _same_or(first_from: str, stage: str) -> Target:
    """Moves on from ``first_from`` to ``stage``; elsewhere the case stays where it is."""
    return lambda current, _facts: stage if current == first_from else current


def _by_decision(_current: str, facts: Facts) -> str:
    return "eligible" if facts.decision == "eligible" else "ineligible"


def _by_document(_current: str, facts: Facts) -> str:
    return "travel_ready" if facts.document_status in TRAVEL_DOCUMENT_READY else "documents"


@dataclass(frozen=True)
class Move:
    allowed_from: tuple[str, ...]
    target: Target


MOVES: Mapping[str, Move] = {
    "register": Move(("referred",), _to("registered")),
    "record_counselling": Move(
        (
            "registered",
            "counselled",
            "eligible",
            "ineligible",
            "documents",
            "travel_ready",
            "booked",
        ),
        _same_or("registered", "counselled"),
    ),
    "decide_eligibility": Move(("counselled", "ineligible"), _by_decision),
    "record_consent": Move(
        ("counselled", "eligible", "documents", "travel_ready"), lambda current, _f: current
    ),
    "record_travel_document": Move(("eligible", "documents", "travel_ready"), _by_document),
    "book_travel": Move(("travel_ready", "booked"), _to("booked")),
    "confirm_departure": Move(("booked",), _to("departed")),
    "confirm_arrival": Move(("departed",), _to("arrived")),
    "plan_reintegration": Move(
        ("arrived", "reintegration", "monitoring"), _same_or("arrived", "reintegration")
    ),
    "record_monitoring_visit": Move(("reintegration", "monitoring"), _to("monitoring")),
    "close": Move(("ineligible", "arrived", "reintegration", "monitoring"), _to("closed")),
    "withdraw": Move(BEFORE_DEPARTURE, _to("withdrawn")),
    "record_no_show": Move(BEFORE_DEPARTURE, _to("no_show")),
    # Consent to share with the authorities is separate from the AVRR declaration and moves no
    # stage.
    "record_consent_to_share": Move(OPEN, lambda current, _f: current),
    "withdraw_consent_to_share": Move(OPEN, lambda current, _f: current),
}
ACTIONS = tuple(MOVES)


def next_stage(action: str, current: str, facts: Facts = Facts()) -> str:
    """The stage ``action`` leads to from ``current``; raises WrongStage (409) or RuleRefused
    (422)."""
    move = MOVES[action]
    if current not in move.allowed_from:
        raise WrongStage(action, current, move.allowed_from)
    _check_preconditions(action, facts)
    return move.target(current, facts)


def _check_preconditions(action: str, facts: Facts) -> None:
    if action in ("book_travel", "confirm_departure") and not facts.has_consent:
        raise RuleRefused(
            "consent_required",
            "No booking or departure without the migrant's recorded informed "
            "consent (AVRR declaration): record the consent first.",
            field="consent",
        )
    if action == "confirm_departure" and not facts.has_booking:
        raise RuleRefused("booking_required", "A departure needs a booking.", field="booking")


def allowed_actions(current: str) -> tuple[str, ...]:
    """The actions a caseworker can take now (the UI shows these)."""
    return tuple(action for action, move in MOVES.items() if current in move.allowed_from)
