"""The Berdaya JSON API: OpenAPI at /api/openapi.json, Swagger at /api/docs (no CDN, see docs.py).

Every route needs `Authorization: Bearer TOKEN` (tokens: `berdaya api-token --user NAME`) except the schema
and the docs. Every refusal is `{"detail": "<message>"}` (errors.py): 401 no or bad token, 403 not allowed
to write, 404 not found or outside the user's scope, 422 bad input or a rule of the books refused it.
"""

from __future__ import annotations

from functools import partial

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from berdaya.api import docs, errors, ledger
from berdaya.api.auth import BearerToken
from berdaya.ledger.services import LedgerError

api = NinjaAPI(
    title="Berdaya API",
    version="1",
    description="KUBE programme data, scoped to the token's user. Amounts are whole rupiah (JSON integers).",
    urls_namespace="api",
    auth=BearerToken(),
    docs=docs.LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

api.add_exception_handler(ValidationError, partial(errors.validation_error, api=api))
api.add_exception_handler(Http404, partial(errors.not_found, api=api))
api.add_exception_handler(AuthenticationError, partial(errors.unauthenticated, api=api))
api.add_exception_handler(HttpError, partial(errors.http_error, api=api))
# A service's refusal: its text is the user's message. Later apps add their own error class here.
api.add_exception_handler(LedgerError, partial(errors.refused, api=api))

api.add_router("", docs.router)
api.add_router("", ledger.router)
