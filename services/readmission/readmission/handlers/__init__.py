"""Readmission's commands, one function per use case: ``requests`` (readmission requests, the law
the clocks apply, the worklist) and ``transits`` (transit requests). Each takes a
:class:`passage.context.Context` and its repositories, and refuses with ``passage.errors``
subclasses (never HTTP problems); no flask, marshmallow, pymongo or bson here."""
