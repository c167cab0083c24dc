"""The gateway's admin wing: administering accounts and keeping the audit trail.

The admin API and the ``python -m gateway.admin.users`` command for accounts; the hash-chained
audit trail, its keys, its checkpoints, what a read records, and the
``python -m gateway.admin.audit verify|checkpoint`` command that checks the chain.
"""
