"""The gateway's proxy over real HTTP: a stub service that echoes what it received, is slow, or is
gone."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from flask import Response, jsonify, request

from gateway.auth.tokens import AUDIENCE, ISSUER, SigningKeys, issue_access_token, key_id
from gateway.testing import add_user, gateway_for_tests, settings_for_tests
from passage.config import Settings
from passage.identity import HEADER, Identity, sign_identity, verify_identity
from passage.problems import problem_response
from passage.testing import LiveServer
from passage.web import build_app

INTERNAL = "test-internal-identity-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
STAFF = Identity(user_id="staff.baku", role="centre_staff", centres=("baku",))


class Echo:
    """A stand-in for a service: records each request it receives and answers per path."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.release = threading.Event()
        app, _ = build_app(__name__, title="echo", max_body_bytes=4 * 1024 * 1024)
        app.add_url_rule(
            "/api/v1/detention/<path:rest>",
            "echo",
            self.answer,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        )
        self.app = app

    def answer(self, rest: str) -> Response:
        self.received.append(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode(),
                "body": request.get_data(as_text=True),
                "headers": dict(request.headers),
            }
        )
        if rest == "slow":
            self.release.wait(3)
        if rest == "full":
            return problem_response(409, "Unit baku-m1 is full.", occupancy=10, capacity=10)
        if rest == "created":
            return Response(
                json.dumps({"id": "s1"}),
                status=201,
                mimetype="application/json",
                headers={
                    "ETag": '"v1"',
                    "Retry-After": "3",
                    "Set-Cookie": "upstream=1",
                    "Location": f"{request.host_url}api/v1/detention/stays/s1",
                },
            )
        return jsonify(ok=True)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[tuple[Echo, str]]:
    stub = Echo()
    with LiveServer(stub.app) as server:
        yield stub, server.url
        stub.release.set()


@pytest.fixture
def echo(echo_server) -> tuple[Echo, str]:
    """The module's stub service, with an empty record for this test."""
    echo_server[0].received.clear()
    return echo_server


@pytest.fixture(scope="module")
def gateway(mongo_url, echo_server) -> Iterator[tuple[str, SigningKeys]]:
    """One gateway (own database) in front of the stub for the whole module: servers are slow to
    stop."""
    base = Settings.from_env(
        "gateway", env={}, mongo_url=mongo_url, mongo_db=f"t_{uuid.uuid4().hex[:10]}_gateway"
    )
    settings = settings_for_tests(
        base,
        {"detention": echo_server[1]},
        internal_token_secret=INTERNAL,
        upstream_read_timeout=0.5,
    )
    app, deps = gateway_for_tests(settings)
    add_user(deps, "staff.baku", "centre_staff", PASSWORD, centres=["baku"])
    with LiveServer(app) as server:
        yield server.url, deps.keys
    deps.mongo.close()


def _bearer(base: str) -> dict[str, str]:
    r = requests.post(
        f"{base}/api/v1/auth/login",
        json={"username": "staff.baku", "password": PASSWORD},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_forwards_method_path_query_body_and_headers(gateway, echo):
    base, _ = gateway
    stub, _ = echo
    body = json.dumps({"id": "baku-m1", "declared_places": 40})
    headers = {
        **_bearer(base),
        "Content-Type": "application/json",
        "If-Match": '"v3"',
        "If-None-Match": '"v2"',
        "X-Request-ID": "req-0123456789",
        "Cookie": "session=abc",
        "Proxy-Authorization": "Basic eA==",
        "Connection": "keep-alive, X-Hop",
        "X-Hop": "1",
        "Keep-Alive": "timeout=5",
        "TE": "trailers",
        "Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
    }
    r = requests.post(
        f"{base}/api/v1/detention/stays/s1/transfer?limit=5&cursor=abc%3D",
        data=body,
        headers=headers,
        timeout=10,
    )
    assert r.status_code == 200 and r.json() == {"ok": True}
    seen = stub.received[-1]
    assert (seen["method"], seen["path"], seen["query"]) == (
        "POST",
        "/api/v1/detention/stays/s1/transfer",
        "limit=5&cursor=abc%3D",
    )
    assert seen["body"] == body
    sent = seen["headers"]
    assert sent["Content-Type"] == "application/json"
    assert (sent["If-Match"], sent["If-None-Match"], sent["X-Request-Id"]) == (
        '"v3"',
        '"v2"',
        "req-0123456789",
    )
    assert sent["Idempotency-Key"] == '"8e03978e-40d5-43e8-bc93-6894a57f9324"'
    for private in ("Cookie", "Authorization", "Proxy-Authorization", "X-Hop", "Keep-Alive", "Te"):
        assert private not in sent
    assert verify_identity(sent[HEADER], INTERNAL) == STAFF
    assert r.headers["X-Request-ID"] == "req-0123456789"


def test_the_hop_carries_the_callers_trace(gateway, echo):
    """The service's work joins the caller's trace, as a child of the gateway's span."""
    base, _ = gateway
    stub, _ = echo
    trace_id, caller_span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    r = requests.get(
        f"{base}/api/v1/detention/centres",
        headers={**_bearer(base), "traceparent": f"00-{trace_id}-{caller_span}-01"},
        timeout=10,
    )
    assert r.status_code == 200
    version, seen_trace, parent, _flags = stub.received[-1]["headers"]["Traceparent"].split("-")
    assert (version, seen_trace) == ("00", trace_id)
    assert parent not in (caller_span, "0" * 16)  # the gateway's own span


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_every_method_is_forwarded(gateway, echo, method):
    base, _ = gateway
    stub, _ = echo
    r = requests.request(
        method, f"{base}/api/v1/detention/stays/s1", headers=_bearer(base), timeout=10
    )
    assert r.status_code == 200 and stub.received[-1]["method"] == method


def test_a_client_made_identity_header_never_reaches_the_service(gateway, echo):
    base, _ = gateway
    stub, _ = echo
    forged = sign_identity(Identity(user_id="mallory", role="admin"), INTERNAL)
    r = requests.get(
        f"{base}/api/v1/detention/centres", headers={**_bearer(base), HEADER: forged}, timeout=10
    )
    assert r.status_code == 200
    received = stub.received[-1]["headers"][HEADER]
    assert received != forged and verify_identity(received, INTERNAL) == STAFF
    calls = len(stub.received)
    r = requests.get(f"{base}/api/v1/detention/centres", headers={HEADER: forged}, timeout=10)
    assert r.status_code == 401 and len(stub.received) == calls


def test_problem_from_the_service_passes_through_unchanged(gateway, echo):
    base, _ = gateway
    r = requests.post(f"{base}/api/v1/detention/full", json={}, headers=_bearer(base), timeout=10)
    assert r.status_code == 409
    assert r.headers["Content-Type"] == "application/problem+json"
    problem = r.json()
    assert (problem["detail"], problem["occupancy"], problem["capacity"]) == (
        "Unit baku-m1 is full.",
        10,
        10,
    )
    assert problem["instance"] == "/api/v1/detention/full"
    assert problem["correlation_id"] == r.headers["X-Request-ID"]


def test_status_and_client_headers_pass_through_and_location_points_at_the_gateway(gateway, echo):
    base, _ = gateway
    r = requests.post(
        f"{base}/api/v1/detention/created", json={}, headers=_bearer(base), timeout=10
    )
    assert r.status_code == 201 and r.json() == {"id": "s1"}
    assert (r.headers["ETag"], r.headers["Retry-After"]) == ('"v1"', "3")
    assert r.headers["Location"] == "/api/v1/detention/stays/s1"
    assert "Set-Cookie" not in r.headers


def test_request_id_is_made_when_absent_and_kept_end_to_end(gateway, echo):
    base, _ = gateway
    stub, _ = echo
    r = requests.get(f"{base}/api/v1/detention/centres", headers=_bearer(base), timeout=10)
    assert r.headers["X-Request-ID"] == stub.received[-1]["headers"]["X-Request-Id"]
    assert len(r.headers["X-Request-ID"]) >= 8


def _problem_without_leaks(r: requests.Response, status: int) -> dict:
    assert r.status_code == status
    assert r.headers["Content-Type"] == "application/problem+json"
    for leak in ("Traceback", "Errno", "refused", "HTTPConnectionPool", "127.0.0.1", "Timeout("):
        assert leak not in r.text
    return r.json()


def test_service_down_is_a_502_problem(settings_for, service_down):
    settings = settings_for_tests(settings_for("gateway"), {"detention": service_down})
    app, deps = gateway_for_tests(settings)
    token = issue_access_token(STAFF, deps.keys, ttl_seconds=60)
    with LiveServer(app) as server:
        for method in ("GET", "POST"):
            r = requests.request(
                method,
                f"{server.url}/api/v1/detention/stays",
                json={} if method == "POST" else None,
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert _problem_without_leaks(r, 502)["service"] == "detention"


@pytest.fixture
def resetting_service() -> Iterator[str]:
    """A server that accepts each connection and resets it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_connection_reset_by_the_service_is_a_502_problem(settings_for, resetting_service):
    settings = settings_for_tests(settings_for("gateway"), {"readmission": resetting_service})
    app, deps = gateway_for_tests(settings)
    token = issue_access_token(
        Identity(user_id="liaison", role="liaison_officer", all_scopes=True),
        deps.keys,
        ttl_seconds=60,
    )
    r = app.test_client().get(
        "/api/v1/readmission/persons/p1/location", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 502 and r.mimetype == "application/problem+json"
    assert "reset" not in r.get_data(as_text=True).lower()


def test_slow_service_is_a_504_problem(gateway, echo):
    base, _ = gateway
    started = time.monotonic()
    r = requests.get(f"{base}/api/v1/detention/slow", headers=_bearer(base), timeout=10)
    assert time.monotonic() - started < 5
    assert _problem_without_leaks(r, 504)["service"] == "detention"


def test_oversize_body_is_a_413_problem_and_not_forwarded(gateway, echo):
    base, _ = gateway
    stub, _ = echo
    calls = len(stub.received)
    r = requests.post(
        f"{base}/api/v1/detention/stays",
        data=b"{" + b" " * 300_000 + b"}",
        headers={**_bearer(base), "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 413 and r.headers["Content-Type"] == "application/problem+json"
    assert len(stub.received) == calls


def _signed(claims_change: dict, secret: str, kid: str, alg: str = "HS256") -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "staff.baku",
        "iat": now,
        "exp": now + 600,
        "jti": "x",
        "role": "admin",
        "centres": [],
        "member_states": [],
        "org": None,
        "all": False,
        **claims_change,
    }
    return jwt.encode(claims, secret, algorithm=alg, headers={"kid": kid})


def _bad_tokens(keys: SigningKeys) -> dict[str, dict[str, str]]:
    secret, kid = keys.secrets[keys.current_kid], keys.current_kid
    good = issue_access_token(STAFF, keys, ttl_seconds=600)
    head, payload, sig = good.split(".")
    tampered_payload = payload[:-4] + ("AAAA" if not payload.endswith("AAAA") else "BBBB")
    none = jwt.utils.base64url_encode(json.dumps({"alg": "none", "kid": kid}).encode()).decode()
    return {
        "missing bearer": {},
        "not bearer": {"Authorization": f"Basic {good}"},
        "expired": {
            "Authorization": "Bearer "
            + issue_access_token(STAFF, keys, ttl_seconds=60, now=time.time() - 600)
        },
        "wrong signature": {"Authorization": f"Bearer {_signed({}, 'x' * 64, kid)}"},
        "alg none": {"Authorization": f"Bearer {none}.{payload}."},
        "wrong audience": {
            "Authorization": f"Bearer {_signed({'aud': 'passage-services'}, secret, kid)}"
        },
        "tampered": {"Authorization": f"Bearer {head}.{tampered_payload}.{sig}"},
        "internal identity as bearer": {
            "Authorization": f"Bearer {sign_identity(STAFF, INTERNAL)}"
        },
        "unknown kid": {"Authorization": f"Bearer {_signed({}, secret, key_id('y' * 64))}"},
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing bearer",
        "not bearer",
        "expired",
        "wrong signature",
        "alg none",
        "wrong audience",
        "tampered",
        "internal identity as bearer",
        "unknown kid",
    ],
)
def test_bad_tokens_are_401_problems_and_never_forwarded(gateway, echo, case):
    base, keys = gateway
    stub, _ = echo
    r = requests.get(
        f"{base}/api/v1/detention/centres", headers=_bad_tokens(keys)[case], timeout=10
    )
    assert r.status_code == 401 and r.headers["Content-Type"] == "application/problem+json"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert stub.received == []


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """Answers on a kept-alive HTTP/1.1 connection (werkzeug's test server closes every one)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"port": self.client_address[1]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_connections_to_the_service_are_kept_alive_and_reused(settings_for):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = settings_for_tests(
            settings_for("gateway"), {"detention": f"http://127.0.0.1:{server.server_port}"}
        )
        app, deps = gateway_for_tests(settings)
        token = issue_access_token(STAFF, deps.keys, ttl_seconds=60)
        client = app.test_client()
        ports = {
            client.get(
                "/api/v1/detention/centres", headers={"Authorization": f"Bearer {token}"}
            ).json["port"]
            for _ in range(3)
        }
        assert len(ports) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_revoked_token_is_a_401_problem_and_never_forwarded(gateway, echo):
    base, _ = gateway
    stub, _ = echo
    r = requests.post(
        f"{base}/api/v1/auth/login",
        json={"username": "staff.baku", "password": PASSWORD},
        timeout=10,
    )
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (
        requests.post(f"{base}/api/v1/auth/logout", headers=bearer, json={}, timeout=10).status_code
        == 204
    )
    r = requests.get(f"{base}/api/v1/detention/stays", headers=bearer, timeout=10)
    assert r.status_code == 401 and r.headers["Content-Type"] == "application/problem+json"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert stub.received == []
