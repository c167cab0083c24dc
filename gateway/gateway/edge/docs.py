"""Interactive API docs at ``/docs``: the vendored Swagger UI (swagger-ui-dist, Apache-2.0) on
``/openapi.json``.

Every file is served by the gateway itself, so the docs work without any external CDN.
"""

from __future__ import annotations

from flask import Blueprint, Response

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Passage API</title>
  <link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
  <link rel="icon" type="image/png" href="/static/swagger-ui/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/static/docs.js"></script>
</body>
</html>
"""
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)


def docs_blueprint() -> Blueprint:
    blp = Blueprint("docs", __name__)

    @blp.get("/docs")
    def docs() -> Response:
        return Response(PAGE, mimetype="text/html", headers={"Content-Security-Policy": CSP})

    return blp
