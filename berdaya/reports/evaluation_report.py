"""The programme evaluation report (issue 7, item 3): "Laporan Evaluasi Program KUBE" as PDF and XLSX.

Reads only. The region's figures, per-child rows, indicator pass rates and charts are the dashboard's
(`region_summary` as of the period's end) and the plan is the plan page's (`plan_summary`), so the
document says exactly what the pages say. Added here: one row per KUBE with its latest score whose
round ended inside the period (verdict, unmet indicators, empowerment, welfare M0 change against its
baseline), its live members and aid paid — three grouped queries whatever the number of KUBEs.

Scope is the dashboard's: `region_get` raises Http404 outside the user's region; a regional viewer
gets no per-KUBE scores. With no user (the command line) the report is read as a national admin.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from berdaya.core.models import Role, User
from berdaya.evaluation.models import KubeScore, Maturity, RoundKind
from berdaya.kube.models import Aid, Kube, KubeState, Membership
from berdaya.reports.dashboard import Figures, RegionSummary, in_region, region_summary
from berdaya.reports.figures import region_charts
from berdaya.reports.plan import PlanSummary, plan_summary

__all__ = [
    "BuiltReport",
    "KubeRow",
    "ReportData",
    "evaluation_report_audit",
    "evaluation_report_build",
    "evaluation_report_data",
    "evaluation_report_filename",
    "evaluation_report_pdf",
    "evaluation_report_render",
    "evaluation_report_xlsx",
]

TEMPLATE = "reports/pdf/evaluation.html"
KINDS = ("pdf", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The steps `evaluation_report_data` reports to its `progress` callback before the documents are drawn.
DATA_STEPS = 4

Progress = Callable[[int, int, str], None]
LEVEL_NAMES = {
    "provinsi": "provinsi",
    "kabkota": "kabupaten/kota",
    "kecamatan": "kecamatan",
    "desa": "kelurahan/desa",
    None: "KUBE",
}


@dataclass(frozen=True)
class KubeRow:
    """One KUBE of the region and its latest score in the period (score fields None when unscored)."""

    kube_id: int
    name: str
    region_code: str
    region_name: str
    state: str  # label
    members: int
    aid_paid: int
    round_name: str = ""
    successful: bool | None = None
    unmet: tuple[str, ...] = ()
    empowerment_index: float | None = None
    welfare_m0: float | None = None
    welfare_m0_change: float | None = None
    maturity: str = ""  # label

    @property
    def unmet_short(self) -> str:
        """S2, G5 … — the indicator table of the report spells each code out."""
        return ", ".join(code.split("_", 1)[0] for code in self.unmet)


@dataclass
class ReportData:
    summary: RegionSummary
    plan: PlanSummary
    start: dt.date | None
    end: dt.date
    generated_on: dt.date
    kubes: list[KubeRow]
    scores_shown: bool  # False for a regional viewer: aggregates only
    charts: dict[str, str] = field(default_factory=dict)

    @property
    def child_level_name(self) -> str:
        return LEVEL_NAMES.get(self.summary.child_level, str(self.summary.child_level))

    @property
    def children(self) -> list[Figures]:
        return [] if self.summary.children_are_kubes else self.summary.children

    @property
    def state_counts(self) -> list[tuple[str, int]]:
        by_state = self.summary.total.by_state
        return [(label, by_state.get(value, 0)) for value, label in self.summary.states]

    @property
    def maturity_counts(self) -> list[tuple[str, int]]:
        by_maturity = self.summary.total.by_maturity
        return [(label, by_maturity.get(value, 0)) for value, label in self.summary.maturities]

    @property
    def scored_in_period(self) -> int:
        return sum(1 for k in self.kubes if k.successful is not None)

    @property
    def successful_in_period(self) -> int:
        return sum(1 for k in self.kubes if k.successful)


def _national_reader() -> User:
    # The command line has no signed-in user: it reads as the national admin view (never saved).
    return User(username="berdaya-cli", role=Role.ADMIN)


def _no_progress(done: int, total: int, message: str = "") -> None:
    pass


def evaluation_report_data(
    *,
    user: User | None,
    code: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Progress | None = None,
    total_steps: int = DATA_STEPS,
) -> ReportData:
    """Everything the report shows for region `code` over [start, end] (end defaults to today).

    Raises Http404 when the region does not exist or lies outside `user`'s dashboard scope; `user`
    None reads as a national admin. About thirty queries whatever the size of the region.
    `progress(done, total_steps, message)` is told each of its DATA_STEPS sections as it starts.
    """
    progress = progress or _no_progress
    user = user or _national_reader()
    end = end or timezone.localdate()
    progress(0, total_steps, "ringkasan wilayah")
    summary = region_summary(user=user, code=code, as_of=end)
    progress(1, total_steps, "rencana penguatan")
    plan = plan_summary(user=user, code=code, as_of=end)
    scores_shown = summary.per_kube_scores
    progress(2, total_steps, "baris per KUBE")
    kubes = _kube_rows(code, start, end, scores_shown)
    progress(3, total_steps, "grafik")
    return ReportData(
        summary=summary,
        plan=plan,
        start=start,
        end=end,
        generated_on=timezone.localdate(),
        kubes=kubes,
        scores_shown=scores_shown,
        charts=region_charts(summary),
    )


@dataclass(frozen=True)
class BuiltReport:
    data: ReportData
    files: dict[str, bytes]  # "pdf"/"xlsx" -> the document
    pages: int | None  # the PDF's page count, None without a PDF


def evaluation_report_build(
    *,
    user: User | None,
    code: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    kinds: tuple[str, ...] | list[str] = ("pdf",),
    progress: Progress | None = None,
) -> BuiltReport:
    """The report's data and its documents (`kinds`: "pdf", "xlsx" or both), reporting each section and
    each document to `progress` (the job page's bar, the command line's). Http404 as the data."""
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ValueError(f"unknown report kinds {sorted(unknown)!r}; choose from {KINDS}")
    progress = progress or _no_progress
    total = DATA_STEPS + len(kinds)
    data = evaluation_report_data(user=user, code=code, start=start, end=end, progress=progress, total_steps=total)
    files: dict[str, bytes] = {}
    pages = None
    for step, kind in enumerate(kinds, start=DATA_STEPS):
        if kind == "pdf":
            progress(step, total, "menyusun PDF")
            files["pdf"], pages = evaluation_report_render(data)
        else:
            progress(step, total, "menyusun XLSX")
            files["xlsx"] = evaluation_report_xlsx(data)
    progress(total, total, "selesai")
    return BuiltReport(data=data, files=files, pages=pages)


def evaluation_report_filename(code: str, kind: str) -> str:
    return f"laporan-evaluasi-kube-{code}.{kind}"


def _kube_rows(code: str, start: dt.date | None, end: dt.date, scores_shown: bool) -> list[KubeRow]:
    kubes = Kube.objects.filter(in_region(code, "region"))
    members = dict(
        Membership.objects.filter(kube__in=kubes.values("pk"), live=True)
        .values("kube_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("kube_id", "n")
    )
    aid = dict(
        Aid.objects.filter(kube__in=kubes.values("pk"))
        .values("kube_id")
        .annotate(amount=Sum("amount"))
        .order_by()
        .values_list("kube_id", "amount")
    )
    latest: dict[int, dict] = {}
    m0: dict[tuple[int, int], float | None] = {}
    if scores_shown:
        for score in KubeScore.objects.filter(kube__in=kubes.values("pk")).values(
            "kube_id", "round_id", "round__name", "round__kind", "round__baseline_id", "round__end_on",
            "successful", "unmet", "empowerment_index", "welfare_m0", "maturity",
        ):  # fmt: skip
            m0[(score["kube_id"], score["round_id"])] = score["welfare_m0"]
            ended = score["round__end_on"]
            if ended > end or (start is not None and ended < start):
                continue
            kept = latest.get(score["kube_id"])
            if kept is None or (ended, score["round_id"]) > (kept["round__end_on"], kept["round_id"]):
                latest[score["kube_id"]] = score
    states = dict(KubeState.choices)
    maturities = dict(Maturity.choices)
    rows = []
    for pk, name, region_code, region_name, state in kubes.order_by("region_id", "name", "pk").values_list(
        "pk", "name", "region_id", "region__name", "state"
    ):
        row = {
            "kube_id": pk,
            "name": name,
            "region_code": region_code,
            "region_name": region_name,
            "state": str(states.get(state, state)),
            "members": members.get(pk, 0),
            "aid_paid": aid.get(pk) or 0,
        }
        score = latest.get(pk)
        if score is not None:
            change = None
            if score["round__kind"] != RoundKind.BASELINE and score["round__baseline_id"] is not None:
                baseline = m0.get((pk, score["round__baseline_id"]))
                if baseline is not None and score["welfare_m0"] is not None:
                    change = score["welfare_m0"] - baseline
            row |= {
                "round_name": score["round__name"],
                "successful": score["successful"],
                "unmet": tuple(score["unmet"] or ()),
                "empowerment_index": score["empowerment_index"],
                "welfare_m0": score["welfare_m0"],
                "welfare_m0_change": change,
                "maturity": str(maturities.get(score["maturity"], score["maturity"])),
            }
        rows.append(KubeRow(**row))
    return rows


def _stylesheet_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "templates" / "reports" / "pdf"


def evaluation_report_render(data: ReportData) -> tuple[bytes, int]:
    """(the PDF, its page count). WeasyPrint with the stylesheet inline and Debian's DejaVu fonts: no
    network access (base_url is the template folder, which links nothing)."""
    import weasyprint

    html = render_to_string(TEMPLATE, {"d": data, "s": data.summary, "p": data.plan})
    document = weasyprint.HTML(string=html, base_url=str(_stylesheet_dir())).render()
    return document.write_pdf(), len(document.pages)


def evaluation_report_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (A4, cover, numbered pages)."""
    return evaluation_report_render(data)[0]


def evaluation_report_xlsx(data: ReportData) -> bytes:
    """The report's numbers as a workbook: Ringkasan, Per kecamatan, Per KUBE, Indikator, Rencana.

    Values are raw numbers (rupiah as integers, rates in percent, indices as fractions) so they can be
    summed and compared with the PDF and the dashboard.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    s, t = data.summary, data.summary.total
    book = Workbook()
    sheet = book.active
    sheet.title = "Ringkasan"
    period = f"{data.start.isoformat() if data.start else '…'} s.d. {data.end.isoformat()}"
    rows: list[tuple] = [
        ("Laporan Evaluasi Program KUBE", ""),
        ("Wilayah", f"{s.name} ({s.code})"),
        ("Periode", period),
        ("Dibuat", data.generated_on.isoformat()),
        ("", ""),
        ("Keluarga layak", t.eligible_families),
        ("KUBE", t.kubes),
        ("KUBE hidup", t.live_kubes),
        ("Anggota (keluarga)", t.members),
        ("Bantuan UEP dibayarkan (Rp)", t.aid_paid),
        ("KUBE hidup berpendamping", t.covered),
        ("Cakupan pendamping (%)", t.coverage),
        ("Pendamping", t.facilitators),
        ("KUBE perlu perhatian", t.attention),
        ("Kehadiran 3 bulan (%)", t.attendance_rate),
        ("KUBE dinilai (skor terakhir)", t.scored),
        ("KUBE berhasil (skor terakhir)", t.successful),
        ("Indeks keberdayaan (rata-rata)", t.empowerment_index),
        ("M0 kesejahteraan awal", t.welfare_m0_baseline),
        ("M0 kesejahteraan terakhir", t.welfare_m0_latest),
        ("Perubahan M0 kesejahteraan", t.welfare_m0_change),
        ("Aksi rencana penguatan terbuka", data.plan.open_actions),
    ]
    rows += [(f"KUBE tahap {label}", t.by_state.get(value, 0)) for value, label in s.states]
    rows += [(f"KUBE kematangan {label}", t.by_maturity.get(value, 0)) for value, label in s.maturities]
    for row in rows:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)

    children = book.create_sheet("Per kecamatan")
    children.append(
        ["Kode", "Wilayah", "Keluarga layak", "KUBE", "KUBE hidup", "Anggota", "Bantuan (Rp)", "Berpendamping",
         "Perhatian", "Kehadiran (%)", "Dinilai", "Berhasil", "Indeks keberdayaan", "Perubahan M0"]
    )  # fmt: skip
    for c in data.children:
        children.append(
            [c.code, c.name, c.eligible_families, c.kubes, c.live_kubes, c.members, c.aid_paid, c.covered,
             c.attention, c.attendance_rate, c.scored, c.successful, c.empowerment_index, c.welfare_m0_change]
        )  # fmt: skip

    kubes = book.create_sheet("Per KUBE")
    header = ["KUBE", "Kode kelurahan", "Kelurahan", "Tahap", "Anggota", "Bantuan (Rp)"]
    if data.scores_shown:
        header += ["Putaran", "Berhasil", "Indikator belum terpenuhi", "Indeks keberdayaan", "M0", "Perubahan M0",
                   "Kematangan"]  # fmt: skip
    kubes.append(header)
    for k in data.kubes:
        row = [k.name, k.region_code, k.region_name, k.state, k.members, k.aid_paid]
        if data.scores_shown:
            verdict = None if k.successful is None else ("ya" if k.successful else "tidak")
            row += [k.round_name, verdict, ", ".join(k.unmet), k.empowerment_index, k.welfare_m0,
                    k.welfare_m0_change, k.maturity]  # fmt: skip
        kubes.append(row)

    indicators = book.create_sheet("Indikator")
    indicators.append(["Kode", "Indikator", "Terpenuhi", "Tanpa data", "Dinilai", "Persen terpenuhi"])
    for i in s.indicators:
        indicators.append([i.code, i.title, i.met, i.unknown, i.scored, i.share])

    plan = book.create_sheet("Rencana")
    plan.append(["Kode", "Wilayah", "Penyebab", "Penanggung jawab", "Aksi", "Kelurahan asal"])
    for r in data.plan.rows:
        plan.append([r.code, r.name, r.cause, r.owner, r.actions, r.sources])
    plan.append([])
    plan.append(["Penanggung jawab", "Aksi terbuka"])
    for owner, n in data.plan.by_owner:
        plan.append([owner, n])

    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def evaluation_report_audit(
    *, actor: User | None, code: str, kind: str, data: ReportData, client_address: str | None = None
) -> None:
    """Record the bulk read (`reports.evaluation_pdf` or `reports.evaluation_xlsx`) in the audit log."""
    from berdaya.core.services import audit_record

    audit_record(
        actor=actor,
        action=f"reports.evaluation_{kind}",
        object_type="region",
        object_id=code,
        changes={
            "from": data.start.isoformat() if data.start else None,
            "to": data.end.isoformat(),
            "kubes": len(data.kubes),
        },
        client_address=client_address,
    )
