"""The evaluation report (PDF and XLSX) says what the region dashboard says, on the small world of
conftest.py, and is scoped and audited like the dashboard."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from openpyxl import load_workbook
from typer.testing import CliRunner

from berdaya.core.models import AuditEvent
from berdaya.core.templatetags.berdaya import rupiah
from berdaya.reports.dashboard import region_summary
from berdaya.reports.evaluation_report import (
    evaluation_report_data,
    evaluation_report_pdf,
    evaluation_report_xlsx,
)
from tests.reports.conftest import AS_OF

pytestmark = pytest.mark.django_db

SECTIONS = ["Ringkasan", "Grafik", "Per kecamatan", "Per KUBE", "Indikator keberhasilan", "Rencana penguatan"]


def pdf_text(body: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def report(officer, world):
    return evaluation_report_data(user=officer, code="61.71", start=None, end=AS_OF)


@pytest.fixture
def pdf(report):
    return pdf_text(evaluation_report_pdf(report))


def test_the_pdf_opens_with_a_cover_and_the_six_sections(pdf):
    pages, text = pdf
    assert pages >= 7  # cover and one page per section at least
    first_page = text.split("Ringkasan")[0]
    assert "Laporan Evaluasi Program KUBE" in first_page and "Pontianak" in first_page.title()
    assert "15 Juni 2025" in first_page
    lines = text.splitlines()
    positions = [lines.index(heading) for heading in SECTIONS]  # each heading is a line of its own
    assert positions == sorted(positions)
    assert "Halaman 2" in text


def test_the_pdf_numbers_equal_the_dashboards(officer, pdf):
    t = region_summary(user=officer, code="61.71", as_of=AS_OF).total
    _pages, text = pdf
    summary = text.split("Grafik")[0]
    assert f"KUBE {t.kubes}\n" in summary and t.kubes == 2
    assert f"Keluarga layak {intcomma(t.eligible_families)}" in summary and t.eligible_families == 5
    assert f"KUBE berhasil (skor terakhir) {t.successful}/{t.scored}" in summary
    assert f"Bantuan UEP dibayarkan {rupiah(t.aid_paid)}" in summary and rupiah(t.aid_paid) == "Rp20.000.000"
    assert "-0,150 (0,400 → 0,250)" in summary  # welfare M0 change, as on the dashboard


def test_the_pdf_lists_kecamatan_kubes_indicators_and_the_plan(pdf):
    _pages, text = pdf
    per_kecamatan = text.split("Per kecamatan")[1].split("Per KUBE")[0]
    assert "Pontianak" in per_kecamatan and "61.71.04" in per_kecamatan and "61.71.05" in per_kecamatan
    per_kube = text.split("Per KUBE")[1].split("Indikator keberhasilan")[0]
    assert "Jagung" in per_kube and "Kerupuk" in per_kube and "Lain" not in per_kube
    assert "S2" in per_kube and "0,60" in per_kube  # unmet indicator and empowerment of Jagung
    indicators = text.split("Indikator keberhasilan")[-1]
    assert "S1_BASIC_NEEDS" in indicators and "Kebutuhan dasar" in indicators
    plan = text.split("Rencana penguatan")[-1]
    assert "1 aksi terbuka" in plan and "Dinas Sosial" in plan


def test_the_workbook_holds_the_same_numbers(officer, report):
    t = region_summary(user=officer, code="61.71", as_of=AS_OF).total
    book = load_workbook(io.BytesIO(evaluation_report_xlsx(report)))
    assert book.sheetnames == ["Ringkasan", "Per kecamatan", "Per KUBE", "Indikator", "Rencana"]
    figures = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(values_only=True)}
    assert figures["KUBE"] == t.kubes
    assert figures["KUBE berhasil (skor terakhir)"] == t.successful
    assert figures["Keluarga layak"] == t.eligible_families
    assert figures["Bantuan UEP dibayarkan (Rp)"] == t.aid_paid
    assert figures["Perubahan M0 kesejahteraan"] == pytest.approx(t.welfare_m0_change)
    kecamatan = list(book["Per kecamatan"].iter_rows(min_row=2, values_only=True))
    assert sum(row[2] for row in kecamatan) == t.eligible_families
    kubes = list(book["Per KUBE"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[0] for row in kubes) == ["KUBE Jagung", "KUBE Kerupuk"]
    assert sum(row[5] for row in kubes) == t.aid_paid
    indicators = {row[0]: row[2] for row in book["Indikator"].iter_rows(min_row=2, values_only=True)}
    assert indicators["S1_BASIC_NEEDS"] == 1 and indicators["S2_SOCIAL_DYNAMICS"] == 0


def test_a_period_keeps_only_the_scores_that_ended_inside_it(officer, world):
    import datetime as dt

    data = evaluation_report_data(user=officer, code="61.71", start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 30))
    jagung = next(k for k in data.kubes if k.name == "KUBE Jagung")
    assert (jagung.welfare_m0, jagung.welfare_m0_change) == (0.40, None)  # the baseline; the endline is later


def test_the_officer_downloads_both_and_each_download_is_audited(client, officer, world):
    client.force_login(officer)
    page = client.get(reverse("reports:region", args=["61.71"])).content.decode()
    assert reverse("reports:evaluation_pdf", args=["61.71"]) in page
    response = client.get(reverse("reports:evaluation_pdf", args=["61.71"]), {"sampai": "2025-06-15"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    response = client.get(reverse("reports:evaluation_xlsx", args=["61.71"]))
    assert response.status_code == 200 and response.content.startswith(b"PK")
    actions = sorted(AuditEvent.objects.filter(object_id="61.71").values_list("action", "actor"))
    assert actions == [("reports.evaluation_pdf", officer.pk), ("reports.evaluation_xlsx", officer.pk)]
    assert client.get(reverse("reports:evaluation_pdf", args=["61.71"]), {"dari": "kemarin"}).status_code == 400


def test_the_stranger_gets_a_404(client, stranger, world):
    client.force_login(stranger)
    assert client.get(reverse("reports:evaluation_pdf", args=["61.71"])).status_code == 404
    assert client.get(reverse("reports:evaluation_xlsx", args=["61.71"])).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="reports.evaluation").exists()


def test_the_command_writes_a_pdf_and_refuses_a_bad_region(world, tmp_path):
    from berdaya.cli import app

    out = tmp_path / "laporan.pdf"
    result = CliRunner().invoke(
        app, ["report", "evaluation", "--region", "61.71", "--to", "2025-06-15", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "halaman" in result.output and out.read_bytes().startswith(b"%PDF")
    _pages, text = pdf_text(out.read_bytes())
    assert "KUBE 2\n" in text
    bad = CliRunner().invoke(app, ["report", "evaluation", "--region", "99.99", "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "tidak ditemukan" in bad.output
