"""The KUBE profile PDF says what the profile page says, lists the members with masked NIKs, is scoped
like the page and audited as a read of personal data; the command writes the same document."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone
from typer.testing import CliRunner

from berdaya.core.models import AuditEvent
from berdaya.core.templatetags.berdaya import rupiah
from berdaya.engine.masking import mask_id
from berdaya.ledger.services import operation_post
from berdaya.reports.kube_report import kube_report_data, kube_report_render

pytestmark = pytest.mark.django_db

SECTIONS = ["Identitas", "Anggota", "Pengurus", "Bantuan UEP", "Pendampingan", "Buku KUBE", "Evaluasi"]


def pdf_text(body: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def jagung(world):
    """KUBE Jagung with a sale and an expense inside the metrics window, so the books have figures."""
    kube = world["jagung"]
    recent = timezone.localdate() - dt.timedelta(days=20)
    operation_post(actor=None, kube=kube, kind="from_bank", date=recent, amount=3_000_000)
    operation_post(actor=None, kube=kube, kind="sale", date=recent, amount=1_750_000, description="Panen")
    operation_post(actor=None, kube=kube, kind="expense", date=recent, amount=250_000)
    return kube


def page_figures(html: str) -> dict[str, str]:
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))
    figures |= dict(re.findall(r'data-metric="(\w+)">([^<]*)<', html))
    return figures


def test_the_pdf_has_the_sections_and_the_pages_numbers(client, officer, jagung):
    client.force_login(officer)
    page = client.get(reverse("reports:kube", args=[jagung.pk])).content.decode()
    assert reverse("reports:kube_pdf", args=[jagung.pk]) in page
    response = client.get(reverse("reports:kube_pdf", args=[jagung.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    lines = text.splitlines()
    positions = [lines.index(heading) for heading in SECTIONS]  # each heading is a line of its own
    assert positions == sorted(positions)
    assert "Profil KUBE: KUBE Jagung" in text
    figures = page_figures(page)
    identity = text.split("\nIdentitas\n")[1].split("\nAnggota\n")[0]
    assert f"Anggota {figures['members']}\n" in identity and figures["members"] == "5"
    assert f"Bantuan UEP {figures['aid']}" in identity and figures["aid"] == "Rp20.000.000"
    assert f"Pendamping {figures['facilitator']}" in identity and figures["facilitator"] == "Andi"
    assert f"Tahap {figures['state']}" in identity
    books = text.split("\nBuku KUBE\n")[1].split("\nEvaluasi\n")[0]
    assert f"Aset {figures['assets']}" in books
    assert f"SHU bersih {figures['net_surplus']}" in books and figures["net_surplus"] == "Rp1.500.000"
    evaluation = text.split("\nEvaluasi\n")[1]
    assert "Skor terakhir: Akhir" in evaluation and "Tugaskan pendamping di kecamatan" in evaluation


def test_the_books_totals_are_the_ledgers(officer, jagung):
    data = kube_report_data(user=officer, kube_id=jagung.pk)
    assert data.income.surplus == data.profile["metrics"].net_surplus == 1_500_000
    assert data.balance.balanced and data.balance.total_assets == data.profile["metrics"].assets
    books = pdf_text(kube_report_render(data)[0]).split("\nBuku KUBE\n")[1]
    assert f"Jumlah aset {rupiah(data.balance.total_assets)}" in books
    assert f"Jumlah pendapatan {rupiah(data.income.total_income)}" in books
    assert f"SHU {rupiah(1_500_000)}" in books


def test_members_are_listed_with_masked_numbers_only(officer, jagung):
    data = kube_report_data(user=officer, kube_id=jagung.pk)
    assert len(data.members) == 5
    heads = [m.family.members.order_by("id").first() for m in jagung.memberships.filter(live=True)]
    text = pdf_text(kube_report_render(data)[0])
    members = text.split("\nAnggota\n")[1].split("\nPengurus\n")[0]
    for head in heads:
        assert head.name in members
        assert mask_id(head.nik) in members and head.nik not in text
        assert head.family.no_kk not in text


def test_each_download_is_audited_and_outsiders_get_a_404(client, officer, stranger, make_user, jagung, world):
    client.force_login(officer)
    assert client.get(reverse("reports:kube_pdf", args=[jagung.pk])).status_code == 200
    event = AuditEvent.objects.get(action="reports.kube_pdf")
    assert (event.actor, event.object_type, event.object_id, event.changes["members"]) == (
        officer, "kube", str(jagung.pk), 5
    )  # fmt: skip
    assert client.get(reverse("reports:kube_pdf", args=[world["lain"].pk])).status_code == 404
    client.force_login(stranger)
    assert client.get(reverse("reports:kube_pdf", args=[jagung.pk])).status_code == 404
    client.force_login(make_user("pemantau", "viewer", "61.71"))
    assert client.get(reverse("reports:kube_pdf", args=[jagung.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="reports.kube_pdf").count() == 1


def test_the_command_writes_the_profile_by_name_or_id(jagung, tmp_path):
    from berdaya.cli import app

    out = tmp_path / "profil.pdf"
    result = CliRunner().invoke(app, ["report", "kube", "--kube", "KUBE Jagung", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 anggota" in result.output
    text = pdf_text(out.read_bytes())
    assert "Profil KUBE: KUBE Jagung" in text and "Rp20.000.000" in text
    event = AuditEvent.objects.get(action="reports.kube_pdf")
    assert event.actor is None and event.object_id == str(jagung.pk)
    by_id = CliRunner().invoke(app, ["report", "kube", "--kube", str(jagung.pk), "--out", str(tmp_path / "b.pdf")])
    assert by_id.exit_code == 0, by_id.output
    missing = CliRunner().invoke(app, ["report", "kube", "--kube", "Tidak Ada", "--out", str(tmp_path / "c.pdf")])
    assert missing.exit_code == 1 and "tidak ditemukan" in missing.output
    wrong = CliRunner().invoke(app, ["report", "kube", "--kube", "1", "--out", str(tmp_path / "c.xlsx")])
    assert wrong.exit_code == 2
