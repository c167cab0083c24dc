"""The typed records handlers and the case store exchange (stdlib only): a filter of the case
list and one action's write, so no storage language crosses into the handlers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CaseFilter:
    """Validated, typed filters of a case list (never raw request values)."""

    person_ref: str | None = None
    nationality: str | None = None
    destination_country: str | None = None
    stage: str | None = None

    def given(self) -> dict[str, str]:
        """The filters set, by field name."""
        names = ("person_ref", "nationality", "destination_country", "stage")
        return {name: value for name in names if (value := getattr(self, name)) is not None}


@dataclass(frozen=True)
class CaseUpdate:
    """One action's write: fields to set (dotted paths), items to append to lists, fields to clear.

    The store applies it only if the case is still at the version and stage it was computed from.
    """

    set: Mapping[str, Any]
    push: Mapping[str, Any] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
