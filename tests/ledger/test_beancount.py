"""The Beancount export: a file `bean-check` accepts, whose balances are the books' own."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from berdaya.core.models import AuditEvent
from berdaya.kube.models import KubeState
from berdaya.ledger.beancount import account_name, beancount_export, beancount_text
from berdaya.ledger.models import Account, JournalEntry, Operation
from berdaya.ledger.services import account_create, entry_post, entry_reverse, month_close, operation_post
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def d(month: int, day: int, year: int = 2025) -> dt.date:
    return dt.date(year, month, day)


@pytest.fixture
def kube(regions):
    """A KUBE whose books hold every kind of entry: each operation, a general entry, a reversal, a year close."""
    kube = make_kube(state=KubeState.ACTIVE)
    first, second = kube.memberships.order_by("id")[:2]
    account_create(actor=None, kube=kube, code="5500", name="Biaya café & lain-lain (ATK)")

    def post(kind: str, date: dt.date, amount: int, **extra):
        return operation_post(actor=None, kube=kube, kind=kind, date=date, amount=amount, **extra)

    post("from_bank", d(3, 1), 6_000_000)
    post("sale", d(3, 3), 1_250_000, description='Jual kue "lapis" — pasar Flamboyan\\pagi')
    post("sale", d(3, 4), 300_000, cash="1200")
    post("purchase", d(3, 5), 400_000)
    post("equipment", d(3, 6), 1_000_000)
    post("expense", d(3, 7), 50_000)
    post("expense", d(3, 7), 35_000, account="5500")
    post("wages", d(3, 8), 200_000)
    post("own_capital", d(3, 9), 500_000)
    post("other_income", d(3, 10), 75_000)
    post("to_bank", d(3, 11), 300_000)
    post("depreciation", d(3, 31), 20_000)
    post("loan_out", d(3, 12), 1_000_000, member=first, term_months=4)
    post("repayment", d(4, 12), 250_000, fee=10_000, member=first)
    post("repayment", d(5, 12), 250_000, fee=10_000, member=first, cash="1200")
    post("savings_in", d(4, 1), 100_000, member=second)
    post("savings_out", d(6, 1), 40_000, member=second)
    wrong = post("sale", d(6, 2), 700)
    entry_reverse(actor=None, entry=wrong, reason="salah catat")
    entry_post(
        actor=None, kube=kube, date=d(6, 3), description="Pindah buku: biaya ke bahan baku",
        lines=[{"account": "5100", "debit": 15_000}, {"account": "5200", "credit": 15_000}],
    )  # fmt: skip
    month_close(actor=None, kube=kube, month=d(12, 1))
    post("iks_allocation", d(1, 15, 2026), 100_000)
    post("iks_payout", d(2, 1, 2026), 50_000)
    post("shu_distribution", d(2, 2, 2026), 200_000)
    post("sale", d(2, 3, 2026), 90_000)
    return kube


def bean_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, timeout=120)


def beancount_balances(path: Path) -> dict[str, int]:
    """Each account's balance as Beancount computes it from the file, with the loader's errors refused."""
    from beancount import loader
    from beancount.core import data

    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["operating_currency"] == ["IDR"]
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                assert posting.units.currency == "IDR" and posting.units.number == int(posting.units.number)
                totals[posting.account] += int(posting.units.number)
    return dict(totals)


def test_the_books_cover_every_operation(kube):
    kinds = set(JournalEntry.objects.filter(kube=kube).values_list("operation", flat=True))
    assert kinds == set(Operation.values)


def test_bean_check_accepts_the_export_without_a_word(kube, tmp_path):
    path = tmp_path / "buku.beancount"
    path.write_text(beancount_text(kube), encoding="utf-8")
    result = bean_check(path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_beancount_computes_the_same_balances_as_the_books(kube, tmp_path):
    path = tmp_path / "buku.beancount"
    path.write_text(beancount_text(kube), encoding="utf-8")
    accounts = Account.objects.filter(kube=kube)
    expected = {account_name(a): a.balance for a in accounts if a.lines.exists()}
    assert beancount_balances(path) == expected
    assert expected["Income:4100-Penjualan"] == -90_000  # 2025's sales were closed into SHU ditahan


def test_a_wrong_kas_balance_fails_the_files_own_assertion(kube, tmp_path):
    text = beancount_text(kube)
    kas = Account.objects.get(kube=kube, code="1100")
    assertion = f"balance Assets:1100-Kas  {kas.balance} IDR"
    assert assertion in text and "balance Assets:1200-Bank" in text
    path = tmp_path / "salah.beancount"
    path.write_text(text.replace(assertion, f"balance Assets:1100-Kas  {kas.balance + 1} IDR"), encoding="utf-8")
    result = bean_check(path)
    assert result.returncode != 0 and "Balance failed" in result.stderr


def test_transactions_follow_the_journal_in_date_and_number_order(kube, tmp_path):
    from beancount import loader
    from beancount.core import data

    path = tmp_path / "buku.beancount"
    path.write_text(beancount_text(kube), encoding="utf-8")
    entries, _errors, _options = loader.load_file(str(path))
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    journal = list(JournalEntry.objects.filter(kube=kube).order_by("date", "number"))
    assert [(t.date, t.meta["nomor"]) for t in transactions] == [(e.date, str(e.number)) for e in journal]
    by_number = {t.meta["nomor"]: t for t in transactions}
    sale = by_number[str(journal[2].number)]
    assert sale.narration == 'Jual kue "lapis" — pasar Flamboyan\\pagi' and sale.meta["operasi"] == "sale"


def test_a_reversal_and_its_original_share_a_link(kube):
    reversal = JournalEntry.objects.get(kube=kube, operation="reversal")
    text = beancount_text(kube)
    link = f"^jurnal-{reversal.reverses.number}"
    assert text.count(link) == 2
    assert re.search(rf"^{reversal.date} \* .*#pembalik {re.escape(link)}$", text, re.MULTILINE)
    assert re.search(r"^2025-12-31 \* .*#tutup-buku$", text, re.MULTILINE)


def test_account_names_are_valid_components_that_keep_the_code(kube):
    names = {a.code: account_name(a) for a in Account.objects.filter(kube=kube)}
    assert names["1300"] == "Assets:1300-Piutang-pinjaman-anggota"
    assert names["2200"] == "Liabilities:2200-Dana-IKS"
    assert names["3300"] == "Equity:3300-SHU-ditahan"
    assert names["5500"] == "Expenses:5500-Biaya-cafe-lain-lain-ATK"
    assert len(set(names.values())) == len(names)
    component = re.compile(r"^[A-Z][A-Za-z0-9-]*(:[A-Z0-9][A-Za-z0-9-]*)+$")
    assert all(component.match(name) for name in names.values())


def test_a_kube_without_books_exports_a_valid_empty_file(regions, tmp_path):
    kube = make_kube(state=KubeState.VERIFIED)
    path = tmp_path / "kosong.beancount"
    path.write_text(beancount_text(kube), encoding="utf-8")
    result = bean_check(path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_export_writes_the_file_and_an_audit_row(kube, tmp_path):
    path = tmp_path / "buku.beancount"
    counts = beancount_export(actor=None, kube=kube, path=path)
    assert counts["entries"] == JournalEntry.objects.filter(kube=kube).count()
    assert path.read_text(encoding="utf-8") == beancount_text(kube)
    event = AuditEvent.objects.get(action="ledger.export_beancount")
    assert (event.object_type, event.object_id, event.changes["out"]) == ("kube.Kube", str(kube.pk), str(path))
