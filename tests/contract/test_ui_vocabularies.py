"""The UI's copies of the services' vocabularies equal the services' own.

The staff UI renders its choice lists (legal bases, sexes, release reasons, rejection reasons…)
from tuples of its own, so that a page never needs a round trip to draw a form. Each copy is paired
here with the vocabulary the service validates against; a value added on one side only fails this
test instead of showing a form the API refuses (or hiding a choice the API accepts). Every
``CHOICES`` entry of a UI page must be paired or named as not being a service vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType

import pytest
from marshmallow import Schema, validate

import detention.domain.families
import detention.domain.model
import detention.domain.moves
import readmission.domain.evidence
import readmission.domain.request_core
import readmission.web.schemas
import voluntary_return.domain.stages
import voluntary_return.domain.vocabulary
import voluntary_return.web.schemas
from gateway.ui import (
    pages_admin,
    pages_detention,
    pages_readmission,
    pages_request_new,
    pages_return,
    pages_stays,
)


def accepted(schema: type[Schema], field: str) -> tuple[str, ...]:
    """The values a service's request schema accepts for ``field`` (its ``OneOf`` choices)."""
    validators = schema().fields[field].validators
    (one_of,) = (v for v in validators if isinstance(v, validate.OneOf))
    return tuple(str(choice) for choice in one_of.choices)


PAIRED_CHOICES: set[tuple[str, str]] = set()


def choice(page: ModuleType, key: str) -> tuple[str, ...]:
    """A page's choice list for ``key``, noted as paired."""
    PAIRED_CHOICES.add((page.__name__, key))
    return page.CHOICES[key]


# (name, the UI's copy, the service's vocabulary) — literal on purpose: one line per copy.
PAIRS: list[tuple[str, Iterable[str], Callable[[], Iterable[str]]]] = [
    # detention
    ("detention sexes", pages_detention.SEXES, lambda: detention.domain.model.SEXES),
    (
        "detention legal bases",
        pages_detention.BASES,
        lambda: detention.domain.model.LEGAL_BASIS_KINDS,
    ),
    (
        "detention family relations",
        pages_detention.RELATIONS,
        lambda: detention.domain.families.RELATIONS,
    ),
    (
        "detention vulnerabilities",
        pages_detention.VULNERABILITIES,
        lambda: detention.domain.model.VULNERABILITIES,
    ),
    (
        "detention release reasons",
        pages_stays.RELEASE_REASONS,
        lambda: detention.domain.moves.RELEASE_REASONS,
    ),
    (
        "detention unit categories",
        pages_admin.CATEGORIES,
        lambda: detention.domain.model.UNIT_CATEGORIES,
    ),
    # readmission: a request's life
    (
        "readmission states",
        pages_readmission.STATES,
        lambda: readmission.domain.request_core.STATES,
    ),
    (
        "readmission rejection reasons",
        choice(pages_readmission, "reasons.0.code"),
        lambda: readmission.domain.request_core.REJECTION_REASONS,
    ),
    (
        "readmission withdrawal reasons",
        choice(pages_readmission, "withdraw.reason"),
        lambda: readmission.web.schemas.WITHDRAWAL_REASONS,
    ),
    (
        "readmission evidence: what it shows",
        choice(pages_readmission, "evidence.of"),
        lambda: accepted(readmission.web.schemas.EvidenceSchema, "of"),
    ),
    (
        "readmission evidence: document types",
        choice(pages_readmission, "evidence.type"),
        lambda: accepted(readmission.web.schemas.EvidenceSchema, "type"),
    ),
    (
        "readmission travel document kinds",
        choice(pages_readmission, "travel-document.kind"),
        lambda: accepted(readmission.web.schemas.TravelDocumentSchema, "kind"),
    ),
    (
        "readmission transfer means",
        choice(pages_readmission, "transfer-schedule.means"),
        lambda: accepted(readmission.web.schemas.ScheduleSchema, "means"),
    ),
    # readmission: a new request
    (
        "readmission directions",
        choice(pages_request_new, "direction"),
        lambda: readmission.domain.request_core.DIRECTIONS,
    ),
    (
        "readmission procedures",
        choice(pages_request_new, "procedure"),
        lambda: readmission.domain.request_core.PROCEDURES,
    ),
    (
        "readmission categories",
        choice(pages_request_new, "category"),
        lambda: readmission.domain.request_core.CATEGORIES,
    ),
    (
        "readmission sexes",
        choice(pages_request_new, "particulars.sex"),
        lambda: readmission.web.schemas.SEXES,
    ),
    (
        "readmission civil statuses",
        choice(pages_request_new, "particulars.civil_status"),
        lambda: readmission.web.schemas.CIVIL_STATUSES,
    ),
    # voluntary return
    (
        "voluntary return eligibility decisions",
        choice(pages_return, "decision"),
        lambda: voluntary_return.domain.vocabulary.ELIGIBILITY_DECISIONS,
    ),
    (
        "voluntary return travel document statuses",
        choice(pages_return, "status"),
        lambda: voluntary_return.domain.vocabulary.TRAVEL_DOCUMENT_STATUSES,
    ),
    (
        "voluntary return travel document kinds",
        choice(pages_return, "kind"),
        lambda: accepted(voluntary_return.web.schemas.TravelDocumentSchema, "kind"),
    ),
    (
        "voluntary return monitoring months",
        choice(pages_return, "month"),
        lambda: (str(month) for month in voluntary_return.domain.vocabulary.MONITORING_MONTHS),
    ),
    (
        "voluntary return withdrawal reasons",
        choice(pages_return, "reason"),
        lambda: voluntary_return.domain.vocabulary.WITHDRAWAL_REASONS,
    ),
    (
        "voluntary return sexes",
        choice(pages_return, "particulars.sex"),
        lambda: voluntary_return.domain.vocabulary.SEXES,
    ),
    (
        "voluntary return classifications",
        choice(pages_return, "classification"),
        lambda: voluntary_return.domain.vocabulary.CLASSIFICATIONS,
    ),
    (
        "voluntary return document kinds",
        choice(pages_return, "documents.0.kind"),
        lambda: voluntary_return.domain.vocabulary.DOCUMENT_KINDS,
    ),
    (
        "voluntary return in-kind support types",
        choice(pages_return, "in_kind.0.type"),
        lambda: voluntary_return.domain.vocabulary.IN_KIND_TYPES,
    ),
    (
        "voluntary return closing outcomes",
        choice(pages_return, "outcome"),
        lambda: voluntary_return.domain.vocabulary.CLOSING_OUTCOMES,
    ),
    (
        "voluntary return referral sources",
        choice(pages_return, "source"),
        lambda: voluntary_return.domain.vocabulary.REFERRAL_SOURCES,
    ),
    # The board shows every open stage a case moves through; an ineligible case only awaits its
    # closure, so it has no column.
    (
        "voluntary return board columns",
        pages_return.BOARD,
        lambda: (s for s in voluntary_return.domain.stages.OPEN if s != "ineligible"),
    ),
]

# CHOICES entries that are yes/no answers to a boolean field, not a service's vocabulary.
NOT_VOCABULARIES = {
    (pages_request_new.__name__, "voluntary_return_offered"),
    (pages_request_new.__name__, "particulars.interview_wanted"),
}
PAGES_WITH_CHOICES = (pages_readmission, pages_request_new, pages_return)


@pytest.mark.parametrize(("name", "ui_copy", "service"), PAIRS, ids=[p[0] for p in PAIRS])
def test_the_ui_copy_equals_the_service_vocabulary(name, ui_copy, service):
    ui_values, service_values = list(ui_copy), list(service())
    assert len(ui_values) == len(set(ui_values)), f"{name}: the UI lists a value twice"
    assert set(ui_values) == set(service_values), (
        f"{name}: only in the UI {sorted(set(ui_values) - set(service_values))}, "
        f"only in the service {sorted(set(service_values) - set(ui_values))}"
    )


def test_every_choice_list_of_a_page_is_paired_with_a_service_vocabulary():
    unpaired = [
        f"{page.__name__}.CHOICES[{key!r}]"
        for page in PAGES_WITH_CHOICES
        for key in page.CHOICES
        if (page.__name__, key) not in PAIRED_CHOICES | NOT_VOCABULARIES
    ]
    assert not unpaired, "pair these with the service's vocabulary in PAIRS: " + ", ".join(unpaired)
