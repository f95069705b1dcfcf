"""The Berdaya JSON API: OpenAPI at /api/openapi.json, Swagger at /api/docs (no CDN, see docs.py).

Every route needs `Authorization: Bearer TOKEN` (tokens: `berdaya api-token --user NAME`) except the schema
and the docs. Every refusal is `{"detail": "<message>"}` (errors.py): 401 no or bad token, 403 the role may
not do this, 404 not found or outside the user's scope, 422 bad input (with `errors` per field) or a service
refused it (a rule of the books, a KUBE's guards, an attendance list, a survey's roster).

The API speaks Bahasa Indonesia whatever `Accept-Language` says: core.middleware.IndonesianFirstMiddleware
drops the header for every request, because phones set to English send it without the user choosing, and
an app's messages are read by the same officers as the pages. The language cookie still switches.
"""

from __future__ import annotations

from functools import partial

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from berdaya.api import docs, errors, families, kubes, ledger, mentoring, surveys
from berdaya.api.auth import BearerToken
from berdaya.evaluation.services import EvaluationError
from berdaya.kube.services import KubeError
from berdaya.ledger.services import LedgerError
from berdaya.mentoring.services.activity import ActivityError

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
# A service's refusal: its text is the user's message (422).
for service_error in (LedgerError, KubeError, ActivityError, EvaluationError):
    api.add_exception_handler(service_error, partial(errors.refused, api=api))
api.add_exception_handler(errors.Refused, partial(errors.refused_with_errors, api=api))

api.add_router("", docs.router)
api.add_router("", families.router)
api.add_router("", kubes.router)
api.add_router("", mentoring.router)
api.add_router("", ledger.router)
api.add_router("", surveys.router)
