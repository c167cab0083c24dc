"""Detention's one error table: each refusal of the domain and handlers → (status, problem slug).

``passage.problems.register_error_table`` turns them into problem details: ``field`` becomes the
JSON pointer, ``rule`` and the error's figures (``unit_id``, ``occupancy``/``capacity`` of a full
unit, ``current_version`` of a conflict, ``source``/``last_lawful_day`` of a statutory maximum, the
held stay's ids only for a caller who may see it) become members. The most specific class wins.
"""

from __future__ import annotations

from detention.domain import law, moves
from detention.domain import model as domain
from passage.errors import ErrorTable, NotAllowed, NotFoundError, VersionConflict

ERRORS: ErrorTable = {
    domain.DetentionError: (422, "rule-refused"),
    law.BeyondStatutoryMaximum: (422, "rule-refused"),
    domain.AlreadyExists: (409, "conflict"),
    domain.PersonAlreadyHeld: (409, "conflict"),
    domain.UnitFull: (409, "unit-full"),
    moves.StayClosed: (409, "conflict"),
    moves.CentreClosed: (409, "conflict"),
    moves.StillHeld: (409, "conflict"),
    VersionConflict: (412, "precondition-failed"),
    NotAllowed: (403, "forbidden"),
    NotFoundError: (404, "not-found"),
}
