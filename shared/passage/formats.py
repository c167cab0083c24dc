"""Formats every service agrees on (stdlib only, so domain modules may use them)."""

from __future__ import annotations

import re

# A person_ref: the national identifier or a UUID, nothing else (no '$', spaces, '/'). An
# ECMA-compatible
# pattern, since it is published in OpenAPI.
PERSON_REF = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$", re.ASCII)
# A statistics month, YYYY-MM; no year 0 (``date`` cannot hold it) and nothing beyond 2099.
MONTH = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", re.ASCII)
