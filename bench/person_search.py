"""Person search benchmark: detention's ``/persons/search`` at 1k and 100k stays (100k persons).

Starts its own SecantusDB and the detention API under gunicorn (as in production), seeds stays
directly with bulk inserts (names in Azerbaijani Latin, Cyrillic and passport spellings, with the
search keys the API stores at admission), then times searches by name (another spelling than the
stored one), by name and birth date, and as centre staff of one centre. Beside them, in the same
run: a raw pymongo find_one by _id, a raw find by one name key, and a bare Flask endpoint.

    .venv/bin/python bench/person_search.py [--sizes 1000,100000] [--n 200] [--clients 4]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from pymongo import MongoClient
from pymongo.database import Database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.loadgen import timed  # noqa: E402
from bench.readmission_worklist import bench_http  # noqa: E402
from detention.adapters import repository  # noqa: E402
from passage.identity import HEADER, Identity, sign_identity  # noqa: E402
from passage.mongo import Mongo  # noqa: E402
from passage.names import search_keys  # noqa: E402

SECRET = "bench-internal-secret-0123456789abcdef"
FAMILY = (
    "Məmmədov",
    "Мамедов",
    "Mammadov",
    "Əliyev",
    "Алиев",
    "Hüseynov",
    "Гусейнов",
    "Həsənov",
    "Гасанов",
    "Quliyev",
    "Кулиев",
    "İsmayılov",
    "Исмаилов",
    "Cəfərov",
    "Джафаров",
    "Abbasov",
    "Rzayev",
    "Süleymanov",
    "Rezaei",
    "Ahmadi",
    "Karimi",
    "Hosseini",
    "Mousavi",
    "Nazari",
    "Rahimi",
    "Sultani",
    "Popov",
    "Ivanov",
)
GIVEN = (
    "Rəşad",
    "Рашад",
    "Elçin",
    "Эльчин",
    "Orxan",
    "Орхан",
    "Tural",
    "Ali",
    "Reza",
    "Leyla",
    "Лейла",
    "Günay",
    "Sara",
    "Nərgiz",
    "Наргиз",
    "Vüsal",
    "Farid",
    "Mohammad",
    "Ahmad",
    "Zahra",
)
CENTRES = ("baku", "yevlakh", "ganja", "sheki")


def stay(i: int, rng: random.Random) -> dict:
    person = {
        "given_name": rng.choice(GIVEN),
        "family_name": rng.choice(FAMILY),
        "birth_date": (
            f"{rng.randint(1950, 2008)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        ),
        "sex": "male",
        "nationality": "AZE",
    }
    doc = {
        "_id": f"stay-{i:08d}",
        "person_ref": f"BENCH-{i}",
        "centre_id": CENTRES[i % len(CENTRES)],
        "unit_id": "u1",
        "status": "closed",
        "person": person,
        "version": 1,
        "history": [],
    }
    return {**doc, **search_keys(doc, repository.STAY_SEARCH)}


def seed(db: Database, first: int, count: int) -> None:
    rng = random.Random(first)
    for offset in range(0, count, 5000):
        db.stays.insert_many(
            [stay(i, rng) for i in range(first + offset, first + min(offset + 5000, count))],
            ordered=False,
        )


def run(mongo_url: str, api: str, baseline: str, args: argparse.Namespace) -> None:
    client: MongoClient = MongoClient(mongo_url, tz_aware=True)
    db = client["bench_detention"]
    admin = {HEADER: sign_identity(Identity("bench-admin", "admin"), SECRET, ttl_seconds=3600)}
    staff = {
        HEADER: sign_identity(
            Identity("bench-staff", "centre_staff", centres=("baku",)), SECRET, ttl_seconds=3600
        )
    }
    seeded = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        seed(db, seeded, size - seeded)
        seeded = size
        print(f"\n== {size} stays (seeded in {time.perf_counter() - started:.1f}s)")
        sample = cast(dict[str, Any], db.stays.find_one({"_id": f"stay-{size // 2:08d}"}))
        one_key = sample["name_keys"][0]
        base_http = bench_http(
            baseline, "/ping", "baseline: bare Flask GET /ping", {}, args.n, args.clients
        )
        print(base_http.line())

        def find_sample(i: int, sample: dict[str, Any] = sample) -> object:
            return db.stays.find_one({"_id": sample["_id"]})

        def find_by_key(i: int, key: str = one_key) -> object:
            return list(db.stays.find({"name_keys": key}).limit(20))

        raw = timed("baseline: raw pymongo find_one by _id", find_sample, args.n)
        print(raw.line())
        print(timed("reference: raw find(name_keys=key).limit(20)", find_by_key, args.n).line(raw))
        by_name = urlencode({"name": "Mamedov Rashad"})
        by_both = urlencode(
            {"name": "Mamedov Rashad", "birth_date": sample["person"]["birth_date"]}
        )
        for name, query, headers in (
            ("GET search name (admin, 20 hits)", by_name, admin),
            ("GET search name+birth_date (admin)", by_both, admin),
            ("GET search name (centre staff baku)", by_name, staff),
        ):
            print(
                bench_http(
                    api,
                    f"/api/v1/detention/persons/search?{query}",
                    name,
                    headers,
                    args.n,
                    args.clients,
                ).line(base_http)
            )
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--n", type=int, default=200, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-person-search-"))
    env = {"DETENTION_MONGO_DB": "bench_detention", "INTERNAL_TOKEN_SECRET": SECRET, "AMQP_URL": ""}
    with servers.api_beside_baseline(
        work,
        "detention.app:create_app()",
        "detention",
        env,
        lambda url: Mongo(url, "bench_detention").ensure_indexes(repository.indexes()),
    ) as (mongo_url, api, baseline):
        run(mongo_url, api, baseline, args)


if __name__ == "__main__":
    main()
