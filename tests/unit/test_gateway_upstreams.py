"""The upstream client's pool: made on first use, shared by threads, made again after a fork."""

from __future__ import annotations

import os
import threading

from gateway.edge.upstreams import Upstreams


def _upstreams() -> Upstreams:
    return Upstreams(
        {"detention": "http://127.0.0.1:8001/"}, connect_timeout=1.5, read_timeout=4, pool_size=8
    )


def test_nothing_is_opened_until_first_use_and_urls_are_normalised():
    upstreams = _upstreams()
    assert upstreams._pool is None
    assert upstreams.urls == {"detention": "http://127.0.0.1:8001"} and upstreams.timeout == (
        1.5,
        4,
    )


def test_one_pool_per_process_shared_by_threads():
    upstreams = _upstreams()
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(upstreams.pool)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in seen}) == 1
    pool = upstreams.pool.connection_from_url("http://127.0.0.1:8001/x")
    assert pool.pool.maxsize == 8 and pool.retries.total is False


def test_a_forked_worker_gets_its_own_pool():
    upstreams = _upstreams()
    parent = upstreams.pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a gunicorn worker after fork
        os.write(write, b"new" if upstreams.pool is not parent else b"same")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 8)
    os.waitpid(pid, 0)
    assert answer == b"new"
    assert upstreams.pool is parent
