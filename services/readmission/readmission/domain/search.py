"""Where a request and a transit request keep what person search matches (search keys are stored
at creation from these paths, and the search reads them): one declaration for both sides."""

from __future__ import annotations

from passage import names

# Where requests and transits keep what person search matches (keys stored at creation).
REQUEST_SEARCH = names.Paths(
    record_type="readmission_request",
    birth_date="particulars.birth_date",
    documents="particulars.documents",
    names=("particulars.given_names", "particulars.family_name", "particulars.other_names"),
)
TRANSIT_SEARCH = names.Paths(
    record_type="transit_request",
    birth_date="particulars.birth_date",
    documents="particulars.documents",
    names=("particulars.given_names", "particulars.family_name", "particulars.other_names"),
)
