"""Passage's API gateway, in wings: ``auth`` (who calls, may they, how often), ``edge`` (forwarding
to the services and their merged docs), ``composition`` (views over several services), ``admin``
(accounts and the audit trail) and ``ui`` (the staff pages, which no other wing imports).
``app`` is the composition root that wires them together."""
