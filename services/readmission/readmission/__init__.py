"""Readmission service: EU readmission requests, their legal deadlines, transit requests,
protocols and statistics (DESIGN §3.2). Its shape, as in every Passage service:

- ``domain/``: rules and vocabularies (states, deadlines, agreements, evidence); stdlib only.
- ``handlers/``: commands, one function per use case; take a Context and repositories, raise
  ``passage.errors`` refusals.
- ``event_handlers.py``: detention and voluntary-return events; ``timers.py``: the deadline clock.
- ``adapters/``: MongoDB storage (the only place that speaks the driver).
- ``web/``: blueprints, schemas and the error table (``web/errors.py``).
- ``service.py`` (Deps, build_deps, SPEC), ``app.py`` and ``worker.py`` over ``passage.service``;
  ``config.py``; CLIs ``seed.py`` and ``retention.py``.
"""
