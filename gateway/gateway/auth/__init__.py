"""The gateway's auth wing: who is calling, may they, and how often.

Accounts and passwords, access tokens and refresh sessions, sign-in (with its per-account
throttle) and the per-client rate limits, and the guard every request passes through before it
is forwarded, composed or shown. Nothing here forwards to a service or renders a page.
"""
