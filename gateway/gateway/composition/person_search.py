"""The one-stop person search: the three services' ``/persons/search`` asked at once with the
caller's own identity (each service applies the caller's scopes and refuses roles that may not
see particulars), their minimal hits merged per person, each linking to the person's timeline.

A service the caller's role may not search is left out (named in ``not_included``); a service
that is down makes the answer ``partial`` instead of failing it whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from gateway.composition.timeline import fetch_items
from gateway.edge.routes import Route, match

SOURCES = (  # service, search path
    ("detention", "/api/v1/detention/persons/search"),
    ("readmission", "/api/v1/readmission/persons/search"),
    ("voluntary-return", "/api/v1/voluntary-return/persons/search"),
)
Fetch = Callable[[str, str, bytes], Any]  # (service, path, query) -> upstreams.Reply
TIMELINE = "/api/v1/persons/{}/timeline"


def searchable_sources(role: str, routes: tuple[Route, ...]) -> list[tuple[str, str]]:
    """The sources whose search route the route table lets ``role`` use."""
    found = [(s, p, match(p, "GET", routes)) for s, p in SOURCES]
    return [(s, p) for s, p, m in found if m is not None and role in m.route.roles]


def service_query(args: Mapping[str, Any]) -> bytes:
    """The validated arguments as the services' query string (dates as YYYY-MM-DD)."""
    plain = {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in args.items()
        if v not in (None, "")
    }
    return urlencode(sorted(plain.items())).encode()


def search(
    args: Mapping[str, Any], role: str, fetch: Fetch, routes: tuple[Route, ...]
) -> dict[str, Any]:
    """Ask every searchable service at once; one result per person, best score first."""
    sources = searchable_sources(role, routes)
    query = service_query(args)
    with ThreadPoolExecutor(max_workers=len(SOURCES)) as pool:
        answers = list(
            pool.map(lambda source: fetch_items(fetch, source[0], source[1], query), sources)
        )
    people: dict[str, dict[str, Any]] = {}
    failed = []
    for (service, _), hits in zip(sources, answers, strict=True):
        if hits is None:
            failed.append(service)
            continue
        for found in hits:
            _add(people, service, found)
    items = sorted(people.values(), key=lambda p: (-p["score"], p["person_ref"]))[
        : int(args.get("limit", 20))
    ]
    skipped = sorted({s for s, _ in SOURCES} - {s for s, _ in sources})
    return {
        "items": items,
        "partial": bool(failed),
        "failed_services": failed,
        "not_included": skipped,
    }


def _add(people: dict[str, dict[str, Any]], service: str, found: Mapping[str, Any]) -> None:
    ref, record_id = found.get("person_ref"), found.get("record_id")
    if not isinstance(ref, str) or not isinstance(record_id, str):
        return
    given = found.get("score")
    score = given if isinstance(given, (int, float)) else 0.0
    person = people.setdefault(
        ref,
        {
            "person_ref": ref,
            "score": 0.0,
            "records": [],
            "timeline": TIMELINE.format(quote(ref, safe="")),
        },
    )
    person["score"] = max(person["score"], float(score))
    person["records"].append(
        {
            "service": service,
            "record_type": str(found.get("record_type", "")),
            "record_id": record_id,
        }
    )
