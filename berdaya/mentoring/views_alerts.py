"""The "needs attention" (Perlu perhatian) page: the mentoring alerts of spec §6 for the signed-in user.

Thin: `alerts.alerts_for` scopes by role and computes; this view reads the reference date and renders.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from berdaya.core.models import Role
from berdaya.mentoring import alerts


def _as_of(text: str) -> tuple[dt.date, str]:
    """The reference date from `?tanggal=YYYY-MM-DD` (default today) and an error to show if unreadable."""
    today = timezone.localdate()
    if not text:
        return today, ""
    try:
        return dt.date.fromisoformat(text.strip()), ""
    except ValueError:
        return today, _("Tanggal “%(text)s” tidak terbaca (format TTTT-BB-HH); dipakai hari ini.") % {"text": text}


@login_required
def attention(request):
    """Alerts grouped by rule, with the thresholds in force; viewers and evaluators see counts per kecamatan."""
    as_of, date_error = _as_of(request.GET.get("tanggal", ""))
    found = alerts.alerts_for(user=request.user, as_of=as_of)
    return render(
        request,
        "mentoring/attention.html",
        {
            "as_of": as_of,
            "date_error": date_error,
            "groups": alerts.alerts_grouped(found),
            "aggregated": request.user.role in alerts.AGGREGATE_ROLES and not request.user.is_superuser,
            "thresholds": alerts.thresholds(),
            "capital_loan_months": alerts.CAPITAL_LOAN_MONTHS,
            "is_facilitator": request.user.role == Role.FACILITATOR,
        },
    )


urlpatterns = [path("perhatian/", attention, name="attention")]
