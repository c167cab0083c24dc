"""gunicorn settings every Passage HTTP process shares; each ``gunicorn.conf.py`` imports them.

Kept in one place so the APIs and the gateway cannot drift apart. Read from the environment
at gunicorn start-up only (this module does no other I/O). ``preload_app`` stays off so every
worker builds its own app, and with it its own pymongo client, after the fork.
"""

from __future__ import annotations

import os

from gunicorn.glogging import Logger

__all__ = [
    "bind",
    "workers",
    "worker_class",
    "threads",
    "timeout",
    "graceful_timeout",
    "keepalive",
    "preload_app",
    "accesslog",
    "errorlog",
    "loglevel",
    "logconfig_dict",
    "logger_class",
    "worker_tmp_dir",
    "control_socket_disable",
    "on_starting",
    "child_exit",
    "limit_request_line",
    "limit_request_fields",
    "limit_request_field_size",
    "CLIENT_FACING",
]

bind = os.environ.get("PASSAGE_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# Twice passage.overload's work slots (4): the spare threads answer 503 + Retry-After at once when
# the slots are taken, instead of requests queueing unseen inside gunicorn until a 504.
threads = int(os.environ.get("PASSAGE_THREADS", "8"))
# Kills a stuck worker; above the gateway's worst request (slot wait 5 s + its own database
# deadline 8 s + upstream read timeout 15 s = 28 s). See the README's "Timeouts" table.
timeout = int(os.environ.get("PASSAGE_TIMEOUT", "30"))
# Short enough that a stop (Ctrl-C, docker stop's 10 s) finishes in-flight requests and exits.
graceful_timeout = int(os.environ.get("PASSAGE_GRACEFUL_TIMEOUT", "8"))
keepalive = 5
# Headers: 4 KiB request line, 50 fields of at most 8 KiB (nginx's large_client_header_buffers at
# the edge).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# For the process clients reach directly (the gateway): gthread reads a request's headers with a
# worker thread and has no header timeout, so ten sockets sending one header line every few seconds
# held every thread and /healthz stopped answering. gevent gives each connection a greenlet instead
# (up to worker_connections per worker), so slow clients wait alone, and gunicorn's gevent worker
# gives each request's headers ``keepalive`` seconds in all before it drops the connection. In
# production the nginx edge
# (deploy/nginx.conf) buffers requests with header and body timeouts in front of this as well.
CLIENT_FACING = {
    "worker_class": "gevent",
    "worker_connections": int(os.environ.get("PASSAGE_CONNECTIONS", "1000")),
}
preload_app = False
# No access log: the apps log one JSON line per request, with its request id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): the four
# masters of a stack (and a second stack) would take it from each other. Nothing here uses it.
control_socket_disable = True
# A RAM-backed heartbeat file when there is one (containers' /tmp may be a slow overlay).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# gunicorn's own messages (boot, worker exits) as JSON lines too, like everything else.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "passage.logs.JsonFormatter", "service": "gunicorn"}},
    "handlers": {
        "json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["json"], "propagate": False},
    },
}


class WithoutAccessLog(Logger):
    """gunicorn's logger with no access log at all.

    The apps log one JSON line per request with its request id. With ``logconfig_dict`` set,
    gunicorn would still build every request's access-log fields and hand them to a logger that
    drops them: about 4% of a process's CPU per request, measured under load.
    """

    access_log_enabled = False  # gunicorn's workers and its own ``access`` skip the line then


logger_class = WithoutAccessLog


def on_starting(server: object) -> None:
    """Make sure the multiprocess metrics directory exists before any worker writes to it.

    Clearing it between runs is the launcher's job (devstack does; an image starts empty), since
    the service's background worker writes there too and may already have started.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)


def child_exit(server: object, worker: object) -> None:
    """A gunicorn worker ended: drop its live gauges so a scrape no longer counts them."""
    from passage.metrics import process_ended

    process_ended(worker.pid)  # type: ignore[attr-defined]
