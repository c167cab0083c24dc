"""Occupancy figures: the daily read model (written inside the transactions that move people)
and the queries over it and over the live counters. History and statistics read only the daily
collection and the units, never the stays, so their cost does not grow with the number of stays.

One document per unit and day (``<unit_id>:<YYYY-MM-DD>``) holds the counts of that day (``$inc``)
and the unit's occupancy and capacity after its last change that day (``$set`` from the counter the
same transaction just changed). The worker's daily roll gives quiet days a document too, so a
query finds the level before its range by id; days without a document carry the previous figures.
"""

from __future__ import annotations

import calendar
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from typing import Any, TypeVar

from pymongo import ASCENDING, DESCENDING
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from passage.mongo import Index, Mongo, safe_value
from passage.turns import Turns

T = TypeVar("T")
DAILY = "occupancy_daily"
MAX_DAYS = 366
COUNTS = ("admissions", "releases", "transfers_in", "transfers_out")


def indexes() -> list[Index]:
    return [
        Index(DAILY, [("unit_id", 1), ("day", 1)], name="daily_by_unit"),
        Index(DAILY, [("centre_id", 1), ("day", 1)], name="daily_by_centre"),
    ]


def record_day(
    mongo: Mongo,
    session: ClientSession,
    unit: Mapping[str, Any],
    day: str,
    count: str | None,
    person: Mapping[str, Any] | None = None,
) -> None:
    """Count one admission/release/transfer (None: a capacity change) of ``unit``, as it is after
    it, on ``day``."""
    inc: dict[str, int] = {count: 1} if count else {}
    if person is not None and count == "admissions":
        inc[f"by_sex.{person['sex']}"] = 1
        inc[f"by_age_band.{person['age_band']}"] = 1
        inc[f"by_nationality.{person.get('nationality') or 'unknown'}"] = 1
    mongo.collection(DAILY).update_one(
        {"_id": f"{unit['_id']}:{day}"},
        {
            "$setOnInsert": {
                "unit_id": unit["_id"],
                "centre_id": unit["centre_id"],
                "category": unit["category"],
                "day": day,
            },
            "$set": {"occupied": unit["occupancy"], "capacity": unit["capacity"]},
            **({"$inc": inc} if inc else {}),
        },
        upsert=True,
        session=session,
    )


_UNIT_TURNS = tuple(Turns(1) for _ in range(64))
#: Seconds a move waits for its unit's turn before it goes ahead anyway (the database's conditions
#: keep it right either way; a stuck turn — a transaction waiting out a database outage — must not
#: hold every move of the unit behind it).
LONGEST_TURN_WAIT = 2.0


@contextmanager
def one_writer_per_unit(*unit_ids: str | None) -> Iterator[None]:
    """This process's turn to move people in and out of the units ``unit_ids``.

    Every move writes its units' counters and day documents, so concurrent moves of one unit
    conflict in the database and all but one start their transaction again (each retry a few
    round trips more on a database that is already the bottleneck). Taking turns in the process
    leaves only the other processes' moves to conflict with. Units share 64 turns by the hash of
    their ids, taken in one order, so two moves never wait for each other crosswise; each turn
    goes to its waiters first come, first served. A unit unknown (None) takes no turn. The
    database's conditions still decide every move.
    """
    stripes = sorted({zlib.crc32(u.encode()) % len(_UNIT_TURNS) for u in unit_ids if u})
    with ExitStack() as turns:
        for stripe in stripes:
            turn = _UNIT_TURNS[stripe]
            if not turn.acquire(timeout=LONGEST_TURN_WAIT):
                break  # a turn is an economy, never a wait without end: go on as before turns
            turns.callback(turn.release)
        yield


def transaction(mongo: Mongo, work: Callable[[ClientSession], T], attempts: int = 5) -> T:
    """A transaction, tried again when two first writes of a unit's day race to create its document
    (an upsert meeting another's insert fails with a duplicate key instead of a write conflict)."""
    for attempt in range(attempts):
        try:
            return mongo.transaction(work)
        except DuplicateKeyError as exc:
            if DAILY not in str(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def days_between(first: date, last: date) -> list[date]:
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValueError(f"a range is 1 to {MAX_DAYS} days, from before to")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def roll_day(mongo: Mongo, day: str, known: set[str] | None = None) -> int:
    """Give every unit a document for ``day`` (figures carried from its counter; an existing one is
    left alone), so the level before any range is found by id in the last few days.

    ``known``: the documents this process already made sure of; they are not written again (the
    roll runs every minute, and an idle stack should not write once per unit each time).
    """
    written = 0
    for unit in mongo.collection("units").find(
        {}, {"centre_id": 1, "category": 1, "occupancy": 1, "capacity": 1}
    ):
        doc_id = f"{unit['_id']}:{day}"
        if known is not None:
            if doc_id in known:
                continue
            if len(known) > 100_000:
                known.clear()
            known.add(doc_id)
        try:
            result = mongo.collection(DAILY).update_one(
                {"_id": doc_id},
                {
                    "$setOnInsert": {
                        "unit_id": unit["_id"],
                        "centre_id": unit["centre_id"],
                        "category": unit["category"],
                        "day": day,
                        "occupied": unit["occupancy"],
                        "capacity": unit["capacity"],
                    }
                },
                upsert=True,
            )
        except (
            DuplicateKeyError
        ):  # a move created it at the same moment: its figures are the right ones
            continue
        written += 1 if result.upserted_id is not None else 0
    return written


def levels_before(
    mongo: Mongo, units: Sequence[Mapping[str, Any]], first: date
) -> dict[str, Mapping[str, Any]]:
    """Each unit's last figures before ``first``: one query by id over the week before (the daily
    roll
    keeps it filled), and an indexed search only for a unit without a document that week."""
    daily = mongo.collection(DAILY)
    ids = [
        f"{u['_id']}:{(first - timedelta(days=n)).isoformat()}" for u in units for n in range(1, 8)
    ]
    found: dict[str, Mapping[str, Any]] = {}
    for doc in daily.find({"_id": {"$in": ids}}):
        if doc["unit_id"] not in found or doc["day"] > found[doc["unit_id"]]["day"]:
            found[doc["unit_id"]] = doc
    for unit in units:
        if unit["_id"] not in found:
            doc = daily.find_one(
                {"unit_id": safe_value(unit["_id"]), "day": {"$lt": first.isoformat()}},
                sort=[("day", DESCENDING)],
            )
            if doc is not None:
                found[unit["_id"]] = doc
    return found


def unit_days(
    unit: Mapping[str, Any],
    days: list[date],
    stored: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    """The unit's figures for each of ``days`` from its documents in the range and the one before it
    (none before: the unit was empty, at its present capacity)."""
    level = before["occupied"] if before else 0
    capacity = before["capacity"] if before else unit["capacity"]
    out = []
    for day in days:
        doc = stored.get(day.isoformat())
        if doc is not None:
            level, capacity = doc["occupied"], doc["capacity"]
        out.append(
            {
                "day": day.isoformat(),
                "occupied": level,
                "capacity": capacity,
                **{name: (doc or {}).get(name, 0) for name in COUNTS},
                **{
                    k: dict((doc or {}).get(k, {}))
                    for k in ("by_sex", "by_age_band", "by_nationality")
                },
            }
        )
    return out


def _in_range(mongo: Mongo, centre_id: str | None, days: list[date]) -> dict[str, dict[str, Any]]:
    """Every daily document of the centre (or of all centres) in the range, in one indexed query."""
    query: dict[str, Any] = {"day": {"$gte": days[0].isoformat(), "$lte": days[-1].isoformat()}}
    if centre_id is not None:
        query["centre_id"] = safe_value(centre_id)
    by_unit: dict[str, dict[str, Any]] = {}
    for doc in mongo.collection(DAILY).find(query):
        by_unit.setdefault(doc["unit_id"], {})[doc["day"]] = doc
    return by_unit


def _units(mongo: Mongo, centre_id: str | None) -> list[dict[str, Any]]:
    query = {} if centre_id is None else {"centre_id": safe_value(centre_id)}
    return list(mongo.collection("units").find(query, {"outbox": 0}).sort("_id", ASCENDING))


def history(mongo: Mongo, centre_id: str, first: date, last: date) -> dict[str, Any]:
    """Daily figures of a centre and each of its units from ``first`` to ``last`` (inclusive)."""
    days = days_between(first, last)
    stored, units = _in_range(mongo, centre_id, days), _units(mongo, centre_id)
    before = levels_before(mongo, units, days[0])
    per_unit = {
        u["_id"]: unit_days(u, days, stored.get(u["_id"], {}), before.get(u["_id"])) for u in units
    }
    totals = []
    for i, day in enumerate(days):
        rows = [figures[i] for figures in per_unit.values()]
        totals.append(
            {
                "day": day.isoformat(),
                **{k: sum(r[k] for r in rows) for k in ("occupied", "capacity", *COUNTS)},
            }
        )
    units = [
        {
            "unit_id": uid,
            "days": [{k: r[k] for k in ("day", "occupied", "capacity", *COUNTS)} for r in rows],
        }
        for uid, rows in per_unit.items()
    ]
    return {
        "centre_id": centre_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": totals,
        "units": units,
    }


def _merge(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in counts:
        for key, n in part.items():
            total[key] = total.get(key, 0) + n
    return total


def month_days(month: str, today: date) -> list[date]:
    """The days of ``YYYY-MM`` up to ``today`` (a month in the future has none)."""
    year, number = int(month[:4]), int(month[5:7])
    first = date(year, number, 1)
    last = min(date(year, number, calendar.monthrange(year, number)[1]), today)
    return days_between(first, last) if last >= first else []


def statistics(mongo: Mongo, month: str, today: date) -> dict[str, Any]:
    """Raw monthly counts per unit for partner reports (the gateway suppresses small cells)."""
    days = month_days(month, today)
    rows: list[dict[str, Any]] = []
    if not days:
        return {"month": month, "rows": rows}
    stored, units = _in_range(mongo, None, days), _units(mongo, None)
    before = levels_before(mongo, units, days[0])
    for unit in units:
        figures = unit_days(unit, days, stored.get(unit["_id"], {}), before.get(unit["_id"]))
        rows.append(
            {
                "centre_id": unit["centre_id"],
                "unit_id": unit["_id"],
                "category": unit["category"],
                "capacity": figures[-1]["capacity"],
                "occupied_end_of_month": figures[-1]["occupied"],
                "average_occupied": round(sum(f["occupied"] for f in figures) / len(figures), 2),
                # All four moves, so that occupied(end) = occupied(end before) + admissions -
                # releases
                # + transfers in - transfers out holds per unit (the gateway audits reports against
                # it).
                **{name: sum(f[name] for f in figures) for name in COUNTS},
                **{
                    k: _merge(f[k] for f in figures)
                    for k in ("by_sex", "by_age_band", "by_nationality")
                },
            }
        )
    return {"month": month, "rows": rows}


def current(mongo: Mongo, centre_id: str) -> dict[str, Any]:
    """Who is held in the centre now, by unit, category, sex, age band and nationality; free
    places."""
    units = _units(mongo, centre_id)
    by_category: dict[str, dict[str, int]] = {}
    for unit in units:
        figures = by_category.setdefault(
            unit["category"], {"capacity": 0, "occupied": 0, "free_places": 0}
        )
        figures["capacity"] += unit["capacity"]
        figures["occupied"] += unit["occupancy"]
        figures["free_places"] += max(0, unit["capacity"] - unit["occupancy"])
    return {
        "centre_id": centre_id,
        "capacity": sum(u["capacity"] for u in units),
        "occupied": sum(u["occupancy"] for u in units),
        "free_places": sum(max(0, u["capacity"] - u["occupancy"]) for u in units),
        "units": [
            {
                "unit_id": u["_id"],
                "category": u["category"],
                "capacity": u["capacity"],
                "occupied": u["occupancy"],
                "free_places": max(0, u["capacity"] - u["occupancy"]),
            }
            for u in units
        ],
        "by_category": by_category,
        **{
            f"by_{name}": _open_stays_by(mongo, centre_id, name)
            for name in ("sex", "age_band", "nationality")
        },
    }


def _open_stays_by(mongo: Mongo, centre_id: str, field: str) -> dict[str, int]:
    pipeline = [
        {"$match": {"centre_id": safe_value(centre_id), "status": "open"}},
        {"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
    ]
    return {
        str(row["_id"] or "unknown"): row["n"]
        for row in mongo.collection("stays").aggregate(pipeline)
    }
