"""Detention's domain (standard library and ``passage`` pure helpers only; no flask, marshmallow,
pymongo or kombu): ``model`` centres, units, people, legal bases, placement and the refusals;
``rules`` the rule table by date; ``law`` statutory maxima; ``clocks`` legal clocks and local days;
``moves`` transfer and release rules; ``families``, ``ids`` and ``access`` (roles and scopes).
"""
