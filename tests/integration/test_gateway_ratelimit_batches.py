"""Rate-limit counters written in batches: few writes, and the limit still holds across processes
within its bound.

Two :class:`RateLimiter` objects with their own clients stand for two gateway processes; threads
hit them at the same time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from gateway.auth.ratelimit import COLLECTION, Limit, RateLimited, RateLimiter
from passage.mongo import Mongo

NOW = datetime(2026, 1, 1, 12, 0, 1, tzinfo=UTC)


def _hits(limiter: RateLimiter, key: str, limit: Limit, times: int, passed: list[int]) -> None:
    for _ in range(times):
        try:
            limiter.hit(key, limit, NOW)
            passed.append(1)
        except RateLimited:
            pass


def test_a_large_limit_is_written_once_per_batch_of_hits(mongo_url, unique):
    mongo = Mongo(mongo_url, f"t_{unique}_rlb")
    limit = Limit(1000, 60)  # batch of 10
    limiter = RateLimiter(mongo)
    for _ in range(25):
        limiter.hit("api:staff.baku", limit, NOW)
    counter = mongo.collection(COLLECTION).find_one(
        {"_id": f"api:staff.baku|60|{int(NOW.timestamp()) // 60}"}
    )
    assert (
        limit.batch == 10 and counter["n"] == 20
    )  # two batches added; five hits still counted locally
    mongo.close()


def test_a_limit_holds_across_two_processes_within_the_stated_bound(mongo_url, unique):
    mongos = [Mongo(mongo_url, f"t_{unique}_rlb2") for _ in range(2)]
    limiters = [RateLimiter(m) for m in mongos]
    limit = Limit(300, 60)  # batch of 3: each process may hold 2 hits not yet added
    passed: list[int] = []
    threads = [
        threading.Thread(target=_hits, args=(limiters[i % 2], "api:u1", limit, 100, passed))
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    processes = len(limiters)
    assert (
        limit.count - processes * limit.batch
        <= len(passed)
        <= limit.count + processes * (limit.batch - 1)
    )
    for limiter in limiters:  # once over, every process refuses
        try:
            limiter.hit("api:u1", limit, NOW)
            refused = False
        except RateLimited:
            refused = True
        assert refused
    for mongo in mongos:
        mongo.close()


def test_small_limits_stay_exact_across_processes(mongo_url, unique):
    mongos = [Mongo(mongo_url, f"t_{unique}_rlb3") for _ in range(2)]
    limiters = [RateLimiter(m) for m in mongos]
    limit = Limit(6, 60)
    passed: list[int] = []
    threads = [
        threading.Thread(target=_hits, args=(limiters[i % 2], "login-ip:1.2.3.4", limit, 5, passed))
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert limit.batch == 1 and len(passed) == 6
    for mongo in mongos:
        mongo.close()
