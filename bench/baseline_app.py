"""The bare endpoints benchmarks compare against (served by gunicorn with the same settings).

``/ping`` and ``/echo`` do no I/O; ``/stays`` inserts the request's document and ``/stays/<id>``
reads it by id with plain pymongo (``MONGO_URL``), one client per worker process created after
the fork: the least work an admission and a stay read can cost on the same database.
``/hop/stays/<id>`` forwards to ``/stays/<id>`` of the same server over a pooled ``requests``
session (no checks, no audit): the least a gateway hop in front of a service can cost.
"""

from __future__ import annotations

import os
import uuid

import requests
from flask import Flask, Response, abort, jsonify, request
from pymongo import MongoClient
from pymongo.collection import Collection


def create_app() -> Flask:
    app = Flask(__name__)
    state: dict[str, MongoClient] = {}
    hop: dict[str, requests.Session] = {}

    def stays() -> Collection:
        if "client" not in state:
            state["client"] = MongoClient(os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/"))
        return state["client"]["bench_baseline"]["stays"]

    @app.get("/ping")
    def ping() -> Response:
        return jsonify(ok=True)

    @app.post("/echo")
    def echo() -> tuple[Response, int]:
        return jsonify(request.get_json(silent=True) or {}), 201

    @app.post("/stays")
    def insert() -> tuple[Response, int]:
        doc = {
            **(request.get_json(silent=True) or {}),
            "_id": str(uuid.uuid4()),
            "status": "open",
            "version": 1,
        }
        stays().insert_one(doc)
        return jsonify(doc), 201

    @app.get("/stays/<stay_id>")
    def read(stay_id: str) -> Response:
        doc = stays().find_one({"_id": stay_id})
        if doc is None:
            abort(404)
        return jsonify(doc)

    @app.get("/hop/stays/<stay_id>")
    def forwarded(stay_id: str) -> Response:
        if "session" not in hop:
            hop["session"] = requests.Session()
        answer = hop["session"].get(f"{request.host_url}stays/{stay_id}", timeout=15)
        return Response(answer.content, status=answer.status_code, mimetype="application/json")

    return app
