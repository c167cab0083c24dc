"""Detention's storage, the only place that speaks MongoDB (operators, sessions, indexes):
``repository`` centres, units, stays, admissions and the capacity counter; ``stay_store`` the
writes that move held people; ``occupancy`` the daily read model; ``verify`` the counter check.
"""
