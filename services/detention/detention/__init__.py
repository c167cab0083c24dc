"""Detention: centres, units, stays and the capacity invariant (DESIGN §3.1)."""
