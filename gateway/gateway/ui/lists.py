"""Lists that page, sort and filter in the URL (so a list can be bookmarked, shared and reloaded).

Filters and the page cursor go to the service (it pages with ``cursor``/``next_cursor``); the
sort order is applied to the page shown. Every value read from the URL is checked against what
the list allows before it reaches a service: an unknown filter value is dropped, never passed on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request, url_for

PAGE_SIZE = 50
CURSOR = re.compile(r"^[A-Za-z0-9_=|:.-]{1,200}\Z")


@dataclass(frozen=True)
class Listing:
    """What one list allows: filters (name → check), sortable columns
    (name → key) and the default sort."""

    endpoint: str
    filters: Mapping[str, Callable[[str], bool]]
    sorts: Mapping[str, Callable[[Mapping[str, Any]], Any]]
    default_sort: str
    path_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """One page of a list as the URL asked for it."""

    filters: dict[str, str]
    sort: str
    descending: bool
    cursor: str | None

    def query(self) -> dict[str, Any]:
        """What goes to the service: the checked filters, the page size and the cursor."""
        return {**self.filters, "limit": PAGE_SIZE, "cursor": self.cursor}


def read(listing: Listing) -> View:
    args = request.args
    filters = {k: args[k] for k, ok in listing.filters.items() if args.get(k) and ok(args[k])}
    sort = args.get("sort", "")
    sort = sort if sort in listing.sorts else listing.default_sort
    cursor = args.get("cursor", "")
    return View(filters, sort, args.get("dir") == "desc", cursor if CURSOR.match(cursor) else None)


def arrange(listing: Listing, view: View, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's items in the order asked for (missing values last)."""
    key = listing.sorts[view.sort]
    present = [i for i in items if key(i) not in (None, "")]
    missing = [i for i in items if key(i) in (None, "")]
    return sorted(present, key=lambda i: str(key(i)).casefold(), reverse=view.descending) + missing


def links(listing: Listing, view: View, next_cursor: str | None) -> dict[str, Any]:
    """URLs for the template: each column's sort link, the next page, the first page."""
    base: dict[str, Any] = {**listing.path_args, **view.filters}

    def sort_url(name: str) -> str:
        flip = name == view.sort and not view.descending
        direction: dict[str, Any] = {"dir": "desc"} if flip else {}
        return url_for(listing.endpoint, **base, sort=name, **direction)

    order: dict[str, Any] = {"sort": view.sort, **({"dir": "desc"} if view.descending else {})}
    return {
        "sort_url": sort_url,
        "sort": view.sort,
        "descending": view.descending,
        "next_url": url_for(listing.endpoint, **base, **order, cursor=next_cursor)
        if next_cursor
        else None,
        "first_url": url_for(listing.endpoint, **base, **order) if view.cursor else None,
        "filters": view.filters,
    }


def one_of(*allowed: str) -> Callable[[str], bool]:
    return lambda value: value in allowed


def matches(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda value: bool(compiled.match(value))
