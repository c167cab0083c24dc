"""Voluntary-return service: IOM assisted voluntary return (AVRR) cases from referral to reintegration monitoring (DESIGN §3.3)."""
