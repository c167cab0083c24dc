"""Detention's HTTP layer: ``api`` (centres, units, stays), ``moves_api`` (moves, estate changes,
occupancy), ``search`` (person search), ``schemas`` and ``move_schemas`` (marshmallow), ``common``
(request → context, path ids, pages) and ``errors`` (the one error table). Imports no adapter.
"""
