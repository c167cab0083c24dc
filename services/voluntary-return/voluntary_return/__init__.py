"""Voluntary-return service: IOM assisted voluntary return cases (DESIGN §3.3); for now, where each person is held."""
