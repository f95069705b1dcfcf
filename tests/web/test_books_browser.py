"""The treasurer on a 360 px phone: opens the books, records a sale in plain words, and sees the new Kas
balance; no page scrolls sideways. Same set-up as test_field_browser.py; screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, JournalEntry
from berdaya.ledger.services import operation_post
from tests.factories import make_kube
from tests.web.conftest import overflow, shot, sign_in

pytestmark = pytest.mark.browser
DAY = dt.date(2025, 3, 3)


@pytest.fixture
def kube(make_user):
    """An active KUBE whose treasurer signs in as `bendahara`."""
    kube = make_kube(name="KUBE Kerupuk Basah 3", size=5, state=KubeState.ACTIVE)
    user = make_user("bendahara", "kube_officer", "61.71.04.1001")
    kube.officers.filter(role="bendahara").update(user=user)
    return kube


def test_the_treasurer_records_a_sale_and_sees_the_new_kas_balance(page, live_server, kube):
    sign_in(page, live_server, "bendahara")
    books = live_server.url + reverse("ledger:books", args=[kube.pk])
    page.goto(live_server.url + reverse("kube:detail", args=[kube.pk]))
    page.locator("#books-link").click()
    page.wait_for_url(books)
    assert page.locator('[data-balance="kas"] .n').inner_text() == "Rp0"
    assert page.locator('[data-balance="bank"] .n').inner_text() == "Rp20.000.000"
    shot(page, "books-01-home")
    assert overflow(page) <= 1
    # The operation buttons are big enough for a thumb.
    assert page.locator('[data-operation="sale"]').bounding_box()["height"] >= 48

    page.locator('[data-operation="sale"]').click()
    page.wait_for_url(re.compile(r".*/catat/sale/$"))
    page.fill("#id_amount", "1.250.000")
    page.fill("#id_description", "Kerupuk 50 bungkus")
    shot(page, "books-02-penjualan")
    assert overflow(page) <= 1
    page.locator("#save-operation").click()

    page.wait_for_url(books)
    shot(page, "books-03-after-sale")
    assert page.locator('[data-balance="kas"] .n').inner_text() == "Rp1.250.000"
    assert "Penjualan" in page.locator("#recent li").first.inner_text()
    assert overflow(page) <= 1
    assert Account.objects.get(kube=kube, code="1100").balance == 1_250_000
    sale = JournalEntry.objects.get(kube=kube, operation="sale")
    assert sale.description == "Kerupuk 50 bungkus" and sale.idempotency_key  # the key the phone made


def test_a_refused_amount_is_shown_on_the_phone_and_the_form_kept(page, live_server, kube):
    sign_in(page, live_server, "bendahara")
    page.goto(live_server.url + reverse("ledger:operation", args=[kube.pk, "purchase"]))

    page.fill("#id_amount", "1.500,50")
    page.locator("#save-operation").click()

    errors = page.locator("[data-offline-errors]")
    errors.get_by_text("bukan jumlah rupiah", exact=False).wait_for()
    assert page.input_value("#id_amount") == "1.500,50"
    assert overflow(page) <= 1
    assert not JournalEntry.objects.filter(kube=kube, operation="purchase").exists()


def test_every_books_page_fits_the_phone(page, live_server, kube):
    member = kube.memberships.order_by("id").first()
    operation_post(actor=None, kube=kube, kind="from_bank", date=DAY, amount=2_000_000)
    operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member, term_months=5)
    entry = JournalEntry.objects.filter(kube=kube).latest("number")
    sign_in(page, live_server, "bendahara")
    pages = {
        "journal": reverse("ledger:journal", args=[kube.pk]),
        "entry": reverse("ledger:entry", args=[kube.pk, entry.pk]),
        "accounts": reverse("ledger:accounts", args=[kube.pk]),
        "month-close": reverse("ledger:month_close", args=[kube.pk]),
        "manual": reverse("ledger:manual_entry", args=[kube.pk]),
        "repayment": reverse("ledger:operation", args=[kube.pk, "repayment"]),
        "expense": reverse("ledger:operation", args=[kube.pk, "expense"]),
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        shot(page, f"books-page-{name}")
        assert overflow(page) <= 1, name

    # Picking the borrower fills the suggested jasa (1 % of the Rp1.000.000 still owed).
    page.goto(live_server.url + pages["repayment"])
    page.select_option("#id_member", str(member.pk))
    assert page.input_value("#id_fee") == "10.000"
