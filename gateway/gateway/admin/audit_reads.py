"""What a read names in the audit trail: its filters and the identifiers of the records it returned.

A search like ``GET …/stays?person_ref=X`` must be recorded with whose records were read, so
these are taken from the service's answer, generically for every route of every service: the ``id``
of the record returned, or of each record on a page (``items``, the list shape of every service),
and the named identifiers anywhere in them (``person_ref``, the ids of stays, requests, cases,
transits, centres and units), never any other field. Not every ``*_id`` is an identifier
Passage issues: ``national_id`` and ``military_id`` are document numbers (personal data), so the
names are listed, not matched by suffix. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

NAMED = frozenset(
    {  # identifiers named for what they identify, taken wherever they appear
        "person_ref",
        "transit_person_ref",
        "stay_id",
        "request_id",
        "case_id",
        "transit_id",
        "centre_id",
        "unit_id",
        "from_centre_id",
        "from_unit_id",
    }
)
MAX_DEPTH = (
    6  # containers deep: a page's items, and the records nested in them (a case's household)
)
MAX_VALUES = 500  # per identifier name: a page holds at most 200 records
MAX_FILTERS = 20
MAX_FILTER_LENGTH = 200


def filters_of(query: Iterable[tuple[str, str]], accepted: bool) -> dict[str, str]:
    """The query's parameters, with their values only when the service ``accepted`` the read.

    A service answers 2xx only after validating every parameter against its schema (identifiers,
    codes, dates, cursors: no free text); a refused query may carry anything, so only its names
    stay.
    """
    found: dict[str, str] = {}
    for name, value in query:
        if len(found) >= MAX_FILTERS:
            break
        name = name[:MAX_FILTER_LENGTH]
        found[name] = value[:MAX_FILTER_LENGTH] if accepted else "(refused)"
    return found


def identifiers_returned(body: bytes, content_type: str | None) -> dict[str, list[str]]:
    """``{field: [values…]}``: the records' ids and the named identifiers in a JSON answer (sorted,
    capped)."""
    if not body or "json" not in (content_type or ""):
        return {}
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    found: dict[str, set[str]] = {}
    records = document.get("items") if isinstance(document, Mapping) else None
    for record in [document, *(records if isinstance(records, list) else [])]:
        if isinstance(record, Mapping) and isinstance(record.get("id"), (str, int)):
            found.setdefault("id", set()).add(str(record["id"]))
    _collect(document, found, 0)
    return {name: sorted(values)[:MAX_VALUES] for name, values in sorted(found.items())}


def _collect(node: Any, found: dict[str, set[str]], depth: int) -> None:
    """Named identifiers at any depth (a ``person_ref`` in a household counts;
    a nested bare ``id`` does not)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            _collect(item, found, depth + 1)
        return
    if not isinstance(node, Mapping):
        return
    for name, value in node.items():
        if name in NAMED and isinstance(value, (str, int)) and not isinstance(value, bool):
            found.setdefault(name, set()).add(str(value))
        elif isinstance(value, (list, Mapping)):
            _collect(value, found, depth + 1)
