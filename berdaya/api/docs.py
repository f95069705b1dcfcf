"""The Swagger page at /api/docs, built only from the assets the django-ninja package ships.

ninja's own Swagger page loads them through Django's static files when "ninja" is an installed app and
from a CDN otherwise; a field office on a slow or filtered connection (and a privacy review) wants
nothing fetched from a third party, so this page serves the package's files itself and has no CDN path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import Router
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI

ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}

router = Router()


class LocalSwagger(DocsBase):
    settings: dict[str, Any] = {"layout": "BaseLayout", "deepLinking": True}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        swagger_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/docs.html", {"api": api, "swagger_settings": swagger_settings})


@router.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str) -> HttpResponse:
    if name not in ASSETS:  # a fixed list: the name never reaches the file system unchecked
        raise Http404
    response = FileResponse(open(ASSET_DIR / name, "rb"), content_type=ASSETS[name])  # noqa: SIM115
    response["Cache-Control"] = "public, max-age=86400"
    return response
