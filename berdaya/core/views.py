from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from berdaya.core.scoping import can_read_registry
from berdaya.registry.selectors import decision_counts, recent_imports


@login_required
def home(request):
    context = {
        "can_read_registry": can_read_registry(request.user),
        "counts": decision_counts(user=request.user),
    }
    if context["can_read_registry"]:
        context["imports"] = recent_imports(user=request.user)[:5]
    from berdaya.kube.selectors import kube_state_counts

    context["kube_counts"] = kube_state_counts(request.user)
    from berdaya.reports.dashboard import can_see_dashboard

    context["can_see_dashboard"] = can_see_dashboard(request.user)
    return render(request, "home.html", context)
