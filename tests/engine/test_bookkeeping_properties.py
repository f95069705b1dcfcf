"""Properties of the bookkeeping engine that hold for every input, not just the examples we thought of."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from berdaya.engine import bookkeeping as bk

SETTINGS = settings(max_examples=200, deadline=None)

amounts = st.integers(min_value=1, max_value=bk.MAX_AMOUNT)
codes = st.sampled_from([code for code, _name, _kind in bk.DEFAULT_CHART])
lines = st.builds(
    lambda account, amount, debit: bk.Line(account, debit=amount if debit else 0, credit=0 if debit else amount),
    codes,
    amounts,
    st.booleans(),
)
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


def dotted(value: int) -> str:
    return f"{value:,}".replace(",", ".")


# ---- operation_lines ------------------------------------------------------------------------------


@SETTINGS
@given(
    kind=st.sampled_from(sorted(bk.OPERATIONS)),
    amount=amounts,
    cash=st.sampled_from([None, *bk.CASH_ACCOUNTS]),
    fee=st.integers(min_value=0, max_value=10**9),
)
def test_every_operation_gives_balanced_one_sided_positive_lines(kind, amount, cash, fee):
    try:
        result = bk.operation_lines(kind, amount=amount, cash=cash, fee=fee)
    except bk.BookError as error:
        # The only way a valid amount is refused: a repayment whose cash line (principal + jasa) is too large.
        assert (kind, error.code) == ("repayment", "too_large")
        assert amount + fee > bk.MAX_AMOUNT
        return
    assert len(result) >= 2
    assert sum(line.debit for line in result) == sum(line.credit for line in result)
    assert all((line.debit > 0) != (line.credit > 0) for line in result)
    assert all(isinstance(line.debit, int) and isinstance(line.credit, int) for line in result)
    assert bk.check_lines(result) == amount + (fee if kind == "repayment" else 0)
    touched = {line.account for line in result}
    operation = bk.OPERATIONS[kind]
    if "cash" in (operation.debit, operation.credit):
        assert (cash or operation.default_cash) in touched


@SETTINGS
@given(
    kind=st.sampled_from(sorted(bk.OPERATIONS)),
    amount=st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=bk.MAX_AMOUNT + 1),
        st.floats(allow_nan=False),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.text(max_size=8),
    ),
)
def test_an_operation_refuses_anything_but_a_positive_whole_rupiah_int(kind, amount):
    with pytest.raises(bk.BookError) as caught:
        bk.operation_lines(kind, amount=amount)
    assert caught.value.code in ("not_integer", "not_positive", "too_large")


@SETTINGS
@given(kind=st.sampled_from(sorted(bk.OPERATIONS)), cash=st.text(max_size=5))
def test_an_operation_refuses_a_cash_account_other_than_kas_or_bank(kind, cash):
    assume(cash and cash not in bk.CASH_ACCOUNTS)
    with pytest.raises(bk.BookError, match="Kas"):
        bk.operation_lines(kind, amount=1000, cash=cash)


# ---- check_lines and reversal_lines -------------------------------------------------------------


@SETTINGS
@given(st.lists(lines, max_size=6))
def test_reversing_twice_gives_the_original_lines(original):
    assert bk.reversal_lines(bk.reversal_lines(original)) == original


@SETTINGS
@given(st.lists(lines, min_size=2, max_size=6))
def test_a_reversal_cancels_every_account(original):
    net: dict[str, int] = {}
    for line in [*original, *bk.reversal_lines(original)]:
        net[line.account] = net.get(line.account, 0) + line.amount
    assert set(net.values()) <= {0}


@SETTINGS
@given(st.lists(lines, min_size=1, max_size=6))
def test_check_lines_accepts_exactly_the_balanced_entries_of_two_or_more_lines(candidate):
    debit = sum(line.debit for line in candidate)
    credit = sum(line.credit for line in candidate)
    if len(candidate) >= 2 and debit == credit:
        assert bk.check_lines(candidate) == debit
        assert bk.check_lines(bk.reversal_lines(candidate)) == debit
    else:
        with pytest.raises(bk.BookError) as caught:
            bk.check_lines(candidate)
        assert caught.value.code == ("too_few_lines" if len(candidate) < 2 else "unbalanced")


@SETTINGS
@given(amounts, codes, codes)
def test_a_line_with_both_sides_is_refused_even_when_balanced(amount, first, second):
    with pytest.raises(bk.BookError) as caught:
        bk.check_lines([bk.Line(first, debit=amount, credit=amount), bk.Line(second, debit=amount, credit=amount)])
    assert caught.value.code == "both_sides"


# ---- parse_rupiah -------------------------------------------------------------------------------


@SETTINGS
@given(
    value=st.integers(min_value=0, max_value=bk.MAX_AMOUNT),
    prefix=st.sampled_from(["", "Rp", "Rp ", "rp. ", "RP."]),
    suffix=st.sampled_from(["", ",-", ",00"]),
    dots=st.booleans(),
)
def test_a_formatted_amount_reads_back_as_the_same_int(value, prefix, suffix, dots):
    text = f"{prefix}{dotted(value) if dots else value}{suffix}"
    assert bk.parse_rupiah(text) == value
    assert bk.parse_rupiah(f"  {text} ") == value


@SETTINGS
@given(st.integers(min_value=0, max_value=bk.MAX_AMOUNT))
def test_an_int_passes_through_unchanged(value):
    assert bk.parse_rupiah(value) == value


@SETTINGS
@given(value=st.integers(min_value=1, max_value=bk.MAX_AMOUNT), sen=st.integers(min_value=1, max_value=99))
def test_sen_and_signs_are_refused(value, sen):
    for text in (f"{dotted(value)},{sen:02d}", f"-{dotted(value)}", f"+{value}", f"-{value}", f"{value}.{sen:02d}"):
        with pytest.raises(bk.BookError):
            bk.parse_rupiah(text)


@SETTINGS
@given(st.integers(min_value=bk.MAX_AMOUNT + 1, max_value=10**30))
def test_an_amount_beyond_the_limit_is_refused_as_text(value):
    with pytest.raises(bk.BookError) as caught:
        bk.parse_rupiah(dotted(value))
    assert caught.value.code == "too_large"


@SETTINGS
@given(st.floats(allow_nan=True, allow_infinity=True))
@example(2.125)  # str() gives "2.125", which reads as Rp2.125
@example(0.001)
@example(1e6)
@example(1.5)
def test_a_float_is_never_read_as_an_amount(value):
    # A float cannot say whole rupiah: 2.125 must not become Rp2.125 (two thousand) by way of str().
    with pytest.raises(bk.BookError):
        bk.parse_rupiah(value)


@pytest.mark.parametrize("value", [Decimal("1.500"), Decimal("1500"), Decimal("1500.50"), True, False], ids=repr)
def test_decimals_and_bools_are_refused(value):
    with pytest.raises(bk.BookError):
        bk.parse_rupiah(value)


# ---- loans --------------------------------------------------------------------------------------

loans = st.fixed_dictionaries(
    {
        "principal": st.integers(min_value=1, max_value=10**10),
        "term_months": st.integers(min_value=1, max_value=60),
        "first_due": days,
    }
)


@SETTINGS
@given(loans)
def test_a_schedule_sums_to_the_principal_with_due_dates_one_month_apart(loan):
    schedule = bk.loan_schedule(loan["principal"], loan["term_months"], loan["first_due"])
    assert len(schedule) == loan["term_months"]
    assert sum(amount for _due, amount in schedule) == loan["principal"]
    assert all(amount >= 0 for _due, amount in schedule)
    dues = [due for due, _amount in schedule]
    assert dues == sorted(set(dues))
    assert dues[0] == loan["first_due"]


@SETTINGS
@given(loan=loans, repaid=st.integers(min_value=-10, max_value=2 * 10**10), as_of=days)
def test_loan_status_invariants(loan, repaid, as_of):
    status = bk.loan_status(**loan, repaid=repaid, as_of=as_of)
    principal = loan["principal"]
    assert 0 <= status.repaid <= principal
    assert status.outstanding + status.repaid == principal
    assert 0 <= status.due_to_date <= principal
    assert 0 <= status.overdue <= status.due_to_date
    assert status.overdue == max(0, status.due_to_date - status.repaid)
    assert status.days_past_due >= 0
    assert status.bucket == bk.aging_bucket(status.days_past_due)
    if status.repaid >= status.due_to_date:
        assert status.days_past_due == 0
        assert status.bucket == "current"
    if status.days_past_due > 0:
        assert status.overdue > 0
    if as_of < loan["first_due"]:
        assert status.due_to_date == 0 and status.days_past_due == 0


@SETTINGS
@given(loan=loans, repaid=st.integers(min_value=0, max_value=10**10), as_of=days, later=st.integers(0, 2000))
def test_time_only_adds_to_what_is_due_and_how_late_it_is(loan, repaid, as_of, later):
    now = bk.loan_status(**loan, repaid=repaid, as_of=as_of)
    then = bk.loan_status(**loan, repaid=repaid, as_of=as_of + dt.timedelta(days=later))
    assert then.due_to_date >= now.due_to_date
    assert then.days_past_due >= now.days_past_due


@SETTINGS
@given(loan=loans, as_of=days, extra=st.integers(min_value=0, max_value=10**10))
def test_paying_more_never_makes_a_loan_later(loan, as_of, extra):
    base = bk.loan_status(**loan, repaid=loan["principal"] // 3, as_of=as_of)
    more = bk.loan_status(**loan, repaid=loan["principal"] // 3 + extra, as_of=as_of)
    assert more.days_past_due <= base.days_past_due
    assert more.overdue <= base.overdue
