"""Pendamping and assignment pages (spec §6), for program officers and admins only.

`pendamping/`: the pendamping of the user's region with their caseload, and a form to register one.
`penugasan/`: the engine's proposal to accept row by row, the KUBEs it could not place and why, the
kecamatan with KUBEs but no pendamping, and the by-hand override and end forms. Thin: a scoped helper
fetches, a form checks, one service writes.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from berdaya.core.models import Region, Role, User
from berdaya.core.scoping import region_q, scope_regions
from berdaya.kube.models import LIVE_STATES
from berdaya.kube.selectors import can_manage_kubes, kubes_for_user
from berdaya.mentoring.models import Facilitator
from berdaya.mentoring.services.assignment import (
    AssignmentError,
    assignment_accept,
    assignment_end,
    assignment_propose,
    assignment_set,
    current_assignments,
    default_cap,
    facilitator_create,
    facilitator_update,
    facilitators_for_user,
)


def _require_manager(user: User) -> None:
    if not can_manage_kubes(user):
        raise PermissionDenied


def _kecamatan_in_scope(user: User):
    return scope_regions(Region.objects.filter(level=Region.Level.KECAMATAN), user)


class _RegionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class _FacilitatorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.home_region.name} · {obj.load}/{obj.cap}"


class FacilitatorForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nama"), max_length=150)
    home_region = _RegionChoice(label=gettext_lazy("Kecamatan asal"), queryset=Region.objects.none())
    cap = forms.IntegerField(label=gettext_lazy("Batas jumlah KUBE dampingan"), min_value=1, max_value=1000)
    phone = forms.CharField(label=gettext_lazy("Telepon"), max_length=30, required=False)
    lat = forms.FloatField(label=gettext_lazy("Lintang rumah"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=gettext_lazy("Bujur rumah"), required=False, min_value=-180, max_value=180)
    user = forms.ModelChoiceField(
        label=gettext_lazy("Akun pendamping (opsional)"), queryset=User.objects.none(), required=False
    )
    active = forms.BooleanField(label=gettext_lazy("Aktif"), required=False, initial=True)

    def __init__(self, *args, actor: User, editing: Facilitator | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_region"].queryset = _kecamatan_in_scope(actor)
        accounts = User.objects.filter(role=Role.FACILITATOR).filter(region_q(actor, "region"))
        free = Q(facilitator__isnull=True)
        if editing is not None and editing.user_id:
            free |= Q(pk=editing.user_id)
        self.fields["user"].queryset = accounts.filter(free).order_by("username")
        if editing is None:
            self.fields["cap"].initial = default_cap()
            del self.fields["active"]


# A date input posts and shows ISO dates whatever the language's display format.
_DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class AcceptForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Mulai bertugas"), widget=_DATE)


class _KubeChoice(forms.ModelChoiceField):
    def __init__(self, *args, current: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current or {}

    def label_from_instance(self, obj):
        now = self.current.get(obj.pk)
        keeper = now.facilitator.name if now else _("belum ada pendamping")
        return f"{obj.name} · {obj.region.name} · {keeper}"


class OverrideForm(forms.Form):
    kube = _KubeChoice(label=gettext_lazy("KUBE"), queryset=None)
    facilitator = _FacilitatorChoice(label=gettext_lazy("Pendamping"), queryset=Facilitator.objects.none())
    start = forms.DateField(label=gettext_lazy("Mulai bertugas"), widget=_DATE)
    reason = forms.CharField(
        label=gettext_lazy("Alasan (wajib bila melebihi batas)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, kubes, current: dict, facilitators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kube"].queryset = kubes
        self.fields["kube"].current = current
        self.fields["facilitator"].queryset = facilitators


class EndForm(forms.Form):
    kube = _KubeChoice(label=gettext_lazy("KUBE"), queryset=None)
    end = forms.DateField(label=gettext_lazy("Hari terakhir didampingi"), widget=_DATE)
    reason = forms.CharField(label=gettext_lazy("Alasan"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, kubes, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kube"].queryset = kubes
        self.fields["kube"].current = current


@login_required
@require_http_methods(["GET", "POST"])
def facilitator_list(request):
    _require_manager(request.user)
    form = FacilitatorForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            facilitator = facilitator_create(actor=request.user, **data)
        except AssignmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Pendamping %(name)s terdaftar.") % {"name": facilitator.name})
            return redirect("mentoring:facilitator_list")
    return _facilitator_page(request, form, editing=None)


@login_required
@require_http_methods(["GET", "POST"])
def facilitator_edit(request, pk: int):
    _require_manager(request.user)
    try:
        facilitator = facilitators_for_user(request.user).get(pk=pk)
    except Facilitator.DoesNotExist as error:
        raise Http404 from error
    initial = {
        "name": facilitator.name,
        "home_region": facilitator.home_region,
        "cap": facilitator.cap,
        "phone": facilitator.phone,
        "lat": facilitator.lat,
        "lon": facilitator.lon,
        "user": facilitator.user,
        "active": facilitator.active,
    }
    form = FacilitatorForm(request.POST or None, actor=request.user, editing=facilitator, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {key: form.cleaned_data[key] for key in form.changed_data}
        try:
            facilitator_update(actor=request.user, facilitator=facilitator, data=changed)
        except AssignmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Data pendamping %(name)s disimpan.") % {"name": facilitator.name})
            return redirect("mentoring:facilitator_list")
    return _facilitator_page(request, form, editing=facilitator)


def _facilitator_page(request, form: FacilitatorForm, *, editing: Facilitator | None):
    facilitators = facilitators_for_user(request.user).order_by("home_region_id", "name", "pk")
    return render(
        request,
        "mentoring/facilitator_list.html",
        {"facilitators": facilitators, "form": form, "editing": editing, "default_cap": default_cap()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment(request):
    _require_manager(request.user)
    user = request.user
    region_code = (request.GET.get("wilayah") or "").strip()
    live = kubes_for_user(user).filter(state__in=LIVE_STATES).select_related("region").order_by("region_id", "name")
    current = current_assignments(live)
    facilitators = facilitators_for_user(user).filter(active=True).order_by("home_region_id", "name")
    kept = live.filter(pk__in=list(current))
    action = request.POST.get("action") if request.method == "POST" else None
    today = timezone.localdate()

    # Three forms on one page: distinct auto_id prefixes keep their element ids unique.
    accept_form = AcceptForm(
        request.POST if action == "accept" else None, initial={"start": today}, auto_id="accept_%s"
    )
    override_form = OverrideForm(
        request.POST if action == "override" else None,
        kubes=live,
        current=current,
        facilitators=facilitators,
        initial={"start": today, "kube": request.GET.get("kube")},
        auto_id="override_%s",
    )
    end_form = EndForm(
        request.POST if action == "end" else None, kubes=kept, current=current, initial={"end": today}, auto_id="end_%s"
    )

    if action is not None:
        try:
            done = _apply(request, action, accept_form, override_form, end_form)
        except AssignmentError as error:
            messages.error(request, str(error))
        else:
            if done:
                url = reverse("mentoring:assignment")
                return redirect(f"{url}?wilayah={region_code}" if region_code else url)

    proposal = assignment_propose(user=user, region_code=region_code or None)
    return render(
        request,
        "mentoring/assignment.html",
        {
            "proposal": proposal,
            "region": region_code,
            "accept_form": accept_form,
            "override_form": override_form,
            "end_form": end_form,
        },
    )


def _apply(request, action: str, accept_form, override_form, end_form) -> bool:
    """Run the posted action's service; False when its form is invalid (the page shows the errors)."""
    if action == "accept":
        pairs = [_pair(value) for value in request.POST.getlist("pair")]
        if not accept_form.is_valid():
            return False
        created = assignment_accept(actor=request.user, pairs=pairs, start=accept_form.cleaned_data["start"])
        messages.success(request, _("%(n)s penugasan disimpan.") % {"n": len(created)})
        return True
    if action == "override":
        if not override_form.is_valid():
            return False
        data = override_form.cleaned_data
        assignment_set(
            actor=request.user,
            kube=data["kube"],
            facilitator=data["facilitator"],
            start=data["start"],
            reason=data["reason"],
        )
        messages.success(
            request,
            _("%(kube)s kini didampingi %(name)s.") % {"kube": data["kube"].name, "name": data["facilitator"].name},
        )
        return True
    if action == "end":
        if not end_form.is_valid():
            return False
        data = end_form.cleaned_data
        assignment_end(actor=request.user, kube=data["kube"], end=data["end"], reason=data["reason"])
        messages.success(request, _("Penugasan %(kube)s diakhiri.") % {"kube": data["kube"].name})
        return True
    raise Http404


def _pair(value: str) -> tuple[int, int]:
    try:
        kube_id, facilitator_id = value.split(":")
        return int(kube_id), int(facilitator_id)
    except ValueError as error:
        raise AssignmentError(_("Usulan yang dikirim tidak terbaca.")) from error


urlpatterns = [
    path("pendamping/", facilitator_list, name="facilitator_list"),
    path("pendamping/<int:pk>/", facilitator_edit, name="facilitator_edit"),
    path("penugasan/", assignment, name="assignment"),
]
