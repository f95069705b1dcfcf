"""The read side of a KUBE's books (spec §7): neraca saldo, buku kas, laba-rugi, neraca, the member loan
ledger with arrears, and the Dana IKS book. Reads only; pages, XLSX downloads and metrics call these.

Every report is a handful of grouped queries, never one per row, so it stays fast for a KUBE with
20,000 lines in a database of a million. Lines carry copies of their KUBE and date, so the queries filter
on the indexes `line_kube_date` (kube, date) and `line_account_date` (account, date) without joining the
entries, except where the entry's operation matters (laba-rugi leaves the year-end close out).

A balance on a past date is the account's cached balance (every posted line) minus the lines dated after
that date: posting refuses future dates, so for today nothing is subtracted, and for a recent date only
the few lines since are read. Amounts are whole rupiah ints; balances debit-positive until a report shows
them on the account's normal side.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from berdaya.engine import bookkeeping as bk
from berdaya.kube.models import Kube
from berdaya.kube.selectors import family_head
from berdaya.ledger.models import Account, AccountType, JournalLine, MemberLoan, Operation

__all__ = [
    "AccountAmount",
    "BalanceSheet",
    "BucketTotal",
    "CashBook",
    "IksFund",
    "IncomeStatement",
    "LoanLedger",
    "LoanRow",
    "Movement",
    "TrialBalance",
    "TrialBalanceRow",
    "aging_label",
    "balance_sheet",
    "balances_on",
    "cash_book",
    "income_statement",
    "iks_fund",
    "loan_amounts",
    "loan_ledger",
    "loans_q",
    "month_start",
    "trial_balance",
]


def month_start(day: dt.date) -> dt.date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def _month_end(first: dt.date) -> dt.date:
    return bk.months_after(first, 1) - dt.timedelta(days=1)


def _sums(lines: QuerySet, *keys: str) -> dict:
    """{key values: debit − credit} of lines grouped by `keys` (one query)."""
    out: dict = {}
    for row in lines.values(*keys).annotate(d=Sum("debit"), c=Sum("credit")).order_by():
        key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
        out[key] = (row["d"] or 0) - (row["c"] or 0)
    return out


def _accounts(kube: Kube) -> list[Account]:
    return list(Account.objects.filter(kube=kube).order_by("code"))


def balances_on(kube: Kube, as_of: dt.date, accounts: list[Account] | None = None) -> dict[int, int]:
    """{account id: debit-positive balance at the end of `as_of`} for every account of the KUBE.

    Cached balance minus the lines dated after `as_of` (one query, on line_kube_date).
    """
    accounts = _accounts(kube) if accounts is None else accounts
    later = _sums(JournalLine.objects.filter(kube=kube, date__gt=as_of), "account_id")
    return {a.pk: a.balance - later.get(a.pk, 0) for a in accounts}


def _operation_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Operation.choices}


# ---- neraca saldo -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    type: str
    debit: int  # a debit balance, else 0
    credit: int  # a credit balance, else 0


@dataclass(frozen=True)
class TrialBalance:
    kube: Kube
    as_of: dt.date
    rows: list[TrialBalanceRow]
    total_debit: int
    total_credit: int

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit


def trial_balance(kube: Kube, as_of: dt.date) -> TrialBalance:
    """Neraca saldo: every account's balance on `as_of` in the debit or the credit column.

    Accounts with a zero balance are listed while they are active (a retired empty account is left out).
    The two totals are equal in sound books. Two queries.
    """
    accounts = _accounts(kube)
    balances = balances_on(kube, as_of, accounts)
    rows = []
    for account in accounts:
        balance = balances[account.pk]
        if balance == 0 and not account.active:
            continue
        rows.append(
            TrialBalanceRow(
                code=account.code,
                name=account.name,
                type=account.type,
                debit=max(balance, 0),
                credit=max(-balance, 0),
            )
        )
    return TrialBalance(
        kube=kube,
        as_of=as_of,
        rows=rows,
        total_debit=sum(r.debit for r in rows),
        total_credit=sum(r.credit for r in rows),
    )


# ---- account books: buku kas, Dana IKS ----------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """One line of an account book, with its entry and the running balance after it."""

    date: dt.date
    number: int
    entry_id: int
    description: str
    operation: str
    operation_label: str
    counter: str  # the other accounts of the entry, "1100 Kas, 4100 Penjualan"
    amount_in: int
    amount_out: int
    balance: int


def _movements(
    kube: Kube, account: Account, start: dt.date, end: dt.date, *, debit_normal: bool
) -> tuple[int, list[Movement]]:
    """(opening balance on the account's normal side, the lines from `start` to `end` in date and number
    order with running balances). Three queries: opening, the lines with their entries, the entries'
    other lines (found by KUBE and date range, since an entry's lines share its date)."""
    sign = 1 if debit_normal else -1
    before = JournalLine.objects.filter(account=account, date__lt=start).aggregate(d=Sum("debit"), c=Sum("credit"))
    opening = sign * ((before["d"] or 0) - (before["c"] or 0))
    lines = list(
        JournalLine.objects.filter(account=account, date__gte=start, date__lte=end)
        .select_related("entry")
        .order_by("date", "entry__number", "id")
    )
    counters: dict[int, list[str]] = defaultdict(list)
    if lines:
        others = (
            JournalLine.objects.filter(kube=kube, date__gte=start, date__lte=end)
            .exclude(account=account)
            .values_list("entry_id", "account__code", "account__name")
            .order_by("entry_id", "id")
        )
        for entry_id, code, name in others:
            label = f"{code} {name}"
            if label not in counters[entry_id]:
                counters[entry_id].append(label)
    labels = _operation_labels()
    balance = opening
    rows = []
    for line in lines:
        amount_in, amount_out = (line.debit, line.credit) if debit_normal else (line.credit, line.debit)
        balance += amount_in - amount_out
        entry = line.entry
        rows.append(
            Movement(
                date=line.date,
                number=entry.number,
                entry_id=entry.pk,
                description=entry.description,
                operation=entry.operation,
                operation_label=labels.get(entry.operation, entry.operation),
                counter=", ".join(counters.get(entry.pk, [])),
                amount_in=amount_in,
                amount_out=amount_out,
                balance=balance,
            )
        )
    return opening, rows


@dataclass(frozen=True)
class CashBook:
    kube: Kube
    account_code: str
    account_name: str
    month: dt.date  # first day of the month
    end: dt.date  # last day of the month
    opening: int
    rows: list[Movement]
    total_in: int
    total_out: int
    closing: int

    @property
    def previous_month(self) -> dt.date:
        return bk.months_after(self.month, -1)

    @property
    def next_month(self) -> dt.date:
        return bk.months_after(self.month, 1)


def cash_book(kube: Kube, month: dt.date, account: str = bk.KAS) -> CashBook:
    """Buku kas of one month: the balance brought forward, every receipt and payment on Kas (1100) or
    Bank (1200) in date and entry-number order with its description, operation and the other side, the
    running balance, and the balance carried forward. Raises ValueError for any other account.

    Paged by month, so a page reads one month of lines whatever the KUBE's history. Four queries.
    """
    if account not in bk.CASH_ACCOUNTS:
        raise ValueError(account)
    month = month_start(month)
    end = _month_end(month)
    found = Account.objects.filter(kube=kube, code=account).first()
    if found is None:  # books not opened yet: an empty book, not an error
        return CashBook(kube, account, "", month, end, 0, [], 0, 0, 0)
    opening, rows = _movements(kube, found, month, end, debit_normal=True)
    total_in = sum(r.amount_in for r in rows)
    total_out = sum(r.amount_out for r in rows)
    return CashBook(
        kube=kube,
        account_code=found.code,
        account_name=found.name,
        month=month,
        end=end,
        opening=opening,
        rows=rows,
        total_in=total_in,
        total_out=total_out,
        closing=opening + total_in - total_out,
    )


@dataclass(frozen=True)
class IksFund:
    kube: Kube
    start: dt.date
    end: dt.date
    opening: int
    rows: list[Movement]
    allocated: int  # credits to Dana IKS in the period (allocations; a reversed payout comes back here)
    paid_out: int  # debits (payouts to members in need; a reversed allocation too)
    closing: int


def iks_fund(kube: Kube, start: dt.date, end: dt.date) -> IksFund:
    """Dana IKS (2200) from `start` to `end`: the fund at the start, allocations in, payouts out, the
    running balance and the fund at the end (credit-positive: what the group holds for its members)."""
    found = Account.objects.filter(kube=kube, code=bk.IKS).first()
    if found is None:
        return IksFund(kube, start, end, 0, [], 0, 0, 0)
    opening, rows = _movements(kube, found, start, end, debit_normal=False)
    allocated = sum(r.amount_in for r in rows)
    paid_out = sum(r.amount_out for r in rows)
    return IksFund(kube, start, end, opening, rows, allocated, paid_out, opening + allocated - paid_out)


# ---- laba-rugi and neraca -----------------------------------------------------------------------


@dataclass(frozen=True)
class AccountAmount:
    """An account and an amount on its normal side (a positive Penjualan is income earned)."""

    code: str
    name: str
    amount: int


@dataclass(frozen=True)
class IncomeStatement:
    kube: Kube
    start: dt.date
    end: dt.date
    income: list[AccountAmount]
    expenses: list[AccountAmount]
    total_income: int
    total_expenses: int

    @property
    def surplus(self) -> int:
        """SHU: income − expenses (negative is a loss)."""
        return self.total_income - self.total_expenses


def income_statement(kube: Kube, start: dt.date, end: dt.date) -> IncomeStatement:
    """Laba-rugi from `start` to `end` inclusive: per income account credits − debits, per expense account
    debits − credits, their totals and the surplus.

    The year-end close (operation "year_close") is left out: it empties income and expenses into SHU
    ditahan on 31 December, and counting it would show every closed year as zero. Reversals count (a
    reversed sale is no sale). Two queries.
    """
    accounts = [a for a in _accounts(kube) if a.type in (AccountType.INCOME, AccountType.EXPENSE)]
    sums = _sums(
        JournalLine.objects.filter(
            kube=kube, date__gte=start, date__lte=end, account__in=[a.pk for a in accounts]
        ).exclude(entry__operation=Operation.YEAR_CLOSE),
        "account_id",
    )
    income: list[AccountAmount] = []
    expenses: list[AccountAmount] = []
    for account in accounts:
        moved = sums.get(account.pk, 0)
        if moved == 0 and not account.active:
            continue
        amount = bk.normal_balance(moved, account.type)
        (income if account.type == AccountType.INCOME else expenses).append(
            AccountAmount(account.code, account.name, amount)
        )
    return IncomeStatement(
        kube=kube,
        start=start,
        end=end,
        income=income,
        expenses=expenses,
        total_income=sum(a.amount for a in income),
        total_expenses=sum(a.amount for a in expenses),
    )


@dataclass(frozen=True)
class BalanceSheet:
    kube: Kube
    as_of: dt.date
    assets: list[AccountAmount]
    liabilities: list[AccountAmount]
    equity: list[AccountAmount]
    current_surplus: int  # SHU tahun berjalan: income − expenses not yet closed into SHU ditahan
    total_assets: int
    total_liabilities: int

    @property
    def total_equity(self) -> int:
        """Equity accounts plus the surplus not yet closed."""
        return sum(a.amount for a in self.equity) + self.current_surplus

    @property
    def total_liabilities_and_equity(self) -> int:
        return self.total_liabilities + self.total_equity

    @property
    def balanced(self) -> bool:
        return self.total_assets == self.total_liabilities_and_equity


def balance_sheet(kube: Kube, as_of: dt.date) -> BalanceSheet:
    """Neraca on `as_of`: assets, liabilities and equity on their normal sides, with "SHU tahun berjalan"
    (the income and expense balances the year-end close has not yet moved into SHU ditahan) as the last
    equity line. Balanced books give assets = liabilities + equity. Two queries.

    The surplus line holds whatever is unclosed: when a December has not been closed yet it includes that
    year's surplus too (closing the month moves it into SHU ditahan).
    """
    accounts = _accounts(kube)
    balances = balances_on(kube, as_of, accounts)
    groups: dict[str, list[AccountAmount]] = defaultdict(list)
    unclosed = 0
    for account in accounts:
        balance = balances[account.pk]
        if account.type in (AccountType.INCOME, AccountType.EXPENSE):
            unclosed += balance
            continue
        if balance == 0 and not account.active:
            continue
        groups[str(account.type)].append(
            AccountAmount(account.code, account.name, bk.normal_balance(balance, account.type))
        )
    assets, liabilities = groups[str(AccountType.ASSET)], groups[str(AccountType.LIABILITY)]
    return BalanceSheet(
        kube=kube,
        as_of=as_of,
        assets=assets,
        liabilities=liabilities,
        equity=groups[str(AccountType.EQUITY)],
        current_surplus=-unclosed,
        total_assets=sum(a.amount for a in assets),
        total_liabilities=sum(a.amount for a in liabilities),
    )


# ---- member loans -------------------------------------------------------------------------------


def loan_amounts(lines: QuerySet, as_of: dt.date) -> dict[int, tuple[int, int]]:
    """{loan id: (disbursed, principal repaid)} on `as_of` from lines on Piutang pinjaman anggota (1300).

    `lines` is a JournalLine queryset already narrowed to the 1300 account(s) wanted. A reversal counts
    against what it reverses: a reversed loan-out takes back the disbursement, a reversed repayment the
    repayment. Outstanding = disbursed − repaid = debits − credits. One grouped query.
    """
    sums = _sums(
        lines.filter(date__lte=as_of, entry__loan__isnull=False),
        "entry__loan_id",
        "entry__operation",
        "entry__reverses__operation",
    )
    amounts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (loan_id, operation, reversed_operation), moved in sums.items():
        effective = reversed_operation if operation == Operation.REVERSAL else operation
        if effective == Operation.LOAN_OUT:
            amounts[loan_id][0] += moved
        else:
            amounts[loan_id][1] -= moved
    return {loan_id: (disbursed, repaid) for loan_id, (disbursed, repaid) in amounts.items()}


def aging_label(bucket: str) -> str:
    """The aging bucket in words for the page."""
    labels = {
        "current": _("Lancar"),
        "1-30": _("Telat 1–30 hari"),
        "31-60": _("Telat 31–60 hari"),
        "61-90": _("Telat 61–90 hari"),
        ">90": _("Telat lebih dari 90 hari"),
    }
    return labels.get(bucket, bucket)


@dataclass(frozen=True)
class LoanRow:
    loan_id: int
    member_id: int
    member_name: str
    principal: int
    term_months: int
    first_due_on: dt.date
    fee_percent: float
    disbursed: int
    repaid: int
    outstanding: int
    due_to_date: int
    overdue: int
    days_past_due: int
    bucket: str
    bucket_label: str

    @property
    def paid_off(self) -> bool:
        return self.outstanding <= 0


@dataclass(frozen=True)
class BucketTotal:
    bucket: str
    label: str
    count: int
    outstanding: int


@dataclass(frozen=True)
class LoanLedger:
    kube: Kube
    as_of: dt.date
    rows: list[LoanRow]
    buckets: list[BucketTotal]
    total_principal: int
    total_repaid: int
    total_outstanding: int
    total_overdue: int
    statuses: list[bk.LoanStatus] = field(default_factory=list)


def loan_ledger(kube: Kube, as_of: dt.date) -> LoanLedger:
    """Member loans on `as_of`: per loan the member (their family head's name), principal, term, principal
    repaid, outstanding (debits − credits on 1300 of the entries carrying the loan), what was due, days
    past due and the aging bucket (engine `loan_status`: repayments pay the oldest instalment first),
    plus the count and outstanding per bucket. Loans not disbursed by `as_of` (or whose loan-out was
    reversed) are left out. Three queries.
    """
    loans = list(
        MemberLoan.objects.filter(kube=kube)
        .select_related("member__family")
        .prefetch_related("member__family__members")
        .order_by("first_due_on", "id")
    )
    # The account as a subquery: the lines are then read through line_account_date, with no extra query.
    account = Account.objects.filter(kube=kube, code=bk.LOANS).values("pk")
    amounts = loan_amounts(JournalLine.objects.filter(account__in=account), as_of) if loans else {}
    rows, statuses = [], []
    for loan in loans:
        disbursed, repaid = amounts.get(loan.pk, (0, 0))
        if disbursed <= 0:
            continue
        status = bk.loan_status(
            principal=loan.principal,
            term_months=loan.term_months,
            first_due=loan.first_due_on,
            repaid=repaid,
            as_of=as_of,
        )
        statuses.append(status)
        head = family_head(loan.member.family)
        rows.append(
            LoanRow(
                loan_id=loan.pk,
                member_id=loan.member_id,
                member_name=getattr(head, "name", "") or loan.member.family.no_kk,
                principal=loan.principal,
                term_months=loan.term_months,
                first_due_on=loan.first_due_on,
                fee_percent=float(loan.fee_percent),
                disbursed=disbursed,
                repaid=repaid,
                outstanding=disbursed - repaid,
                due_to_date=status.due_to_date,
                overdue=status.overdue,
                days_past_due=status.days_past_due,
                bucket=status.bucket,
                bucket_label=aging_label(status.bucket),
            )
        )
    open_rows = [r for r in rows if not r.paid_off]
    buckets = [
        BucketTotal(
            bucket=bucket,
            label=aging_label(bucket),
            count=sum(1 for r in open_rows if r.bucket == bucket),
            outstanding=sum(r.outstanding for r in open_rows if r.bucket == bucket),
        )
        for bucket in bk.AGING_BUCKETS
    ]
    return LoanLedger(
        kube=kube,
        as_of=as_of,
        rows=rows,
        buckets=buckets,
        total_principal=sum(r.principal for r in rows),
        total_repaid=sum(r.repaid for r in rows),
        total_outstanding=sum(r.outstanding for r in rows),
        total_overdue=sum(r.overdue for r in rows),
        statuses=statuses,
    )


def loans_q(kube_ids) -> Q:
    """Lines on the loan accounts (1300) of the given KUBEs, for `loan_amounts` over many books."""
    return Q(kube_id__in=kube_ids, account__code=bk.LOANS)
