"""gunicorn settings for this process: the shared defaults (see
shared/passage/gunicorn_defaults.py)."""

from passage.gunicorn_defaults import *  # noqa: F403
