"""The server side of the phone's offline forms (static/berdaya/offline-forms.js), shared by every app
whose forms are marked `data-offline`.

The script sends such a form with fetch and the header `X-Berdaya-Form: fetch`, and re-sends it from
its outbox with `X-Berdaya-Queued: 1`. It must get JSON back: a 4xx JSON refusal means "keep the draft,
show the message, do not retry"; an HTML page would look like a dropped connection and be re-sent forever.
Without JavaScript the same forms post and redirect as usual.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def wants_json(request) -> bool:
    return request.headers.get("X-Berdaya-Form") == "fetch"


def from_outbox(request) -> bool:
    return request.headers.get("X-Berdaya-Queued") == "1"


def json_refusals(*, forbidden, not_found):
    """Decorate a view so that, for the phone's fetch, 403 and 404 are JSON with these (lazy) messages."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                if not wants_json(request):
                    raise
                return JsonResponse({"ok": False, "message": str(forbidden)}, status=403)
            except Http404:
                if not wants_json(request):
                    raise
                return JsonResponse({"ok": False, "message": str(not_found)}, status=404)

        return wrapped

    return decorate


def refused(request, form, template: str, context: dict):
    """Re-show the form with its messages and what was typed (400 after a POST), or the JSON refusal."""
    if wants_json(request):
        errors = [
            {"field": str(form.fields[name].label or "") if name in form.fields else "", "message": str(text)}
            for name, texts in form.errors.items()
            for text in texts
        ]
        # A whole-form refusal ("debit and credit differ") is the headline; every message stays listed.
        general = list(form.non_field_errors())
        message = general[0] if general else _("Periksa isian berikut.")
        return JsonResponse({"ok": False, "message": str(message), "errors": errors}, status=400)
    return render(request, template, {**context, "form": form}, status=400 if request.method == "POST" else 200)


def saved(request, url: str, message: str):
    """After a write: a flash message and a redirect, or JSON naming where to go."""
    # A submission sent later from the outbox must not leave a message for whatever page comes next.
    if not from_outbox(request):
        messages.success(request, message)
    if wants_json(request):
        return JsonResponse({"ok": True, "redirect": url, "message": message})
    return redirect(url)


def offline_texts() -> dict[str, str]:
    """The phone script's messages, translated here so the script itself holds no UI text to maintain."""
    return {
        "queued": _("Tersimpan di ponsel; akan dikirim otomatis saat sinyal kembali."),
        "queuedNoPhoto": _(
            "Tersimpan di ponsel tanpa foto (memori ponsel penuh); akan dikirim otomatis saat sinyal kembali."
        ),
        "waiting": _("Formulir ini sudah tersimpan di ponsel dan menunggu sinyal untuk dikirim."),
        "sending": _("Mengirim…"),
        "sent": _("Catatan yang tersimpan di ponsel sudah terkirim."),
        "pending": _("catatan menunggu dikirim."),
        "rejected": _("Catatan tidak diterima server"),
        "restored": _("Isian yang belum terkirim dipulihkan."),
        "clear": _("Kosongkan formulir"),
        "dismiss": _("Tutup"),
        "geoWorking": _("Mencari lokasi…"),
        "geoFailed": _("Lokasi tidak dapat diambil"),
        "geoNone": _("Lokasi belum diambil."),
        "geoUnsupported": _("Ponsel ini tidak dapat memberi lokasi."),
        "geoAt": _("Lokasi"),
        "accuracy": _("ketelitian"),
    }
