"""The one error vocabulary: the most specific entry of a service's table wins, and a system
step retries a version conflict a bounded number of times."""

from __future__ import annotations

import pytest
from flask import Flask

from passage.errors import (
    AlreadyExists,
    DomainError,
    KeptChanging,
    NotFoundError,
    RuleRefused,
    VersionConflict,
    retry_on_conflict,
    status_and_slug,
)
from passage.problems import register_error_table


class UnitFull(RuleRefused):
    """A service's own refusal with its own slug."""


class FamilyIncomplete(UnitFull):
    """Not in the table: its parent's entry applies."""


TABLE = {UnitFull: (409, "unit-full")}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UnitFull("full"), (409, "unit-full")),
        (FamilyIncomplete("no"), (409, "unit-full")),
        (RuleRefused("no"), (422, "rule-refused")),
        (DomainError("no"), (422, "rule-refused")),
        (NotFoundError("gone"), (404, "not-found")),
        (AlreadyExists("twice"), (409, "conflict")),
        (VersionConflict(3), (412, "precondition-failed")),
        (KeptChanging(3), (409, "conflict")),
    ],
)
def test_the_most_specific_entry_wins(error: DomainError, expected: tuple[int, str]) -> None:
    assert status_and_slug(error, TABLE) == expected


def test_a_refusal_becomes_one_problem_with_its_pointer_and_figures() -> None:
    app = Flask(__name__)
    register_error_table(app, TABLE)

    @app.post("/units")
    def admit() -> str:
        raise UnitFull("Unit u-1 is full.", field="unit_id", rule="unit_capacity", capacity=4)

    response = app.test_client().post("/units")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"].endswith("/unit-full")
    assert body["detail"] == "Unit u-1 is full."
    assert body["errors"] == [{"pointer": "/unit_id", "detail": "Unit u-1 is full."}]
    assert (body["capacity"], body["rule"]) == (4, "unit_capacity")


def test_retry_on_conflict_applies_to_the_latest_version() -> None:
    versions = iter([VersionConflict(1), VersionConflict(2), "done"])

    def attempt() -> str:
        outcome = next(versions)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry_on_conflict(attempt) == "done"


def test_retry_on_conflict_gives_up_with_kept_changing() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise VersionConflict(len(calls))

    with pytest.raises(KeptChanging) as caught:
        retry_on_conflict(attempt, attempts=3)
    assert (len(calls), caught.value.current_version) == (3, 3)
