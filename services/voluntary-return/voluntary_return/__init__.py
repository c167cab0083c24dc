"""Voluntary-return service: IOM assisted voluntary return (AVRR) cases from referral to
reintegration monitoring (DESIGN §3.3). Its shape, as every service's (DESIGN §7):

- ``domain/``: the case's rules and vocabulary, pure (no framework, no driver);
- ``handlers``: commands and queries (take a ``Context`` and ports, raise ``passage.errors``);
- ``event_handlers``: what it does when detention or readmission speaks; ``routes``: its queues;
- ``adapters/``: MongoDB (case store, indexes, retention and search-key commands);
- ``web/``: blueprints, schemas, views and the one error table (``web.errors.ERRORS``);
- ``service``: the composition root (``Deps``, ``build_deps``, ``SPEC``); ``app`` and ``worker``
  start the two processes from it; ``config``: settings.
"""
