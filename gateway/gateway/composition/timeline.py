"""A person's timeline: stays, readmission requests and AVRR cases merged chronologically.

The gateway asks each service's list endpoint (``?person_ref=``) with the caller's own identity,
so each service applies the caller's scopes; a service the caller's role may not read is left
out, and a service that is down makes the answer ``partial`` instead of failing it whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from gateway.edge.routes import Route, match
from passage.problems import Problem

SOURCES = (  # service, list path, what one record is
    ("detention", "/api/v1/detention/stays", "stay"),
    ("readmission", "/api/v1/readmission/requests", "readmission_request"),
    ("voluntary-return", "/api/v1/voluntary-return/cases", "voluntary_return_case"),
)
Fetch = Callable[[str, str, bytes], Any]  # (service, path, query) -> upstreams.Reply


@dataclass(frozen=True)
class Timeline:
    person_ref: str
    items: list[dict[str, Any]]
    partial: bool
    failed_services: list[str]
    not_included: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_ref": self.person_ref,
            "items": self.items,
            "partial": self.partial,
            "failed_services": self.failed_services,
            "not_included": self.not_included,
        }


def readable_sources(role: str, routes: tuple[Route, ...]) -> list[tuple[str, str, str]]:
    """The sources whose list route the route table lets ``role`` read."""
    found = [(s, p, k, match(p, "GET", routes)) for s, p, k in SOURCES]
    return [(s, p, k) for s, p, k, m in found if m is not None and role in m.route.roles]


def build(person_ref: str, role: str, fetch: Fetch, routes: tuple[Route, ...]) -> Timeline:
    """Ask every readable source at once; merge what came back, naming the ones that failed."""
    sources = readable_sources(role, routes)
    query = urlencode({"person_ref": person_ref, "limit": 200}).encode()
    with ThreadPoolExecutor(max_workers=len(SOURCES)) as pool:
        answers = list(
            pool.map(lambda source: fetch_items(fetch, source[0], source[1], query), sources)
        )
    items: list[dict[str, Any]] = []
    failed = []
    for (service, _, kind), records in zip(sources, answers, strict=True):
        if records is None:
            failed.append(service)
            continue
        for record in records:
            items.extend(entries(service, kind, record))
    items.sort(key=lambda item: (item["at"], item["service"], item["record_id"]))
    skipped = sorted({s for s, _, _ in SOURCES} - {s for s, _, _ in sources})
    return Timeline(person_ref, items, bool(failed), failed, skipped)


def fetch_items(fetch: Fetch, service: str, path: str, query: bytes) -> list[dict[str, Any]] | None:
    """The records a service returned; [] when it hides them (403/404); None when it failed."""
    try:
        answer = fetch(service, path, query)
    except Problem:
        return None
    if answer.status_code in (403, 404):
        return []
    if answer.status_code != 200:
        return None
    try:
        body = answer.json()
    except ValueError:
        return None
    items = body.get("items") if isinstance(body, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else None


def utc(value: Any) -> str | None:
    """An RFC 3339 time in one form (UTC, "Z"), so entries of every service sort together;
    None if invalid."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def entries(service: str, kind: str, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One timeline entry per step of the record's history (or one for the record itself)."""
    base = {"service": service, "record_type": kind, "record_id": str(record.get("id", ""))}
    history = record.get("history")
    steps = (
        [{**h, "at": utc(h.get("at"))} for h in history if isinstance(h, dict)]
        if isinstance(history, list)
        else []
    )
    steps = [h for h in steps if h["at"]]
    if not steps:
        at = next(
            (
                utc(record[k])
                for k in ("created_at", "admitted_at", "updated_at")
                if utc(record.get(k))
            ),
            None,
        )
        state = record.get("status") or record.get("stage") or record.get("state")
        return [{**base, "at": at, "what": str(state or "recorded")}] if at else []
    return [
        {
            **base,
            "at": step["at"],
            "what": str(step.get("state") or step.get("stage") or step.get("event") or "changed"),
            **({"by": step["by"]} if isinstance(step.get("by"), str) else {}),
        }
        for step in steps
    ]
