"""Readmission service: EU readmission requests and their deadlines (DESIGN §3.2); for now, where each person is held."""
