"""Readmission's one error table: each refusal of the domain and the handlers, by class, to the
HTTP status and problem ``type`` slug clients see. The most specific class wins; classes not
listed take passage's common entries (403 forbidden, 404 not-found, 409 conflict,
412 precondition-failed)."""

from __future__ import annotations

from passage.errors import ErrorTable
from readmission.domain import deadlines, evidence, request_core
from readmission.domain.agreements import NotBound

ERRORS: ErrorTable = {
    # The action cannot start from the record's state: a 409 naming the state (and the action).
    request_core.NotAllowed: (409, "conflict"),
    # The content breaks a rule of the procedure, or no rule applies: the input is to be changed.
    request_core.RuleBroken: (422, "validation"),
    deadlines.NoRule: (422, "validation"),
    deadlines.ExtensionRefused: (422, "validation"),
    evidence.NotEvidence: (422, "validation"),
    NotBound: (422, "validation"),
}
