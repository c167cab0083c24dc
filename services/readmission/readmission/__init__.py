"""Readmission service: EU readmission requests, their legal deadlines, protocols and statistics (DESIGN §3.2)."""
