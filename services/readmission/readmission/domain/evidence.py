"""Means of evidence by document type (the agreement's Annexes 1–4): the type decides whether an
item is proof or only prima facie evidence — of nationality or of the third-country conditions — so
an officer never chooses the class and a photocopy is never proof. Stdlib only.

The lists follow the EU model readmission agreements' annexes; they were not read in the official
text of the EU–Azerbaijan agreement, so every entry's source says ``verified: false``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from passage import errors
from readmission.domain.agreements import EU_AZ, Source

NATIONALITY, CONDITIONS = "nationality", "third_country_conditions"
EVIDENCE_OF = (NATIONALITY, CONDITIONS)
PROOF, PRIMA_FACIE = "proof", "prima_facie"
ANNEXES: dict[tuple[str, str], tuple[str, ...]] = {
    # Annex 1: documents that prove nationality.
    (NATIONALITY, PROOF): (
        "passport",
        "identity_card",
        "citizenship_certificate",
        "laissez_passer",
        "military_id",
        "seaman_book",
    ),
    # Annex 2: prima facie evidence of nationality (copies included: a photocopy is never proof).
    (NATIONALITY, PRIMA_FACIE): (
        "photocopy",
        "birth_certificate",
        "driving_licence",
        "witness_statement",
        "own_statement",
        "language_test",
        "other",
    ),
    # Annex 3: proof of the conditions for readmitting third-country nationals and stateless
    # persons.
    (CONDITIONS, PROOF): ("visa", "residence_permit", "entry_exit_stamp"),
    # Annex 4: prima facie evidence of those conditions.
    (CONDITIONS, PRIMA_FACIE): (
        "travel_ticket",
        "witness_statement",
        "own_statement",
        "photocopy",
        "hotel_bill",
        "other",
    ),
}
_ANNEX_NUMBER = {
    (NATIONALITY, PROOF): "Annex 1",
    (NATIONALITY, PRIMA_FACIE): "Annex 2",
    (CONDITIONS, PROOF): "Annex 3",
    (CONDITIONS, PRIMA_FACIE): "Annex 4",
}
DOCUMENT_TYPES = tuple(sorted({t for types in ANNEXES.values() for t in types} | {"passport"}))
OWN_NATIONAL_CATEGORIES = ("own_national", "former_national", "family_member")


class NotEvidence(errors.RuleRefused):
    """The document type is listed in neither annex for what it is meant to show (a 422)."""


def classify(of: str, document_type: str) -> dict[str, Any]:
    """The class the annexes give ``document_type`` as evidence of ``of``, with its source."""
    for kind in (PROOF, PRIMA_FACIE):
        if document_type in ANNEXES[(of, kind)]:
            annex = _ANNEX_NUMBER[(of, kind)]
            return {"kind": kind, "source": Source(EU_AZ, annex, None, verified=False).as_dict()}
    raise NotEvidence(
        f"A {document_type.replace('_', ' ')} is not evidence of {of.replace('_', ' ')} "
        "under the agreement's annexes."
    )


def sufficiency(category: str, evidence: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How far the evidence goes for this category: proof present, prima facie only, or none."""
    of = NATIONALITY if category in OWN_NATIONAL_CATEGORIES else CONDITIONS
    kinds = {_class(item) for item in evidence if item.get("of") == of}
    indicator = (
        "proof_present"
        if PROOF in kinds
        else "prima_facie_only"
        if PRIMA_FACIE in kinds
        else "none"
    )
    hint = {"proof_present": "established", "prima_facie_only": "presumed", "none": "insufficient"}[
        indicator
    ]
    article = "Art. 9" if of == NATIONALITY else "Art. 10"
    return {
        "of": of,
        "indicator": indicator,
        "hint": hint,
        "source": Source(
            EU_AZ,
            article,
            None,
            verified=False,
            note="means of evidence; proof establishes, prima facie evidence presumes",
        ).as_dict(),
    }


def _class(item: Mapping[str, Any]) -> str | None:
    """The annex class of a stored item (recomputed from its type: a stored class is never
    trusted)."""
    try:
        return str(classify(item["of"], item["type"])["kind"])
    except (KeyError, NotEvidence):
        return None
