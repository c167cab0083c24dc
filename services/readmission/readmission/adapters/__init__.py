"""Readmission's storage in MongoDB, the only layer that speaks the driver: ``repository``
(requests with their outbox, statistics, agreements, calendars, person search, the location
read model, the index declarations), ``transit_repository``, ``deadline_index`` (the open
deadlines the worklist and the clock read) and ``protocols`` (the protocol registry). Version
races surface as ``passage.errors.VersionConflict``, duplicates as ``AlreadyExists``."""
