"""Reads shared by pages and commands."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Count


def stats_counts() -> dict:
    """Counts of the main records; later apps add theirs when their models exist."""
    from berdaya.core.models import AuditEvent, Region, User
    from berdaya.registry.models import EligibilityRun, Family, Person

    counts: dict = {
        "regions": Region.objects.count(),
        "users": User.objects.count(),
        "families": Family.objects.count(),
        "persons": Person.objects.filter(family__isnull=False).count(),
        "eligibility_runs": EligibilityRun.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }
    by_decision = dict(
        Family.objects.filter(latest_decision__isnull=False)
        .values_list("latest_decision__decision")
        .annotate(n=Count("id"))
        .values_list("latest_decision__decision", "n")
    )
    counts["decisions"] = {d: by_decision.get(d, 0) for d in ("ELIGIBLE", "INELIGIBLE", "NEEDS_VERIFICATION")}
    # Later issues register their models here without touching this function's callers.
    for label, model_name, key in OPTIONAL_COUNTS:
        try:
            model = apps.get_model(label, model_name)
        except LookupError:
            continue
        counts[key] = model.objects.count()
    return counts


# (app label, model, key in the stats): counted when the app is installed.
OPTIONAL_COUNTS: list[tuple[str, str, str]] = [
    ("kube", "Kube", "kubes"),
    ("kube", "Membership", "kube_memberships"),
    ("mentoring", "Facilitator", "facilitators"),
    ("mentoring", "Assignment", "assignments"),
    ("mentoring", "Meeting", "meetings"),
    ("mentoring", "Attendance", "attendance_records"),
    ("mentoring", "Visit", "visits"),
    ("mentoring", "Training", "trainings"),
    ("ledger", "JournalLine", "journal_lines"),
    ("evaluation", "Response", "survey_responses"),
]
