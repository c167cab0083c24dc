"""Safe retries: the ``Idempotency-Key`` request header on every POST of a service's API.

Semantics of the IETF draft "The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header): the first response to a POST carrying a key is
kept per (caller, key) with a fingerprint of the request (method, path, query, body bytes), and

- a retry with the same key and the same request gets that response again, and nothing is done
  a second time (no second stay, request or case);
- the same key with a different request is ``422``; a malformed key is ``400``;
- a duplicate arriving while the first is still being handled is ``409`` with ``Retry-After``
  (so concurrent duplicates have one effect);
- keys expire ``KEY_TTL_SECONDS`` (24 hours) after first use (a TTL index removes them).

5xx answers are not kept: the key is released so a retry runs again. A first request whose
process died mid-way holds its key for ``ABANDONED_AFTER_SECONDS``, then a retry may run it
again. Stored bodies stay in the service's own database, like the records they describe.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apispec import BasePlugin
from bson import Binary
from flask import Flask, Response, g, request
from pymongo.errors import DuplicateKeyError, PyMongoError

from passage.mongo import Index, Mongo
from passage.problems import BadRequest, Problem, Unavailable

log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
COLLECTION = "idempotency_keys"
KEY_TTL_SECONDS = 24 * 3600
#: Longer than any request may run (gunicorn's timeout, 30 s, kills a worker before this).
ABANDONED_AFTER_SECONDS = 120
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Link", "Content-Disposition")
INDEXES = [Index(COLLECTION, [("expires_at", 1)], name="idempotency_ttl", expire_after_seconds=0)]
_KEY = re.compile(r"[A-Za-z0-9._:~+/=-]{8,128}")


class KeyReused(Problem):
    status = 422
    slug = "idempotency-key-reused"


class StillInFlight(Problem):
    status = 409
    slug = "idempotency-key-in-flight"


@dataclass(frozen=True)
class Claim:
    """This request owns the key ``record_id`` until it stores its answer or releases it."""

    record_id: str
    owner: str


def parse_key(header: str) -> str:
    """The key from the header (an sf-string: quoted; a bare token is accepted too); else 400."""
    value = header.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not _KEY.fullmatch(value):
        raise BadRequest(
            f"{HEADER} must be 8 to 128 characters from letters, digits and ._:~+/=- "
            "(a UUID is a good key).",
            errors=[{"pointer": f"/headers/{HEADER}", "detail": "malformed key"}],
        )
    return value


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyKeys:
    """The store of keys and first responses, in the service's own database."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self._indexed = threading.Event()

    @property
    def keys(self) -> Any:
        if not self._indexed.is_set():
            self.mongo.ensure_indexes(INDEXES)
            self._indexed.set()
        return self.mongo.collection(COLLECTION)

    def claim(self, caller: str, key: str, print_: str, now: datetime) -> Claim | dict[str, Any]:
        """Claim the key for this request, or return the stored first response."""
        record_id = hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
        owner = uuid.uuid4().hex
        fresh = {
            "_id": record_id,
            "fingerprint": print_,
            "owner": owner,
            "state": "in_flight",
            "started_at": now,
            "expires_at": now + timedelta(seconds=KEY_TTL_SECONDS),
        }
        try:
            self.keys.insert_one(fresh)
            return Claim(record_id, owner)
        except DuplicateKeyError:
            pass
        found = self.keys.find_one({"_id": record_id})
        if found is None or found["expires_at"].replace(tzinfo=UTC) <= now:
            return self._take_over(found, fresh, now)
        if found["fingerprint"] != print_:
            raise KeyReused(
                f"This {HEADER} was used for a different request; use a new key for a new request."
            )
        if found["state"] == "done":
            return dict(found["response"])
        if found["started_at"].replace(tzinfo=UTC) <= now - timedelta(
            seconds=ABANDONED_AFTER_SECONDS
        ):
            return self._take_over(found, fresh, now)
        raise StillInFlight(
            f"A request with this {HEADER} is still being handled; retry shortly.",
            headers={"Retry-After": "1"},
        )

    def _take_over(
        self, found: dict[str, Any] | None, fresh: dict[str, Any], now: datetime
    ) -> Claim:
        """An expired, abandoned or just released key: take it, unless another retry got there
        first."""
        busy = StillInFlight(
            f"A request with this {HEADER} is still being handled; retry shortly.",
            headers={"Retry-After": "1"},
        )
        if found is None:
            try:
                self.keys.insert_one(fresh)
            except DuplicateKeyError:
                raise busy from None
        elif not self.keys.replace_one(
            {"_id": fresh["_id"], "owner": found["owner"]}, fresh
        ).matched_count:
            raise busy
        return Claim(fresh["_id"], fresh["owner"])

    def store(self, claim: Claim, response: Response) -> None:
        kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        answer = {
            "status": response.status_code,
            "headers": kept,
            "body": Binary(response.get_data()),
        }
        self.keys.update_one(
            {"_id": claim.record_id, "owner": claim.owner},
            {"$set": {"state": "done", "response": answer}},
        )

    def release(self, claim: Claim) -> None:
        self.keys.delete_one({"_id": claim.record_id, "owner": claim.owner})


PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the first answer to this key is kept for 24 hours and a retry of the "
        "same request gets it again, without a second effect. The same key with another request "
        "is 422; a retry while the first is still being handled is 409 with Retry-After."
    ),
    "schema": {"type": "string", "minLength": 8, "maxLength": 128, "pattern": _KEY.pattern},
    "example": "5f0c2a8e-7d1b-4c3e-9a61-2b8f4e0d9c17",
}


class OpenAPIPlugin(BasePlugin):
    """Documents the ``Idempotency-Key`` header on every POST of an API that honours it."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        post = (operations or {}).get("post")
        if post is not None and not any(
            p.get("name") == HEADER for p in post.get("parameters", [])
        ):
            post.setdefault("parameters", []).append(dict(PARAMETER))


def replay(stored: dict[str, Any]) -> Response:
    response = Response(bytes(stored["body"]), status=int(stored["status"]))
    response.headers.pop("Content-Type", None)
    for name, value in stored["headers"].items():
        response.headers[name] = value
    return response


def install(app: Flask, keys: IdempotencyKeys) -> None:
    """Honour ``Idempotency-Key`` on every POST under ``/api/`` (after the identity check)."""

    @app.before_request
    def _claim_key() -> Response | None:
        if (
            request.method != "POST"
            or HEADER not in request.headers
            or not request.path.startswith("/api/")
        ):
            return None
        key = parse_key(request.headers[HEADER])
        caller = g.get("identity")
        print_ = fingerprint(
            request.method, request.path, request.query_string, request.get_data(cache=True)
        )
        try:
            outcome = keys.claim(caller.user_id if caller else "", key, print_, datetime.now(UTC))
        except PyMongoError:
            raise Unavailable("The database is not reachable; try again shortly.") from None
        if isinstance(outcome, Claim):
            g.idempotency_claim = outcome
            return None
        return replay(outcome)

    @app.after_request
    def _keep_answer(response: Response) -> Response:
        claim = g.pop("idempotency_claim", None)
        if claim is not None:
            _settle(keys, claim, response)
        return response

    @app.teardown_request
    def _release_on_crash(_exc: BaseException | None) -> None:
        claim = g.pop("idempotency_claim", None)
        if claim is not None:
            _settle(keys, claim, None)


def _settle(keys: IdempotencyKeys, claim: Claim, response: Response | None) -> None:
    """Keep the answer, or release the key after a 5xx so that a retry runs again."""
    try:
        if response is None or response.status_code >= 500:
            keys.release(claim)
        else:
            keys.store(claim, response)
    except PyMongoError as exc:  # the key stays in flight until it counts as abandoned
        log.warning("could not settle an idempotency key", extra={"error": type(exc).__name__})
