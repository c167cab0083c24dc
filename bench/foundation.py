"""Foundation benchmark: admissions and stay reads through the gateway, event propagation.

Starts the stack as the launcher does (own var dir and ports), and beside each figure the
same-run baseline: a bare Flask endpoint under gunicorn with the same worker settings, a plain
Flask + pymongo endpoint inserting the same admission document / reading it by id, raw pymongo
insert_one/find_one on the same server, raw kombu publish→consume on the same broker. Beside
each HTTP figure: database operations per request (the server's opcounters before and after),
the CPU every process spent per request (``bench.cpu``: what bounds the rate on these cores), and
the idle stack's database operations per second.

    ./passage py bench/foundation.py [--clients 16] [--requests 50] [--amqp]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import requests
from kombu import Consumer, Exchange, Message, Producer, Queue
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402
from bench.cpu import per_request as cpu_per_request  # noqa: E402
from bench.dbops import OpMeter, per_request, per_second  # noqa: E402
from bench.loadgen import Result, run_load, timed  # noqa: E402
from devstack import Stack  # noqa: E402
from devstack.probes import free_port_base  # noqa: E402
from devstack.stack import DATABASE  # noqa: E402
from passage.bus.connection import broker_connection  # noqa: E402
from passage.config import mongo_transport_url  # noqa: E402
from passage.testing import free_port, wait_for  # noqa: E402


def login(gateway: str, username: str, password: str) -> dict[str, str]:
    r = requests.post(
        f"{gateway}/api/v1/auth/login",
        json={"username": username, "password": password},
        timeout=10,
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def admission_body(unit_id: str, i: int, *, valid_days: int = 60) -> dict:
    """An admission on a court order decided yesterday and valid ``valid_days`` more days (dates
    from today, so the body stays admissible whenever the bench runs)."""
    today = date.today()
    return {
        "unit_id": unit_id,
        "person": {
            "person_ref": f"BENCH-{uuid.uuid4().hex[:12]}",
            "given_name": "Bench",
            "family_name": f"Person{i}",
            "birth_date": "1990-04-02",
            "sex": "male",
            "nationality": "IRN",
        },
        "legal_basis": {
            "kind": "court_order",
            "decision_ref": f"B-{i}",
            "court": "Baku Administrative Court",
            "decided_on": (today - timedelta(days=1)).isoformat(),
            "valid_until": (today + timedelta(days=valid_days)).isoformat(),
        },
    }


def make_unit(gateway: str, auth: dict, places: int) -> str:
    centre = f"bench-{uuid.uuid4().hex[:6]}"
    r = requests.post(
        f"{gateway}/api/v1/detention/centres",
        json={"id": centre, "name": "Bench centre", "city": "Baku"},
        headers=auth,
        timeout=10,
    )
    assert r.status_code == 201, r.text
    unit = f"{centre}-m1"
    r = requests.post(
        f"{gateway}/api/v1/detention/centres/{centre}/units",
        json={
            "id": unit,
            "name": "Bench wing",
            "category": "men",
            "declared_places": places,
            "floor_area_m2": places * 4.0,
            "single_room": False,
        },
        headers=auth,
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return unit


def measured_load(
    name: str,
    call: Callable[[requests.Session, int], int],
    clients: int,
    per_client: int,
    meter: OpMeter,
    cpu: CpuMeter,
) -> tuple[Result, str]:
    """``call`` under load, and what a request cost: database operations and CPU, per process."""
    (result, delta), spent = cpu.measure(
        lambda: meter.measure(
            lambda: run_load(name, call, clients=clients, requests_per_client=per_client)
        )
    )
    return result, (
        per_request(delta, result.count)
        + meter.cpu_per_request(result.count)
        + "\n    "
        + cpu_per_request(spent, result.count)
    )


def bench_http(
    gateway: str,
    baseline: str,
    auth: dict,
    clients: int,
    per_client: int,
    meter: OpMeter,
    cpu: CpuMeter,
) -> list[str]:
    unit = make_unit(gateway, auth, clients * per_client * 2)
    stay_ids: list[str] = []
    plain_ids: list[str] = []

    def admit(session: requests.Session, i: int) -> int:
        r = session.post(
            f"{gateway}/api/v1/detention/stays",
            json=admission_body(unit, i),
            headers=auth,
            timeout=30,
        )
        if r.status_code == 201:
            stay_ids.append(r.json()["id"])
        return r.status_code

    def echo(session: requests.Session, i: int) -> int:
        return session.post(
            f"{baseline}/echo", json=admission_body(unit, i), timeout=30
        ).status_code

    def plain_insert(session: requests.Session, i: int) -> int:
        r = session.post(f"{baseline}/stays", json=admission_body(unit, i), timeout=30)
        if r.status_code == 201:
            plain_ids.append(r.json()["_id"])
        return r.status_code

    def read(session: requests.Session, i: int) -> int:
        return session.get(
            f"{gateway}/api/v1/detention/stays/{stay_ids[i % len(stay_ids)]}",
            headers=auth,
            timeout=30,
        ).status_code

    def plain_read(session: requests.Session, i: int) -> int:
        return session.get(
            f"{baseline}/stays/{plain_ids[i % len(plain_ids)]}", timeout=30
        ).status_code

    def two_hops(session: requests.Session, i: int) -> int:
        return session.get(
            f"{baseline}/hop/stays/{plain_ids[i % len(plain_ids)]}", timeout=30
        ).status_code

    def ping(session: requests.Session, i: int) -> int:
        return session.get(f"{baseline}/ping", timeout=30).status_code

    def load(name: str, call: Callable[[requests.Session, int], int]) -> tuple[Result, str]:
        return measured_load(name, call, clients, per_client, meter, cpu)

    base_post, _ = load("baseline: bare Flask POST /echo", echo)
    plain_post, plain_post_ops = load("baseline: Flask+pymongo POST insert", plain_insert)
    admissions, admission_ops = load("admission POST /stays via gateway", admit)
    base_get, _ = load("baseline: bare Flask GET /ping", ping)
    plain_get, plain_get_ops = load("baseline: Flask+pymongo GET by id", plain_read)
    hops, hop_ops = load("baseline: the same GET behind a bare Flask hop", two_hops)
    reads, read_ops = load("GET /stays/{id} via gateway", read)
    return [
        base_post.line(),
        plain_post.line() + "  " + plain_post_ops,
        admissions.line(plain_post) + "  " + admission_ops,
        base_get.line(),
        plain_get.line() + "  " + plain_get_ops,
        hops.line(plain_get) + "  " + hop_ops,
        reads.line(plain_get) + "  " + read_ops,
    ]


def bench_mixed(
    gateway: str, auth: dict, clients: int, per_client: int, meter: OpMeter, places: int = 20
) -> tuple[Result, str]:
    """Issue 3's load: admissions with releases mixed in, into a unit kept nearly full.

    Each client admits; every second success is released at once. Afterwards the unit's counter
    must equal its open stays and never have exceeded its capacity (a full unit answers 409).
    """
    unit = make_unit(gateway, auth, places)
    held: list[str] = []
    lock = threading.Lock()

    def admit_or_release(session: requests.Session, i: int) -> int:
        with lock:
            stay = held.pop() if i % 2 and held else None
        if stay:
            return session.post(
                f"{gateway}/api/v1/detention/stays/{stay}/release",
                json={"reason": "released_by_court"},
                headers=auth,
                timeout=30,
            ).status_code
        r = session.post(
            f"{gateway}/api/v1/detention/stays",
            json=admission_body(unit, i),
            headers=auth,
            timeout=30,
        )
        if r.status_code == 201:
            with lock:
                held.append(r.json()["id"])
        return r.status_code

    result, delta = meter.measure(
        lambda: run_load(
            f"admit/release mix via gateway ({places} places)",
            admit_or_release,
            clients=clients,
            requests_per_client=per_client,
        )
    )
    state = requests.get(
        f"{gateway}/api/v1/detention/units/{unit}", headers=auth, timeout=30
    ).json()
    open_stays = _count_open(gateway, auth, unit)
    occupancy, capacity = state["occupancy"], state["capacity"]
    invariant = "OK" if occupancy == open_stays <= capacity else "CAPACITY VIOLATION"
    verdict = (
        f"{per_request(delta, result.count)}{meter.cpu_per_request(result.count)}; "
        f"unit {unit}: occupancy {occupancy} / capacity "
        f"{capacity}, open stays {open_stays} -> {invariant}"
    )
    return result, verdict


def _count_open(gateway: str, auth: dict, unit: str) -> int:
    count, cursor = 0, None
    while True:
        params: dict[str, str | int] = {
            "unit_id": unit,
            "status": "open",
            "limit": 200,
            **({"cursor": cursor} if cursor else {}),
        }
        page = requests.get(
            f"{gateway}/api/v1/detention/stays", params=params, headers=auth, timeout=30
        ).json()
        count += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return count


def bench_propagation(gateway: str, auth: dict, n: int) -> Result:
    """Admission committed (201 received) → location visible in readmission."""
    unit = make_unit(gateway, auth, n * 2 + 1)
    result = Result("propagation admission → readmission")
    session = requests.Session()
    drain_started = time.perf_counter()
    _admit_and_wait(
        session, gateway, auth, unit, -1, timeout=600
    )  # the earlier loads' events go first
    drained = time.perf_counter() - drain_started
    print(f"  (backlog of the earlier loads consumed by readmission in {drained:.1f} s)")
    started_all = time.perf_counter()
    for i in range(n):
        body = admission_body(unit, i)
        file_request(
            session, gateway, auth, body["person"]["person_ref"]
        )  # before the clock starts
        r = session.post(f"{gateway}/api/v1/detention/stays", json=body, headers=auth, timeout=30)
        assert r.status_code == 201, r.text
        t0 = time.perf_counter()
        url = f"{gateway}/api/v1/readmission/persons/{body['person']['person_ref']}/location"
        wait_for(
            lambda url=url: session.get(url, headers=auth, timeout=10).status_code == 200,
            timeout=30,
            interval=0.005,
            message="location in readmission",
        )
        result.latencies.append(time.perf_counter() - t0)
    result.seconds = time.perf_counter() - started_all
    result.statuses[200] = n
    return result


def file_request(session: requests.Session, gateway: str, auth: dict, person_ref: str) -> None:
    """A readmission request about the person: locations are answered only for people with one
    (#11)."""
    learned = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
    r = session.post(
        f"{gateway}/api/v1/readmission/requests",
        headers=auth,
        timeout=30,
        json={
            "direction": "outgoing",
            "member_state": "DE",
            "person_ref": person_ref,
            "category": "third_country_national",
            "procedure": "normal",
            "learned_on": learned,
            "voluntary_return_offered": True,
            "particulars": {
                "family_name": "Bench",
                "given_names": "Person",
                "sex": "male",
                "nationality": "IRN",
            },
            "evidence": [{"of": "third_country_conditions", "type": "travel_ticket"}],
        },
    )
    assert r.status_code == 201, r.text


def _admit_and_wait(
    session: requests.Session, gateway: str, auth: dict, unit: str, i: int, timeout: float
) -> None:
    body = admission_body(unit, i)
    file_request(session, gateway, auth, body["person"]["person_ref"])
    r = session.post(f"{gateway}/api/v1/detention/stays", json=body, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    url = f"{gateway}/api/v1/readmission/persons/{body['person']['person_ref']}/location"
    wait_for(
        lambda: session.get(url, headers=auth, timeout=10).status_code == 200,
        timeout=timeout,
        interval=0.05,
        message="location in readmission",
    )


def bench_raw_bus(broker_url: str, n: int) -> Result:
    """Raw kombu publish → consume latency on the same broker (no outbox, no inbox, no HTTP)."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    exchange = Exchange(name, type="topic", durable=True)
    queue = Queue(name, exchange=exchange, routing_key="k", durable=True)
    result = Result("baseline: raw kombu publish→consume")
    with broker_connection(broker_url) as conn:
        channel = conn.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange)
        received: list[float] = []

        def on_message(body: object, msg: Message) -> None:
            received.append(time.perf_counter())
            msg.ack()

        consumer = Consumer(channel, queues=[queue], accept=["json"], callbacks=[on_message])
        consumer.consume()
        started = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            producer.publish({"i": i}, routing_key="k", serializer="json", delivery_mode=2)
            while len(received) <= i:
                conn.drain_events(timeout=10)
            result.latencies.append(received[i] - t0)
        result.seconds = time.perf_counter() - started
        consumer.cancel()
        queue(channel).delete()
        exchange(channel).delete()
    result.statuses[0] = n
    return result


def bench_raw_mongo(mongo_url: str, n: int) -> list[Result]:
    client: MongoClient = MongoClient(mongo_url)
    coll = client[f"bench_{uuid.uuid4().hex[:6]}"]["docs"]
    inserts = timed(
        "baseline: raw pymongo insert_one", lambda i: coll.insert_one({"_id": i, "v": "x" * 200}), n
    )
    finds = timed("baseline: raw pymongo find_one by _id", lambda i: coll.find_one({"_id": i}), n)
    client.drop_database(coll.database.name)
    return [inserts, finds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=10.0,
        help="how long to count the idle stack's database work",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="seconds after seeding before the idle count (its events and the relays' back-off)",
    )
    parser.add_argument(
        "--amqp",
        action="store_true",
        help="use RabbitMQ at 127.0.0.1:5672 instead of the embedded transport",
    )
    args = parser.parse_args()
    with (
        servers.own_bus(args.amqp, "bench") as env,
        tempfile.TemporaryDirectory() as tmp,
        Stack(ROOT, var_dir=Path(tmp), base_port=free_port_base(), env=env) as stack,
    ):
        stack.seed()
        baseline_port = free_port()
        baseline = servers.baseline(baseline_port, stack.mongo_url, Path(tmp) / "baseline.log")
        meter = OpMeter(stack.mongo_url, stack.pids.get(DATABASE))
        try:
            auth = login(stack.gateway_url, "admin", stack.logins["admin"])
            time.sleep(args.settle)  # the seeding's events settle before the idle count
            idle = per_second(*meter.idle_rate(args.idle_seconds), args.idle_seconds)
            idle += meter.cpu_per_second(args.idle_seconds)
            lines = bench_http(
                stack.gateway_url,
                f"http://127.0.0.1:{baseline_port}",
                auth,
                args.clients,
                args.requests,
                meter,
                CpuMeter({**stack.pids, "baseline": baseline.pid}),
            )
            mixed, verdict = bench_mixed(
                stack.gateway_url, auth, args.clients, args.requests, meter
            )
            propagation = bench_propagation(stack.gateway_url, auth, args.events)
            broker = env.get("AMQP_URL") or mongo_transport_url(
                stack.mongo_url, f"bench_bus_{uuid.uuid4().hex[:6]}"
            )
            raw_bus = bench_raw_bus(broker, args.events)
            raw_mongo = bench_raw_mongo(stack.mongo_url, 500)
        finally:
            meter.close()
            os.killpg(baseline.pid, 15)
            baseline.wait(timeout=20)
    print(
        f"\nPassage foundation benchmark — {args.clients} clients × {args.requests} requests, "
        f"bus: {'RabbitMQ' if args.amqp else 'MongoDB transport (embedded)'}, "
        f"{os.cpu_count()} cores"
    )
    print(idle)
    for line in lines:
        print(line)
    print(mixed.line())
    print("  " + verdict)
    print(raw_bus.line())
    print(propagation.line(raw_bus))
    for r in raw_mongo:
        print(r.line())


if __name__ == "__main__":
    main()
