"""Every enum in an event schema equals the producing domain's vocabulary.

Consumers validate each event against its schema and dead-letter what fails. A value the producer
may send but the schema's enum lacks (a new legal basis, a new release reason) would therefore be
refused at every consumer, quietly, one message at a time. Each enum is paired here with the
vocabulary its producer draws from; an enum without a pair, or a pair without its enum, fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import detention.adapters.stay_store
import detention.domain.clocks
import detention.domain.model
import detention.domain.moves
import readmission.domain.deadlines
import readmission.domain.request_core
import readmission.web.schemas
import voluntary_return.domain.stages
import voluntary_return.domain.vocabulary

SCHEMA_DIR = Path(str(resources.files("passage.events") / "schemas"))

# (schema file stem, where the enum is) -> the producer's vocabulary. Literal on purpose.
PAIRS: dict[tuple[str, str], Callable[[], Iterable[str]]] = {
    # detention
    ("detention.stay.opened.v1", "/properties/legal_basis"): lambda: (
        detention.domain.model.LEGAL_BASIS_KINDS
    ),
    ("detention.stay.opened.v1", "/properties/sex"): lambda: detention.domain.model.SEXES,
    # age_band() never answers "unknown"; the schema admits it as well, for a missing birth date.
    ("detention.stay.opened.v1", "/properties/age_band"): lambda: (
        *(band for _, band in detention.domain.model.AGE_BANDS),
        "unknown",
    ),
    ("detention.stay.closed.v1", "/properties/reason"): lambda: (
        detention.domain.moves.RELEASE_REASONS
    ),
    # The legal clocks, and the entry examination's clock the event handlers add.
    ("detention.stay.deadline_due.v1", "/properties/clock"): lambda: (
        *detention.domain.clocks.CLOCKS,
        detention.adapters.stay_store.ENTRY_EXAMINATION,
    ),
    # readmission
    **{
        (f"readmission.request.{event}.v1", "/properties/direction"): lambda: (
            readmission.domain.request_core.DIRECTIONS
        )
        for event in (
            "submitted",
            "accepted",
            "rejected",
            "withdrawn",
            "deemed_accepted",
            "deemed_acceptance_reversed",
        )
    },
    ("readmission.request.submitted.v1", "/properties/category"): lambda: (
        readmission.domain.request_core.CATEGORIES
    ),
    ("readmission.request.submitted.v1", "/properties/procedure"): lambda: (
        readmission.domain.request_core.PROCEDURES
    ),
    ("readmission.request.rejected.v1", "/properties/reasons/items"): lambda: (
        readmission.domain.request_core.REJECTION_REASONS
    ),
    ("readmission.request.withdrawn.v1", "/properties/reason"): lambda: (
        readmission.web.schemas.WITHDRAWAL_REASONS
    ),
    # A reversed deemed acceptance ends in the state the late reply leads to.
    ("readmission.request.deemed_acceptance_reversed.v1", "/properties/outcome"): lambda: (
        readmission.domain.request_core.REPLIES.values()
    ),
    ("readmission.request.deadline_missed.v1", "/properties/deadline"): lambda: (
        readmission.domain.deadlines.DEADLINE_KINDS
    ),
    # voluntary return
    ("voluntary_return.case.opened.v1", "/properties/referral_source"): lambda: (
        voluntary_return.domain.vocabulary.REFERRAL_SOURCES
    ),
    ("voluntary_return.case.opened.v1", "/properties/stage"): lambda: (
        voluntary_return.domain.stages.OPEN
    ),
    ("voluntary_return.case.closed.v1", "/properties/outcome"): lambda: (
        voluntary_return.domain.vocabulary.CLOSING_OUTCOMES
    ),
    # A caseworker's withdrawal reasons, and the three ways a case ends that also end the return
    # readmission was told about: a no-show (commands.record_no_show), an ineligible closure and a
    # withdrawn consent to share (case_events). These three are literals where they are written.
    ("voluntary_return.case.withdrawn.v1", "/properties/reason"): lambda: (
        *voluntary_return.domain.vocabulary.WITHDRAWAL_REASONS,
        "no_show",
        "ineligible",
        "consent_to_share_withdrawn",
    ),
}


def enums(schema: Any, where: str = "") -> Iterator[tuple[str, list[Any]]]:
    """Every ``enum`` in ``schema`` with where it is (examples excluded)."""
    if isinstance(schema, dict):
        if "enum" in schema:
            yield where, schema["enum"]
        for key, value in schema.items():
            if key not in ("examples", "enum", "const", "default"):
                yield from enums(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, item in enumerate(schema):
            yield from enums(item, f"{where}/{i}")


def schema_enums() -> dict[tuple[str, str], list[Any]]:
    found = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        for where, values in enums(json.loads(path.read_text("utf-8"))):
            found[(path.name.removesuffix(".json"), where)] = values
    return found


ENUMS = schema_enums()


def test_the_event_schemas_have_enums():
    assert len(ENUMS) >= 20, ENUMS


def test_every_enum_of_an_event_schema_is_paired_with_a_domain_vocabulary():
    unpaired = sorted(set(ENUMS) - set(PAIRS))
    assert not unpaired, f"pair these with the producer's vocabulary in PAIRS: {unpaired}"


def test_every_pair_names_an_enum_that_exists():
    stale = sorted(set(PAIRS) - set(ENUMS))
    assert not stale, f"no such enum in the event schemas: {stale}"


@pytest.mark.parametrize("where", sorted(set(ENUMS) & set(PAIRS)), ids="{0[0]}{0[1]}".format)
def test_the_schema_enum_equals_the_domain_vocabulary(where):
    schema, domain = ENUMS[where], list(PAIRS[where]())
    assert len(schema) == len(set(schema)), f"{where}: the enum lists a value twice"
    assert set(schema) == set(domain), (
        f"{where}: only in the schema {sorted(set(schema) - set(domain))}, "
        f"only in the domain {sorted(set(domain) - set(schema))}"
    )
