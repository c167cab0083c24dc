"""Stays in id order (a centre's, or every centre's), read in slices of admission time so each
read is about a page.

SecantusDB (the embedded default) fetches every document an index lends it, then sorts, then
applies the limit: the staff list of a centre's stays (no filter, or only a status) read the whole
history of the centre for each page, and an unscoped caller's list (administrator, auditor) the
whole collection. Stay ids are version-7 UUIDs, their first 48 bits the admission millisecond, so
a slice of admission time is an ``_id`` range that ``(centre_id, _id)`` or
``(centre_id, status, _id)`` bounds on both databases, and without a centre ``(_id, status)`` or
``(status, _id)``. Slicing decides speed only, never rows:
the slices together cover every id (the first has no lower bound, the last no upper one), so ids
of any other shape are still found, in the same order. Speaks MongoDB; imports no handler or web.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from detention.domain.ids import admitted_ms, first_id_at

#: The first slice of admission time a read takes; each slice that leaves the page short is
#: followed by one twice as wide (a busy centre fills a page in a day, a quiet one in weeks), up
#: to a widest one: after a long quiet spell (a centre created months before its first stay) an
#: unbounded width would land the next slice on months of a busy centre's stays at once.
FIRST_SLICE_MS = 86_400_000
WIDEST_SLICE_MS = 16 * FIRST_SLICE_MS
HIDDEN = {"outbox": 0, "outbox_pending": 0}


def centres_of(query: Mapping[str, Any]) -> list[str | None]:
    """The centres a stay query names: one by equality, the caller's scope as ``$in``, or all of
    them (None: a caller whose scope is every centre, naming none)."""
    if "centre_id" not in query:
        return [None]
    centres = query["centre_id"]
    return sorted(set(centres["$in"])) if isinstance(centres, Mapping) else [centres]


def in_id_order(
    stays: Collection, centres: Collection, query: Mapping[str, Any], after: str | None, limit: int
) -> list[dict[str, Any]]:
    """The first ``limit`` stays matching ``query`` (the centre, perhaps a status) after ``after``.

    One sliced read per centre of the query, merged: the first ``limit`` of the union in id order
    are among the first ``limit`` of each centre. A query without a centre is one sliced read.
    """
    names = centres_of(query)
    rest = {k: v for k, v in query.items() if k != "centre_id"}
    opened = _opened_ms(centres, names) if after is None else {}
    rows: list[dict[str, Any]] = []
    for centre in names:
        start = admitted_ms(after) if after is not None else opened.get(centre)
        one = rest if centre is None else {"centre_id": centre, **rest}
        rows += _sliced(stays, one, after, start, limit)
    return sorted(rows, key=lambda doc: doc["_id"])[:limit]


def _opened_ms(centres: Collection, names: Iterable[str | None]) -> dict[str | None, int]:
    """When each centre was created: no stay is admitted to a centre before it exists, so its own
    stays (all but those transferred in) sort after that moment. A centre without a date (one
    stored by hand or migrated) has no entry: its stays are one plain read.

    All centres (None) opened with the earliest of them: the first stay's id would be a closer
    start, but SecantusDB reads every stay to find the first in id order, while the centres are a
    handful. Like a centre's date it decides speed only: a stay admitted before it (a migrated
    one) is in the first slice, which has no lower bound. No dated centre: one plain read.
    """
    wanted = list(names)
    everywhere = None in wanted
    found = centres.find({} if everywhere else {"_id": {"$in": wanted}}, {"created_at": 1})
    opened: dict[str | None, int] = {
        c["_id"]: int(c["created_at"].timestamp() * 1000)
        for c in found
        if isinstance(c.get("created_at"), datetime)
    }
    if everywhere and opened:
        opened[None] = min(opened.values())
    return opened


def _sliced(
    stays: Collection, query: dict[str, Any], after: str | None, start: int | None, limit: int
) -> list[dict[str, Any]]:
    """Slices of admission time from ``start`` until the page is full or the present is passed.

    Without a start (an id that carries no time, a centre without a record) it is one plain read.
    """
    ids: dict[str, Any] = {"$gt": after} if after is not None else {}
    if start is None:
        return _read(stays, query, ids, limit)
    rows: list[dict[str, Any]] = []
    end, width, now = start, FIRST_SLICE_MS, int(time.time() * 1000)
    while len(rows) < limit:
        end += width
        if end > now:  # the last slice: everything above, whatever its ids look like
            return rows + _read(stays, query, ids, limit - len(rows))
        rows += _read(stays, query, {**ids, "$lt": first_id_at(end)}, limit - len(rows))
        ids, width = {"$gte": first_id_at(end)}, min(width * 2, WIDEST_SLICE_MS)
    return rows


def _read(
    stays: Collection, query: dict[str, Any], ids: dict[str, Any], limit: int
) -> list[dict[str, Any]]:
    found = stays.find({**query, "_id": ids} if ids else query, HIDDEN).sort("_id", ASCENDING)
    return list(found.limit(limit))
