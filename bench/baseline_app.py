"""The bare Flask endpoint benchmarks compare against (served by gunicorn with the same settings)."""
from flask import Flask, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/ping")
    def ping():
        return jsonify(ok=True)

    @app.post("/echo")
    def echo():
        return jsonify(request.get_json(silent=True) or {}), 201

    return app
