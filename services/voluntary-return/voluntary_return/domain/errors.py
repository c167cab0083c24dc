"""The refusals of voluntary return's rules, on the shared vocabulary (``passage.errors``).

Every refusal names the ``rule`` that refused and, where it concerns one input, the ``field`` (a
dotted path, turned into a JSON pointer); each class's ``title`` keeps the problem reading as it
always has ("Refused by a rule", "Not allowed at this stage").
"""

from __future__ import annotations

from passage import errors


class CaseError(errors.DomainError):
    """A request the procedure refuses; ``rule`` names the rule, ``field`` points at the input."""

    title: str | None = "Refused by a rule"

    def __init__(
        self, rule: str, detail: str, *, field: str | None = None, **extra: object
    ) -> None:
        super().__init__(detail, field=field, rule=rule, **extra)


class WrongStage(CaseError):
    """The action is not allowed in the case's current stage (409, naming it)."""

    title = "Not allowed at this stage"

    def __init__(self, action: str, stage: str, allowed_from: tuple[str, ...]) -> None:
        super().__init__(
            "stage_transition",
            f"The case is at stage '{stage}'; '{action}' is allowed only from: "
            f"{', '.join(allowed_from)}.",
            stage=stage,
            action=action,
            allowed_from=list(allowed_from),
        )
        self.action = action
        self.stage = stage
        self.allowed_from = allowed_from


class RuleRefused(CaseError, errors.RuleRefused):
    """A precondition of the procedure is missing (e.g. no booking without consent): 422."""


class AlreadyRecorded(CaseError, errors.AlreadyExists):
    """The fact is recorded already and cannot be recorded twice (409)."""

    title = None
