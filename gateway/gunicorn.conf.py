"""gunicorn settings for the gateway: the shared defaults, with the client-facing worker class.

The gateway is the process clients connect to (directly in the embedded default, behind the nginx
edge in docker compose), so it runs gevent workers: a slow client holds a greenlet, not a thread.
"""

from passage.gunicorn_defaults import *  # noqa: F403
from passage.gunicorn_defaults import CLIENT_FACING

worker_class = CLIENT_FACING["worker_class"]
worker_connections = CLIENT_FACING["worker_connections"]
