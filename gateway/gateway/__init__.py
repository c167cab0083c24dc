"""Passage's API gateway: sign-in, bearer tokens, the proxy to the services, merged API docs."""
