"""Readmission's HTTP layer: blueprints that load a request (marshmallow schemas in ``schemas`` and
``transit_schemas``), call a handler and dump the answer (``api`` for requests and locations,
``api_transits``, ``api_registry`` for the worklist, statistics and protocols, ``api_law``,
``annexes`` (PDF forms), ``files`` (evidence files), ``search``, ``subject_access``), and the one
error table (``errors.ERRORS``) that turns the domain's refusals into problem+json. It never
imports the adapters: it reaches storage through ``service.Deps`` and the handlers."""
