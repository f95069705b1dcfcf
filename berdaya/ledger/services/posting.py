"""Posting into a KUBE's books (spec §7): plain-word operations, general entries, reversals, month close.

Every write locks the KUBE's `Book` row first (`select_for_update`), so on PostgreSQL concurrent posts to
one KUBE queue behind each other: entry numbers have no gaps or duplicates, balances are never lost, and
an idempotency key is checked and stored under the same lock, so a double-submitted form posts once.

The rules live in one place for one entry and for many: `_Planner` checks each entry against an
in-memory picture of the book (balances, member savings, loans outstanding) and `_write` stores the
planned entries with a few bulk statements. `operation_post` plans one; `operations_post_bulk` (the demo,
the benchmark) plans thousands under one lock with exactly the same checks.

A refused entry raises LedgerError, whose text is the message for the user, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from berdaya.core.models import User
from berdaya.core.services import audit_record
from berdaya.engine import bookkeeping as bk
from berdaya.kube.models import Kube, KubeState, Membership
from berdaya.ledger.models import Account, Book, JournalEntry, JournalLine, MemberLoan, Operation

# Books take entries once the group exists on paper with its bank account, and keep taking them after it
# graduates (a *mandiri* group still keeps books). A dissolved group's books are frozen.
POSTING_STATES = (KubeState.VERIFIED, KubeState.ESTABLISHED, KubeState.FUNDED, KubeState.ACTIVE, KubeState.GRADUATED)
# Operations that pay money out of Kas or Bank may not take the account below zero: a treasurer cannot
# hand over money the box does not hold. General entries and reversals are not checked (they correct).
SYSTEM_OPERATIONS = (Operation.MANUAL, Operation.REVERSAL, Operation.YEAR_CLOSE)


class LedgerError(Exception):
    """A refused posting; `str(error)` is the message for the user (translated)."""


def _book_message(error: bk.BookError) -> str:
    """The engine's rule codes as messages in the user's language."""
    messages = {
        "too_few_lines": _("Jurnal harus punya sedikitnya dua baris."),
        "not_integer": _("Jumlah pada baris %(line)s harus bilangan bulat rupiah (tanpa sen)."),
        "not_positive": _("Jumlah pada baris %(line)s harus lebih dari Rp0."),
        "both_sides": _("Baris %(line)s harus berisi debit atau kredit, tidak keduanya."),
        "unbalanced": _("Jurnal tidak seimbang: debit Rp%(debit)s, kredit Rp%(credit)s."),
        "unknown_operation": _("Jenis transaksi '%(kind)s' tidak dikenal."),
        "not_cash": _("Akun kas/bank harus 1100 (Kas) atau 1200 (Bank), bukan %(account)s."),
        "same_account": _("Akun asal dan tujuan sama (%(account)s)."),
        "fee_negative": _("Jasa pinjaman tidak boleh negatif."),
        "bad_amount": _("'%(text)s' bukan jumlah rupiah yang sah (contoh: 1.500.000)."),
        "too_large": _("Jumlah %(text)s terlalu besar."),
        "bad_term": _("Lama pinjaman harus 1 sampai 60 bulan."),
    }
    # Fill only the message that applies: each code comes with its own parameters.
    message = messages.get(error.code)
    return message % error.params if message else str(error)


def _rupiah(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, "BERDAYA", {}).get(name, default))


def _actor_or_none(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


# ---- opening the books --------------------------------------------------------------------------


def book_open(*, kube: Kube, actor: User | None = None) -> Book:
    """The KUBE's books, opened with the default chart the first time they are needed (idempotent)."""
    book = Book.objects.filter(kube=kube).first()
    if book is not None:
        return book
    if kube.state not in POSTING_STATES:
        # A proposed group may still be discarded; books would pin it in the database.
        raise LedgerError(
            _("%(kube)s berstatus %(state)s; buku dibuka setelah KUBE diverifikasi.")
            % {"kube": kube.name, "state": kube.get_state_display()}
        )
    try:
        with transaction.atomic():
            book = Book.objects.create(kube=kube)
            Account.objects.bulk_create(
                Account(kube=kube, code=code, name=name, type=str(kind)) for code, name, kind in bk.DEFAULT_CHART
            )
            audit_record(
                actor=actor,
                action="ledger.book_open",
                object_type="kube.Kube",
                object_id=kube.pk,
                changes={"accounts": len(bk.DEFAULT_CHART)},
            )
    except IntegrityError:
        book = Book.objects.get(kube=kube)  # opened by a concurrent request a moment ago
    return book


def _lock_book(kube: Kube) -> Book:
    book_open(kube=kube)
    # Only the book row: the KUBE row stays free for lifecycle changes (which lock it, then post here).
    return Book.objects.select_for_update(of=("self",)).select_related("kube").get(kube=kube)


# ---- planning: the rules ------------------------------------------------------------------------


@dataclass
class _Planned:
    date: dt.date
    operation: str
    lines: list[tuple[Account, int, int]]
    total: int
    description: str = ""
    member_id: int | None = None
    loan: MemberLoan | None = None
    reverses: JournalEntry | None = None
    key: str = ""


@dataclass
class _Planner:
    """The book as the rules see it while entries are planned: balances move as each entry is planned."""

    book: Book
    accounts: dict[str, Account]
    today: dt.date
    balances: dict[str, int] = field(default_factory=dict)
    savings: dict[int, int] = field(default_factory=dict)  # member id -> Simpanan anggota held
    # ("pk", id) for a stored loan, ("new", id(object)) for one made in this batch -> principal still owed
    outstanding: dict[tuple[str, int], int] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    planned: list[_Planned] = field(default_factory=list)

    @classmethod
    def load(cls, book: Book) -> _Planner:
        accounts = {a.code: a for a in Account.objects.filter(kube_id=book.kube_id)}
        return cls(
            book=book,
            accounts=accounts,
            today=timezone.localdate(),
            balances={code: a.balance for code, a in accounts.items()},
        )

    @property
    def kube(self) -> Kube:
        return self.book.kube

    # -- checks shared by every entry --

    def check_open(self, date: dt.date) -> None:
        kube = self.kube
        if kube.state not in POSTING_STATES:
            raise LedgerError(
                _("%(kube)s berstatus %(state)s; bukunya tidak menerima jurnal.")
                % {"kube": kube.name, "state": kube.get_state_display()}
            )
        if isinstance(date, dt.datetime) or not isinstance(date, dt.date):
            raise LedgerError(_("Tanggal jurnal harus berupa tanggal (tahun-bulan-hari)."))
        if date > self.today:
            raise LedgerError(
                _("Tanggal %(date)s belum terjadi; catat transaksi setelah terjadi.") % {"date": date.isoformat()}
            )
        closed = self.book.closed_through
        if closed is not None and date <= closed:
            raise LedgerError(
                _("Buku sudah ditutup sampai %(closed)s; tanggal %(date)s tidak bisa diisi lagi.")
                % {"closed": closed.isoformat(), "date": date.isoformat()}
            )
        if kube.formed_on and date < kube.formed_on:
            raise LedgerError(
                _("Tanggal %(date)s sebelum KUBE dibentuk (%(formed)s).")
                % {"date": date.isoformat(), "formed": kube.formed_on.isoformat()}
            )

    def account(self, ref: Any, *, line: int) -> Account:
        """An account of this book from a code, a primary key or an Account; anything else is refused."""
        if isinstance(ref, Account):
            if ref.kube_id != self.book.kube_id:
                raise LedgerError(
                    _("Baris %(line)s: akun %(account)s bukan akun buku %(kube)s.")
                    % {"line": line, "account": ref, "kube": self.kube.name}
                )
            ref = ref.code
        if isinstance(ref, int) and not isinstance(ref, bool):
            found = next((a for a in self.accounts.values() if a.pk == ref), None)
            if found is None:
                raise LedgerError(
                    _("Baris %(line)s: akun #%(account)s bukan akun buku %(kube)s.")
                    % {"line": line, "account": ref, "kube": self.kube.name}
                )
            ref = found.code
        account = self.accounts.get(str(ref).strip()) if isinstance(ref, str) else None
        if account is None:
            raise LedgerError(
                _("Baris %(line)s: akun '%(account)s' tidak ada di buku %(kube)s.")
                % {"line": line, "account": ref, "kube": self.kube.name}
            )
        if not account.active:
            raise LedgerError(
                _("Baris %(line)s: akun %(account)s sudah tidak dipakai.") % {"line": line, "account": account}
            )
        return account

    def member(self, member: Membership | int | None, *, required: bool, live: bool = False) -> Membership | None:
        if member is None:
            if required:
                raise LedgerError(_("Pilih anggota untuk transaksi ini."))
            return None
        pk = member.pk if isinstance(member, Membership) else member
        found = Membership.objects.filter(pk=pk, kube_id=self.book.kube_id).select_related("family").first()
        if found is None:
            raise LedgerError(_("Anggota itu bukan anggota %(kube)s.") % {"kube": self.kube.name})
        if live and not found.live:
            raise LedgerError(_("Anggota itu sudah keluar dari %(kube)s.") % {"kube": self.kube.name})
        return found

    def member_savings(self, member_id: int) -> int:
        if member_id not in self.savings:
            sums = JournalLine.objects.filter(
                entry__kube_id=self.book.kube_id, entry__member_id=member_id, account__code=bk.SAVINGS
            ).aggregate(c=Sum("credit"), d=Sum("debit"))
            self.savings[member_id] = (sums["c"] or 0) - (sums["d"] or 0)
        return self.savings[member_id]

    @staticmethod
    def _loan_key(loan: MemberLoan) -> tuple[str, int]:
        # By primary key for a stored loan: each operation may hand in its own instance of the same loan.
        return ("new", id(loan)) if loan.pk is None else ("pk", loan.pk)

    def loan_outstanding(self, loan: MemberLoan) -> int:
        key = self._loan_key(loan)
        if key not in self.outstanding:
            if loan.pk is None:
                self.outstanding[key] = 0
            else:
                sums = JournalLine.objects.filter(entry__loan_id=loan.pk, account__code=bk.LOANS).aggregate(
                    d=Sum("debit"), c=Sum("credit")
                )
                self.outstanding[key] = (sums["d"] or 0) - (sums["c"] or 0)
        return self.outstanding[key]

    def check_key(self, key: str) -> None:
        if key in self.keys:
            raise LedgerError(_("Kunci pengiriman %(key)s dipakai dua kali.") % {"key": key})

    # -- one entry --

    def plan(
        self,
        *,
        date: dt.date,
        operation: str,
        lines: Sequence[Any],
        description: str = "",
        member: Membership | None = None,
        loan: MemberLoan | None = None,
        reverses: JournalEntry | None = None,
        key: str = "",
        check_cash: bool = False,
    ) -> _Planned:
        self.check_open(date)
        parsed = [self._line(raw, number) for number, raw in enumerate(lines, start=1)]
        try:
            total = bk.check_lines([bk.Line(a.code, debit=d, credit=c) for a, d, c in parsed])
        except bk.BookError as error:
            raise LedgerError(_book_message(error)) from error
        deltas: dict[str, int] = defaultdict(int)
        for account, debit, credit in parsed:
            deltas[account.code] += debit - credit
        if check_cash:
            for code in bk.CASH_ACCOUNTS:
                after = self.balances.get(code, 0) + deltas.get(code, 0)
                if deltas.get(code, 0) < 0 and after < 0:
                    raise LedgerError(
                        _("Saldo %(account)s tidak cukup: ada Rp%(balance)s, dibutuhkan Rp%(needed)s.")
                        % {
                            "account": self.accounts[code].name,
                            "balance": _rupiah(self.balances.get(code, 0)),
                            "needed": _rupiah(-deltas[code]),
                        }
                    )
        description = (description or "").strip()
        if len(description) > 200:
            raise LedgerError(_("Keterangan paling panjang 200 huruf."))
        for code, delta in deltas.items():
            self.balances[code] = self.balances.get(code, 0) + delta
        if key:
            self.check_key(key)
            self.keys.add(key)
        entry = _Planned(
            date=date,
            operation=str(operation),
            lines=parsed,
            total=total,
            description=description,
            member_id=member.pk if member is not None else None,
            loan=loan,
            reverses=reverses,
            key=key,
        )
        if member is not None and bk.SAVINGS in deltas:
            self.savings[member.pk] = self.member_savings(member.pk) - deltas[bk.SAVINGS]
        if loan is not None and bk.LOANS in deltas:
            self.outstanding[self._loan_key(loan)] = self.loan_outstanding(loan) + deltas[bk.LOANS]
        self.planned.append(entry)
        return entry

    def _line(self, raw: Any, number: int) -> tuple[Account, int, int]:
        if isinstance(raw, bk.Line):
            account_ref, debit, credit = raw.account, raw.debit, raw.credit
        elif isinstance(raw, Mapping):
            account_ref, debit, credit = raw.get("account"), raw.get("debit", 0), raw.get("credit", 0)
        else:
            raise LedgerError(_("Baris %(line)s tidak bisa dibaca.") % {"line": number})
        debit = 0 if debit in (None, "") else debit
        credit = 0 if credit in (None, "") else credit
        try:
            debit, credit = bk.parse_rupiah(debit), bk.parse_rupiah(credit)
        except bk.BookError as error:
            raise LedgerError(
                _("Baris %(line)s: %(problem)s") % {"line": number, "problem": _book_message(error)}
            ) from error
        return self.account(account_ref, line=number), debit, credit

    def plan_operation(
        self,
        *,
        kind: str,
        date: dt.date,
        amount: Any,
        cash: str | None = None,
        fee: Any = 0,
        account: str | None = None,
        member: Membership | int | None = None,
        loan: MemberLoan | None = None,
        term_months: int | None = None,
        first_due_on: dt.date | None = None,
        fee_percent: float | None = None,
        description: str = "",
        key: str = "",
    ) -> _Planned:
        try:
            amount = bk.parse_rupiah(amount) if isinstance(amount, str) else amount
            fee = bk.parse_rupiah(fee) if isinstance(fee, str) and fee.strip() else (fee or 0)
            lines = bk.operation_lines(kind, amount=amount, cash=cash or None, fee=fee, account=account or None)
        except bk.BookError as error:
            raise LedgerError(_book_message(error)) from error
        spec = bk.OPERATIONS[kind]
        if account:
            default = spec.credit if spec.debit == "cash" else spec.debit
            chosen = self.account(account, line=1)
            if default in self.accounts and chosen.type != self.accounts[default].type:
                raise LedgerError(
                    _("Akun %(account)s tidak cocok untuk %(operation)s.")
                    % {"account": chosen, "operation": Operation(kind).label}
                )
        found = self.member(member, required=spec.member, live=kind in ("loan_out", "savings_in"))
        if kind == "loan_out":
            assert found is not None
            term = _setting("LOAN_TERM_MONTHS", 10) if term_months is None else term_months
            if not (isinstance(term, int) and 1 <= term <= 60):
                raise LedgerError(_("Lama pinjaman harus 1 sampai 60 bulan."))
            first_due = first_due_on or bk.months_after(date, 1)
            if first_due <= date:
                raise LedgerError(_("Angsuran pertama harus jatuh tempo setelah tanggal pinjaman."))
            loan = MemberLoan(
                kube_id=self.book.kube_id,
                member=found,
                principal=amount,
                term_months=term,
                first_due_on=first_due,
                fee_percent=fee_percent if fee_percent is not None else _setting("LOAN_FEE_PERCENT", 1),
            )
        elif kind == "repayment":
            assert found is not None
            loan = self._repaid_loan(found, loan)
            owed = self.loan_outstanding(loan)
            if amount > owed:
                raise LedgerError(
                    _("Angsuran pokok Rp%(amount)s melebihi sisa pinjaman Rp%(owed)s.")
                    % {"amount": _rupiah(amount), "owed": _rupiah(owed)}
                )
        elif kind == "savings_out":
            assert found is not None
            held = self.member_savings(found.pk)
            if amount > held:
                raise LedgerError(
                    _("Simpanan anggota ini hanya Rp%(held)s; tidak bisa diambil Rp%(amount)s.")
                    % {"held": _rupiah(held), "amount": _rupiah(amount)}
                )
        elif loan is not None:
            loan = None  # only loans and repayments belong to a loan
        return self.plan(
            date=date,
            operation=kind,
            lines=lines,
            description=description,
            member=found,
            loan=loan,
            key=key,
            check_cash=True,
        )

    def _repaid_loan(self, member: Membership, loan: MemberLoan | None) -> MemberLoan:
        if loan is not None:
            if loan.kube_id != self.book.kube_id or loan.member_id != member.pk:
                raise LedgerError(_("Pinjaman itu bukan pinjaman anggota ini."))
            return loan
        # The oldest loan still owing: repayments pay old debts first.
        for candidate in MemberLoan.objects.filter(kube_id=self.book.kube_id, member=member).order_by(
            "first_due_on", "id"
        ):
            if self.loan_outstanding(candidate) > 0:
                return candidate
        raise LedgerError(_("Anggota ini tidak punya pinjaman yang belum lunas."))


# ---- writing ------------------------------------------------------------------------------------


def _write(planner: _Planner, *, actor: User | None, action: str) -> list[JournalEntry]:
    """Store the planned entries (numbers in order), their lines and new loans; move the balances."""
    if not planner.planned:
        return []
    book = planner.book
    # A loan made in this batch is named by its loan-out and by its repayments: store it once.
    new_loans = list({id(p.loan): p.loan for p in planner.planned if p.loan is not None and p.loan.pk is None}.values())
    if new_loans:
        MemberLoan.objects.bulk_create(new_loans)
    posted_by = _actor_or_none(actor)
    entries = []
    for offset, planned in enumerate(planner.planned):
        entries.append(
            JournalEntry(
                kube_id=book.kube_id,
                number=book.next_number + offset,
                date=planned.date,
                operation=planned.operation,
                description=planned.description,
                member_id=planned.member_id,
                loan=planned.loan,
                reverses=planned.reverses,
                idempotency_key=planned.key,
                total=planned.total,
                posted_by=posted_by,
            )
        )
    JournalEntry.objects.bulk_create(entries, batch_size=2000)
    lines = [
        JournalLine(entry=entry, account=account, kube_id=book.kube_id, date=entry.date, debit=debit, credit=credit)
        for entry, planned in zip(entries, planner.planned, strict=True)
        for account, debit, credit in planned.lines
    ]
    JournalLine.objects.bulk_create(lines, batch_size=5000)
    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        deltas[line.account.pk] += line.debit - line.credit
    for account_id, delta in deltas.items():
        if delta:
            Account.objects.filter(pk=account_id).update(balance=F("balance") + delta)
    Book.objects.filter(pk=book.pk).update(next_number=book.next_number + len(entries))
    book.next_number += len(entries)
    first = entries[0]
    audit_record(
        actor=actor,
        action=action,
        object_type="ledger.JournalEntry",
        object_id=first.pk if len(entries) == 1 else f"{first.pk}..{entries[-1].pk}",
        changes={
            "kube": book.kube_id,
            "entries": len(entries),
            "numbers": [first.number, entries[-1].number],
            "operation": first.operation if len(entries) == 1 else "bulk",
            "total": sum(p.total for p in planner.planned),
        },
    )
    return entries


def _existing(kube: Kube, key: str) -> JournalEntry | None:
    if not key:
        return None
    return JournalEntry.objects.filter(kube=kube, idempotency_key=key).first()


def _clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if len(key) > 64:
        raise LedgerError(_("Kunci pengiriman terlalu panjang (paling banyak 64 huruf)."))
    return key


# ---- the services -------------------------------------------------------------------------------


def operation_post(
    *,
    actor: User | None,
    kube: Kube,
    kind: str,
    date: dt.date,
    amount: Any,
    cash: str | None = None,
    fee: Any = 0,
    account: str | None = None,
    member: Membership | int | None = None,
    loan: MemberLoan | None = None,
    term_months: int | None = None,
    first_due_on: dt.date | None = None,
    description: str = "",
    idempotency_key: str = "",
) -> JournalEntry:
    """Post one plain-word operation (`bk.OPERATIONS`: sale, purchase, loan_out, repayment, …).

    `amount` is whole rupiah (an int, or text as typed: "1.500.000"); for a repayment it is the principal
    and `fee` the jasa on top. `cash` is "1100" (Kas, default) or "1200" (Bank). Loans and savings need
    `member` (a Membership of this KUBE); a repayment pays `loan`, or the member's oldest open loan.
    A key already used returns the entry it posted. Raises LedgerError, writing nothing.
    """
    key = _clean_key(idempotency_key)
    with transaction.atomic():
        book = _lock_book(kube)
        existing = _existing(kube, key)
        if existing is not None:
            return existing
        planner = _Planner.load(book)
        planner.plan_operation(
            kind=kind,
            date=date,
            amount=amount,
            cash=cash,
            fee=fee,
            account=account,
            member=member,
            loan=loan,
            term_months=term_months,
            first_due_on=first_due_on,
            description=description,
            key=key,
        )
        (entry,) = _write(planner, actor=actor, action=f"ledger.{kind}")
    return entry


def entry_post(
    *,
    actor: User | None,
    kube: Kube,
    date: dt.date,
    lines: Sequence[Any],
    description: str = "",
    idempotency_key: str = "",
) -> JournalEntry:
    """Post a general entry (*jurnal umum*) for someone who knows debit from credit.

    `lines` are `bk.Line`s or mappings {account: code | pk | Account, debit, credit}. Two or more lines,
    each a positive whole-rupiah debit or credit, debits equal to credits, every account of this KUBE's
    books. Raises LedgerError (which line, what is wrong), writing nothing.
    """
    key = _clean_key(idempotency_key)
    if not description or not str(description).strip():
        raise LedgerError(_("Jurnal umum wajib diberi keterangan."))
    with transaction.atomic():
        book = _lock_book(kube)
        existing = _existing(kube, key)
        if existing is not None:
            return existing
        planner = _Planner.load(book)
        planner.plan(date=date, operation=Operation.MANUAL, lines=lines, description=description, key=key)
        (entry,) = _write(planner, actor=actor, action="ledger.manual")
    return entry


def entry_reverse(
    *,
    actor: User | None,
    entry: JournalEntry,
    reason: str,
    date: dt.date | None = None,
    idempotency_key: str = "",
) -> JournalEntry:
    """Undo a posted entry with a reversing entry (debits and credits swapped); the original stays.

    Dated `date`, or the original's date while its month is open, else today. Refused for an entry
    already reversed, for a reversal itself, for a year-end close, and for a loan with repayments
    (reverse the repayments first).
    """
    key = _clean_key(idempotency_key)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Tuliskan alasan pembatalan."))
    with transaction.atomic():
        book = _lock_book(entry.kube)
        existing = _existing(entry.kube, key)
        if existing is not None:
            return existing
        entry = JournalEntry.objects.select_related("loan").get(pk=entry.pk)
        if entry.operation == Operation.REVERSAL:
            raise LedgerError(_("Jurnal pembalik tidak bisa dibalik lagi; catat jurnal baru."))
        if entry.operation == Operation.YEAR_CLOSE:
            raise LedgerError(_("Jurnal tutup buku tahunan tidak bisa dibalik."))
        reversal = JournalEntry.objects.filter(reverses=entry).first()
        if reversal is not None:
            raise LedgerError(
                _("Jurnal #%(number)s sudah dibalik oleh jurnal #%(by)s.")
                % {"number": entry.number, "by": reversal.number}
            )
        if entry.operation == Operation.LOAN_OUT and (
            JournalEntry.objects.filter(loan=entry.loan)
            .exclude(pk=entry.pk)
            .exclude(Q(operation=Operation.REVERSAL) | Q(reversed_by__isnull=False))
            .exists()
        ):
            raise LedgerError(_("Pinjaman ini sudah punya angsuran; batalkan angsurannya lebih dulu."))
        if date is None:
            open_for_original = book.closed_through is None or entry.date > book.closed_through
            date = entry.date if open_for_original else timezone.localdate()
        if date < entry.date:
            raise LedgerError(_("Jurnal pembalik tidak boleh bertanggal sebelum jurnal aslinya."))
        planner = _Planner.load(book)
        originals = []
        for line in entry.lines.select_related("account"):
            # A retired account still takes its reversal: a correction must always be possible.
            line.account.active = True
            planner.accounts[line.account.code] = line.account
            originals.append(bk.Line(line.account.code, line.debit, line.credit))
        member = Membership.objects.filter(pk=entry.member_id).first() if entry.member_id else None
        planner.plan(
            date=date,
            operation=Operation.REVERSAL,
            lines=bk.reversal_lines(originals),
            description=(_("Pembalik jurnal #%(number)s: %(reason)s") % {"number": entry.number, "reason": reason})[
                :200
            ],
            member=member,
            loan=entry.loan,
            reverses=entry,
            key=key,
        )
        (posted,) = _write(planner, actor=actor, action="ledger.reverse")
    return posted


def operations_post_bulk(
    *, actor: User | None, kube: Kube, operations: Iterable[Mapping[str, Any]], loans: dict | None = None
) -> list[JournalEntry]:
    """Post many operations under one lock with the same rules as `operation_post` (demo, benchmark, import).

    Each mapping holds `operation_post`'s keyword arguments (`kind`, `date`, `amount`, …). A loan made
    earlier in the same batch is named by `loan_ref` on the loan-out and on its repayments; `loans`, if
    given, receives {ref: MemberLoan}. All or nothing: the first refused operation raises LedgerError
    naming its position, and nothing is written.
    """
    operations = list(operations)
    with transaction.atomic():
        book = _lock_book(kube)
        planner = _Planner.load(book)
        keys = [str(op.get("idempotency_key") or "").strip() for op in operations]
        posted = set(
            JournalEntry.objects.filter(kube=kube, idempotency_key__in=[k for k in keys if k]).values_list(
                "idempotency_key", flat=True
            )
        )
        if posted:
            # A batch is all or nothing, so it cannot skip some of its operations: say which were sent before.
            raise LedgerError(
                _("Transaksi dengan kunci pengiriman ini sudah tercatat: %(keys)s.")
                % {"keys": ", ".join(sorted(posted))}
            )
        refs: dict[str, MemberLoan] = {}
        for position, raw in enumerate(operations, start=1):
            op = dict(raw)
            ref = op.pop("loan_ref", None)
            if ref is not None and op["kind"] != "loan_out":
                if ref not in refs:
                    raise LedgerError(
                        _("Transaksi ke-%(position)s: pinjaman '%(ref)s' belum dibuat di kiriman ini.")
                        % {"position": position, "ref": ref}
                    )
                op["loan"] = refs[ref]
            key = _clean_key(op.pop("idempotency_key", ""))
            try:
                planned = planner.plan_operation(**op, key=key)
            except LedgerError as error:
                raise LedgerError(
                    _("Transaksi ke-%(position)s (%(date)s): %(problem)s")
                    % {"position": position, "date": op.get("date"), "problem": error}
                ) from error
            if ref is not None and op["kind"] == "loan_out":
                assert planned.loan is not None
                refs[ref] = planned.loan
        entries = _write(planner, actor=actor, action="ledger.bulk")
    if loans is not None:
        loans.update(refs)
    return entries


def month_close(*, actor: User | None, kube: Kube, month: dt.date) -> Book:
    """Close the books through the end of `month`: nothing may post on or before that day afterwards.

    Only a month that has ended, and later than the last one closed. Closing a December first posts the
    year-end entry that moves that year's income and expenses into SHU ditahan (3300), so next year's
    laba-rugi starts from zero and the neraca's SHU ditahan carries what was earned.
    """
    month = month.replace(day=1)
    end = bk.months_after(month, 1) - dt.timedelta(days=1)
    with transaction.atomic():
        book = _lock_book(kube)
        if end >= timezone.localdate():
            raise LedgerError(_("Bulan %(month)s belum berakhir.") % {"month": month.strftime("%m/%Y")})
        if book.closed_through is not None and end <= book.closed_through:
            raise LedgerError(_("Buku sudah ditutup sampai %(closed)s.") % {"closed": book.closed_through.isoformat()})
        if book.closed_through is not None:
            start = book.closed_through + dt.timedelta(days=1)
        else:  # never closed: from the first entry (no year before it has anything to close)
            first = JournalEntry.objects.filter(kube=kube).aggregate(first=Min("date"))["first"]
            start = first or end
        for year in range(start.year, end.year + 1):
            december_end = dt.date(year, 12, 31)
            if start <= december_end <= end:
                _year_close(book, december_end, actor=actor)
        book.closed_through = end
        book.save(update_fields=["closed_through"])
        audit_record(
            actor=actor,
            action="ledger.month_close",
            object_type="kube.Kube",
            object_id=kube.pk,
            changes={"closed_through": end.isoformat()},
        )
    return book


def _year_close(book: Book, year_end: dt.date, *, actor: User | None) -> None:
    rows = (
        JournalLine.objects.filter(kube_id=book.kube_id, date__lte=year_end, account__type__in=["income", "expense"])
        .values("account__code")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by("account__code")  # the closing entry's lines in chart order, whatever plan the database picks
    )
    lines, surplus = [], 0
    for row in rows:
        balance = (row["d"] or 0) - (row["c"] or 0)
        if balance > 0:
            lines.append(bk.Line(row["account__code"], credit=balance))
        elif balance < 0:
            lines.append(bk.Line(row["account__code"], debit=-balance))
        surplus -= balance
    if not lines:
        return
    if surplus > 0:
        lines.append(bk.Line(bk.RETAINED, credit=surplus))
    elif surplus < 0:
        lines.append(bk.Line(bk.RETAINED, debit=-surplus))
    planner = _Planner.load(book)
    for line in lines:  # a retired income account still closes
        planner.accounts[line.account].active = True
    planner.plan(
        date=year_end,
        operation=Operation.YEAR_CLOSE,
        lines=lines,
        description=_("Tutup buku tahun %(year)s: SHU Rp%(surplus)s ke SHU ditahan")
        % {"year": year_end.year, "surplus": _rupiah(surplus)},
    )
    _write(planner, actor=actor, action="ledger.year_close")


def books_wipe(*, actor: User | None) -> int:
    """Erase every book: only for the demo's reset of a database that holds nothing but demo data.

    Posted books are never deleted otherwise; on PostgreSQL the triggers refuse DELETE, so this uses
    TRUNCATE (which row triggers do not see). Returns the number of lines erased; audited.
    """
    from django.db import connection

    lines = JournalLine.objects.count()
    tables = [m._meta.db_table for m in (JournalLine, JournalEntry, MemberLoan, Account, Book)]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # TRUNCATE refuses tables with deferred checks still pending in this transaction (a demo
                # built and rebuilt in one transaction): run them now, then defer again as declared.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("TRUNCATE " + ", ".join(tables))
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for model in (JournalLine, JournalEntry, MemberLoan, Account, Book):
                model.objects.all().delete()
        audit_record(actor=actor, action="ledger.books_wipe", changes={"lines": lines})
    return lines
