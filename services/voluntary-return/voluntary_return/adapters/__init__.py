"""Voluntary return's adapters: the only modules that speak MongoDB (update operators, sessions,
indexes, GridFS) and run storage commands.

- ``storage``: collection names, indexes, outbox collections, the location read model's store;
- ``cases``: the case store (``CaseRepository``) the handlers and event handlers use;
- ``retention``: ``python -m voluntary_return.retention`` erases personal data;
- ``search_keys``: ``python -m voluntary_return.search_keys`` backfills search keys.
"""
