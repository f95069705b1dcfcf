"""The KUBE profile as a PDF (issue 7): what the profile page shows, on paper, plus the member list and
the books' neraca and laba-rugi totals.

Reads only. The figures are the profile's own (`kube_profile`: same scope, 404 outside it), so the paper
says what the page says; added here are the live members (No KK, head of family and NIK, all masked as
on the KUBE page, spec §9) and the balance sheet and income statement over the metrics window
(`ledger.reports`, the window of `ledger.metrics`). Members' names make this a read of personal data:
`kube_report_audit` records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from berdaya.core.models import Role, User
from berdaya.kube.models import Kube, Membership
from berdaya.ledger.reports import BalanceSheet, IncomeStatement

__all__ = ["KubeReport", "MemberRow", "kube_report_audit", "kube_report_data", "kube_report_render"]

TEMPLATE = "reports/pdf/kube.html"


@dataclass(frozen=True)
class MemberRow:
    no_kk: str  # masked
    head: str
    nik: str  # masked NIK of the head of family
    joined_on: dt.date | None


@dataclass
class KubeReport:
    profile: dict  # kube_profile's context, as the page has it
    members: list[MemberRow]
    balance: BalanceSheet
    income: IncomeStatement
    generated_on: dt.date
    charts: dict[str, str] = field(default_factory=dict)

    @property
    def kube(self) -> Kube:
        return self.profile["kube"]


def _reader() -> User:
    # The command line has no signed-in user: it reads as an admin (never saved), like `report evaluation`.
    return User(username="berdaya-cli", role=Role.ADMIN)


def _members(kube: Kube) -> list[MemberRow]:
    from berdaya.engine.masking import mask_id

    rows = []
    memberships = (
        Membership.objects.filter(kube=kube, live=True).select_related("family").prefetch_related("family__members")
    )
    for m in memberships.order_by("joined_on", "id"):
        # The first member of the family is its head, as on the KUBE page.
        head = next(iter(m.family.members.all()), None)
        rows.append(
            MemberRow(
                no_kk=mask_id(m.family.no_kk),
                head=head.name if head is not None else "",
                nik=mask_id(head.nik) if head is not None else "",
                joined_on=m.joined_on,
            )
        )
    return rows


def kube_report_data(*, user: User | None, kube_id: int, as_of: dt.date | None = None) -> KubeReport:
    """Everything the KUBE profile PDF shows. Http404 when `user` may not open the KUBE's profile; `user`
    None (the command line) reads as an admin."""
    from berdaya.ledger import reports
    from berdaya.ledger.metrics import default_months, metrics_window
    from berdaya.reports.figures import trend_svg
    from berdaya.reports.profiles import kube_profile

    user = user or _reader()
    as_of = as_of or timezone.localdate()
    profile = kube_profile(user=user, kube_id=kube_id, as_of=as_of)
    kube = profile["kube"]
    window = metrics_window(as_of, default_months())
    return KubeReport(
        profile=profile,
        members=_members(kube),
        balance=reports.balance_sheet(kube, as_of),
        income=reports.income_statement(kube, window.start, window.end),
        generated_on=timezone.localdate(),
        charts={"trend": trend_svg(profile["trend"], int(settings.BERDAYA["ATTENDANCE_MIN_PERCENT"]))},
    )


def kube_report_render(data: KubeReport) -> tuple[bytes, int]:
    """(the PDF, its page count): WeasyPrint, stylesheet inline, no network (as the evaluation report)."""
    import weasyprint

    from berdaya.reports.evaluation_report import _stylesheet_dir

    html = render_to_string(TEMPLATE, {"r": data, **data.profile})
    document = weasyprint.HTML(string=html, base_url=str(_stylesheet_dir())).render()
    return document.write_pdf(), len(document.pages)


def kube_report_audit(*, actor: User | None, data: KubeReport, client_address: str | None = None) -> None:
    """Record the read of the members' data (`reports.kube_pdf`) in the audit log."""
    from berdaya.core.services import audit_record

    audit_record(
        actor=actor,
        action="reports.kube_pdf",
        object_type="kube",
        object_id=str(data.kube.pk),
        changes={"as_of": data.profile["as_of"].isoformat(), "members": len(data.members)},
        client_address=client_address,
    )
