"""Voluntary-return benchmark: the caseworkers' "needs action" query at 1k and 100k cases.

Starts its own SecantusDB and the voluntary-return API under gunicorn (as in production), seeds
cases directly with bulk inserts (stages, next_action/next_action_due and the due-date calendar
as the service maintains them), then times "needs action" (due within a week; overdue monitoring), a
search by
nationality, counts by stage, and referral + transition throughput. Beside each, in the same
run: a raw pymongo find_one, the naive raw pymongo form of the query (one range over everything
due, sorted, limit 51), and a bare Flask endpoint under gunicorn.

    .venv/bin/python bench/voluntary_return_cases.py [--sizes 1000,100000] [--n 200] [--n-large 20]
        [--clients 4] [--writes 200]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import requests
from pymongo import ASCENDING, MongoClient, UpdateOne
from pymongo.database import Database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.loadgen import Result, run_load, timed  # noqa: E402
from passage.mongo import Mongo  # noqa: E402
from passage.testing import identity_headers  # noqa: E402
from voluntary_return.adapters import storage  # noqa: E402
from voluntary_return.domain import statistics  # noqa: E402

SECRET = "bench-internal-secret-0123456789abcdef"
DB = "bench_voluntary_return"
PREFIX = "/api/v1/voluntary-return"
NATIONALITIES = ("IRN", "AFG", "PAK", "IRQ", "SYR", "GEO", "IND", "BGD")
# stage -> (next action, days from today the due date is drawn from) as the service stores them
STAGE_MIX = (
    ("referred", "counselling_due", (-10, 7)),
    ("registered", "counselling_due", (-5, 7)),
    ("counselled", None, None),
    ("eligible", "documents_pending", (-20, 30)),
    ("documents", "documents_pending", (-20, 30)),
    ("travel_ready", "booking_pending", (-5, 14)),
    ("booked", None, None),
    ("monitoring", "monitoring_due", (-60, 365)),
    ("closed", None, None),
    ("withdrawn", None, None),
)


def case_doc(i: int, today: date, rng: random.Random) -> dict:
    stage, action, window = STAGE_MIX[i % len(STAGE_MIX)]
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
    case_id = str(
        uuid.UUID(int=rng.getrandbits(128), version=4)
    )  # random, as the service's uuid4 ids
    doc = {
        "_id": case_id,
        "person_ref": f"BENCH-{i}",
        "stage": stage,
        "version": 3,
        "nationality": NATIONALITIES[i % len(NATIONALITIES)],
        "destination_country": NATIONALITIES[i % 7],
        "referral": {"source": "detention_centre", "referred_at": at, "referred_by": "bench"},
        "vulnerabilities": [],
        "counselling_sessions": [],
        "forced_route_open": False,
        "forced_routes": [],
        "history": [{"at": at, "stage": "referred", "action": "refer", "by": "bench"}],
        "created_at": at,
        "updated_at": at,
        "stage_since": at,
    }
    if action:
        doc["next_action"] = action
        days = rng.randint(*cast(tuple[int, int], window))  # a window goes with every action
        doc["next_action_due"] = (today + timedelta(days=days)).isoformat()
    return doc


def seed(db: Database, first: int, count: int) -> None:
    """Bulk-insert cases and the due-date calendar rows the service would have kept for them."""
    today, rng = date.today(), random.Random(first)
    calendar: dict[str, dict] = {}
    for offset in range(0, count, 5000):
        batch = [
            case_doc(i, today, rng)
            for i in range(first + offset, first + min(offset + 5000, count))
        ]
        db.cases.insert_many(batch, ordered=False)
        for doc in (d for d in batch if "next_action_due" in d):
            shard = int(doc["_id"][:8], 16) % statistics.SHARDS
            key = f"{doc['next_action_due']}|{doc['next_action']}|{shard}"
            row = calendar.setdefault(
                key, {"due": doc["next_action_due"], "kind": doc["next_action"], "n": 0}
            )
            row["n"] += 1
    stages: dict[str, int] = {}
    for i in range(first, first + count):
        stages[STAGE_MIX[i % len(STAGE_MIX)][0]] = (
            stages.get(STAGE_MIX[i % len(STAGE_MIX)][0], 0) + 1
        )
    db.stage_counts.bulk_write(
        [
            UpdateOne(
                {"_id": f"{k}|0"}, {"$setOnInsert": {"stage": k}, "$inc": {"n": n}}, upsert=True
            )
            for k, n in stages.items()
        ]
    )
    db.action_calendar.bulk_write(
        [
            UpdateOne(
                {"_id": k},
                {"$setOnInsert": {"due": v["due"], "kind": v["kind"]}, "$inc": {"n": v["n"]}},
                upsert=True,
            )
            for k, v in calendar.items()
        ]
    )


def caseworker() -> dict[str, str]:
    """A fresh internal identity (they live 60 s, as the gateway signs them per request)."""
    return identity_headers(SECRET, role="avr_caseworker", user_id="bench")


def bench_get(
    base: str, path: str, name: str, headers: Callable[[], dict[str, str]], n: int, clients: int
) -> Result:
    def call(session: requests.Session, _i: int) -> int:
        return session.get(f"{base}{path}", headers=headers(), timeout=60).status_code

    return run_load(name, call, clients=clients, requests_per_client=max(1, n // clients))


def bench_writes(api: str, n: int, clients: int, baseline: Result) -> None:
    """Referrals, then one transition (registration) on each new case, through the service's API."""
    created: list[str] = []

    def refer(session: requests.Session, i: int) -> int:
        r = session.post(
            f"{api}{PREFIX}/cases",
            headers=caseworker(),
            timeout=60,
            json={
                "person_ref": f"W-{uuid.uuid4().hex[:12]}",
                "source": "ngo",
                "nationality": "IRN",
            },
        )
        if r.status_code == 201:
            created.append(r.json()["id"])
        return r.status_code

    registration: dict[str, Any] = {
        "particulars": {
            "given_name": "Bench",
            "family_name": "Person",
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "IRN",
        },
        "languages": ["fa"],
        "classification": "AVR",
        "destination_country": "IRN",
    }

    def register(session: requests.Session, i: int) -> int:
        return session.post(
            f"{api}{PREFIX}/cases/{created[i]}/registration",
            headers=caseworker(),
            json=registration,
            timeout=60,
        ).status_code

    print(
        run_load(
            "POST /cases (referral, outbox+statistics txn)",
            refer,
            clients=clients,
            requests_per_client=max(1, n // clients),
        ).line(baseline)
    )
    print(
        run_load(
            "POST /cases/{id}/registration (transition)",
            register,
            clients=clients,
            requests_per_client=max(1, len(created) // clients),
        ).line(baseline)
    )


def run(mongo_url: str, api: str, baseline: str, args: argparse.Namespace) -> None:
    client: MongoClient = MongoClient(mongo_url, tz_aware=True)
    db = client[DB]
    seeded = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        seed(db, seeded, size - seeded)
        seeded = size
        print(
            f"\n== {size} cases (seeded in {time.perf_counter() - started:.1f}s; "
            f"{db.cases.count_documents({'next_action_due': {'$exists': True}})} "
            "with a next action)"
        )
        found = db.cases.find_one({"person_ref": f"BENCH-{size // 2}"}, {"_id": 1})
        wanted = cast(dict[str, Any], found)["_id"]
        due_by = (date.today() + timedelta(days=7)).isoformat()
        n = args.n if size < 10_000 else args.n_large
        base_http = bench_get(
            baseline, "/ping", "baseline: bare Flask GET /ping", dict, args.n, args.clients
        )

        def find_wanted(i: int, wanted: str = wanted) -> object:
            return db.cases.find_one({"_id": wanted})

        def find_due(i: int, due_by: str = due_by) -> object:
            return list(
                db.cases.find({"next_action_due": {"$lte": due_by}})
                .sort([("next_action_due", ASCENDING), ("_id", ASCENDING)])
                .limit(51)
            )

        raw = timed("baseline: raw pymongo find_one by _id", find_wanted, args.n)
        raw_due = timed("raw pymongo single-range find, sort, limit 51", find_due, max(3, n // 4))
        for line in (base_http.line(), raw.line(), raw_due.line(raw)):
            print(line)
        for name, path in (
            ("GET needs-action (7 days, 50 items)", "/cases/needs-action?limit=50"),
            (
                "GET needs-action overdue monitoring (50)",
                "/cases/needs-action?overdue=true&kind=monitoring_due&limit=50",
            ),
            ("GET cases?nationality=AFG (50 items)", "/cases?nationality=AFG&limit=50"),
            ("GET cases/stages (counters)", "/cases/stages"),
        ):
            print(
                bench_get(api, f"{PREFIX}{path}", name, caseworker, n, args.clients).line(base_http)
            )
    if args.writes:
        print(f"\n== writes (on top of {seeded} cases)")
        bench_writes(
            api,
            args.writes,
            args.clients,
            bench_get(baseline, "/ping", "baseline", dict, args.n, args.clients),
        )
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--n", type=int, default=200, help="requests per measurement")
    parser.add_argument(
        "--n-large", type=int, default=20, help="requests per measurement at 10k cases and more"
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--writes", type=int, default=200, help="referrals (and registrations) to time; 0 skips"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-voluntary-return-"))
    env = {"VOLUNTARY_RETURN_MONGO_DB": DB, "INTERNAL_TOKEN_SECRET": SECRET, "AMQP_URL": ""}
    with servers.api_beside_baseline(
        work,
        "voluntary_return.app:create_app()",
        "voluntary-return",
        env,
        lambda url: Mongo(url, DB).ensure_indexes(storage.indexes()),
    ) as (mongo_url, api, baseline):
        run(mongo_url, api, baseline, args)


if __name__ == "__main__":
    main()
