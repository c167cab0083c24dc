"""Voluntary return's one error table: each refusal of its rules → (HTTP status, problem slug).

Applied by ``passage.problems.register_error_table`` (the most specific class wins; what is not
listed falls back to ``passage.errors.COMMON_ERRORS``: not found 404, not allowed 403, version
conflict 412, kept changing 409).
"""

from __future__ import annotations

from passage.errors import ErrorTable
from voluntary_return.domain.errors import AlreadyRecorded, CaseError, RuleRefused, WrongStage

ERRORS: ErrorTable = {
    CaseError: (422, "rule-refused"),
    RuleRefused: (422, "rule-refused"),
    WrongStage: (409, "wrong-stage"),
    AlreadyRecorded: (409, "conflict"),
}
