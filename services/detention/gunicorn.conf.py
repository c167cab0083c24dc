"""gunicorn settings for the detention API: the shared defaults (see
shared/passage/gunicorn_defaults.py), with one worker process unless ``WEB_CONCURRENCY`` says
otherwise.

Moves of one unit take turns within a process (``detention.adapters.occupancy``), while two
processes' moves of a hot unit conflict in the database and start their transactions again. The
API waits on its database, so one process with threads does as much as two: with 16 clients
admitting into one unit, p99 was 1.5-2.6 s with two processes and 0.8 s with one
(bench/foundation.py). Scale it by instances for availability.
"""

import os

from passage.gunicorn_defaults import *  # noqa: F403

workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
