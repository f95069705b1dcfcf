"""One KUBE's books as a Beancount v3 file, for an accountant or auditor who checks them with their own tools.

The file is a faithful copy, not a report: one `open` per account, one transaction per journal entry in
(date, number) order, every line a posting in IDR (debit positive, credit negative, whole rupiah), and
at the end a `balance` assertion for Kas and Bank taken from the balances the posting service keeps — so
`bean-check` on the file also checks those balances against the lines.

Names: Beancount wants `Root:Component` with the root from the account's type (Assets, Liabilities,
Equity, Income, Expenses) and components that start with a capital letter or digit and hold only
letters, digits and dashes. An account becomes `Assets:1100-Kas`, `Assets:1300-Piutang-pinjaman-anggota`:
the code first (unique in a book, so names never collide), then the name folded to ASCII with every run
of other characters turned into one dash.

Reading only; `beancount_export` writes the file and the audit row (a bulk read of a KUBE's books).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from django.db import connection, transaction
from django.utils import timezone

from berdaya.core.models import User
from berdaya.core.services import audit_record
from berdaya.engine import bookkeeping as bk
from berdaya.kube.models import Kube
from berdaya.ledger.models import Account, AccountType, Book, JournalEntry, JournalLine, Operation

__all__ = ["account_name", "beancount_export", "beancount_text", "beancount_write"]

ROOTS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}
CURRENCY = "IDR"
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")


def _component(text: str) -> str:
    """Letters and digits of `text` folded to ASCII ("Bahan baku" -> "Bahan-baku"), runs of the rest as one dash."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_NAME.sub("-", ascii_text).strip("-")


def account_name(account: Account) -> str:
    """The Beancount name of one account: `Root:CODE-Name` (`Income:4100-Penjualan`)."""
    root = ROOTS[AccountType(account.type)]
    code = _component(account.code).upper() or f"A{account.pk}"
    name = _component(account.name)
    return f"{root}:{code}-{name}" if name else f"{root}:{code}"


def _string(text: str) -> str:
    """A Beancount string literal: one line, quotes and backslashes escaped."""
    text = " ".join(str(text).split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lines_by_entry(kube: Kube) -> Iterator[tuple[int, list[tuple[int, int, int]]]]:
    rows = (
        JournalLine.objects.filter(entry__kube=kube)
        .order_by("entry__date", "entry__number", "id")
        .values_list("entry_id", "account_id", "debit", "credit")
        .iterator(chunk_size=5000)
    )
    for entry_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        yield entry_id, [(account_id, debit, credit) for _entry, account_id, debit, credit in group]


def beancount_write(kube: Kube, stream: TextIO) -> dict[str, int]:
    """Write one KUBE's books to `stream` as a Beancount v3 file; returns {"accounts", "entries", "lines"}.

    Streams entries and lines in chunks, so a KUBE with years of books is not held in memory. Balances,
    entries and lines are separate queries: call it through `beancount_export`, which reads them from one
    snapshot on PostgreSQL, when others may be posting meanwhile.
    """
    accounts = {a.pk: a for a in Account.objects.filter(kube=kube).order_by("code")}
    names = {pk: account_name(a) for pk, a in accounts.items()}
    used = set(JournalLine.objects.filter(entry__kube=kube).values_list("account_id", flat=True).distinct())
    span = JournalEntry.objects.filter(kube=kube).order_by("date").values_list("date", flat=True)
    first_date, last_date = span.first(), span.reverse().first()
    book = Book.objects.filter(kube=kube).first()
    opened = timezone.localdate(book.opened_at) if book is not None else timezone.localdate()
    open_date = min(first_date, opened) if first_date else opened
    # A reversed entry and its reversal share a link, so either leads to the other.
    reversed_numbers = dict(
        JournalEntry.objects.filter(kube=kube, reverses__isnull=False).values_list("reverses_id", "reverses__number")
    )

    write = stream.write
    write(f"; Buku KUBE {kube.name} (id {kube.pk}), diekspor dari Berdaya. Jumlah dalam rupiah utuh.\n")
    write(f'option "title" {_string(f"Buku {kube.name} — {kube.region.name}")}\n')
    write(f'option "operating_currency" "{CURRENCY}"\n\n')

    shown = [a for a in accounts.values() if a.pk in used or a.active]
    for account in shown:
        write(f"{open_date.isoformat()} open {names[account.pk]} {CURRENCY}\n")
        write(f"  kode: {_string(account.code)}\n  nama: {_string(account.name)}\n")
        if not account.active:
            write('  aktif: "tidak"\n')
    write("\n")

    entries = (
        JournalEntry.objects.filter(kube=kube)
        .order_by("date", "number")
        .values_list("id", "number", "date", "operation", "description", "member_id", "loan_id", "reverses_id")
        .iterator(chunk_size=2000)
    )
    labels = dict(Operation.choices)
    counts = {"accounts": len(shown), "entries": 0, "lines": 0}
    line_groups = _lines_by_entry(kube)
    pending = next(line_groups, None)
    for pk, number, date, operation, description, member_id, loan_id, reverses_id in entries:
        # Entries and lines are read in the same order; an entry without lines (which the PostgreSQL guard
        # forbids, SQLite cannot) is written without postings rather than shifting every later entry.
        lines: list[tuple[int, int, int]] = []
        if pending is not None and pending[0] == pk:
            lines = pending[1]
            pending = next(line_groups, None)
        narration = description or str(labels.get(operation, operation))
        marks = ""
        if reverses_id is not None:
            marks = f" #pembalik ^jurnal-{reversed_numbers[reverses_id]}"
        elif pk in reversed_numbers:
            marks = f" ^jurnal-{number}"
        if operation == Operation.YEAR_CLOSE:
            marks += " #tutup-buku"
        write(f"{date.isoformat()} * {_string(narration)}{marks}\n")
        write(f'  nomor: "{number}"\n  operasi: "{operation}"\n')
        if member_id is not None:
            write(f'  anggota: "{member_id}"\n')
        if loan_id is not None:
            write(f'  pinjaman: "{loan_id}"\n')
        for account_id, debit, credit in lines:
            write(f"  {names[account_id]}  {debit - credit} {CURRENCY}\n")
        write("\n")
        counts["entries"] += 1
        counts["lines"] += len(lines)

    if last_date is not None:
        # A balance assertion holds at the start of its day: the day after the last entry sees them all.
        check_on = last_date + dt.timedelta(days=1)
        for account in accounts.values():
            if account.code in bk.CASH_ACCOUNTS and account.pk in used:
                write(f"{check_on.isoformat()} balance {names[account.pk]}  {account.balance} {CURRENCY}\n")
    return counts


def beancount_text(kube: Kube) -> str:
    """One KUBE's books as Beancount text (see `beancount_write`)."""
    buffer = io.StringIO()
    beancount_write(kube, buffer)
    return buffer.getvalue()


def beancount_export(*, actor: User | None, kube: Kube, path: Path) -> dict[str, int]:
    """Write one KUBE's books to `path` (UTF-8) and record the bulk read in the audit log.

    The file appears whole or not at all (written beside it, then renamed). On PostgreSQL the books are
    read from one snapshot (REPEATABLE READ), so an entry posted meanwhile cannot make the balances and
    the lines disagree. Returns the counts of `beancount_write`; raises OSError when the file cannot be
    written, and then records nothing.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            with open(partial, "w", encoding="utf-8") as stream:
                counts = beancount_write(kube, stream)
            audit_record(
                actor=actor,
                action="ledger.export_beancount",
                object_type="kube.Kube",
                object_id=kube.pk,
                changes={"out": str(path), **counts},
            )
            os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts
