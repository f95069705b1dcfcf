"""KUBE pages: the list, one KUBE with its members, officers, history, aid and activity, and the
lifecycle steps. Thin: a scoped selector fetches, a form checks, one service writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from berdaya.kube import forms, selectors
from berdaya.kube.models import KubeState
from berdaya.kube.services import KubeError


@login_required
def kube_list(request):
    kubes = selectors.kubes_for_user(request.user)
    # Viewers and evaluators read aggregates (dashboards), not KUBE lists.
    if not selectors.can_manage_kubes(request.user) and request.user.role not in ("facilitator", "kube_officer"):
        raise PermissionDenied
    state = request.GET.get("status", "")
    region = request.GET.get("wilayah", "").strip()
    if state in KubeState.values:
        kubes = kubes.filter(state=state)
    if region:
        kubes = kubes.filter(region__code__startswith=region)
    page = Paginator(selectors.kube_list_rows(kubes).order_by("region_id", "name"), 50).get_page(request.GET.get("hal"))
    return render(
        request,
        "kube/kube_list.html",
        {
            "page": page,
            "state": state,
            "region": region,
            "states": KubeState.choices,
            "can_manage": selectors.can_manage_kubes(request.user),
        },
    )


@login_required
def kube_detail(request, pk: int):
    kube = selectors.kube_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "kube/kube_detail.html",
        {
            **selectors.kube_detail_context(kube),
            "kube": kube,
            "can_manage": selectors.can_manage_kubes(request.user),
            "can_record": selectors.can_record_activity(request.user, kube),
            "steps": forms.steps_available(kube) if selectors.can_manage_kubes(request.user) else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def kube_step(request, pk: int, step: str):
    kube = selectors.kube_get_for_user(user=request.user, pk=pk)
    if not selectors.can_manage_kubes(request.user):
        raise PermissionDenied
    if step not in forms.STEP_FORMS:
        raise Http404
    form_class = forms.STEP_FORMS[step]
    form = form_class(request.POST or None, kube=kube)
    if request.method == "POST" and form.is_valid():
        try:
            form.apply(actor=request.user)
        except KubeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, form.done_message)
            return redirect("kube:detail", pk=kube.pk)
    return render(request, "kube/kube_step.html", {"kube": kube, "form": form, "step": step})
