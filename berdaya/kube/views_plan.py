"""Business plan (RUB/RAB) and member-change pages for KUBE managers (spec §3, §6).

A plan is agreed in a musyawarah whose attendance is recorded: the form offers only this KUBE's
meetings with attendance, labelled "hadir X dari Y", so the consent is visible when choosing it.
Thin views: a scoped selector fetches (404 outside the user's region), only managers get in (403),
a form checks the input and one service writes.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from berdaya.core.templatetags.berdaya import rupiah, tanggal
from berdaya.engine.masking import mask_id
from berdaya.kube import selectors, services
from berdaya.kube.models import BusinessPlanLine, Kube
from berdaya.kube.services import KubeError
from berdaya.mentoring.models import AttendanceStatus, Meeting


def _today():
    return timezone.localdate()


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Judul rencana"), max_length=150)
    agreed_meeting = forms.ModelChoiceField(
        queryset=Meeting.objects.none(),
        label=gettext_lazy("Musyawarah yang menyepakati"),
        empty_label=gettext_lazy("— pilih pertemuan —"),
        error_messages={
            "required": gettext_lazy("Pilih musyawarah yang menyepakati rencana ini."),
            "invalid_choice": gettext_lazy("Pilih pertemuan KUBE ini yang kehadirannya sudah dicatat."),
        },
    )
    agreed_on = forms.DateField(
        label=gettext_lazy("Tanggal disepakati"),
        required=False,
        help_text=gettext_lazy("Kosongkan untuk memakai tanggal musyawarah."),
        widget=_date_input(),
    )

    def __init__(self, *args, kube: Kube, **kwargs):
        super().__init__(*args, **kwargs)
        self.kube = kube
        # Only meetings whose attendance was recorded can show who agreed.
        self.fields["agreed_meeting"].queryset = (
            Meeting.objects.filter(kube=kube)
            .annotate(
                present=Count("attendance", filter=Q(attendance__status=AttendanceStatus.PRESENT)),
                attendees=Count("attendance"),
            )
            .filter(attendees__gt=0)
            .order_by("-date", "-id")
        )
        self.fields["agreed_meeting"].label_from_instance = self._meeting_label

    @staticmethod
    def _meeting_label(meeting: Meeting) -> str:
        attendance = _("hadir %(present)d dari %(total)d") % {"present": meeting.present, "total": meeting.attendees}
        agenda = f" · {meeting.agenda}" if meeting.agenda else ""
        return f"{tanggal(meeting.date)}{agenda} · {attendance}"


class PlanLineForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Jenis"), choices=[("", "—"), *BusinessPlanLine.Kind.choices], required=True
    )
    description = forms.CharField(label=gettext_lazy("Uraian"), max_length=200)
    quantity = forms.DecimalField(
        label=gettext_lazy("Banyaknya"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"), initial=1
    )
    unit = forms.CharField(label=gettext_lazy("Satuan"), max_length=20, required=False)
    unit_price = forms.IntegerField(label=gettext_lazy("Harga satuan (Rp)"), min_value=0)


class BasePlanLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError(_("Rencana usaha harus memiliki paling sedikit satu baris."))

    def lines(self) -> list[dict]:
        """The filled rows (blank extra rows are skipped) as the service takes them."""
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


PlanLineFormSet = forms.formset_factory(PlanLineForm, formset=BasePlanLineFormSet, extra=6, max_num=60)


def _line_formset(data=None) -> BasePlanLineFormSet:
    # Every row may stay blank; the formset's clean asks for at least one filled row.
    return PlanLineFormSet(data, prefix="baris", form_kwargs={"empty_permitted": True})


class MemberAddForm(forms.Form):
    family = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("Keluarga"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Keluarga ini tidak bisa ditambahkan: harus tinggal di desa/kelurahan KUBE ini, berstatus layak, "
                "dan belum menjadi anggota KUBE aktif."
            )
        },
    )
    joined_on = forms.DateField(label=gettext_lazy("Tanggal bergabung"), initial=_today, widget=_date_input())

    def __init__(self, *args, kube: Kube, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].queryset = selectors.member_candidates(kube)
        self.fields["family"].label_from_instance = _family_label


def _family_label(family) -> str:
    head = selectors.family_head(family)
    return f"{mask_id(family.no_kk)} · {head.name if head else '—'}"


class MemberRemoveForm(forms.Form):
    left_on = forms.DateField(label=gettext_lazy("Tanggal keluar"), initial=_today, widget=_date_input())
    reason = forms.CharField(
        label=gettext_lazy("Alasan keluar"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Alasan keluar wajib diisi.")},
    )


def _managed_kube(request, pk: int) -> Kube:
    """The KUBE if the user may open it (404 otherwise) and manage it (403 otherwise)."""
    kube = selectors.kube_get_for_user(user=request.user, pk=pk)
    if not selectors.can_manage_kubes(request.user):
        raise PermissionDenied
    return kube


def _detail_url(kube: Kube, anchor: str) -> str:
    return f"{reverse('kube:detail', args=[kube.pk])}#{anchor}"


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request, pk: int):
    kube = _managed_kube(request, pk)
    form = PlanForm(request.POST or None, kube=kube)
    lines = _line_formset(request.POST or None)
    if request.method == "POST" and all([form.is_valid(), lines.is_valid()]):
        try:
            plan = services.plan_record(actor=request.user, kube=kube, lines=lines.lines(), **form.cleaned_data)
        except KubeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Rencana usaha %(title)s v%(version)d dicatat (%(total)s).")
                % {"title": plan.title, "version": plan.version, "total": rupiah(plan.total)},
            )
            return redirect(_detail_url(kube, "plans"))
    return render(request, "kube/plan_form.html", {"kube": kube, "form": form, "lines": lines})


@login_required
@require_POST
def member_add(request, pk: int):
    kube = _managed_kube(request, pk)
    form = MemberAddForm(request.POST, kube=kube)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_detail_url(kube, "members"))
    family = form.cleaned_data["family"]
    try:
        services.member_add(actor=request.user, kube=kube, family=family, joined_on=form.cleaned_data["joined_on"])
    except KubeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(family)s ditambahkan ke %(kube)s.") % {"family": family, "kube": kube.name})
    return redirect(_detail_url(kube, "members"))


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, pk: int, family_id: int):
    kube = _managed_kube(request, pk)
    membership = get_object_or_404(
        kube.memberships.select_related("family").prefetch_related("family__members"), family_id=family_id, live=True
    )
    form = MemberRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_remove(actor=request.user, kube=kube, family=membership.family, **form.cleaned_data)
        except KubeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("%(family)s keluar dari %(kube)s.") % {"family": membership.family, "kube": kube.name}
            )
            return redirect(_detail_url(kube, "members"))
    context = {
        "kube": kube,
        "membership": membership,
        "head": selectors.family_head(membership.family),
        "offices": kube.officers.filter(person__family=membership.family),
        "live_count": kube.memberships.filter(live=True).count(),
        "form": form,
    }
    return render(request, "kube/member_remove.html", context)


urlpatterns = [
    path("<int:pk>/rencana/baru/", plan_new, name="plan_new"),
    path("<int:pk>/anggota/tambah/", member_add, name="member_add"),
    path("<int:pk>/anggota/<int:family_id>/keluar/", member_remove, name="member_remove"),
]
