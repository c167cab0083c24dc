"""Detention: centres, units, stays and the capacity invariant (DESIGN §3.1).

The shape (the same in every service):
``domain/`` rules and vocabularies (no framework, no driver); ``handlers/`` commands and queries
(take a ``passage.context.Context`` and ports, raise domain errors); ``event_handlers`` what other
services' events do to stays (in the consumer's ``Transaction``); ``timers`` clock jobs (deadline
alerts, capacity refresh, occupancy roll, gauges); ``adapters/`` MongoDB (repositories, the stay
store, the occupancy read model, the counter check); ``web/`` blueprints, schemas and the error
table; ``service`` the composition root (``Deps``, ``SPEC``); ``app`` / ``worker`` its processes.
"""
