"""The disclosure-control rules of partner reports, held as data with their sources (pure, no I/O).

A rule's value is a policy choice backed by a statistical disclosure control guideline; ``verified``
is true only where the cited text was actually read. Changing a value changes what is published
from the next first publication on: months already published stay frozen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One figure of the disclosure policy and where it comes from."""

    name: str
    value: int
    source: str
    verified: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": self.value,
            "source": self.source,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds and protection: a count below ``threshold`` is never published, and no hidden
    count may be narrowed by everything published to an interval narrower than ``protection``."""

    threshold: Rule
    protection: Rule
    special_threshold: Rule
    special_protection: Rule
    share_min_base: Rule
    measure_min_base: Rule

    def all(self) -> list[Rule]:
        return [
            self.threshold,
            self.protection,
            self.special_threshold,
            self.special_protection,
            self.share_min_base,
            self.measure_min_base,
        ]


GLOSSARY = (
    "Glossary of Statistical Disclosure Control (Statistics Netherlands, Statistics Canada, "
    "Germany FSO, University of Manchester, 2005), 'threshold rule' (OECD glossary ID 7010): "
    "'Some agencies require at least five respondents in a cell, others require three.'"
)
HANDBOOK = (
    "Hundepool et al., Handbook on Statistical Disclosure Control, ch. 4-5 (cell suppression, "
    "protection intervals); the width chosen here is Passage's policy"
)

RULES = DisclosureRules(
    threshold=Rule("threshold", 5, GLOSSARY, verified=True),
    # The attacker's interval for a hidden count must stay as wide as '<5' itself (1 to 4): nothing
    # published may tell them more than the marker does.
    protection=Rule("protection", 3, HANDBOOK, verified=False),
    # GDPR Art. 9 special categories (trafficking, torture, SOGI...): a higher threshold, Passage's
    # policy.
    special_threshold=Rule(
        "special_threshold",
        10,
        "Passage policy for GDPR Article 9 special categories",
        verified=False,
    ),
    special_protection=Rule(
        "special_protection", 8, "Passage policy: as wide as '<10' itself (1 to 9)", verified=False
    ),
    # A share p over base n publishes the count p*n and its complement: both must be safe and n
    # large.
    share_min_base=Rule(
        "share_min_base", 20, "Passage policy (a share over n publishes a count)", verified=False
    ),
    measure_min_base=Rule(
        "measure_min_base",
        10,
        "Passage policy (a median over few people describes them)",
        verified=False,
    ),
)
