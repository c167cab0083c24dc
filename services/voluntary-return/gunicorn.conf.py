"""gunicorn settings for this process: the shared defaults (see
shared/passage/gunicorn_defaults.py), with a service API's number of processes."""

from passage.gunicorn_defaults import *  # noqa: F403
from passage.gunicorn_defaults import service_workers

workers = service_workers()
