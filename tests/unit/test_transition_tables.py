"""Every (state, action) pair of the three state machines against the tables DESIGN writes out
(tests/transition_tables.py, copied by hand): allowed pairs lead where the design says, every other
pair is refused with the domain's 409 error naming the current state."""

from __future__ import annotations

import pytest

from passage.errors import status_and_slug
from readmission.domain import requests as rd
from readmission.domain import transits as td
from tests import transition_tables as t
from voluntary_return.domain import stages
from voluntary_return.domain.errors import WrongStage
from voluntary_return.web.errors import ERRORS as VR_ERRORS

REQ_ALLOWED, REQ_FORBIDDEN = t.pairs(
    t.REQUEST_STATES, t.REQUEST_ACTIONS, t.REQUEST_MOVES, t.REQUEST_REVERSAL_EDGES
)
TRANSIT_ALLOWED, TRANSIT_FORBIDDEN = t.pairs(t.TRANSIT_STATES, t.TRANSIT_ACTIONS, t.TRANSIT_MOVES)
CASE_ALLOWED, CASE_FORBIDDEN = t.pairs(t.CASE_STAGES, t.CASE_ACTIONS, t.CASE_MOVES)
# Facts under which every precondition holds, so only the stage decides (targets: eligible, issued).
READY = stages.Facts(
    has_consent=True, has_booking=True, decision="eligible", document_status="issued"
)


def _ids(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{action}-from-{state}" for state, action in pairs]


def test_the_tables_name_every_state_and_action_the_code_has() -> None:
    """A state or action the code gains must get its row written here from the design first."""
    assert set(rd.STATES) == set(t.REQUEST_STATES)
    assert set(rd.TRANSITIONS) | set(rd.NOTES) <= set(t.REQUEST_ACTIONS)
    assert set(td.STATES) == set(t.TRANSIT_STATES) and set(td.TRANSITIONS) <= set(t.TRANSIT_ACTIONS)
    assert set(stages.STAGES) == set(t.CASE_STAGES) and set(stages.ACTIONS) <= set(t.CASE_ACTIONS)


@pytest.mark.parametrize("state,action", REQ_ALLOWED, ids=_ids(REQ_ALLOWED))
def test_request_allowed_moves_lead_where_the_design_says(state: str, action: str) -> None:
    assert rd.check_allowed(action, state) == t.REQUEST_MOVES[(state, action)]


@pytest.mark.parametrize("state,action", REQ_FORBIDDEN, ids=_ids(REQ_FORBIDDEN))
def test_request_every_other_move_is_refused_naming_the_state(state: str, action: str) -> None:
    with pytest.raises(rd.NotAllowed) as refused:
        rd.check_allowed(action, state)
    assert refused.value.state == state and f"'{state}'" in str(refused.value)


@pytest.mark.parametrize("state,action", TRANSIT_ALLOWED, ids=_ids(TRANSIT_ALLOWED))
def test_transit_allowed_moves_lead_where_the_design_says(state: str, action: str) -> None:
    assert td.check_allowed(action, state) == t.TRANSIT_MOVES[(state, action)]


@pytest.mark.parametrize("state,action", TRANSIT_FORBIDDEN, ids=_ids(TRANSIT_FORBIDDEN))
def test_transit_every_other_move_is_refused_naming_the_state(state: str, action: str) -> None:
    with pytest.raises(td.NotAllowed) as refused:
        td.check_allowed(action, state)
    assert refused.value.state == state and f"'{state}'" in str(refused.value)


@pytest.mark.parametrize("stage,action", CASE_ALLOWED, ids=_ids(CASE_ALLOWED))
def test_case_allowed_moves_lead_where_the_design_says(stage: str, action: str) -> None:
    assert stages.next_stage(action, stage, READY) == t.CASE_MOVES[(stage, action)]


@pytest.mark.parametrize("stage,action", CASE_FORBIDDEN, ids=_ids(CASE_FORBIDDEN))
def test_case_every_other_move_is_refused_naming_the_stage(stage: str, action: str) -> None:
    with pytest.raises(WrongStage) as refused:
        stages.next_stage(action, stage, READY)
    assert (
        status_and_slug(refused.value, VR_ERRORS)[0] == 409
        and refused.value.stage == stage
        and f"'{stage}'" in refused.value.detail
    )


def test_the_case_board_offers_exactly_the_designs_actions() -> None:
    for stage in t.CASE_STAGES:
        expected = {a for (s, a) in t.CASE_MOVES if s == stage}
        assert set(stages.allowed_actions(stage)) == expected, stage
