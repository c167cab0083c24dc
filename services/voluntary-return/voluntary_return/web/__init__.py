"""Voluntary return's web layer: request → handler → response, never storage (imports no adapter).

- ``cases``: the case list, the stage machine's actions and the statistics;
- ``people``: where a person is held, the referral prefill, the subject access export;
- ``search``, ``summary``, ``files``: person search, the PDF summary, evidence files;
- ``schemas`` (marshmallow, the OpenAPI document), ``views`` (what each role may read),
  ``errors`` (the one error table), ``common`` (dependencies, context, path ids).
"""
