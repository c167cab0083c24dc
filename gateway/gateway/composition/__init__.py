"""The gateway's composition wing: views built from the data of several services.

A person's timeline and person search (one fan-out reader), the monthly partner reports with
their disclosure rules and cell suppression, and the published-report store. Each reads the
services through the edge wing's route table and upstreams, never their databases.
"""
