"""Safe retries with ``Idempotency-Key``: a retried POST returns the first response and has no
second effect, concurrent duplicates have one effect, a reused key with another body is refused.

Over real HTTP on the real SecantusDB (detention), and the test client for the other services.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from detention import service
from detention.adapters.repository import STAYS
from detention.app import create_app
from passage.idempotency import ABANDONED_AFTER_SECONDS, COLLECTION, fingerprint
from passage.mongo import Mongo
from passage.testing import LiveServer, identity_headers
from passage.web import build_app
from tests.integration.test_detention_capacity import admission
from tests.integration.test_readmission_support import Service as Readmission
from tests.integration.test_readmission_support import new_request
from tests.integration.test_voluntary_return_support import new_ref
from tests.integration.test_voluntary_return_support import service as voluntary_return

PREFIX = "/api/v1/detention"
DUPLICATES = 10


class Detention:
    """A detention API over HTTP with one unit of ``places`` places."""

    def __init__(self, url: str, deps: Any, secret: str) -> None:
        self.url, self.deps, self.secret = url, deps, secret
        self.headers = identity_headers(secret, role="admin")
        centre = f"ik-{uuid.uuid4().hex[:6]}"
        self.unit = f"{centre}-a"
        assert (
            self.post("/centres", {"id": centre, "name": "Keys", "city": "Baku"}).status_code == 201
        )
        assert (
            self.post(
                f"/centres/{centre}/units",
                {
                    "id": self.unit,
                    "name": "A",
                    "category": "men",
                    "declared_places": 5,
                    "floor_area_m2": 80.0,
                },
            ).status_code
            == 201
        )

    def post(
        self, path: str, body: Any, key: str | None = None, user: str | None = None
    ) -> requests.Response:
        headers = (
            dict(self.headers)
            if user is None
            else identity_headers(self.secret, role="admin", user_id=user)
        )
        if key is not None:
            headers["Idempotency-Key"] = key
        return requests.post(f"{self.url}{PREFIX}{path}", json=body, headers=headers, timeout=60)

    def stays_of(self, n: int) -> int:
        return self.deps.mongo.collection(STAYS).count_documents({"person_ref": f"AZ-TEST-{n:06d}"})

    def keys_stored(self) -> int:
        return self.deps.mongo.collection(COLLECTION).count_documents({})


@pytest.fixture
def detention(settings_for) -> Iterator[Detention]:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    with LiveServer(create_app(settings, deps)) as server:
        yield Detention(server.url, deps, settings.internal_token_secret)


def test_a_retried_admission_returns_the_first_201_and_admits_once(detention: Detention) -> None:
    key = str(uuid.uuid4())
    first = detention.post("/stays", admission(detention.unit, 1), key)
    assert first.status_code == 201, first.text
    again = detention.post(
        "/stays", admission(detention.unit, 1), f'"{key}"'
    )  # the draft's sf-string form
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert detention.stays_of(1) == 1
    # Without the key the same admission is a new request: the person is already held.
    assert detention.post("/stays", admission(detention.unit, 1)).status_code == 409


def test_ten_concurrent_duplicates_admit_once(detention: Detention) -> None:
    key = str(uuid.uuid4())
    barrier = threading.Barrier(DUPLICATES)
    answers: list[Any] = [None] * DUPLICATES

    def send(n: int) -> None:
        barrier.wait(timeout=30)
        answers[n] = detention.post("/stays", admission(detention.unit, 2), key)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(DUPLICATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409} and 201 in statuses, statuses
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    for busy in (a for a in answers if a.status_code == 409):
        assert busy.headers["Content-Type"] == "application/problem+json"
        assert busy.headers["Retry-After"] == "1"
        assert busy.json()["type"].endswith("idempotency-key-in-flight")
    assert detention.stays_of(2) == 1
    retried = detention.post("/stays", admission(detention.unit, 2), key)
    assert retried.status_code == 201 and retried.json()["id"] in created


def test_the_same_key_with_another_body_is_422_and_changes_nothing(detention: Detention) -> None:
    key = str(uuid.uuid4())
    assert detention.post("/stays", admission(detention.unit, 3), key).status_code == 201
    other = detention.post("/stays", admission(detention.unit, 4), key)
    assert other.status_code == 422
    assert other.headers["Content-Type"] == "application/problem+json"
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert detention.stays_of(4) == 0
    # The same key on another endpoint is another request too.
    assert (
        detention.post(f"/stays/{uuid.uuid4()}/release", {"reason": "other"}, key).status_code
        == 422
    )


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "short",
        "x" * 129,
        "has space in it",
        '"unterminated',
        "clé-clé-clé-clé",
        '{"$ne": null}',
    ],
)
def test_a_malformed_key_is_400_and_stores_nothing(detention: Detention, bad: str) -> None:
    before = detention.keys_stored()
    response = detention.post("/stays", admission(detention.unit, 5), bad)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["pointer"] == "/headers/Idempotency-Key"
    assert detention.stays_of(5) == 0
    assert detention.keys_stored() == before


def test_keys_belong_to_their_caller(detention: Detention) -> None:
    key = str(uuid.uuid4())
    mine = detention.post("/stays", admission(detention.unit, 6), key, user="officer-1")
    theirs = detention.post("/stays", admission(detention.unit, 7), key, user="officer-2")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_refused_admission_is_replayed_as_refused(detention: Detention) -> None:
    key, body = str(uuid.uuid4()), {**admission(detention.unit, 8), "unit_id": "no-such-unit"}
    first = detention.post("/stays", body, key)
    assert 400 <= first.status_code < 500
    again = detention.post("/stays", body, key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())


def test_readmission_request_creation_is_retried_once(settings_for) -> None:
    service = Readmission(settings_for("readmission"))
    headers = {**service.headers(), "Idempotency-Key": str(uuid.uuid4())}
    first = service.client.post("/api/v1/readmission/requests", json=new_request(), headers=headers)
    again = service.client.post("/api/v1/readmission/requests", json=new_request(), headers=headers)
    assert first.status_code == 201, first.get_json()
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert service.counts()["requests"] == 1


def test_voluntary_return_referral_is_retried_once(settings_for) -> None:
    service = voluntary_return(settings_for("voluntary_return"))
    body = {
        "person_ref": new_ref(),
        "source": "ngo",
        "organisation": "Caritas Baku",
        "nationality": "IRN",
    }
    headers = service.headers(**{"Idempotency-Key": str(uuid.uuid4())})
    first = service.client.post("/api/v1/voluntary-return/cases", json=body, headers=headers)
    again = service.client.post("/api/v1/voluntary-return/cases", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert (
        service.deps.mongo.collection("cases").count_documents({"person_ref": body["person_ref"]})
        == 1
    )


@pytest.fixture
def flaky(settings_for) -> Iterator[tuple[Any, Mongo, list[int]]]:
    """An app whose one POST fails the first time it runs and then succeeds; ``calls`` counts
    runs."""
    settings = settings_for("idempotency")
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    app, _ = build_app("idempotency-test", title="idempotency test", idempotency=mongo)
    calls: list[int] = []

    @app.post("/api/v1/flaky")
    def run() -> tuple[dict[str, int], int]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first run fails (test)")
        return {"run": len(calls)}, 201

    yield app.test_client(), mongo, calls
    mongo.client.drop_database(settings.mongo_db)
    mongo.close()


def test_a_5xx_is_not_kept_so_the_retry_runs_again(flaky: tuple[Any, Mongo, list[int]]) -> None:
    client, _, calls = flaky
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    assert client.post("/api/v1/flaky", json={}, headers=headers).status_code == 500
    second = client.post("/api/v1/flaky", json={}, headers=headers)
    third = client.post("/api/v1/flaky", json={}, headers=headers)
    assert (second.status_code, second.get_json()) == (201, {"run": 2})
    assert (third.status_code, third.get_json()) == (201, {"run": 2})
    assert len(calls) == 2


def test_a_key_held_by_a_dead_request_is_taken_over_only_after_its_hold(
    flaky: tuple[Any, Mongo, list[int]],
) -> None:
    client, mongo, calls = flaky
    calls.append(1)  # past the failing first run
    body = b"{}"
    now = datetime.now(UTC)
    for key, started in (
        ("held-by-a-live-one", now),
        ("held-by-a-dead-one", now - timedelta(seconds=ABANDONED_AFTER_SECONDS + 1)),
    ):
        record_id = hashlib.sha256(f"\n{key}".encode()).hexdigest()
        mongo.collection(COLLECTION).insert_one(
            {
                "_id": record_id,
                "fingerprint": fingerprint("POST", "/api/v1/flaky", b"", body),
                "owner": "gone",
                "state": "in_flight",
                "started_at": started,
                "expires_at": now + timedelta(hours=1),
            }
        )
    live = client.post(
        "/api/v1/flaky",
        data=body,
        content_type="application/json",
        headers={"Idempotency-Key": "held-by-a-live-one"},
    )
    dead = client.post(
        "/api/v1/flaky",
        data=body,
        content_type="application/json",
        headers={"Idempotency-Key": "held-by-a-dead-one"},
    )
    assert live.status_code == 409 and live.headers["Retry-After"] == "1"
    assert dead.status_code == 201
    assert len(calls) == 2
