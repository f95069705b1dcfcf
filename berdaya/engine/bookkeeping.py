"""Double-entry bookkeeping rules (spec §7) with no Django: the default chart, the operations a treasurer
names in plain words turned into balanced lines, entry checks, member-loan schedules and arrears, and
the financial metrics with their formulas.

Amounts are whole rupiah as Python ints, never floats: a float cannot hold Rp 0,1 exactly and a ledger
that drifts by a rupiah is a ledger nobody trusts. A line is either a debit or a credit, never both.
Balances are kept debit-positive (debit minus credit); a report turns them to the account's normal side.

Errors are `BookError(code, **params)`: the caller (the Django service) turns the code into a message in
the user's language; `str(error)` is the Bahasa Indonesia text for the command line and logs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CASH_ACCOUNTS",
    "DEFAULT_CHART",
    "OPERATIONS",
    "AccountType",
    "BookError",
    "Line",
    "LoanStatus",
    "Metrics",
    "MetricsInput",
    "aging_bucket",
    "book_metrics",
    "check_lines",
    "loan_schedule",
    "loan_status",
    "normal_balance",
    "operation_lines",
    "parse_rupiah",
    "reversal_lines",
]


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


# Debit-normal types: a positive debit-minus-credit balance is the usual state.
DEBIT_NORMAL = frozenset({AccountType.ASSET, AccountType.EXPENSE})

# The default chart (spec §7). Every KUBE starts with it and may add, rename or retire accounts.
DEFAULT_CHART: tuple[tuple[str, str, AccountType], ...] = (
    ("1100", "Kas", AccountType.ASSET),
    ("1200", "Bank", AccountType.ASSET),
    ("1300", "Piutang pinjaman anggota", AccountType.ASSET),
    ("1400", "Persediaan", AccountType.ASSET),
    ("1500", "Peralatan", AccountType.ASSET),
    ("2100", "Simpanan anggota", AccountType.LIABILITY),
    ("2200", "Dana IKS", AccountType.LIABILITY),
    ("3100", "Modal bantuan UEP", AccountType.EQUITY),
    ("3200", "Modal swadaya", AccountType.EQUITY),
    ("3300", "SHU ditahan", AccountType.EQUITY),
    ("4100", "Penjualan", AccountType.INCOME),
    ("4200", "Jasa pinjaman", AccountType.INCOME),
    ("4300", "Pendapatan lain", AccountType.INCOME),
    ("5100", "Bahan baku", AccountType.EXPENSE),
    ("5200", "Operasional", AccountType.EXPENSE),
    ("5300", "Upah", AccountType.EXPENSE),
    ("5400", "Penyusutan", AccountType.EXPENSE),
)

KAS, BANK, LOANS, INVENTORY, EQUIPMENT = "1100", "1200", "1300", "1400", "1500"
SAVINGS, IKS = "2100", "2200"
AID_CAPITAL, OWN_CAPITAL, RETAINED = "3100", "3200", "3300"
SALES, LOAN_FEES, OTHER_INCOME = "4100", "4200", "4300"
MATERIALS, OPERATING, WAGES, DEPRECIATION = "5100", "5200", "5300", "5400"
CASH_ACCOUNTS = (KAS, BANK)


@dataclass(frozen=True)
class Operation:
    """One plain-word operation: which account is debited and which credited.

    `cash` marks the side paid into or out of Kas or Bank (the treasurer chooses which; `default_cash`
    when they don't). `member` says the operation belongs to one member (loans, savings).
    """

    debit: str  # an account code, or "cash"
    credit: str
    default_cash: str = KAS
    member: bool = False
    label: str = ""


OPERATIONS: dict[str, Operation] = {
    "aid_received": Operation("cash", AID_CAPITAL, default_cash=BANK, label="Terima bantuan UEP"),
    "sale": Operation("cash", SALES, label="Penjualan"),
    "purchase": Operation(MATERIALS, "cash", label="Beli bahan"),
    "equipment": Operation(EQUIPMENT, "cash", label="Beli peralatan"),
    "expense": Operation(OPERATING, "cash", label="Biaya operasional"),
    "wages": Operation(WAGES, "cash", label="Bayar upah"),
    "loan_out": Operation(LOANS, "cash", member=True, label="Pinjaman anggota"),
    "repayment": Operation("cash", LOANS, member=True, label="Angsuran pinjaman"),
    "savings_in": Operation("cash", SAVINGS, member=True, label="Simpanan masuk"),
    "savings_out": Operation(SAVINGS, "cash", member=True, label="Simpanan keluar"),
    "iks_allocation": Operation(RETAINED, IKS, label="Alokasi IKS"),
    "iks_payout": Operation(IKS, "cash", label="Penyaluran dana IKS"),
    "shu_distribution": Operation(RETAINED, "cash", label="Bagi SHU"),
    "own_capital": Operation("cash", OWN_CAPITAL, label="Modal swadaya"),
    "other_income": Operation("cash", OTHER_INCOME, label="Pendapatan lain"),
    "to_bank": Operation(BANK, KAS, label="Setor kas ke bank"),
    "from_bank": Operation(KAS, BANK, label="Tarik dari bank ke kas"),
    "depreciation": Operation(DEPRECIATION, EQUIPMENT, label="Penyusutan peralatan"),
}

_MESSAGES = {
    "too_few_lines": "Jurnal harus punya sedikitnya dua baris.",
    "not_integer": "Jumlah pada baris {line} harus bilangan bulat rupiah (tanpa sen).",
    "not_positive": "Jumlah pada baris {line} harus lebih dari Rp0.",
    "both_sides": "Baris {line} harus berisi debit atau kredit, tidak keduanya.",
    "unbalanced": "Jurnal tidak seimbang: debit Rp{debit} ≠ kredit Rp{credit}.",
    "unknown_operation": "Jenis transaksi '{kind}' tidak dikenal.",
    "not_cash": "Akun kas/bank harus 1100 (Kas) atau 1200 (Bank), bukan {account}.",
    "same_account": "Akun asal dan tujuan sama ({account}).",
    "fee_negative": "Jasa pinjaman tidak boleh negatif.",
    "bad_amount": "'{text}' bukan jumlah rupiah yang sah (contoh: 1.500.000).",
    "too_large": "Jumlah {text} terlalu besar.",
    "bad_term": "Lama pinjaman harus 1 sampai 60 bulan.",
}

# The largest amount a line may carry: far beyond any KUBE, far below a 64-bit column's limit even when
# a million lines are summed.
MAX_AMOUNT = 10**12


class BookError(ValueError):
    """A refused entry or amount. `code` names the rule; `params` fill the message."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(_MESSAGES.get(code, code).format(**params))


@dataclass(frozen=True)
class Line:
    """One journal line: an account code and a debit or a credit in whole rupiah."""

    account: str
    debit: int = 0
    credit: int = 0

    @property
    def amount(self) -> int:
        """Debit-positive signed amount."""
        return self.debit - self.credit


def _is_rupiah(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_amount(value: object, *, line: int = 1) -> int:
    """A positive whole-rupiah amount, or BookError. Floats are refused even when whole (1e6 is a float)."""
    if not _is_rupiah(value):
        raise BookError("not_integer", line=line)
    assert isinstance(value, int)
    if value <= 0:
        raise BookError("not_positive", line=line)
    if value > MAX_AMOUNT:
        raise BookError("too_large", text=f"{value:,}".replace(",", "."))
    return value


def check_lines(lines: Sequence[Line]) -> int:
    """Refuse anything but a balanced entry of two or more one-sided, positive, whole-rupiah lines.

    Returns the entry's total (the sum of its debits). Account membership is the caller's to check.
    """
    if len(lines) < 2:
        raise BookError("too_few_lines")
    debit = credit = 0
    for number, line in enumerate(lines, start=1):
        if not (_is_rupiah(line.debit) and _is_rupiah(line.credit)):
            raise BookError("not_integer", line=number)
        if line.debit and line.credit:
            raise BookError("both_sides", line=number)
        check_amount(line.debit or line.credit, line=number)
        debit += line.debit
        credit += line.credit
    if debit != credit:
        raise BookError("unbalanced", debit=_dots(debit), credit=_dots(credit))
    return debit


def operation_lines(
    kind: str,
    *,
    amount: int,
    cash: str | None = None,
    fee: int = 0,
    account: str | None = None,
) -> list[Line]:
    """The lines of one plain-word operation.

    `amount` is the main sum (for a repayment: the principal repaid); `fee` the *jasa* paid on top of a
    repayment; `cash` the Kas or Bank account used; `account` overrides the non-cash account (another
    expense account for *biaya operasional*, say). Raises BookError for an unknown kind or bad amounts.
    """
    operation = OPERATIONS.get(kind)
    if operation is None:
        raise BookError("unknown_operation", kind=kind)
    check_amount(amount)
    cash = cash or operation.default_cash
    if cash not in CASH_ACCOUNTS:
        raise BookError("not_cash", account=cash)
    debit, credit = operation.debit, operation.credit
    if account and debit == "cash":
        credit = account  # the other side of a cash receipt, e.g. another income account
    elif account and credit == "cash":
        debit = account  # the other side of a payment, e.g. Upah instead of Operasional
    debit = cash if debit == "cash" else debit
    credit = cash if credit == "cash" else credit
    if debit == credit:
        raise BookError("same_account", account=debit)
    if kind == "repayment":
        if not _is_rupiah(fee):
            raise BookError("not_integer", line=3)
        if fee < 0:
            raise BookError("fee_negative")
        lines = [Line(cash, debit=amount + fee), Line(LOANS, credit=amount)]
        if fee:
            lines.append(Line(LOAN_FEES, credit=fee))
        check_lines(lines)
        return lines
    lines = [Line(debit, debit=amount), Line(credit, credit=amount)]
    check_lines(lines)
    return lines


def reversal_lines(lines: Iterable[Line]) -> list[Line]:
    """The lines that undo an entry: each debit becomes a credit of the same amount, and back."""
    return [Line(line.account, debit=line.credit, credit=line.debit) for line in lines]


def normal_balance(balance: int, account_type: AccountType | str) -> int:
    """A debit-positive balance shown on the account's normal side (a positive Penjualan is income)."""
    return balance if AccountType(account_type) in DEBIT_NORMAL else -balance


_RUPIAH = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,-|,00)?$", re.IGNORECASE)


def parse_rupiah(text: str | int) -> int:
    """Read an amount as a treasurer types it: `1500000`, `1.500.000`, `Rp 1.500.000`, `1.500.000,-`.

    Refuses sen (`1.500,50`), signs, and anything else with BookError naming the text. Returns an int,
    which may be zero (the caller decides whether zero is allowed).
    """
    if isinstance(text, bool):
        raise BookError("bad_amount", text=str(text))
    if isinstance(text, int):
        return text
    if not isinstance(text, str):
        # A float or Decimal is never read through str(): 2.125 would become Rp2.125.
        raise BookError("bad_amount", text=str(text))
    cleaned = text.strip().replace(" ", "")
    match = _RUPIAH.match(cleaned)
    if not match:
        raise BookError("bad_amount", text=str(text).strip())
    value = int(match.group(1).replace(".", ""))
    if value > MAX_AMOUNT:
        raise BookError("too_large", text=str(text).strip())
    return value


def _dots(value: int) -> str:
    return f"{value:,}".replace(",", ".")


# ---- member loans -------------------------------------------------------------------------------


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clipped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def loan_schedule(principal: int, term_months: int, first_due: dt.date) -> list[tuple[dt.date, int]]:
    """Equal monthly principal instalments; the rounding remainder goes in the last one.

    Jasa is charged on each repayment as agreed by the group, so it is not part of the schedule.
    """
    check_amount(principal)
    if not (1 <= term_months <= 60):
        raise BookError("bad_term")
    base = principal // term_months
    schedule = [(months_after(first_due, i), base) for i in range(term_months)]
    last_due, _ = schedule[-1]
    schedule[-1] = (last_due, principal - base * (term_months - 1))
    return schedule


AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")


def aging_bucket(days_past_due: int) -> str:
    """The arrears-aging column a loan falls in."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return ">90"


@dataclass(frozen=True)
class LoanStatus:
    outstanding: int  # principal still owed
    due_to_date: int  # principal the schedule asked for by as_of
    repaid: int  # principal repaid so far
    overdue: int  # due_to_date - repaid, when positive
    days_past_due: int  # since the oldest instalment not fully paid fell due; 0 when none is late
    bucket: str


def loan_status(*, principal: int, term_months: int, first_due: dt.date, repaid: int, as_of: dt.date) -> LoanStatus:
    """Where a loan stands on `as_of`: repayments pay the oldest instalment first."""
    schedule = loan_schedule(principal, term_months, first_due)
    repaid = max(0, min(repaid, principal))
    due_to_date = sum(amount for due, amount in schedule if due <= as_of)
    days = 0
    covered = repaid
    for due, amount in schedule:
        if covered >= amount:
            covered -= amount
            continue
        if due <= as_of:
            days = (as_of - due).days
        break
    return LoanStatus(
        outstanding=principal - repaid,
        due_to_date=due_to_date,
        repaid=repaid,
        overdue=max(0, due_to_date - repaid),
        days_past_due=days,
        bucket=aging_bucket(days),
    )


# ---- metrics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricsInput:
    """What the metrics are computed from; the Django side fills it with grouped queries.

    Window: the `days` days ending on the as-of date. `*_start` are balances the day before the window,
    `*_end` on the as-of date. `revenue_prior`/`equity_prior` belong to the window of the same length
    before it (growth compares the two).
    """

    days: int
    assets_start: int
    assets_end: int
    equity_start: int
    equity_end: int
    revenue: int
    revenue_prior: int
    expenses: int
    cash_end: int  # Kas + Bank on the as-of date
    loans: Sequence[LoanStatus] = field(default_factory=tuple)
    iks_allocated: int = 0
    iks_balance: int = 0


@dataclass(frozen=True)
class Metrics:
    assets: int
    net_surplus: int
    roa_annualised: float | None
    par30: float | None
    repayment_rate: float | None
    loan_fund_utilisation: float | None
    revenue_growth: float | None
    equity_growth: float | None
    iks_allocated: int
    iks_balance: int
    loans_outstanding: int
    loans_overdue: int


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def book_metrics(data: MetricsInput) -> Metrics:
    """The financial metrics of one KUBE (or a region, when the inputs are summed). See docs/buku-kube.md.

    - net surplus = income − expenses in the window
    - annualised ROA = net surplus ÷ mean(assets at start, assets at end) × 365 ÷ days
    - PAR>30 = outstanding principal of loans more than 30 days past due ÷ all outstanding principal
    - repayment rate = Σ min(repaid, due to date) ÷ Σ due to date (loans with something due)
    - loan-fund utilisation = outstanding principal ÷ (outstanding principal + Kas + Bank)
    - revenue growth = revenue in the window ÷ revenue in the window before − 1
    - equity growth = equity at end ÷ equity at start − 1
    A ratio whose denominator is zero is None ("—" on the page), never a made-up 0 or 100 %.
    """
    surplus = data.revenue - data.expenses
    mean_assets = (data.assets_start + data.assets_end) / 2
    roa = _ratio(surplus, mean_assets)
    if roa is not None:
        roa = roa * 365 / max(1, data.days)
    outstanding = sum(loan.outstanding for loan in data.loans)
    at_risk = sum(loan.outstanding for loan in data.loans if loan.days_past_due > 30)
    due = sum(loan.due_to_date for loan in data.loans)
    paid_on_schedule = sum(min(loan.repaid, loan.due_to_date) for loan in data.loans)
    revenue_growth = _ratio(data.revenue, data.revenue_prior)
    equity_growth = _ratio(data.equity_end, data.equity_start) if data.equity_start > 0 else None
    return Metrics(
        assets=data.assets_end,
        net_surplus=surplus,
        roa_annualised=roa,
        par30=_ratio(at_risk, outstanding),
        repayment_rate=_ratio(paid_on_schedule, due),
        loan_fund_utilisation=_ratio(outstanding, outstanding + max(0, data.cash_end)),
        revenue_growth=None if revenue_growth is None else revenue_growth - 1,
        equity_growth=None if equity_growth is None else equity_growth - 1,
        iks_allocated=data.iks_allocated,
        iks_balance=data.iks_balance,
        loans_outstanding=outstanding,
        loans_overdue=sum(loan.overdue for loan in data.loans),
    )
