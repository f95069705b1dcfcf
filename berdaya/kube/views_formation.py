"""Formation pages (spec §5) and the import of existing KUBEs: thin views over the formation and
import services. Only KUBE managers (admin, program officer) get in (403 otherwise); a run outside
the user's region is a 404, never a hint that it exists."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from berdaya.core.jobs import background_jobs_enabled, job_enqueue
from berdaya.core.models import Job, Region
from berdaya.core.scoping import get_scoped_or_404, region_q
from berdaya.engine.grouping import UNPLACED_REASONS
from berdaya.engine.masking import mask_id
from berdaya.engine.rulesets import bundled_rulesets
from berdaya.kube.models import FormationRun
from berdaya.kube.plot import PlotPoint, members_svg
from berdaya.kube.selectors import can_manage_kubes
from berdaya.kube.services.formation import (
    MOVED_OUT,
    UNPLACED,
    FormationError,
    business_type_label,
    formation_approve,
    formation_discard,
    formation_move,
    formation_run,
)
from berdaya.kube.services.importing import kube_import
from berdaya.registry.models import Decision, Family

MAX_UPLOAD_MB = 20


class FormationStartForm(forms.Form):
    region = forms.CharField(
        label=gettext_lazy("Kode kecamatan atau desa/kelurahan"),
        max_length=13,
        widget=forms.TextInput(attrs={"list": "region-codes", "placeholder": "61.71.04.1001"}),
    )
    ruleset = forms.ChoiceField(label=gettext_lazy("Perangkat aturan (ukuran kelompok)"))
    seed = forms.IntegerField(label=gettext_lazy("Benih acak (seed)"), initial=0, min_value=0)
    target = forms.IntegerField(label=gettext_lazy("Ukuran sasaran (kosong: dari aturan)"), required=False, min_value=2)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["ruleset"].choices = [(n, n) for n in sorted(bundled_rulesets())]
        self.fields["ruleset"].initial = settings.BERDAYA["DEFAULT_RULESET"]


class MoveForm(forms.Form):
    family = forms.TypedChoiceField(label=gettext_lazy("Keluarga"), coerce=int)
    to = forms.ChoiceField(label=gettext_lazy("Pindahkan ke"))

    def __init__(self, *args, run: FormationRun, labels: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        place = {i: g["key"] for g in run.groups for i in g["family_ids"]}
        place.update({u["family_id"]: _("belum ditempatkan") for u in run.unplaced})
        self.fields["family"].choices = sorted(
            ((i, f"{labels.get(i, i)} · {place[i]}") for i in place), key=lambda c: c[1]
        )
        self.fields["to"].choices = [
            *(
                (g["key"], f"{g['key']} · {business_type_label(g['business_type'])} · {g['kode_wilayah']}")
                for g in run.groups
            ),
            (UNPLACED, _("Keluarkan dari usulan (belum ditempatkan)")),
        ]


class ApproveForm(forms.Form):
    formed_on = forms.DateField(
        label=gettext_lazy("Tanggal pembentukan"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class KubeImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Berkas KUBE (CSV atau XLSX)"))
    dry_run = forms.BooleanField(label=gettext_lazy("Periksa saja, jangan simpan"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in ("csv", "txt", "xlsx"):
            raise forms.ValidationError(_("Jenis berkas tidak didukung: gunakan CSV atau XLSX."))
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("Berkas lebih dari %(mb)s MB; gunakan perintah berdaya import kube.") % {"mb": MAX_UPLOAD_MB}
            )
        return upload


def _require_manager(user) -> None:
    if not can_manage_kubes(user):
        raise PermissionDenied


def _run_get_for_user(user, pk: int) -> FormationRun:
    return get_scoped_or_404(FormationRun.objects.select_related("region", "created_by"), user, "region", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def formation_list(request):
    _require_manager(request.user)
    form = FormationStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and background_jobs_enabled():
        params = {key: form.cleaned_data[key] for key in ("region", "ruleset", "seed", "target")}
        params["region_code"] = params.pop("region")
        job = job_enqueue(actor=request.user, kind=Job.Kind.FORMATION_RUN, params=params)
        return redirect("core:job", pk=job.pk)
    if request.method == "POST" and form.is_valid():
        try:
            run = formation_run(
                actor=request.user,
                region_code=form.cleaned_data["region"],
                ruleset=form.cleaned_data["ruleset"],
                seed=form.cleaned_data["seed"] or 0,
                target=form.cleaned_data["target"],
            )
        except FormationError as error:
            form.add_error("region", str(error))
        else:
            messages.success(
                request,
                _("Usulan formasi #%(pk)d dibuat: %(groups)d kelompok, %(unplaced)d belum ditempatkan.")
                % {"pk": run.pk, "groups": len(run.groups), "unplaced": len(run.unplaced)},
            )
            return redirect("kube:formation_detail", pk=run.pk)
    runs = FormationRun.objects.filter(region_q(request.user, "region")).select_related("region", "created_by")
    waiting = (
        Family.objects.filter(region_q(request.user, "region"), latest_decision__decision=Decision.ELIGIBLE)
        .exclude(memberships__live=True)
        .values("region_id", "region__name", "region__parent_id")
        .annotate(n=Count("id"))
        .order_by("region_id")[:200]
    )
    return render(
        request,
        "kube/formation_list.html",
        {
            "form": form,
            "page": Paginator(runs, 30).get_page(request.GET.get("hal")),
            "waiting": waiting,
            "region_codes": sorted(
                {w["region_id"] for w in waiting} | {w["region__parent_id"] for w in waiting if w["region__parent_id"]}
            ),
        },
    )


def _family_labels(families: dict[int, Family]) -> dict[int, str]:
    return {pk: f"KK {mask_id(f.no_kk)}" for pk, f in families.items()}


def _plot(run: FormationRun, families: dict[int, Family]) -> tuple[str, int]:
    """The SVG and how many families could not be drawn (no coordinates)."""
    points = []
    for group in run.groups:
        for family_id in group["family_ids"]:
            family = families[family_id]
            points.append(
                PlotPoint(
                    family.lat,
                    family.lon,
                    group["key"],
                    family_id == group["meeting_family_id"],
                    f"{group['key']} · KK {mask_id(family.no_kk)}",
                )
            )
    for entry in run.unplaced:
        family = families[entry["family_id"]]
        points.append(
            PlotPoint(family.lat, family.lon, None, False, f"{_('belum ditempatkan')} · KK {mask_id(family.no_kk)}")
        )
    svg = members_svg(
        points,
        [(g["key"], f"{g['key']} ({len(g['family_ids'])})") for g in run.groups],
        title=_("Sebaran anggota usulan formasi #%(pk)d") % {"pk": run.pk},
        x_label=_("barat → timur (m)"),
        y_label=_("selatan → utara (m)"),
        unplaced_label=_("belum ditempatkan"),
        meeting_label=_("rumah pertemuan"),
        empty_label=_("Tidak ada koordinat untuk digambar."),
    )
    return svg, sum(1 for p in points if p.lat is None or p.lon is None)


def _group_rows(run: FormationRun, families: dict[int, Family], villages: dict[str, Region]) -> list[dict]:
    rows = []
    for group in run.groups:
        distances = [d for d in group["distances"] if d is not None]
        members = sorted(
            (
                {"family": families[i], "distance": d, "meeting": i == group["meeting_family_id"]}
                for i, d in zip(group["family_ids"], group["distances"], strict=True)
            ),
            key=lambda m: (not m["meeting"], m["distance"] if m["distance"] is not None else float("inf")),
        )
        rows.append(
            {
                "key": group["key"],
                "village": villages.get(group["kode_wilayah"]),
                "code": group["kode_wilayah"],
                "business_type": business_type_label(group["business_type"]),
                "mixed": group["mixed"],
                "size": len(group["family_ids"]),
                "mean_distance": round(sum(distances) / len(distances), 1) if distances else None,
                "max_distance": max(distances) if distances else None,
                "members": members,
            }
        )
    return rows


def _reason_text(code: str, fallback: str) -> str:
    if code == MOVED_OUT:
        return _("dikeluarkan dari usulan oleh petugas")
    return UNPLACED_REASONS.get(code, fallback)


@login_required
def formation_detail(request, pk: int):
    _require_manager(request.user)
    run = _run_get_for_user(request.user, pk)
    ids = [i for g in run.groups for i in g["family_ids"]] + [u["family_id"] for u in run.unplaced]
    families = Family.objects.only("id", "no_kk", "lat", "lon", "region_id").in_bulk(ids)
    villages = Region.objects.in_bulk(
        {g["kode_wilayah"] for g in run.groups} | {families[u["family_id"]].region_id for u in run.unplaced}
    )
    # members_svg escapes every text it is given, so its output is safe to insert as it is.
    svg, not_drawn = _plot(run, families)
    histogram = sorted(((int(size), n) for size, n in run.summary.get("size_histogram", {}).items()))
    most = max((n for _size, n in histogram), default=1)
    context = {
        "run": run,
        "summary": run.summary,
        "svg": mark_safe(svg),
        "not_drawn": not_drawn,
        "groups": _group_rows(run, families, villages),
        "unplaced": [
            {
                "family": families[u["family_id"]],
                "village": villages.get(families[u["family_id"]].region_id),
                "reason": _reason_text(u["reason_code"], u["reason"]),
            }
            for u in run.unplaced
        ],
        "unplaced_by_reason": [
            (code, _reason_text(code, code), n) for code, n in sorted(run.summary.get("unplaced_by_reason", {}).items())
        ],
        "histogram": [(size, n, round(100 * n / most)) for size, n in histogram],
        "is_draft": run.status == FormationRun.Status.DRAFT,
        "kubes": run.kubes.order_by("region_id", "name") if run.status == FormationRun.Status.APPROVED else [],
    }
    if context["is_draft"]:
        context["move_form"] = MoveForm(run=run, labels=_family_labels(families))
        context["approve_form"] = ApproveForm(initial={"formed_on": timezone.localdate()})
    return render(request, "kube/formation_detail.html", context)


@login_required
@require_POST
def formation_move_view(request, pk: int):
    _require_manager(request.user)
    run = _run_get_for_user(request.user, pk)
    ids = [i for g in run.groups for i in g["family_ids"]] + [u["family_id"] for u in run.unplaced]
    form = MoveForm(request.POST, run=run, labels=_family_labels(Family.objects.only("id", "no_kk").in_bulk(ids)))
    if not form.is_valid():
        messages.error(request, _("Pilih keluarga dan kelompok tujuan dari daftar."))
        return redirect("kube:formation_detail", pk=run.pk)
    try:
        formation_move(
            actor=request.user, run=run, family_id=form.cleaned_data["family"], to_key=form.cleaned_data["to"]
        )
    except FormationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Keluarga dipindahkan ke %(to)s.")
            % {"to": _("daftar belum ditempatkan") if form.cleaned_data["to"] == UNPLACED else form.cleaned_data["to"]},
        )
    return redirect("kube:formation_detail", pk=run.pk)


@login_required
@require_POST
def formation_approve_view(request, pk: int):
    _require_manager(request.user)
    run = _run_get_for_user(request.user, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tanggal pembentukan wajib diisi (YYYY-MM-DD)."))
        return redirect("kube:formation_detail", pk=run.pk)
    try:
        kubes = formation_approve(actor=request.user, run=run, formed_on=form.cleaned_data["formed_on"])
    except FormationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(n)d KUBE diusulkan dari formasi #%(pk)d.") % {"n": len(kubes), "pk": run.pk})
    return redirect("kube:formation_detail", pk=run.pk)


@login_required
@require_POST
def formation_discard_view(request, pk: int):
    _require_manager(request.user)
    run = _run_get_for_user(request.user, pk)
    try:
        formation_discard(actor=request.user, run=run, reason=request.POST.get("reason", "")[:500])
    except FormationError as error:
        messages.error(request, str(error))
        return redirect("kube:formation_detail", pk=run.pk)
    messages.success(request, _("Usulan formasi #%(pk)d dibatalkan.") % {"pk": run.pk})
    return redirect("kube:formation_list")


@login_required
@require_http_methods(["GET", "POST"])
def kube_import_view(request):
    _require_manager(request.user)
    form = KubeImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            upload_path = Path(folder) / ("upload." + upload.name.rsplit(".", 1)[-1].lower())
            with open(upload_path, "wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            result = kube_import(
                actor=request.user, path=upload_path, file_name=upload.name, dry_run=form.cleaned_data["dry_run"]
            )
    return render(request, "kube/kube_import.html", {"form": form, "result": result})


urlpatterns = [
    path("formasi/", formation_list, name="formation_list"),
    path("formasi/<int:pk>/", formation_detail, name="formation_detail"),
    path("formasi/<int:pk>/pindah/", formation_move_view, name="formation_move"),
    path("formasi/<int:pk>/setujui/", formation_approve_view, name="formation_approve"),
    path("formasi/<int:pk>/batalkan/", formation_discard_view, name="formation_discard"),
    path("impor/", kube_import_view, name="kube_import"),
]
