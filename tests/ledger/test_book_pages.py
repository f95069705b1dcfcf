"""The books pages: a treasurer records operations in plain words, and the pages keep the books' rules and
who may do what. Amounts are checked as balances after posting, never as page text alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.engine.bookkeeping import OPERATIONS
from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, Book, JournalEntry
from berdaya.ledger.services import operation_post, operations_post_bulk
from tests.factories import assign, make_facilitator, make_kube

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 3)
FETCH = {"HTTP_X_BERDAYA_FORM": "fetch"}


@pytest.fixture
def kube(regions):
    """An active KUBE with Rp20.000.000 of UEP aid in the bank."""
    return make_kube(state=KubeState.ACTIVE)


@pytest.fixture
def treasurer(make_user, kube):
    user = make_user("bendahara", "kube_officer", "61.71.04.1001")
    kube.officers.filter(role="bendahara").update(user=user)
    return user


@pytest.fixture
def treasurer_client(client, treasurer):
    client.force_login(treasurer)
    return client


def balances(kube) -> dict[str, int]:
    return dict(Account.objects.filter(kube=kube).values_list("code", "balance"))


def entries(kube) -> int:
    return JournalEntry.objects.filter(kube=kube).count()


def member_pk(kube) -> int:
    return kube.memberships.filter(live=True).order_by("id").values_list("pk", flat=True).first()


def op_url(kube, kind: str) -> str:
    return reverse("ledger:operation", args=[kube.pk, kind])


def post_operation(client, kube, kind: str, **fields):
    data = {"date": DAY.isoformat(), "client_uuid": "", **fields}
    return client.post(op_url(kube, kind), data)


def fund_kas(kube, amount: int = 5_000_000) -> None:
    operation_post(actor=None, kube=kube, kind="from_bank", date=DAY, amount=amount)


# ---------------------------------------------------------------- the books home


def test_the_books_home_shows_balances_and_a_button_per_operation(treasurer_client, kube):
    response = treasurer_client.get(reverse("ledger:books", args=[kube.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-balance="bank"><div class="n">Rp20.000.000' in page
    for kind in OPERATIONS:
        assert f'data-operation="{kind}"' in page
    assert "Terima bantuan UEP" in page  # the aid entry is among the latest entries


def test_the_kube_page_links_to_the_books(treasurer_client, kube):
    page = treasurer_client.get(reverse("kube:detail", args=[kube.pk])).content.decode()

    assert reverse("ledger:books", args=[kube.pk]) in page


def test_a_kube_without_books_offers_to_open_them(client, officer, regions):
    kube = make_kube(state=KubeState.VERIFIED)
    client.force_login(officer)
    assert not Book.objects.filter(kube=kube).exists()

    page = client.get(reverse("ledger:books", args=[kube.pk])).content.decode()
    assert 'id="open-book"' in page
    response = client.post(reverse("ledger:open", args=[kube.pk]))

    assert response.status_code == 302
    assert Account.objects.filter(kube=kube).count() == 17


def test_opening_the_books_is_post_only(client, officer, kube):
    client.force_login(officer)

    assert client.get(reverse("ledger:open", args=[kube.pk])).status_code == 405


# ---------------------------------------------------------------- one form per operation

SIMPLE_OPERATIONS = [
    ("sale", {"cash": "1100"}, {"1100": 1_500_000, "4100": -1_500_000}),
    ("sale", {"cash": "1200"}, {"1200": 1_500_000, "4100": -1_500_000}),
    ("other_income", {"cash": "1100"}, {"1100": 1_500_000, "4300": -1_500_000}),
    ("own_capital", {"cash": "1100"}, {"1100": 1_500_000, "3200": -1_500_000}),
    ("aid_received", {"cash": "1200"}, {"1200": 1_500_000, "3100": -1_500_000}),
    ("purchase", {"cash": "1100"}, {"5100": 1_500_000, "1100": -1_500_000}),
    ("equipment", {"cash": "1200"}, {"1500": 1_500_000, "1200": -1_500_000}),
    ("expense", {"cash": "1100", "account": "5200"}, {"5200": 1_500_000, "1100": -1_500_000}),
    ("wages", {"cash": "1100"}, {"5300": 1_500_000, "1100": -1_500_000}),
    ("iks_allocation", {}, {"3300": 1_500_000, "2200": -1_500_000}),
    ("iks_payout", {"cash": "1100"}, {"2200": 1_500_000, "1100": -1_500_000}),
    ("shu_distribution", {"cash": "1100"}, {"3300": 1_500_000, "1100": -1_500_000}),
    ("to_bank", {}, {"1200": 1_500_000, "1100": -1_500_000}),
    ("from_bank", {}, {"1100": 1_500_000, "1200": -1_500_000}),
]


@pytest.mark.parametrize(("kind", "fields", "moves"), SIMPLE_OPERATIONS)
def test_each_operation_form_posts_its_entry(treasurer_client, kube, kind, fields, moves):
    fund_kas(kube)
    before = balances(kube)
    assert treasurer_client.get(op_url(kube, kind)).status_code == 200

    response = post_operation(treasurer_client, kube, kind, amount="1.500.000", description="uji", **fields)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("ledger:books", args=[kube.pk])
    after = balances(kube)
    assert {code: after[code] - before[code] for code in after if after[code] != before[code]} == moves
    entry = JournalEntry.objects.filter(kube=kube).latest("number")
    assert entry.operation == kind and entry.description == "uji"


def test_an_expense_may_go_to_another_expense_account(treasurer_client, kube):
    fund_kas(kube)

    post_operation(treasurer_client, kube, "expense", amount="40.000", cash="1100", account="5300")

    assert balances(kube)["5300"] == 40_000


def test_a_loan_its_repayment_with_suggested_jasa_and_savings(treasurer_client, kube, settings):
    settings.BERDAYA = {**settings.BERDAYA, "LOAN_FEE_PERCENT": 2}
    fund_kas(kube)
    member = member_pk(kube)

    post_operation(treasurer_client, kube, "loan_out", amount="1.000.000", member=member, term_months=4, cash="1100")
    loan_entry = JournalEntry.objects.get(kube=kube, operation="loan_out")
    assert loan_entry.member_id == member and loan_entry.loan.term_months == 4
    assert balances(kube)["1300"] == 1_000_000

    form = treasurer_client.get(op_url(kube, "repayment"))
    assert form.context["fee_suggestions"] == {str(member): 20_000}  # 2 % of Rp1.000.000 still owed
    assert "sisa pinjaman Rp1.000.000" in form.content.decode()

    post_operation(treasurer_client, kube, "repayment", amount="250.000", fee="20.000", member=member, cash="1100")
    after = balances(kube)
    assert after["1300"] == 750_000
    assert after["4200"] == -20_000

    post_operation(treasurer_client, kube, "savings_in", amount="100.000", member=member, cash="1100")
    assert "simpanan Rp100.000" in treasurer_client.get(op_url(kube, "savings_out")).content.decode()
    post_operation(treasurer_client, kube, "savings_out", amount="30.000", member=member, cash="1100")
    assert balances(kube)["2100"] == -70_000


def test_depreciation_moves_value_from_equipment(treasurer_client, kube):
    operation_post(actor=None, kube=kube, kind="equipment", date=DAY, amount=1_200_000, cash="1200")

    post_operation(treasurer_client, kube, "depreciation", amount="100.000")

    assert balances(kube)["1500"] == 1_100_000
    assert balances(kube)["5400"] == 100_000


def test_the_iks_form_suggests_a_share_of_the_surplus_since_the_last_allocation(treasurer_client, kube):
    operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=3_000_000)
    operation_post(actor=None, kube=kube, kind="iks_allocation", date=DAY, amount=300_000)
    operation_post(actor=None, kube=kube, kind="sale", date=DAY + dt.timedelta(days=1), amount=1_000_000)

    response = treasurer_client.get(op_url(kube, "iks_allocation"))

    assert response.context["form"]["amount"].value() == "100.000"
    page = response.content.decode()
    assert "Rp1.000.000" in page and "belum terkonfirmasi" in page


def test_an_unknown_operation_is_404(treasurer_client, kube):
    assert treasurer_client.get(op_url(kube, "bribe")).status_code == 404
    assert treasurer_client.post(op_url(kube, "manual"), {"amount": "5"}).status_code == 404


# ---------------------------------------------------------------- refusals keep the form


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1.500,50", "bukan jumlah rupiah yang sah"),
        ("-5", "bukan jumlah rupiah yang sah"),
        ("", "Isi jumlah rupiah"),
        ("0", "lebih dari Rp0"),
    ],
)
def test_a_bad_amount_is_explained_and_writes_nothing(treasurer_client, kube, amount, message):
    before = entries(kube)

    response = post_operation(treasurer_client, kube, "sale", amount=amount, cash="1100", description="jagung")

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'value="jagung"' in page  # what was typed is still there
    assert entries(kube) == before


def test_paying_more_than_the_box_holds_keeps_the_input(treasurer_client, kube):
    response = post_operation(treasurer_client, kube, "purchase", amount="2.500.000", cash="1100")

    assert response.status_code == 400
    page = response.content.decode()
    assert "tidak cukup" in page and 'value="2.500.000"' in page
    assert entries(kube) == 1


def test_a_double_submit_with_the_same_key_posts_once(treasurer_client, kube):
    for _ in range(2):
        response = post_operation(treasurer_client, kube, "sale", amount="75.000", cash="1100", client_uuid="abc-1")
        assert response.status_code == 302

    assert JournalEntry.objects.filter(kube=kube, operation="sale").count() == 1
    assert balances(kube)["1100"] == 75_000


def test_the_form_carries_a_fresh_key(treasurer_client, kube):
    first = treasurer_client.get(op_url(kube, "sale")).context["form"]["client_uuid"].value()
    second = treasurer_client.get(op_url(kube, "sale")).context["form"]["client_uuid"].value()

    assert first and second and first != second


def test_the_phone_gets_json_for_success_and_refusal(treasurer_client, kube):
    data = {"date": DAY.isoformat(), "amount": "10.000", "cash": "1100", "client_uuid": "k-json"}

    ok = treasurer_client.post(op_url(kube, "sale"), data, **FETCH)
    refused = treasurer_client.post(op_url(kube, "sale"), {**data, "amount": "1,5", "client_uuid": "k2"}, **FETCH)

    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ok.json()["redirect"] == reverse("ledger:books", args=[kube.pk])
    assert refused.status_code == 400 and refused.json()["ok"] is False
    assert any("bukan jumlah rupiah" in error["message"] for error in refused.json()["errors"])
    assert JournalEntry.objects.filter(kube=kube, operation="sale").count() == 1
    short = treasurer_client.post(op_url(kube, "purchase"), {**data, "amount": "99.000", "client_uuid": "k3"}, **FETCH)
    assert short.status_code == 400 and "tidak cukup" in short.json()["message"]


# ---------------------------------------------------------------- who may do what


def test_a_stranger_gets_404_everywhere(client, stranger, kube):
    client.force_login(stranger)
    entry = JournalEntry.objects.get(kube=kube)

    assert client.get(reverse("ledger:books", args=[kube.pk])).status_code == 404
    assert client.get(op_url(kube, "sale")).status_code == 404
    assert post_operation(client, kube, "sale", amount="5", cash="1100").status_code == 404
    assert client.get(reverse("ledger:entry", args=[kube.pk, entry.pk])).status_code == 404
    assert client.get(reverse("ledger:journal", args=[kube.pk])).status_code == 404
    assert entries(kube) == 1


def test_a_stranger_sending_from_the_phone_gets_a_json_404(client, stranger, kube):
    client.force_login(stranger)

    response = client.post(op_url(kube, "sale"), {"amount": "5"}, **FETCH)

    assert response.status_code == 404 and response.json()["ok"] is False


@pytest.mark.parametrize("role", ["viewer", "evaluator"])
def test_viewers_and_evaluators_cannot_post(client, make_user, kube, role):
    client.force_login(make_user("pembaca", role, "61.71"))

    assert client.get(reverse("ledger:books", args=[kube.pk])).status_code in (403, 404)
    assert post_operation(client, kube, "sale", amount="5", cash="1100").status_code in (403, 404)
    assert entries(kube) == 1


def test_the_pendamping_posts_but_does_not_close_months_or_edit_accounts(client, make_user, kube):
    user = make_user("pendamping", "facilitator", "61.71.04")
    assign(kube, make_facilitator(user=user))
    client.force_login(user)

    assert post_operation(client, kube, "sale", amount="5.000", cash="1100").status_code == 302
    page = client.get(reverse("ledger:books", args=[kube.pk])).content.decode()
    assert 'data-operation="sale"' in page
    assert client.post(reverse("ledger:month_close", args=[kube.pk]), {"month": "2025-03"}).status_code == 403
    assert client.post(reverse("ledger:accounts", args=[kube.pk]), {"code": "4400", "name": "x"}).status_code == 403
    assert Book.objects.get(kube=kube).closed_through is None


def test_a_kube_officer_of_another_kube_cannot_reach_these_books(client, make_user, kube):
    other = make_kube(state=KubeState.ACTIVE)
    user = make_user("bendahara_lain", "kube_officer", "61.71.04.1001")
    other.officers.filter(role="bendahara").update(user=user)
    client.force_login(user)

    assert client.get(reverse("ledger:books", args=[kube.pk])).status_code == 404
    assert client.get(reverse("ledger:books", args=[other.pk])).status_code == 200


def test_an_entry_of_another_kube_is_404(treasurer_client, kube, regions):
    other = make_kube(state=KubeState.ACTIVE)
    theirs = JournalEntry.objects.get(kube=other)

    assert treasurer_client.get(reverse("ledger:entry", args=[kube.pk, theirs.pk])).status_code == 404
    assert (
        treasurer_client.post(reverse("ledger:reverse", args=[kube.pk, theirs.pk]), {"reason": "x"}).status_code == 404
    )


def test_the_pages_need_a_login(client, kube):
    response = client.get(reverse("ledger:books", args=[kube.pk]))

    assert response.status_code == 302 and reverse("login") in response.url


# ---------------------------------------------------------------- journal, entries, reversal


def test_an_entry_shows_its_lines_and_who_posted_it(treasurer_client, treasurer, kube):
    entry = operation_post(actor=treasurer, kube=kube, kind="sale", date=DAY, amount=1_250_000)

    page = treasurer_client.get(reverse("ledger:entry", args=[kube.pk, entry.pk])).content.decode()

    assert "1100 Kas" in page and "4100 Penjualan" in page and "Rp1.250.000" in page
    assert "bendahara" in page
    assert 'id="reverse-form"' in page


def test_a_reversal_restores_balances_and_is_refused_twice(treasurer_client, kube):
    before = balances(kube)
    sale = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=700_000)
    url = reverse("ledger:reverse", args=[kube.pk, sale.pk])

    assert treasurer_client.post(url, {"reason": ""}).status_code == 400
    response = treasurer_client.post(url, {"reason": "salah catat", "client_uuid": "r1"})
    assert response.status_code == 302
    assert balances(kube) == before
    page = treasurer_client.get(reverse("ledger:entry", args=[kube.pk, sale.pk])).content.decode()
    assert 'id="reversed-by"' in page and 'id="reverse-form"' not in page

    again = treasurer_client.post(url, {"reason": "lagi", "client_uuid": "r2"})
    assert again.status_code == 400 and "sudah dibalik" in again.content.decode()
    assert JournalEntry.objects.filter(kube=kube, operation="reversal").count() == 1


def test_the_journal_pages_newest_first_with_a_month_filter(treasurer_client, kube, django_assert_max_num_queries):
    operations_post_bulk(
        actor=None,
        kube=kube,
        operations=[
            {"kind": "sale", "date": dt.date(2025, 3, 1) + dt.timedelta(days=i % 60), "amount": 1000 + i}
            for i in range(120)
        ],
    )
    url = reverse("ledger:journal", args=[kube.pk])

    with django_assert_max_num_queries(12):
        first = treasurer_client.get(url)
    assert len(first.context["page"].object_list) == 50
    numbers = [e.number for e in first.context["page"].object_list]
    dates = [e.date for e in first.context["page"].object_list]
    assert dates == sorted(dates, reverse=True)
    assert len(set(numbers)) == 50

    march = treasurer_client.get(url, {"bulan": "2025-03"})
    assert {e.date.month for e in march.context["page"].object_list} == {3}
    assert (
        march.context["page"].paginator.count
        == JournalEntry.objects.filter(kube=kube, date__month=3, date__year=2025).count()
    )
    assert treasurer_client.get(url, {"hal": "3"}).status_code == 200


def test_a_general_entry_posts_balanced_lines(treasurer_client, kube):
    accounts = dict(Account.objects.filter(kube=kube).values_list("code", "pk"))
    data = {
        "date": DAY.isoformat(),
        "description": "Pindah persediaan",
        "account_1": accounts["1400"],
        "debit_1": "300.000",
        "account_3": accounts["1200"],
        "credit_3": "300.000",
    }

    response = treasurer_client.post(reverse("ledger:manual_entry", args=[kube.pk]), data)

    assert response.status_code == 302
    assert balances(kube)["1400"] == 300_000
    assert JournalEntry.objects.filter(kube=kube, operation="manual").count() == 1


def test_a_general_entry_names_the_row_that_is_wrong(treasurer_client, kube):
    accounts = dict(Account.objects.filter(kube=kube).values_list("code", "pk"))
    url = reverse("ledger:manual_entry", args=[kube.pk])
    base = {"date": DAY.isoformat(), "description": "x", "account_1": accounts["1400"], "debit_1": "300.000"}

    bad_amount = treasurer_client.post(url, {**base, "account_4": accounts["1200"], "credit_4": "300,5"})
    unbalanced = treasurer_client.post(url, {**base, "account_2": accounts["1200"], "credit_2": "200.000"})
    no_account = treasurer_client.post(url, {**base, "credit_2": "300.000"})

    assert bad_amount.status_code == 400 and "Baris 4" in bad_amount.content.decode()
    assert unbalanced.status_code == 400 and "tidak seimbang" in unbalanced.content.decode()
    assert no_account.status_code == 400 and "Baris 2: pilih akunnya" in no_account.content.decode()
    assert JournalEntry.objects.filter(kube=kube, operation="manual").count() == 0


# ---------------------------------------------------------------- accounts and month close


def test_the_chart_shows_balances_on_the_normal_side(treasurer_client, kube):
    page = treasurer_client.get(reverse("ledger:accounts", args=[kube.pk])).content.decode()

    # Modal bantuan UEP is a credit balance of Rp20.000.000, shown as a positive amount.
    row = page.split('data-account="3100"')[1].split("</tr>")[0]
    assert '<td class="num">Rp20.000.000</td>' in row


def test_an_account_is_added_renamed_and_retired_but_a_daily_one_is_not(treasurer_client, kube):
    url = reverse("ledger:accounts", args=[kube.pk])

    assert treasurer_client.post(url, {"code": "4400", "name": "Sewa alat"}).status_code == 302
    added = Account.objects.get(kube=kube, code="4400")
    assert added.type == "income"
    assert treasurer_client.post(url, {"code": "4400", "name": "Lagi"}).status_code == 400

    edit = reverse("ledger:account_edit", args=[kube.pk, added.pk])
    assert treasurer_client.post(edit, {"name": "Sewa peralatan"}).status_code == 302
    added.refresh_from_db()
    assert added.name == "Sewa peralatan" and not added.active

    kas = Account.objects.get(kube=kube, code="1100")
    refused = treasurer_client.post(reverse("ledger:account_edit", args=[kube.pk, kas.pk]), {"name": "Kas"})
    assert refused.status_code == 400 and "tidak bisa dinonaktifkan" in refused.content.decode()


def test_an_account_of_another_kube_is_404(treasurer_client, kube, regions):
    theirs = Account.objects.get(kube=make_kube(state=KubeState.ACTIVE), code="1100")

    assert treasurer_client.get(reverse("ledger:account_edit", args=[kube.pk, theirs.pk])).status_code == 404


def test_closing_a_month_stops_posting_into_it(treasurer_client, kube):
    url = reverse("ledger:month_close", args=[kube.pk])
    page = treasurer_client.get(url).content.decode()
    assert "SHU ditahan" in page

    assert treasurer_client.post(url, {"month": "2025-03"}).status_code == 302
    assert Book.objects.get(kube=kube).closed_through == dt.date(2025, 3, 31)
    assert "31 Maret 2025" in treasurer_client.get(url).content.decode()

    refused = post_operation(treasurer_client, kube, "sale", amount="5.000", cash="1100")
    assert refused.status_code == 400 and "ditutup" in refused.content.decode()
    again = treasurer_client.post(url, {"month": "2025-02"})
    assert again.status_code == 400 and "sudah ditutup" in again.content.decode()
    assert treasurer_client.post(url, {"month": "Maret"}).status_code == 400


@pytest.mark.slow
def test_the_journal_pages_in_sql_with_twenty_thousand_entries(treasurer_client, kube, django_assert_max_num_queries):
    operations_post_bulk(
        actor=None,
        kube=kube,
        operations=[
            {"kind": "sale", "date": dt.date(2025, 2, 1) + dt.timedelta(days=i % 600), "amount": 1000 + i}
            for i in range(20_000)
        ],
    )
    url = reverse("ledger:journal", args=[kube.pk])

    # A bounded number of queries whatever the book's size; the time itself is bench/ledger.py's to measure.
    responses = []
    for target, query in [
        (url, {"hal": "401"}),
        (url, {"bulan": "2025-06"}),
        (reverse("ledger:books", args=[kube.pk]), {}),
    ]:
        with django_assert_max_num_queries(12):
            responses.append(treasurer_client.get(target, query))
    last_page, month, home = responses

    assert last_page.status_code == month.status_code == home.status_code == 200
    assert len(last_page.context["page"].object_list) == 1  # 20,001 entries: the aid and the sales
