"""The JSON API (django-ninja) under /api/: bearer tokens, scoped routes that call the apps' services.

Where things go: `api.py` builds the NinjaAPI and its error handlers, `auth.py` checks tokens, `errors.py`
turns refusals into `{"detail": "<message>"}`, `schemas.py` holds the bounded input types and the page shape
every route shares, one module per resource (`families.py`, `kubes.py`, `mentoring.py`, `ledger.py`,
`surveys.py`), `docs.py` serves the Swagger page from the assets django-ninja ships (no CDN). Routes stay
thin: fetch through the app's scoped selector, check the app's permission helper, call one service.
"""
