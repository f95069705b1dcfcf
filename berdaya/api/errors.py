"""Every refusal the API gives is JSON `{"detail": "<message for a person>"}` in the user's language.

Validation errors also carry `errors: [{field, message}]`, one per bad field, so a client can mark the
fields; `detail` joins them into one sentence. django-ninja's defaults (English, pydantic's raw error
list) are replaced here so that an app answers in one shape whatever went wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

# The request parts ninja names first in an error's location; a body schema's parameter name follows.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
# Every route names its JSON body parameter `payload`: the name is ours, not the client's, so it is dropped.
BODY_PARAMS = {"payload"}


class FieldError(Schema):
    field: str
    message: str


class Error(Schema):
    """A refused request: `detail` is the message to show."""

    detail: str
    errors: list[FieldError] | None = None


class Refused(Exception):
    """A refusal naming several problems, answered as 422 `{"detail", "errors": [{field, message}]}`."""

    def __init__(self, detail: str, errors: list[dict[str, str]]):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def field_name(loc: tuple | list, *, body_params: set[str]) -> str:
    """`("body", "payload", "lines", 0, "debit")` → `lines[0].debit`; `("query", "limit")` → `limit`."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] in body_params:
            parts.pop(0)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or _("isi permintaan")


def field_message(error: dict[str, Any]) -> str:
    """One pydantic error as a short phrase in the user's language (pydantic's own text as a fallback)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("wajib diisi")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("harus bilangan bulat (angka JSON tanpa desimal; bukan teks, pecahan atau true/false)")
    if kind == "greater_than":
        return _("harus lebih dari %(limit)s") % {"limit": ctx.get("gt")}
    if kind == "greater_than_equal":
        return _("paling kecil %(limit)s") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("paling besar %(limit)s") % {"limit": ctx.get("le")}
    if kind in ("string_type", "string_sub_type"):
        return _("harus teks")
    if kind == "string_too_long":
        return _("paling panjang %(limit)s huruf") % {"limit": ctx.get("max_length")}
    if kind == "date_range":
        years = {"first": ctx.get("first"), "last": ctx.get("last")}
        return _("harus tanggal antara tahun %(first)s dan %(last)s") % years
    if kind == "iso_date" or kind.startswith(("date_", "datetime_")):
        return _("harus tanggal berformat YYYY-MM-DD yang ada di kalender")
    if kind in ("enum", "literal_error"):
        # pydantic joins the last choice with an English "or"; a comma reads in any language.
        choices = str(ctx.get("expected", "")).replace("' or '", "', '")
        return _("harus salah satu dari: %(choices)s") % {"choices": choices}
    if kind == "string_unicode":
        return _("harus teks UTF-8 yang sah")
    if kind == "string_nul":
        return _("tidak boleh berisi karakter NUL")
    if kind in ("float_type", "float_parsing", "finite_number"):
        return _("harus angka JSON")
    if kind in ("bool_type", "bool_parsing"):
        return _("harus true atau false")
    if kind in ("uuid_type", "uuid_parsing", "uuid_version"):
        return _("harus UUID, mis. 0b0e6f3a-8c0f-4b1e-9a51-2f6f1d0c7e11")
    if kind == "less_than":
        return _("harus kurang dari %(limit)s") % {"limit": ctx.get("lt")}
    if kind == "string_pattern_mismatch":
        return _("bentuknya tidak sah")
    if kind == "too_long":
        return _("terlalu banyak isian (paling banyak %(limit)s)") % {"limit": ctx.get("max_length")}
    if kind == "extra_forbidden":
        return _("tidak dikenal")
    if kind == "list_type":
        return _("harus daftar (array JSON)")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("harus objek JSON")
    return str(error.get("msg", kind))


def validation_error(request: HttpRequest, exc: ValidationError, *, api: NinjaAPI) -> HttpResponse:
    problems = [
        {"field": field_name(error.get("loc", ()), body_params=BODY_PARAMS), "message": field_message(error)}
        for error in exc.errors
    ]
    detail = _("Isian tidak sah: %(problems)s.") % {
        "problems": "; ".join(f"{p['field']} {p['message']}" for p in problems)
    }
    return api.create_response(request, {"detail": detail, "errors": problems}, status=422)


def not_found(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    # The same words whether the object does not exist or lies outside the user's scope.
    return api.create_response(request, {"detail": _("Tidak ditemukan.")}, status=404)


def unauthenticated(request: HttpRequest, exc: AuthenticationError, *, api: NinjaAPI) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": _("Perlu token API yang sah: kirim header Authorization: Bearer TOKEN.")},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def http_error(request: HttpRequest, exc: HttpError, *, api: NinjaAPI) -> HttpResponse:
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = _("Isi permintaan bukan JSON yang sah.")
    return api.create_response(request, {"detail": message}, status=exc.status_code)


def refused(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    """A service refused the write (LedgerError and the like): its text is already the user's message."""
    return api.create_response(request, {"detail": str(exc)}, status=422)


def refused_with_errors(request: HttpRequest, exc: Refused, *, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, {"detail": exc.detail, "errors": exc.errors}, status=422)
