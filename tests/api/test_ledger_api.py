"""The books over the API: scoped reads, writes through the ledger services, and every bad input refused
with a JSON message and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.core.models import AuditEvent
from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, JournalEntry, JournalLine
from berdaya.ledger.services import account_create, month_close, operation_post
from tests.api.conftest import ApiClient
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
DAY = "2025-03-03"


def url(kube, tail: str) -> str:
    return f"/api/kubes/{kube.pk}/{tail}"


def sale(amount=150_000, **extra) -> dict:
    return {"kind": "sale", "date": DAY, "amount": amount, **extra}


def balances(kube) -> dict[str, int]:
    return dict(Account.objects.filter(kube=kube).values_list("code", "balance"))


def snapshot(kube) -> tuple:
    """Everything a write would change: entries, lines, balances, ledger audit rows."""
    return (
        JournalEntry.objects.filter(kube=kube).count(),
        JournalLine.objects.filter(kube=kube).count(),
        balances(kube),
        AuditEvent.objects.filter(action__startswith="ledger.").count(),
    )


# ---- reads --------------------------------------------------------------------------------------


def test_accounts_show_each_balance_on_its_normal_side(kube, officer_api):
    response = officer_api.get(url(kube, "accounts"))
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["1200"] == {"code": "1200", "name": "Bank", "type": "asset", "active": True, "balance": 20_000_000}
    assert rows["3100"]["balance"] == 20_000_000  # equity shown positive, not debit-minus-credit
    assert isinstance(rows["1100"]["balance"], int)


def test_the_journal_is_newest_first_with_lines_and_pages(kube, officer, officer_api, django_assert_max_num_queries):
    for day in (3, 5, 4):
        operation_post(actor=officer, kube=kube, kind="sale", date=dt.date(2025, 3, day), amount=1_000 * day)
    with django_assert_max_num_queries(8):  # token, KUBE, count, entries, lines: not one query per entry
        response = officer_api.get(url(kube, "entries") + "?limit=2&offset=0")
    page = response.json()
    assert response.status_code == 200
    assert page["count"] == 4 and page["limit"] == 2 and len(page["items"]) == 2
    assert [item["date"] for item in page["items"]] == ["2025-03-05", "2025-03-04"]
    assert page["items"][0]["lines"] == [
        {"account": "1100", "account_name": "Kas", "debit": 5_000, "credit": 0},
        {"account": "4100", "account_name": "Penjualan", "debit": 0, "credit": 5_000},
    ]
    assert page["items"][0]["posted_by"] == "petugas"
    rest = officer_api.get(url(kube, "entries") + "?limit=2&offset=2").json()["items"]
    assert [item["operation"] for item in rest] == ["sale", "aid_received"]


@pytest.mark.parametrize("query", ["limit=0", "limit=1000", "offset=-1", "limit=abc"])
def test_a_bad_page_is_refused_naming_the_parameter(kube, officer_api, query):
    response = officer_api.get(url(kube, "entries") + "?" + query)
    assert response.status_code == 422
    assert query.split("=")[0] in response.json()["detail"]


# ---- posting ------------------------------------------------------------------------------------


def test_an_officer_posts_a_sale_and_the_balances_move(kube, officer, officer_api):
    response = officer_api.post(url(kube, "operations"), sale(description="Jagung 30 kg"))
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["operation"] == "sale" and entry["total"] == 150_000 and entry["description"] == "Jagung 30 kg"
    assert {(line["account"], line["debit"], line["credit"]) for line in entry["lines"]} == {
        ("1100", 150_000, 0),
        ("4100", 0, 150_000),
    }
    assert balances(kube)["1100"] == 150_000
    assert JournalEntry.objects.get(pk=entry["id"]).posted_by == officer
    assert AuditEvent.objects.filter(action="ledger.sale", actor=officer).count() == 1


def test_a_general_entry_posts_through_the_api(kube, officer_api):
    body = {
        "date": DAY,
        "description": "Setor sebagian bantuan ke kas",
        "lines": [{"account": "1100", "debit": 500_000}, {"account": "1200", "credit": 500_000}],
    }
    response = officer_api.post(url(kube, "entries"), body)
    assert response.status_code == 201, response.content
    assert response.json()["operation"] == "manual"
    assert balances(kube)["1100"] == 500_000 and balances(kube)["1200"] == 19_500_000


def test_a_member_loan_and_its_repayment_post_through_the_api(kube, officer_api):
    member = kube.memberships.first()
    assert (
        officer_api.post(url(kube, "operations"), {"kind": "from_bank", "date": DAY, "amount": 2_000_000}).status_code
        == 201
    )
    loan = officer_api.post(
        url(kube, "operations"),
        {"kind": "loan_out", "date": DAY, "amount": 1_000_000, "member_id": member.pk, "term_months": 4},
    )
    assert loan.status_code == 201, loan.content
    repayment = officer_api.post(
        url(kube, "operations"),
        {"kind": "repayment", "date": "2025-04-03", "amount": 250_000, "fee": 10_000, "member_id": member.pk},
    )
    assert repayment.status_code == 201, repayment.content
    assert repayment.json()["loan_id"] == loan.json()["loan_id"] is not None
    assert balances(kube)["1300"] == 750_000


# ---- scope --------------------------------------------------------------------------------------


def test_a_stranger_gets_404_and_nothing_is_written(kube, stranger, api_as):
    client = api_as(stranger)
    before = snapshot(kube)
    missing = client.get("/api/kubes/999999/accounts")
    for response in (
        client.get(url(kube, "accounts")),
        client.get(url(kube, "entries")),
        client.post(url(kube, "operations"), sale()),
        client.post(
            url(kube, "entries"),
            {
                "date": DAY,
                "description": "x",
                "lines": [{"account": "1100", "debit": 1}, {"account": "4100", "credit": 1}],
            },
        ),
    ):
        assert response.status_code == 404
        assert response.json() == missing.json()  # no hint that the KUBE exists
    assert snapshot(kube) == before


def test_a_viewer_in_the_same_city_cannot_post(kube, make_user, api_as):
    client = api_as(make_user("pemantau", "viewer", "61.71"))
    before = snapshot(kube)
    response = client.post(url(kube, "operations"), sale())
    assert response.status_code in (403, 404)
    assert "detail" in response.json()
    assert snapshot(kube) == before


def test_someone_who_may_read_but_not_post_gets_403(kube, officer_api, monkeypatch):
    monkeypatch.setattr("berdaya.api.ledger.can_post", lambda user, kube: False)
    before = snapshot(kube)
    assert officer_api.get(url(kube, "accounts")).status_code == 200
    response = officer_api.post(url(kube, "operations"), sale())
    assert response.status_code == 403
    assert response.json()["detail"]
    assert snapshot(kube) == before


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [-5, 0, 1.5, 1.0, "1.5", "1.500,50", "150000", True, None, 10**13],
    ids=[
        "negative",
        "zero",
        "fraction",
        "float-whole",
        "text-fraction",
        "text-sen",
        "text-digits",
        "bool",
        "null",
        "too-large",
    ],  # fmt: skip
)
def test_a_bad_amount_is_refused_and_nothing_is_written(kube, officer_api, amount):
    before = snapshot(kube)
    response = officer_api.post(url(kube, "operations"), sale(amount))
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    if amount != 10**13:  # too large is the service's rule: it names the amount, not the field
        assert "amount" in detail
        assert response.json()["errors"][0]["field"] == "amount"
    assert snapshot(kube) == before


def test_a_missing_amount_is_named(kube, officer_api):
    body = sale()
    del body["amount"]
    response = officer_api.post(url(kube, "operations"), body)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "amount", "message": "wajib diisi"}]


@pytest.mark.parametrize("date", ["03-03-2025", "2025-02-30", 20250303, "2025-03-03T10:00:00", ""])
def test_a_bad_date_is_refused_naming_the_field(kube, officer_api, date):
    before = snapshot(kube)
    response = officer_api.post(url(kube, "operations"), {**sale(), "date": date})
    assert response.status_code == 422
    assert "date" in response.json()["detail"]
    assert snapshot(kube) == before


def test_an_unknown_kind_is_refused(kube, officer_api):
    before = snapshot(kube)
    response = officer_api.post(url(kube, "operations"), {**sale(), "kind": "manual"})
    assert response.status_code == 422
    assert "kind" in response.json()["detail"] and "sale" in response.json()["detail"]
    assert snapshot(kube) == before


def test_a_misspelt_field_is_refused_not_ignored(kube, officer_api):
    response = officer_api.post(url(kube, "operations"), {**sale(), "memberid": 3})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "memberid", "message": "tidak dikenal"}]


def test_a_body_that_is_not_json_is_refused_with_a_json_message(kube, officer_api):
    before = snapshot(kube)
    response = officer_api.post(url(kube, "operations"), raw="{kind: sale")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert snapshot(kube) == before


def test_an_account_of_another_kube_is_refused(kube, officer, officer_api):
    other = make_kube(name="KUBE Lain", state=KubeState.ACTIVE)
    account_create(actor=officer, kube=other, code="1600", name="Kendaraan")
    before = snapshot(kube)
    by_code = officer_api.post(
        url(kube, "entries"),
        {
            "date": DAY,
            "description": "Beli motor",
            "lines": [{"account": "1600", "debit": 10}, {"account": "1100", "credit": 10}],
        },
    )
    assert by_code.status_code == 422
    assert "1600" in by_code.json()["detail"]
    other_pk = Account.objects.get(kube=other, code="1600").pk
    by_id = officer_api.post(
        url(kube, "entries"),
        {
            "date": DAY,
            "description": "Beli motor",
            "lines": [{"account": other_pk, "debit": 10}, {"account": "1100", "credit": 10}],
        },
    )
    assert by_id.status_code == 422
    assert "lines[0].account" in by_id.json()["detail"]
    operation = officer_api.post(url(kube, "operations"), sale(account="1600"))
    assert operation.status_code == 422
    assert snapshot(kube) == before


def test_a_member_of_another_kube_is_refused(kube, officer_api):
    stranger_member = make_kube(name="KUBE Lain", state=KubeState.ACTIVE).memberships.first()
    before = snapshot(kube)
    response = officer_api.post(
        url(kube, "operations"), {"kind": "savings_in", "date": DAY, "amount": 10_000, "member_id": stranger_member.pk}
    )
    assert response.status_code == 422
    assert "anggota" in response.json()["detail"].lower()
    assert snapshot(kube) == before


@pytest.mark.parametrize(
    "lines, words",
    [
        ([{"account": "1100", "debit": 100}, {"account": "4100", "credit": 90}], "tidak seimbang"),
        ([{"account": "1100", "debit": 100}], "dua baris"),
        ([], "dua baris"),
        ([{"account": "1100", "debit": 100, "credit": 100}, {"account": "4100", "credit": 0}], "Baris"),
    ],
    ids=["unbalanced", "one-line", "no-lines", "both-sides"],
)
def test_a_bad_general_entry_is_refused(kube, officer_api, lines, words):
    before = snapshot(kube)
    response = officer_api.post(url(kube, "entries"), {"date": DAY, "description": "Koreksi", "lines": lines})
    assert response.status_code == 422
    assert words in response.json()["detail"]
    assert snapshot(kube) == before


def test_a_fractional_line_amount_names_the_line(kube, officer_api):
    before = snapshot(kube)
    response = officer_api.post(
        url(kube, "entries"),
        {
            "date": DAY,
            "description": "Koreksi",
            "lines": [{"account": "1100", "debit": 1.5}, {"account": "4100", "credit": 1.5}],
        },
    )
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["lines[0].debit", "lines[1].credit"]
    assert snapshot(kube) == before


def test_a_closed_month_takes_no_entries(kube, officer):
    from berdaya.api.services import api_token_create

    month_close(actor=officer, kube=kube, month=dt.date(2025, 2, 1))
    client = ApiClient(api_token_create(user=officer, actor=None))
    before = snapshot(kube)
    response = client.post(url(kube, "operations"), {**sale(), "date": "2025-02-15"})
    assert response.status_code == 422
    assert "ditutup" in response.json()["detail"]
    assert snapshot(kube) == before


def test_paying_out_more_cash_than_kas_holds_is_refused(kube, officer_api):
    before = snapshot(kube)
    response = officer_api.post(url(kube, "operations"), {"kind": "purchase", "date": DAY, "amount": 1_000})
    assert response.status_code == 422
    assert "Kas" in response.json()["detail"]
    assert snapshot(kube) == before


def test_messages_stay_in_bahasa_indonesia_whatever_the_client_language(kube, officer_api):
    response = officer_api.post(url(kube, "operations"), sale(0), **{"Accept-Language": "en"})
    assert "harus lebih dari 0" in response.json()["detail"]


# ---- idempotency and reversal -------------------------------------------------------------------


def test_the_same_idempotency_key_posts_once(kube, officer_api):
    first = officer_api.post(url(kube, "operations"), sale(idempotency_key="form-7f3a"))
    again = officer_api.post(url(kube, "operations"), sale(idempotency_key="form-7f3a"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert JournalEntry.objects.filter(kube=kube, operation="sale").count() == 1
    assert balances(kube)["1100"] == 150_000


def test_the_same_idempotency_key_posts_a_general_entry_once(kube, officer_api):
    body = {
        "date": DAY,
        "description": "Setor",
        "lines": [{"account": "1100", "debit": 100}, {"account": "1200", "credit": 100}],
        "idempotency_key": "jurnal-1",
    }
    statuses = [officer_api.post(url(kube, "entries"), body).status_code for _ in range(3)]
    assert statuses == [201, 200, 200]
    assert JournalEntry.objects.filter(kube=kube, operation="manual").count() == 1


def test_a_reversal_undoes_an_entry_once(kube, officer_api):
    posted = officer_api.post(url(kube, "operations"), sale()).json()
    response = officer_api.post(url(kube, f"entries/{posted['id']}/reversal"), {"reason": "salah catat"})
    assert response.status_code == 201, response.content
    reversal = response.json()
    assert reversal["operation"] == "reversal" and reversal["reverses_id"] == posted["id"]
    assert balances(kube)["1100"] == 0 and balances(kube)["4100"] == 0
    listed = {item["id"]: item for item in officer_api.get(url(kube, "entries")).json()["items"]}
    assert listed[posted["id"]]["reversed_by_id"] == reversal["id"]
    before = snapshot(kube)
    again = officer_api.post(url(kube, f"entries/{posted['id']}/reversal"), {"reason": "lagi"})
    assert again.status_code == 422
    assert "sudah dibalik" in again.json()["detail"]
    assert snapshot(kube) == before


def test_a_reversal_needs_a_reason(kube, officer_api):
    posted = officer_api.post(url(kube, "operations"), sale()).json()
    before = snapshot(kube)
    for body in ({}, {"reason": "   "}):
        response = officer_api.post(url(kube, f"entries/{posted['id']}/reversal"), body)
        assert response.status_code == 422
    assert snapshot(kube) == before


def test_an_entry_of_another_kube_cannot_be_reversed_through_this_one(kube, officer, officer_api):
    other = make_kube(name="KUBE Lain", state=KubeState.ACTIVE)
    foreign = operation_post(actor=officer, kube=other, kind="sale", date=dt.date(2025, 3, 3), amount=5_000)
    response = officer_api.post(url(kube, f"entries/{foreign.pk}/reversal"), {"reason": "coba"})
    assert response.status_code == 404
    assert not JournalEntry.objects.filter(reverses=foreign).exists()
