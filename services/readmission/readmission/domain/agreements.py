"""The readmission agreements Azerbaijan is party to, as data: who is bound, since when, and where
each rule value comes from (agreement, article, paragraph, verified against the official text or
not).

Stdlib only. ``verified`` is true only for what was actually read in an official text; everything
else is marked unverified and shown as such next to each deadline, never presented as law.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from passage import errors

EU_AZ, NO_AZ = "EU-AZ", "NO-AZ"
# The 27 member states (ISO 3166-1 alpha-2); the EU agreement binds them except DK and IE.
EU_MEMBER_STATES = (
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
)


@dataclass(frozen=True)
class Source:
    """Where a legal figure comes from; ``verified`` only when the official text was read."""

    agreement: str
    article: str
    paragraph: str | None = None
    verified: bool = False
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "article": self.article,
            "paragraph": self.paragraph,
            "verified": self.verified,
            "note": self.note,
        }


@dataclass(frozen=True)
class Agreement:
    """One readmission agreement with Azerbaijan: the other parties and those it does not bind."""

    code: str
    title: str
    parties: tuple[str, ...]
    in_force: date
    source: Source
    not_bound: Mapping[str, str] = field(
        default_factory=dict
    )  # state -> why the agreement does not bind it

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "parties": list(self.parties),
            "in_force": self.in_force.isoformat(),
            "source": self.source.as_dict(),
            "not_bound": dict(self.not_bound),
        }


_NOT_BOUND = (
    "{name} is not bound by the EU–Azerbaijan readmission agreement and it does not apply to it "
    "(Council Decision 2014/239/EU, recitals 4–5)."
)
AGREEMENTS: dict[str, Agreement] = {
    EU_AZ: Agreement(
        code=EU_AZ,
        title="Agreement between the European Union and the Republic of Azerbaijan on the "
        "readmission of persons residing without authorisation (OJ L 128, 30.4.2014, p. 17)",
        parties=tuple(s for s in EU_MEMBER_STATES if s not in ("DK", "IE")),
        in_force=date(2014, 9, 1),
        # EUR-Lex 22014A0430(01) read: OJ L 128, 30.4.2014, p. 17–42, in force. Council Decision
        # 2014/239/EU (OJ L 128, 30.4.2014, p. 15) read in its published text: recital 4 (Protocol
        # No 21: the United Kingdom and Ireland not bound by it or subject to its application) and
        # recital 5 (Protocol No 22: Denmark). The articles' time limits were NOT read in an
        # official text (see deadlines.py).
        source=Source(
            EU_AZ,
            "Council Decision 2014/239/EU",
            "recitals 4–5",
            verified=True,
            note="OJ L 128, 30.4.2014, p. 15, recitals (4) and (5) read",
        ),
        not_bound={
            "DK": _NOT_BOUND.format(name="Denmark"),
            "IE": _NOT_BOUND.format(name="Ireland"),
        },
    ),
    NO_AZ: Agreement(
        code=NO_AZ,
        title="Agreement between the Government of the Kingdom of Norway and the Government of the "
        "Republic of Azerbaijan on the readmission of persons residing without authorisation "
        "(signed 3 December 2014)",
        parties=("NO",),
        in_force=date(2015, 6, 1),
        # udiregelverk.no (UDI), document 2015-06-01: document date 03.12.2014, entry into force
        # 01.06.2015.
        source=Source(
            NO_AZ,
            "entry into force",
            None,
            verified=True,
            note="UDI regelverk, bilateral agreements, document 2015-06-01",
        ),
    ),
}
# Every state a request may name (the schema's closed list); whether the agreement binds it is
# checked apart.
STATES = tuple(sorted({*EU_MEMBER_STATES, *(p for a in AGREEMENTS.values() for p in a.parties)}))


class NotBound(errors.RuleRefused):
    """The agreement does not bind this state (or does not exist): a 422 naming the reason."""


def check_bound(
    agreement: str, member_state: str, agreements: Mapping[str, Agreement] = AGREEMENTS
) -> Agreement:
    """The agreement, if it binds ``member_state``; NotBound with the reason otherwise."""
    found = agreements.get(agreement)
    if found is None:
        raise NotBound(f"No readmission agreement '{agreement}' is recorded.", field="member_state")
    if member_state in found.not_bound:
        raise NotBound(found.not_bound[member_state], field="member_state")
    if member_state not in found.parties:
        raise NotBound(
            f"{member_state} is not a party to the {agreement} readmission agreement.",
            field="member_state",
        )
    return found


def agreement_from(doc: Mapping[str, Any]) -> Agreement:
    """An agreement as stored by an administrator (``_id`` is its code)."""
    src = doc.get("source") or {}
    return Agreement(
        code=doc["_id"],
        title=doc["title"],
        parties=tuple(doc["parties"]),
        in_force=date.fromisoformat(doc["in_force"]),
        source=Source(
            doc["_id"],
            src.get("article", "not recorded"),
            src.get("paragraph"),
            bool(src.get("verified")),
            src.get("note"),
        ),
        not_bound={n["state"]: n["reason"] for n in doc.get("not_bound") or []},
    )


def known(stored: Sequence[Mapping[str, Any]]) -> dict[str, Agreement]:
    """The built-in agreements, with administrators' records added (a stored code wins over a
    built-in one)."""
    return {**AGREEMENTS, **{doc["_id"]: agreement_from(doc) for doc in stored if doc.get("title")}}
