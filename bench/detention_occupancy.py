"""Detention occupancy-history benchmark: the history query with 1k and with 100k stays stored,
beside a raw pymongo ``find_one`` on the same server in the same run (and, for contrast, what
answering the same question by scanning the stays costs).

The history reads only the ``occupancy_daily`` read model (one document per unit and day) and the
units, so its time must not grow with the number of stays. Both data sets are seeded directly
with bulk inserts: stays spread over a year, and the daily documents the service's transactions
would have written for them.

    .venv/bin/python bench/detention_occupancy.py [--mongo-url mongodb://…] [--repeat 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.loadgen import Result, timed  # noqa: E402
from detention import service  # noqa: E402
from detention.adapters import occupancy, repository  # noqa: E402
from detention.app import create_app  # noqa: E402
from passage.config import Settings  # noqa: E402
from passage.mongo import Mongo  # noqa: E402
from passage.testing import identity_headers  # noqa: E402

FIRST_DAY = date(2026, 1, 1)
DAYS = 365
UNITS = [("baku", f"baku-{c[0]}{n}", c) for c in ("men", "women") for n in (1, 2)] + [
    ("yevlakh", f"yevlakh-{c[0]}{n}", c) for c in ("men", "women") for n in (1, 2)
]
NATIONALITIES = ("IRN", "AFG", "PAK", "IND", "BGD", "SYR", "IRQ", "GEO")


def seed(mongo: Mongo, stays: int, rng: random.Random) -> None:
    """Centres, units, ``stays`` stays over a year, and the daily figures they would have
    written."""
    mongo.ensure_indexes(repository.indexes())
    mongo.collection("centres").insert_many(
        [
            {"_id": c, "name": c, "city": c, "version": 1, "created_at": datetime.now(UTC)}
            for c in ("baku", "yevlakh")
        ]
    )
    capacity = max(10, stays // len(UNITS))
    mongo.collection("units").insert_many(
        [
            {
                "_id": uid,
                "centre_id": cid,
                "name": uid,
                "category": cat,
                "declared_places": capacity,
                "floor_area_m2": 4.0 * capacity,
                "single_room": False,
                "blocked_places": [],
                "capacity": capacity,
                "capacity_valid_until": None,
                "occupancy": 0,
                "version": 1,
                "created_at": datetime.now(UTC),
            }
            for cid, uid, cat in UNITS
        ]
    )
    daily: dict[tuple[str, int], dict[str, int]] = {}
    batch = []
    for n in range(stays):
        cid, uid, cat = UNITS[n % len(UNITS)]
        admitted, length = rng.randrange(DAYS), rng.randrange(5, 120)
        released = admitted + length if admitted + length < DAYS else None
        nationality = rng.choice(NATIONALITIES)
        batch.append(stay_document(cid, uid, cat, admitted, released, nationality))
        daily.setdefault((uid, admitted), {"admissions": 0, "releases": 0})["admissions"] += 1
        if released is not None:
            daily.setdefault((uid, released), {"admissions": 0, "releases": 0})["releases"] += 1
        if len(batch) == 5000:
            mongo.collection("stays").insert_many(batch, ordered=False)
            batch = []
    if batch:
        mongo.collection("stays").insert_many(batch, ordered=False)
    mongo.collection(occupancy.DAILY).insert_many(_daily_docs(daily, capacity))


def stay_document(
    cid: str, uid: str, cat: str, admitted: int, released: int | None, nationality: str
) -> dict:
    at = datetime.combine(FIRST_DAY + timedelta(days=admitted), datetime.min.time(), UTC)
    return {
        "_id": str(uuid.uuid4()),
        "person_ref": f"B-{uuid.uuid4().hex[:16]}",
        "centre_id": cid,
        "unit_id": uid,
        "status": "open" if released is None else "closed",
        "admitted_at": at,
        "admitted_on": (FIRST_DAY + timedelta(days=admitted)).isoformat(),
        "sex": "male" if cat == "men" else "female",
        "nationality": nationality,
        "age_band": "18-34",
        "legal_basis": {"kind": "court_order"},
        "person": {
            "given_name": "B",
            "family_name": "B",
            "birth_date": "1990-01-01",
            "sex": "male",
        },
        "version": 1,
        "history": [],
    }


def _daily_docs(daily: dict[tuple[str, int], dict[str, int]], capacity: int) -> list[dict]:
    """One document per unit and day, as the transactions and the worker's daily roll leave them."""
    docs, level = [], {uid: 0 for _, uid, _ in UNITS}
    for day, (cid, uid, cat) in ((d, u) for d in range(DAYS) for u in UNITS):
        counts = daily.get((uid, day), {"admissions": 0, "releases": 0})
        level[uid] += counts["admissions"] - counts["releases"]
        docs.append(
            {
                "_id": f"{uid}:{(FIRST_DAY + timedelta(days=day)).isoformat()}",
                "unit_id": uid,
                "centre_id": cid,
                "category": cat,
                "day": (FIRST_DAY + timedelta(days=day)).isoformat(),
                "occupied": level[uid],
                "capacity": capacity,
                **counts,
                "by_sex": {},
                "by_age_band": {},
                "by_nationality": {},
            }
        )
    return docs


def scan_stays(mongo: Mongo, first: date, last: date) -> int:
    """The question answered the slow way: admissions per day counted from the stays."""
    pipeline = [
        {
            "$match": {
                "centre_id": "baku",
                "admitted_on": {"$gte": first.isoformat(), "$lte": last.isoformat()},
            }
        },
        {"$group": {"_id": "$admitted_on", "n": {"$sum": 1}}},
    ]
    return len(list(mongo.collection("stays").aggregate(pipeline)))


def measure(url: str, stays: int, repeat: int) -> list[Result]:
    settings = Settings.from_env("detention", env={}, mongo_url=url, mongo_db=f"bench_occ_{stays}")
    deps = service.build_deps(settings)
    deps.mongo.client.drop_database(settings.mongo_db)
    seed(deps.mongo, stays, random.Random(stays))
    deps = replace(deps, clock=lambda: datetime(2026, 12, 31, 12, tzinfo=UTC))
    client, headers = (
        create_app(settings, deps).test_client(),
        identity_headers(settings.internal_token_secret),
    )
    first, last = date(2026, 6, 1), date(2026, 6, 30)
    path = f"/api/v1/detention/centres/baku/occupancy/history?from={first}&to={last}"
    assert client.get(path, headers=headers).status_code == 200
    stays_coll = deps.mongo.collection("stays")
    return [
        timed(
            f"history 30 days, function ({stays} stays)",
            lambda i: occupancy.history(deps.mongo, "baku", first, last),
            repeat,
        ),
        timed(
            f"history 30 days, HTTP in-process ({stays} stays)",
            lambda i: client.get(path, headers=headers),
            repeat,
        ),
        timed(
            f"baseline raw find_one ({stays} stays)",
            lambda i: stays_coll.find_one({"_id": "none"}),
            repeat,
        ),
        timed(
            f"contrast: scan stays per day ({stays} stays)",
            lambda i: scan_stays(deps.mongo, first, last),
            max(3, repeat // 10),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mongo-url", default="")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args()
    with servers.database(args.mongo_url) as url:
        for size in (int(s) for s in args.sizes.split(",")):
            results = measure(url, size, args.repeat)
            baseline = results[2]
            for result in results:
                print(
                    result.line(),
                    f"  [{result.percentile(50) / baseline.percentile(50):.1f}x raw find_one p50]",
                )


if __name__ == "__main__":
    main()
