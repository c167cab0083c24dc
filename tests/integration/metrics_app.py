"""A minimal Passage app for the multiprocess metrics test: it answers with its worker's pid."""

from __future__ import annotations

import os

from flask import Flask, jsonify

from passage.web import build_app


def create_app() -> Flask:
    app, _api = build_app("metricsprobe.app", title="metrics probe")

    @app.get("/things/<thing_id>")
    def thing(thing_id: str):  # the id is never a label: the route template is
        return jsonify(pid=os.getpid())

    return app
