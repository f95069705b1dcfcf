"""Data-subject pages (spec §9): find a person by NIK, see what is held, download it, correct, anonymise.

Thin: check the role, fetch through the scoped getters in `record.py` (outside the region is a 404), call one
service, render. NIKs travel in POST bodies only; pages address a person by key.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from berdaya.core.audit_context import client_address
from berdaya.core.scoping import can_read_registry, can_write_registry
from berdaya.pdp.forms import SubjectAnonymiseForm, SubjectCorrectForm, SubjectSearchForm
from berdaya.pdp.pdf import record_sections, subject_pdf
from berdaya.pdp.record import person_get_for_user, subject_get_for_user, subject_record
from berdaya.pdp.services import (
    FAMILY_EDITABLE,
    PERSON_EDITABLE,
    SubjectError,
    subject_anonymise,
    subject_correct,
    subject_export,
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _address(request) -> str | None:
    return client_address(request)


@login_required
@require_http_methods(["GET", "POST"])
def subject_search(request):
    _require(can_read_registry(request.user))
    form = SubjectSearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = subject_get_for_user(user=request.user, nik=form.cleaned_data["nik"])
        except Http404:
            form.add_error("nik", _("Tidak ada orang dengan NIK itu di wilayah Anda."))
        else:
            return redirect("pdp:subject_detail", pk=person.pk)
    return render(request, "pdp/subject_search.html", {"form": form})


@login_required
def subject_detail(request, pk: int):
    _require(can_read_registry(request.user))
    person = person_get_for_user(user=request.user, pk=pk)
    record = subject_record(person=person)
    return render(
        request,
        "pdp/subject_detail.html",
        {
            "person": person,
            "record": record,
            "sections": record_sections(record),
            "can_write": can_write_registry(request.user),
        },
    )


@login_required
def subject_download(request, pk: int, fmt: str):
    _require(can_read_registry(request.user))
    if fmt not in ("json", "pdf"):
        raise Http404
    person = person_get_for_user(user=request.user, pk=pk)
    record = subject_export(actor=request.user, person=person, kind=fmt, client_address=_address(request))
    if fmt == "json":
        body, content_type = json.dumps(record, ensure_ascii=False, indent=2), "application/json; charset=utf-8"
    else:
        body, content_type = subject_pdf(record), "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="data-subjek-{person.pk}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def subject_correct_view(request, pk: int):
    _require(can_write_registry(request.user))
    person = person_get_for_user(user=request.user, pk=pk)
    family = person.family
    initial = {f: getattr(person, f) for f in PERSON_EDITABLE}
    if family is not None:
        initial.update({f: getattr(family, f) for f in FAMILY_EDITABLE})
    form = SubjectCorrectForm(request.POST or None, initial=initial, has_family=family is not None)
    if request.method == "POST" and form.is_valid():
        try:
            logged = subject_correct(
                actor=request.user, person=person, changes=form.changes(), reason=form.cleaned_data["reason"],
                client_address=_address(request),
            )  # fmt: skip
        except SubjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Data dikoreksi: %(f)s.") % {"f": ", ".join(logged)})
            return redirect("pdp:subject_detail", pk=person.pk)
    return render(request, "pdp/subject_correct.html", {"person": person, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def subject_anonymise_view(request, pk: int):
    _require(can_write_registry(request.user))
    person = person_get_for_user(user=request.user, pk=pk)
    form = SubjectAnonymiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = subject_anonymise(
                actor=request.user, person=person, reason=form.cleaned_data["reason"],
                whole_family=form.cleaned_data["whole_family"], client_address=_address(request),
            )  # fmt: skip
        except SubjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Data %(n)s orang dianonimkan.") % {"n": len(result.person_ids)})
            if result.live_offices:
                messages.warning(
                    request,
                    _("Orang ini masih tercatat sebagai pengurus: %(o)s. Pilih pengganti di halaman KUBE.")
                    % {"o": ", ".join(result.live_offices)},
                )
            if result.scrub.residual:
                messages.warning(
                    request,
                    _("Masih ada teks di buku atau log audit yang menyebut orang ini (tidak boleh diubah): %(w)s")
                    % {"w": ", ".join(f"{k} ({n})" for k, n in result.scrub.residual.items())},
                )
            return redirect("pdp:subject_detail", pk=person.pk)
    return render(request, "pdp/subject_anonymise.html", {"person": person, "form": form})
