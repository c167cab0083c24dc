"""The gateway's edge wing: forwarding to the services and documenting them.

The route table (which path goes to which service, for which roles), the upstream clients, the
proxy blueprint, and the merged OpenAPI document with its docs page. A request that is only
forwarded touches this wing and the auth wing's guard, nothing else.
"""
