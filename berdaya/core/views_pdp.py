"""Reveal one masked NIK or No KK: a form asking why (GET), the number shown once (POST), never cached.
And the breach report (core/breach.py) for admins."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from berdaya.core.breach import FORMATS as BREACH_FORMATS
from berdaya.core.breach import breach_audit, breach_file, breach_report
from berdaya.core.models import Role
from berdaya.core.pdp import RevealReasonError, pdp_reveal, reason_problem, reveal_target
from berdaya.engine.masking import mask_id


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan menampilkan nomor lengkap"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Dicatat dalam log audit bersama nama Anda, waktu dan alamat perangkat."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"]
        problem = reason_problem(reason)
        if problem:
            raise forms.ValidationError(problem)
        return reason


@login_required
@never_cache  # Cache-Control: no-store (and private, max-age=0): the number is not kept by any cache
@require_http_methods(["GET", "POST"])
def reveal(request, kind: str, pk: int):
    spec, target = reveal_target(user=request.user, kind=kind, pk=pk)
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    form = RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = pdp_reveal(actor=request.user, kind=kind, pk=pk, reason=form.cleaned_data["reason"])
        except RevealReasonError as error:
            form.add_error("reason", str(error))
    context = {
        "spec": spec,
        "target": target,
        "masked": mask_id(getattr(target, spec.field)),
        "form": form,
        "revealed": revealed,
        "back": back,
    }
    return render(request, "core/pdp_reveal.html", context, status=400 if form.errors else 200)


class BreachForm(forms.Form):
    start = forms.DateTimeField(label=_("Dari"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=_("Sampai"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    region = forms.CharField(label=_("Kode wilayah (opsional)"), required=False, max_length=13)
    nik = forms.CharField(label=_("NIK (opsional)"), required=False, max_length=32)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError(_("Waktu akhir harus setelah waktu awal."))
        return data


# The page shows this many event lines; the files hold them all.
BREACH_PAGE_ROWS = 500


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def breach(request):
    """Admins only. POST (the NIK stays out of the URL and the server's access log)."""
    if not (request.user.is_superuser or request.user.role == Role.ADMIN):
        raise PermissionDenied
    form = BreachForm(request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = breach_report(start=data["start"], end=data["end"], region=data["region"].strip() or None,
                                   nik=data["nik"].strip() or None)  # fmt: skip
        except ValueError:
            form.add_error("nik", _("NIK ini tidak ada di registri."))
        else:
            fmt = request.POST.get("format", "")
            if fmt in BREACH_FORMATS:
                body, content_type = breach_file(report, fmt)
                breach_audit(actor=request.user, report=report, fmt=fmt)
                response = HttpResponse(body, content_type=content_type)
                stamp = f"{report.start:%Y%m%d%H%M}-{report.end:%Y%m%d%H%M}"
                response["Content-Disposition"] = f'attachment; filename="laporan-insiden-{stamp}.{fmt}"'
                return response
            breach_audit(actor=request.user, report=report, fmt="html")
    context = {
        "form": form,
        "report": report,
        "shown": report.rows[:BREACH_PAGE_ROWS] if report else [],
        "formats": BREACH_FORMATS,
    }
    return render(request, "core/breach.html", context, status=400 if form.errors else 200)
