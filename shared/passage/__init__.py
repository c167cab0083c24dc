"""Passage's shared library: the one implementation of each cross-cutting mechanism.

Every service and the gateway use these modules; none of them may import a service package.
"""
