from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from berdaya.core.figures_cache import figures_cached
from berdaya.core.scoping import can_read_registry
from berdaya.registry.selectors import decision_counts, recent_imports


@login_required
def home(request):
    context = {
        "can_read_registry": can_read_registry(request.user),
        "counts": figures_cached(
            "decision_counts", request.user, (), lambda: decision_counts(user=request.user)
        ),
    }
    if context["can_read_registry"]:
        context["imports"] = recent_imports(user=request.user)[:5]
    from berdaya.kube.selectors import kube_state_counts

    context["kube_counts"] = kube_state_counts(request.user)
    from berdaya.reports.dashboard import can_see_dashboard

    context["can_see_dashboard"] = can_see_dashboard(request.user)
    return render(request, "home.html", context)


def sign_in_locked_out(request, original_response=None, credentials=None):
    """The page django-axes shows (429) when a user name + address pair is locked (settings.AXES_*)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/lockout.html", {"minutes": minutes}, status=429)
