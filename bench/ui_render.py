"""UI render benchmark: the server time of the centre dashboard, the deadline worklist and the case
board at 1k and 100k records, beside a same-run baseline.

Starts its own SecantusDB and the three services under gunicorn (as in production), builds the
gateway in this process and signs in through the UI's own form. Records are bulk-inserted: stays
cloned from one admitted through the API (300 open in the measured centre, the rest closed),
readmission requests with open deadlines (``bench.readmission_worklist.seed``) and
voluntary-return cases (``bench.voluntary_return_cases.seed``). Each page is fetched ``--n``
times in turn with the gateway's test client, so a figure is the gateway's whole server time for
the page: session, audit, the calls to the services and the template (the service calls are
timed apart). The baseline, in the same run: a bare Flask page rendering a Jinja table with as
many rows as the measured page shows.

    .venv/bin/python bench/ui_render.py [--sizes 1000,100000] [--n 50] [--settle 20]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from flask import Flask, render_template_string
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import readmission_worklist, voluntary_return_cases  # noqa: E402
from bench.foundation import admission_body  # noqa: E402
from bench.loadgen import Result, timed  # noqa: E402
from bench.servers import gunicorn, secantus  # noqa: E402
from detention.adapters import repository as detention_repository  # noqa: E402
from detention.domain.model import STAY_SEARCH  # noqa: E402
from gateway.testing import add_user, gateway_for_tests, settings_for_tests  # noqa: E402
from gateway.ui.web import EXTENSION  # noqa: E402
from passage.config import Settings  # noqa: E402
from passage.identity import HEADER, Identity, sign_identity  # noqa: E402
from passage.mongo import Mongo  # noqa: E402
from passage.names import search_keys  # noqa: E402
from passage.testing import free_port  # noqa: E402
from readmission.adapters import repository as readmission_repository  # noqa: E402
from voluntary_return.adapters import storage as voluntary_return_repository  # noqa: E402

SECRET = "bench-internal-secret-0123456789abcdef"
HELD = 300  # open stays in the measured centre (about a full centre); every other stay is closed
PASSWORD = "bench pass phrase long enough 42"
DBS = {
    "detention": "bench_ui_detention",
    "readmission": "bench_ui_readmission",
    "voluntary-return": voluntary_return_cases.DB,
}
APPS = {
    "detention": ("detention.app:create_app()", detention_repository),
    "readmission": ("readmission.app:create_app()", readmission_repository),
    "voluntary-return": ("voluntary_return.app:create_app()", voluntary_return_repository),
}
USERS: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "staff": ("centre_staff", {"centres": ["bench"]}, "/ui/centres/bench", "dashboard"),
    "liaison": ("liaison_officer", {"all_scopes": True}, "/ui/worklist", "worklist"),
    "caseworker": ("avr_caseworker", {}, "/ui/cases", "case board"),
}
ROW = re.compile(r"<tr[\s>]|<li><a href=\"/ui/cases/")
BASELINE = """<!doctype html><html lang="en"><head><title>Baseline</title></head><body><main>
<h1>{{ title }}</h1><table><thead><tr>{% for c in columns %}<th scope="col">{{ c }}</th>{% endfor %}
</tr></thead><tbody>{% for r in rows %}<tr>{% for c in columns %}<td>{{ r[c] }}</td>{% endfor %}
</tr>{% endfor %}</tbody></table></main></body></html>"""


def admin_headers() -> dict[str, str]:
    return {HEADER: sign_identity(Identity("bench-admin", "admin"), SECRET, ttl_seconds=3600)}


def centre_with_one_stay(detention: str) -> dict[str, Any]:
    """A centre, a unit and one stay admitted through the API: the model the seeded stays copy."""
    headers = admin_headers()
    created: tuple[tuple[str, dict[str, Any]], ...] = (
        ("/api/v1/detention/centres", {"id": "bench", "name": "Bench centre", "city": "Baku"}),
        (
            "/api/v1/detention/centres/bench/units",
            {
                "id": "bench-m1",
                "name": "Bench wing",
                "category": "men",
                "declared_places": 400,
                "floor_area_m2": 4000.0,
            },
        ),
    )
    for path, body in created:
        r = requests.post(detention + path, json=body, headers=headers, timeout=30)
        assert r.status_code == 201, r.text
    staff = {
        HEADER: sign_identity(
            Identity("bench-staff", "centre_staff", centres=("bench",)), SECRET, ttl_seconds=3600
        )
    }
    r = requests.post(
        f"{detention}/api/v1/detention/stays",
        json=admission_body("bench-m1", 0, valid_days=5),  # due within the dashboard's week
        headers=staff,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return r.json()


def seed_stays(db: Any, model: dict[str, Any], first: int, count: int) -> None:
    """Stays in the bench centre, each a copy of the model with its own id, person and keys: the
    first ``HELD`` open (a full centre), the rest closed (the centre's history)."""
    for offset in range(0, count, 5000):
        batch = []
        for i in range(first + offset, first + min(offset + 5000, count)):
            doc = {
                **model,
                "_id": str(uuid.UUID(int=i + 1)),
                "person_ref": f"BENCH-{i}",
                "person": {**model["person"], "family_name": f"Person{i}"},
                "status": "open" if i < HELD else "closed",
            }
            batch.append({**doc, **search_keys(doc, STAY_SEARCH)})
        db.stays.insert_many(batch, ordered=False)


def baseline(rows: int, n: int) -> Result:
    """A bare Flask page rendering a Jinja table of ``rows`` rows (eight columns)."""
    app = Flask("baseline")
    columns = ["id", "person", "born", "nationality", "unit", "since", "due", "state"]
    data = [{c: f"{c}-{i}" for c in columns} for i in range(rows)]

    @app.get("/table")
    def table() -> str:
        return render_template_string(BASELINE, title="Baseline", columns=columns, rows=data)

    client = app.test_client()
    client.get("/table")
    return timed(f"baseline: Flask + Jinja, {rows} rows", lambda _i: client.get("/table"), n)


def signed_in(app: Flask, username: str) -> Any:
    client = app.test_client()
    client.set_cookie("passage_lang", "en")
    page = client.get("/ui/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no sign-in form"
    answer = client.post(
        "/ui/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return client


class CallClock:
    """Time spent in the UI's calls to the services during each page (wraps ``Backend.send``)."""

    def __init__(self, app: Flask) -> None:
        self.backend = app.extensions[EXTENSION].backend
        self.original = self.backend.send
        self.pages: list[float] = []
        self.calls: list[int] = []
        self.backend.send = self._send

    def _send(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.original(*args, **kwargs)
        finally:
            if self.pages:
                self.pages[-1] += time.perf_counter() - started
                self.calls[-1] += 1

    def start(self) -> None:
        self.pages.append(0.0)
        self.calls.append(0)


def page(client: Any, path: str, name: str, n: int, clock: CallClock) -> tuple[Result, int]:
    first = client.get(path)  # a failing page is timed and reported too, with its statuses
    if first.status_code != 200:
        print(f"  {path}: first answer {first.status_code}: {first.get_data(as_text=True)[:300]}")
    rows = len(ROW.findall(first.get_data(as_text=True))) if first.status_code == 200 else 0
    statuses: dict[int, int] = {}
    clock.pages.clear()
    clock.calls.clear()

    def fetch(_i: int) -> None:
        clock.start()
        status = client.get(path).status_code
        statuses[status] = statuses.get(status, 0) + 1

    result = timed(f"{name} {path}", fetch, n)
    result.statuses = statuses
    return result, rows


def line(result: Result, rows: int, base: Result, clock: CallClock) -> str:
    calls = Result("calls", latencies=list(clock.pages))
    own = Result(
        "own", latencies=[t - c for t, c in zip(result.latencies, clock.pages, strict=True)]
    )
    return (
        f"{result.name:<30} p50 {result.percentile(50):>8.2f} ms  "
        f"p95 {result.percentile(95):>8.2f} ms  rows={rows:<4} n={result.count} "
        f"statuses={result.statuses}  [p50 {result.percentile(50) / base.percentile(50):.1f}x "
        f"baseline {base.percentile(50):.2f} ms]\n"
        f"{'':<30} of which {max(clock.calls, default=0)} service calls p50 "
        f"{calls.percentile(50):>8.2f} ms p95 {calls.percentile(95):>8.2f} ms; "
        f"the gateway's own work (session, audit, template) p50 {own.percentile(50):.2f} ms "
        f"p95 {own.percentile(95):.2f} ms"
    )


def run(mongo_url: str, urls: dict[str, str], args: argparse.Namespace) -> None:
    base = Settings.from_env("gateway", env={}, mongo_url=mongo_url, mongo_db="bench_ui_gateway")
    settings = settings_for_tests(base, urls, internal_token_secret=SECRET, development=True)
    app, deps = gateway_for_tests(settings)
    for username, (role, scopes, _path, _name) in USERS.items():
        add_user(deps, username, role, PASSWORD, **scopes)
    clients = {username: signed_in(app, username) for username in USERS}
    clock = CallClock(app)
    model = centre_with_one_stay(urls["detention"])
    raw: MongoClient = MongoClient(mongo_url, tz_aware=True)
    stored = raw[DBS["detention"]].stays.find_one({"_id": model["id"]})
    assert stored is not None
    seeded = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        seed_stays(raw[DBS["detention"]], stored, seeded, size - seeded)
        readmission_worklist.seed(raw[DBS["readmission"]], seeded, size - seeded)
        voluntary_return_cases.seed(raw[DBS["voluntary-return"]], seeded, size - seeded)
        seeded = size
        time.sleep(args.settle)  # let the database finish what the bulk inserts left it to do
        print(
            f"\n== {size} records per service (stays, readmission requests, cases; "
            f"seeded in {time.perf_counter() - started:.1f}s)"
        )
        for username, (_role, _scopes, path, name) in USERS.items():
            result, rows = page(clients[username], path, name, args.n, clock)
            print(line(result, rows, baseline(rows, args.n), clock), flush=True)
        bare = baseline(0, args.n)
        print(f"{bare.name:<30} p50 {bare.percentile(50):.2f} ms  p95 {bare.percentile(95):.2f} ms")
    deps.mongo.close()
    raw.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--n", type=int, default=50, help="requests per page and size")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds to wait after seeding")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ui-render-"))
    database, mongo_url = secantus(work)
    procs = [database]
    urls = {}
    try:
        for service, (app, repository) in APPS.items():
            Mongo(mongo_url, DBS[service]).ensure_indexes(repository.indexes())
            port = free_port()
            env = {
                "MONGO_URL": mongo_url,
                f"{service.upper().replace('-', '_')}_MONGO_DB": DBS[service],
                "INTERNAL_TOKEN_SECRET": SECRET,
                "AMQP_URL": "",
            }
            procs.append(gunicorn(app, port, env, work / f"{service}.log"))
            urls[service] = f"http://127.0.0.1:{port}"
        run(mongo_url, urls, args)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
