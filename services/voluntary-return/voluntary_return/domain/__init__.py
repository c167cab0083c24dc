"""Voluntary return's domain: the rules of an AVRR case, pure (stdlib and ``passage.errors`` /
``passage.events`` only; never flask, marshmallow, pymongo or kombu).

- ``vocabulary``: ids, enumerations and who may read or write what;
- ``errors``: the refusals the rules raise (``passage.errors`` subclasses);
- ``stages``: the stage machine; ``commands``: what each caseworker action writes;
- ``reintegration``, ``worklist``, ``statistics``: monitoring arithmetic, the next action due and
  the monthly counts each write adds; ``events``: what a change tells the other services.
"""
