"""The write side of a KUBE's books (spec §7): the books home, one plain-word form per operation, the general
entry, the journal with its entries and reversals, the chart of accounts, and closing a month.

Views are thin: `book_kube_for_user` fetches the KUBE (404 outside the user's scope), `can_post`,
`can_close_month` or `can_edit_accounts` decide writes (403), a form checks the shape of the input and one
posting service writes. A LedgerError re-shows the form with the message and what was typed.

The posting forms are `data-offline` forms (static/berdaya/offline-forms.js), like the pendamping's meeting
form: the phone sends them with `X-Berdaya-Form: fetch` and gets JSON back, and re-sends them from its
outbox when the signal was lost. Each carries a key made when the form was opened, which the services
store with the entry, so a form sent twice posts once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from berdaya.core.offline import json_refusals, offline_texts, refused, saved
from berdaya.core.templatetags.berdaya import rupiah, tanggal
from berdaya.engine import bookkeeping as bk
from berdaya.kube.models import Kube
from berdaya.ledger.forms import (
    HINTS,
    AccountCreateForm,
    AccountEditForm,
    ManualEntryForm,
    MonthCloseForm,
    OperationForm,
    ReverseForm,
    money_comes_in,
)
from berdaya.ledger.models import Account, AccountType, Book, JournalEntry, Operation
from berdaya.ledger.selectors import (
    book_kube_for_user,
    can_close_month,
    can_edit_accounts,
    can_post,
    iks_suggestion,
    loan_fee_suggestion,
    member_balances,
    member_names,
)
from berdaya.ledger.services import (
    LedgerError,
    account_create,
    account_update,
    book_open,
    entry_post,
    entry_reverse,
    month_close,
    operation_post,
)
from berdaya.ledger.services.posting import POSTING_STATES

# The phone script's messages are the same for every offline form; the mentoring pages own them.

# The operation buttons of the books home, grouped the way a treasurer thinks of their day.
OPERATION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (gettext_lazy("Uang masuk"), ("sale", "other_income", "own_capital", "aid_received")),
    (gettext_lazy("Uang keluar"), ("purchase", "expense", "wages", "equipment")),
    (gettext_lazy("Anggota"), ("loan_out", "repayment", "savings_in", "savings_out")),
    (gettext_lazy("Dana & SHU"), ("iks_allocation", "iks_payout", "shu_distribution")),
    (gettext_lazy("Lainnya"), ("to_bank", "from_bank", "depreciation")),
)
# The report pages (views_reports.py); a name that does not resolve yet is left out of the links.
REPORTS: tuple[tuple[str, str], ...] = (
    ("ledger:cash_book", gettext_lazy("Buku kas")),
    ("ledger:income_statement", gettext_lazy("Laba-rugi")),
    ("ledger:balance_sheet", gettext_lazy("Neraca")),
    ("ledger:trial_balance", gettext_lazy("Neraca saldo")),
    ("ledger:loan_ledger", gettext_lazy("Pinjaman anggota")),
    ("ledger:iks_fund", gettext_lazy("Dana IKS")),
    ("ledger:metrics", gettext_lazy("Ukuran kinerja")),
)
RECENT_ENTRIES = 10
JOURNAL_PAGE_SIZE = 50


# ---------------------------------------------------------------- helpers


_json_refusals = json_refusals(
    forbidden=gettext_lazy("Anda tidak berhak mengubah buku KUBE ini."),
    not_found=gettext_lazy("Buku KUBE ini tidak ditemukan."),
)


def _kube(request, kube_id: int, may: Callable | None = None) -> Kube:
    """The KUBE whose books the user may open (404 otherwise) and, given `may`, may change (403 otherwise)."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    if may is not None and not may(request.user, kube):
        raise PermissionDenied
    return kube


def _entry(kube: Kube, entry_id: int) -> JournalEntry:
    """An entry of this KUBE's books; another KUBE's entry is 404 even to someone who may read both."""
    return get_object_or_404(JournalEntry.objects.select_related("posted_by"), pk=entry_id, kube=kube)


def _report_links(kube: Kube) -> list[tuple[str, str]]:
    links = []
    for name, label in REPORTS:
        try:
            links.append((str(label), reverse(name, args=[kube.pk])))
        except NoReverseMatch:
            continue
    return links


def _permissions(user, kube: Kube) -> dict[str, bool]:
    open_for_posting = kube.state in POSTING_STATES
    return {
        "may_post": open_for_posting and can_post(user, kube),
        "may_close": can_close_month(user, kube),
        "may_edit_accounts": can_edit_accounts(user, kube),
    }


def _label(kind: str) -> str:
    """The operation's name in the user's language (the model's translated choice, else the engine's)."""
    return Operation(kind).label if kind in Operation.values else bk.OPERATIONS[kind].label


def _operation_groups() -> list[tuple[str, tuple[str, ...]]]:
    """OPERATION_GROUPS, with any operation the engine gains later under "Lainnya" rather than missing."""
    grouped = {kind for _title, kinds in OPERATION_GROUPS for kind in kinds}
    extra = tuple(kind for kind in bk.OPERATIONS if kind not in grouped)
    groups = list(OPERATION_GROUPS)
    title, kinds = groups[-1]
    groups[-1] = (title, kinds + extra)
    return groups


def _balances(kube: Kube) -> dict[str, Account]:
    return {a.code: a for a in Account.objects.filter(kube=kube)}


def _entries_listing(kube: Kube):
    """Entries newest first with what the lists show, in one query (no per-row lookups)."""
    reversed_by = JournalEntry.objects.filter(reverses=OuterRef("pk"))
    return (
        JournalEntry.objects.filter(kube=kube)
        .annotate(is_reversed=Exists(reversed_by), reverses_number=F("reverses__number"))
        .only("id", "kube_id", "number", "date", "operation", "description", "total", "reverses_id")
        .order_by("-date", "-number")
    )


def _operation_context(kube: Kube, kind: str) -> tuple[dict, dict]:
    """(form arguments, template extras) for one operation: the member picker with what each member owes
    or holds, the expense accounts, the suggested amounts."""
    form_args: dict = {}
    extras: dict = {}
    operation = bk.OPERATIONS[kind]
    if operation.member:
        if kind in ("loan_out", "savings_in"):
            names = member_names(kube, live_only=True)
            form_args["members"] = list(names.items())
        elif kind == "repayment":
            names = member_names(kube, live_only=False)
            owed = member_balances(kube, bk.LOANS)
            fees = {pk: loan_fee_suggestion(owed[pk]) for pk in names if owed.get(pk, 0) > 0}
            form_args["members"] = [
                (pk, _("%(name)s — sisa pinjaman %(owed)s") % {"name": name, "owed": rupiah(owed[pk])})
                for pk, name in names.items()
                if pk in fees
            ]
            extras["fee_suggestions"] = {str(pk): fee for pk, fee in fees.items()}
            extras["fee_percent"] = int(settings.BERDAYA.get("LOAN_FEE_PERCENT", 1))
        else:  # savings_out
            names = member_names(kube, live_only=False)
            held = {pk: -balance for pk, balance in member_balances(kube, bk.SAVINGS).items()}
            form_args["members"] = [
                (pk, _("%(name)s — simpanan %(held)s") % {"name": name, "held": rupiah(held[pk])})
                for pk, name in names.items()
                if held.get(pk, 0) > 0
            ]
    if kind == "expense":
        form_args["expense_accounts"] = list(
            Account.objects.filter(kube=kube, type=AccountType.EXPENSE, active=True).order_by("code")
        )
    if kind == "iks_allocation":
        extras["iks"] = iks_suggestion(kube)
        form_args["suggested_amount"] = extras["iks"]["amount"]
    return form_args, extras


# ---------------------------------------------------------------- views


@login_required
def books_home(request, kube_id: int):
    """The books of one KUBE: balances, one big button per plain-word operation, the latest entries, links
    to the reports, and how far the months are closed. Offers to open the books when there are none yet."""
    kube = _kube(request, kube_id)
    book = Book.objects.filter(kube=kube).first()
    permissions = _permissions(request.user, kube)
    context = {"kube": kube, "book": book, **permissions}
    if book is None:
        context["may_open"] = can_post(request.user, kube)
        return render(request, "ledger/books_home.html", context)
    accounts = _balances(kube)

    def shown(code: str) -> int:
        account = accounts.get(code)
        return bk.normal_balance(account.balance, account.type) if account else 0

    context.update(
        {
            "balances": [
                ("kas", _("Kas"), shown(bk.KAS)),
                ("bank", _("Bank"), shown(bk.BANK)),
                ("loans", _("Pinjaman anggota beredar"), shown(bk.LOANS)),
                ("savings", _("Simpanan anggota"), shown(bk.SAVINGS)),
                ("iks", _("Dana IKS"), shown(bk.IKS)),
            ],
            "groups": [
                (title, [(kind, _label(kind), money_comes_in(kind)) for kind in kinds])
                for title, kinds in _operation_groups()
            ],
            "recent": list(_entries_listing(kube)[:RECENT_ENTRIES]),
            "reports": _report_links(kube),
        }
    )
    return render(request, "ledger/books_home.html", context)


@login_required
@require_POST
def books_open(request, kube_id: int):
    """Open the KUBE's books with the default chart (idempotent: opening twice changes nothing)."""
    kube = _kube(request, kube_id, can_post)
    book_open(kube=kube, actor=request.user)
    messages.success(request, _("Buku %(kube)s sudah dibuka dengan bagan akun bawaan.") % {"kube": kube.name})
    return redirect("ledger:books", kube_id=kube.pk)


@login_required
@require_http_methods(["GET", "POST"])
@_json_refusals
def operation_new(request, kube_id: int, kind: str):
    """Record one plain-word operation (a sale, a loan, a repayment, …) with no debit or credit in sight."""
    if kind not in bk.OPERATIONS:
        raise Http404
    kube = _kube(request, kube_id, can_post)
    if request.method == "GET" and not Book.objects.filter(kube=kube).exists():
        return redirect("ledger:books", kube_id=kube.pk)
    form_args, extras = _operation_context(kube, kind)
    form = OperationForm(request.POST or None, kind=kind, **form_args)
    context = {
        "kube": kube,
        "kind": kind,
        "label": _label(kind),
        "hint": HINTS.get(kind, ""),
        "offline_texts": offline_texts(),
        **extras,
    }
    if request.method == "POST" and form.is_valid():
        try:
            entry = operation_post(actor=request.user, kube=kube, **form.service_arguments())
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            message = _("%(label)s %(amount)s tercatat (jurnal #%(number)s, %(date)s).") % {
                "label": _label(kind),
                "amount": rupiah(entry.total),
                "number": entry.number,
                "date": tanggal(entry.date),
            }
            return saved(request, reverse("ledger:books", args=[kube.pk]), message)
    if request.method == "POST":
        return refused(request, form, "ledger/books_operation.html", context)
    return render(request, "ledger/books_operation.html", {**context, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
@_json_refusals
def manual_entry(request, kube_id: int):
    """A general entry (jurnal umum) for someone who knows debit from credit: up to six lines."""
    kube = _kube(request, kube_id, can_post)
    if request.method == "GET" and not Book.objects.filter(kube=kube).exists():
        return redirect("ledger:books", kube_id=kube.pk)
    accounts = list(Account.objects.filter(kube=kube, active=True).order_by("code"))
    form = ManualEntryForm(request.POST or None, accounts=accounts)
    context = {"kube": kube, "offline_texts": offline_texts()}
    if request.method == "POST" and form.is_valid():
        try:
            entry = entry_post(
                actor=request.user,
                kube=kube,
                date=form.cleaned_data["date"],
                lines=form.cleaned_data["lines"],
                description=form.cleaned_data["description"],
                idempotency_key=form.cleaned_data["client_uuid"],
            )
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            message = _("Jurnal umum #%(number)s sebesar %(amount)s tercatat.") % {
                "number": entry.number,
                "amount": rupiah(entry.total),
            }
            return saved(request, reverse("ledger:entry", args=[kube.pk, entry.pk]), message)
    if request.method == "POST":
        return refused(request, form, "ledger/books_manual.html", context)
    return render(request, "ledger/books_manual.html", {**context, "form": form})


def _month_filter(text: str) -> dt.date | None:
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        return None


@login_required
def journal(request, kube_id: int):
    """Every entry of the KUBE, newest first, fifty to a page (LIMIT/OFFSET in SQL), optionally one month."""
    kube = _kube(request, kube_id)
    entries = _entries_listing(kube)
    month = _month_filter(request.GET.get("bulan", ""))
    if month is not None:
        entries = entries.filter(date__gte=month, date__lt=bk.months_after(month, 1))
    page = Paginator(entries, JOURNAL_PAGE_SIZE).get_page(request.GET.get("hal"))
    return render(
        request,
        "ledger/books_journal.html",
        {"kube": kube, "page": page, "month": month, **_permissions(request.user, kube)},
    )


def _entry_context(request, kube: Kube, entry: JournalEntry) -> dict:
    reversal = JournalEntry.objects.filter(reverses=entry).only("id", "number", "date").first()
    reversible = entry.operation not in (Operation.REVERSAL, Operation.YEAR_CLOSE) and reversal is None
    return {
        "kube": kube,
        "entry": entry,
        "lines": entry.lines.select_related("account").order_by("id"),
        "reversal": reversal,
        "original": entry.reverses,
        "member_name": member_names(kube, live_only=False).get(entry.member_id) if entry.member_id else None,
        "may_reverse": reversible and can_post(request.user, kube),
        "offline_texts": offline_texts(),
    }


@login_required
def entry_detail(request, kube_id: int, entry_id: int):
    """One entry with its lines, who posted it, its reversal links and, if allowed, the form to reverse it."""
    kube = _kube(request, kube_id)
    entry = _entry(kube, entry_id)
    return render(request, "ledger/books_entry.html", {**_entry_context(request, kube, entry), "form": ReverseForm()})


@login_required
@require_POST
@_json_refusals
def entry_reverse_view(request, kube_id: int, entry_id: int):
    """Cancel an entry with a reversing entry (a reason is required); the original stays in the journal."""
    kube = _kube(request, kube_id, can_post)
    entry = _entry(kube, entry_id)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = entry_reverse(
                actor=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["client_uuid"],
            )
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            message = _("Jurnal #%(number)s dibatalkan dengan jurnal pembalik #%(reversal)s.") % {
                "number": entry.number,
                "reversal": reversal.number,
            }
            return saved(request, reverse("ledger:entry", args=[kube.pk, entry.pk]), message)
    return refused(request, form, "ledger/books_entry.html", _entry_context(request, kube, entry))


@login_required
@require_http_methods(["GET", "POST"])
def accounts(request, kube_id: int):
    """The chart of accounts with balances on each account's normal side, and the form to add one."""
    kube = _kube(request, kube_id)
    may_edit = can_edit_accounts(request.user, kube)
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                account = account_create(actor=request.user, kube=kube, **form.cleaned_data)
            except LedgerError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Akun %(account)s ditambahkan.") % {"account": account})
                return redirect("ledger:accounts", kube_id=kube.pk)
    rows = [
        (account, bk.normal_balance(account.balance, account.type))
        for account in Account.objects.filter(kube=kube).order_by("code")
    ]
    return render(
        request,
        "ledger/books_accounts.html",
        {"kube": kube, "rows": rows, "form": form, "may_edit_accounts": may_edit},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, kube_id: int, account_id: int):
    """Rename an account or retire it (the service refuses to retire one in use or with a balance)."""
    kube = _kube(request, kube_id, can_edit_accounts)
    account = get_object_or_404(Account, pk=account_id, kube=kube)
    form = AccountEditForm(request.POST or None, initial={"name": account.name, "active": account.active})
    if request.method == "POST" and form.is_valid():
        try:
            account = account_update(actor=request.user, account=account, **form.cleaned_data)
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Akun %(account)s disimpan.") % {"account": account})
            return redirect("ledger:accounts", kube_id=kube.pk)
    return render(
        request,
        "ledger/books_account_edit.html",
        {"kube": kube, "account": account, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def month_close_view(request, kube_id: int):
    """How far the books are closed, and the form to close through the end of a month."""
    kube = _kube(request, kube_id)
    may_close = can_close_month(request.user, kube)
    book = Book.objects.filter(kube=kube).first()
    closed = book.closed_through if book else None
    # Suggest the month after the last one closed, or last month: the usual next step.
    suggested = closed + dt.timedelta(days=1) if closed else timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    form = MonthCloseForm(request.POST or None, initial={"month": suggested.strftime("%Y-%m")})
    if request.method == "POST":
        if not may_close:
            raise PermissionDenied
        if form.is_valid():
            try:
                book = month_close(actor=request.user, kube=kube, month=form.cleaned_data["month"])
            except LedgerError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Buku ditutup sampai %(date)s.") % {"date": tanggal(book.closed_through)})
                return redirect("ledger:month_close", kube_id=kube.pk)
    return render(
        request,
        "ledger/books_month_close.html",
        {"kube": kube, "closed": closed, "form": form, "may_close": may_close},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("<int:kube_id>/", books_home, name="books"),
    path("<int:kube_id>/buka/", books_open, name="open"),
    path("<int:kube_id>/catat/<slug:kind>/", operation_new, name="operation"),
    path("<int:kube_id>/jurnal-umum/", manual_entry, name="manual_entry"),
    path("<int:kube_id>/jurnal/", journal, name="journal"),
    path("<int:kube_id>/jurnal/<int:entry_id>/", entry_detail, name="entry"),
    path("<int:kube_id>/jurnal/<int:entry_id>/batal/", entry_reverse_view, name="reverse"),
    path("<int:kube_id>/akun/", accounts, name="accounts"),
    path("<int:kube_id>/akun/<int:account_id>/", account_edit, name="account_edit"),
    path("<int:kube_id>/tutup-bulan/", month_close_view, name="month_close"),
]
