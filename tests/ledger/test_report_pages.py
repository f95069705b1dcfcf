"""The report pages: scope, XLSX downloads with their audit row, bad query parameters, query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from berdaya.core.models import AuditEvent
from berdaya.kube.models import KubeState
from berdaya.ledger.services import operation_post
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
KUBE_PAGES = ["cash_book", "income_statement", "balance_sheet", "trial_balance", "loan_ledger", "iks_fund", "metrics"]


@pytest.fixture
def kube(regions):
    kube = make_kube(state=KubeState.ACTIVE, name="KUBE Cabai Merah")
    member = kube.memberships.order_by("id").first()
    for kind, day, amount, extra in [
        ("from_bank", dt.date(2025, 3, 1), 5_000_000, {}),
        ("purchase", dt.date(2025, 3, 3), 1_200_000, {"description": "Bibit cabai"}),
        ("sale", dt.date(2025, 3, 10), 2_500_000, {}),
        ("loan_out", dt.date(2025, 3, 15), 1_000_000, {"member": member, "term_months": 4}),
        ("iks_allocation", dt.date(2025, 5, 20), 100_000, {}),
    ]:
        operation_post(actor=None, kube=kube, kind=kind, date=day, amount=amount, **extra)
    return kube


def url(name: str, kube) -> str:
    return reverse(f"ledger:{name}", args=[kube.pk])


def workbook(response):
    return load_workbook(io.BytesIO(response.content))


@pytest.mark.parametrize("name", KUBE_PAGES)
def test_an_officer_of_the_city_opens_every_report(client, officer, kube, name):
    client.force_login(officer)
    response = client.get(url(name, kube))
    assert response.status_code == 200
    assert b'id="report-nav"' in response.content
    assert f"/buku/{kube.pk}/".encode() in response.content


@pytest.mark.parametrize("name", KUBE_PAGES)
def test_a_stranger_gets_404_for_page_and_download(client, stranger, kube, name):
    client.force_login(stranger)
    assert client.get(url(name, kube)).status_code == 404
    assert client.get(url(name, kube), {"format": "xlsx"}).status_code == 404
    assert not AuditEvent.objects.filter(action="ledger.export_xlsx").exists()


def test_signing_in_is_required(client, kube):
    response = client.get(url("balance_sheet", kube))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_cash_book_page_shows_the_month_with_running_balances(client, officer, kube):
    client.force_login(officer)
    response = client.get(url("cash_book", kube), {"bulan": "2025-03"})
    text = response.content.decode()
    assert "Bibit cabai" in text
    assert "Rp6.300.000" in text  # after the sale
    assert "Rp5.300.000" in text  # closing
    assert 'value="2025-03"' in text


def test_a_bad_month_is_explained_and_this_month_shown(client, officer, kube):
    client.force_login(officer)
    response = client.get(url("cash_book", kube), {"bulan": "Maret", "akun": "9999"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Bulan “Maret” tidak terbaca" in text
    assert "bukan Kas (1100) atau Bank (1200)" in text
    assert response.context["report"].account_code == "1100"


@pytest.mark.parametrize(("name", "query"), [
    ("balance_sheet", {"tanggal": "31-12-2025"}),
    ("income_statement", {"dari": "kemarin", "sampai": "2025-13-40"}),
    ("income_statement", {"dari": "2025-12-01", "sampai": "2025-01-31"}),
    ("loan_ledger", {"tanggal": "x"}),
    ("metrics", {"tanggal": "2025/07/01"}),
])  # fmt: skip
def test_a_bad_date_is_explained_not_a_server_error(client, officer, kube, name, query):
    client.force_login(officer)
    response = client.get(url(name, kube), query)
    assert response.status_code == 200
    assert response.context["errors"]


def test_the_balance_sheet_xlsx_holds_the_figures_and_is_audited(client, officer, kube):
    client.force_login(officer)
    response = client.get(url("balance_sheet", kube), {"tanggal": "2025-06-30", "format": "xlsx"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "kube-cabai-merah-neraca-2025-06-30.xlsx" in disposition
    sheet = workbook(response).worksheets[0]
    assert sheet.freeze_panes == "B2"
    assert [c.value for c in sheet[1]] == ["Kode", "Akun", "Jumlah"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}
    assert rows["1100"][2].value == 5_300_000 and isinstance(rows["1100"][2].value, int)
    assert rows["1100"][2].number_format == "#,##0"
    assert rows["1300"][2].value == 1_000_000
    assert sheet.cell(row=sheet.max_row, column=3).value == 21_300_000  # liabilities + equity
    event = AuditEvent.objects.get(action="ledger.export_xlsx")
    assert (event.actor, event.object_type, event.object_id, event.changes) == (
        officer, "kube.Kube", str(kube.pk), {"report": "neraca"},
    )  # fmt: skip


def test_the_cash_book_xlsx_lists_the_months_lines(client, officer, kube):
    client.force_login(officer)
    response = client.get(url("cash_book", kube), {"bulan": "2025-03", "format": "xlsx"})
    sheet = workbook(response).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][2] == "Saldo awal" and values[0][7] == 0
    assert [v[7] for v in values[1:-1]] == [5_000_000, 3_800_000, 6_300_000, 5_300_000]
    assert values[-1][5:] == [7_500_000, 2_200_000, 5_300_000]
    assert "buku-kas-1100-2025-03-01" in response["Content-Disposition"]


@pytest.mark.parametrize("name", KUBE_PAGES)
def test_every_report_downloads_as_xlsx(client, officer, kube, name):
    client.force_login(officer)
    response = client.get(url(name, kube), {"format": "xlsx", "tanggal": "2025-07-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = workbook(response).worksheets[0]
    assert sheet.max_row >= 2 and all(c.font.bold for c in sheet[1])
    assert AuditEvent.objects.filter(action="ledger.export_xlsx", object_id=str(kube.pk)).count() == 1


def test_the_loan_page_shows_the_aging(client, officer, kube):
    client.force_login(officer)
    response = client.get(url("loan_ledger", kube), {"tanggal": "2025-07-01"})
    (row,) = response.context["report"].rows
    assert row.bucket == "61-90"  # nothing repaid: 15 April was 77 days before
    assert 'data-bucket="61-90"' in response.content.decode()


def test_the_metrics_page_explains_the_formulas(client, officer, kube):
    client.force_login(officer)
    response = client.get(url("metrics", kube), {"tanggal": "2025-07-01"})
    text = response.content.decode()
    assert 'id="formulas"' in text and "PAR > 30 hari" in text
    assert response.context["metrics"].net_surplus == 2_500_000 - 1_200_000


def test_the_cash_book_and_balance_sheet_pages_take_few_queries(client, officer, kube, django_assert_max_num_queries):
    client.force_login(officer)
    for day in range(1, 25):
        operation_post(actor=None, kube=kube, kind="sale", date=dt.date(2025, 3, day), amount=1_000)
    with django_assert_max_num_queries(8):
        assert client.get(url("cash_book", kube), {"bulan": "2025-03"}).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(url("balance_sheet", kube)).status_code == 200


def test_the_region_page_lists_kubes_for_an_officer(client, officer, kube):
    client.force_login(officer)
    response = client.get(reverse("ledger:region_metrics"), {"tanggal": "2025-07-01"})
    assert response.status_code == 200
    text = response.content.decode()
    assert f'data-kube="{kube.pk}"' in text and "KUBE Cabai Merah" in text


def test_the_region_page_shows_a_viewer_only_kecamatan(client, make_user, kube):
    client.force_login(make_user("pemantau", "viewer", "61.71"))
    response = client.get(reverse("ledger:region_metrics"))
    text = response.content.decode()
    assert 'data-kecamatan="61.71.04"' in text
    assert "KUBE Cabai Merah" not in text and "data-kube=" not in text
    download = client.get(reverse("ledger:region_metrics"), {"format": "xlsx"})
    sheet = workbook(download).worksheets[0]
    assert sheet.cell(row=2, column=2).value == "61.71.04"
    assert AuditEvent.objects.filter(action="ledger.export_xlsx", object_type="core.Region").exists()


def test_the_region_page_for_a_stranger_is_empty(client, stranger, kube):
    client.force_login(stranger)
    response = client.get(reverse("ledger:region_metrics"), {"tanggal": "bukan tanggal"})
    assert response.status_code == 200
    assert b'id="nothing"' in response.content and response.context["errors"]
