"""Editing a KUBE's chart of accounts: add an account, rename it, retire it. Balances are never edited."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from berdaya.core.models import User
from berdaya.core.services import audit_record
from berdaya.engine import bookkeeping as bk
from berdaya.kube.models import Kube
from berdaya.ledger.models import Account, AccountType
from berdaya.ledger.services.posting import LedgerError, book_open

# The first digit of a code says the account's kind, as in the default chart; the operations rely on it.
TYPE_DIGIT = {"1": AccountType.ASSET, "2": AccountType.LIABILITY, "3": AccountType.EQUITY, "4": AccountType.INCOME,
              "5": AccountType.EXPENSE}  # fmt: skip
# Accounts the plain-word operations post to: they may be renamed but never retired.
OPERATION_ACCOUNTS = frozenset(code for code, _name, _kind in bk.DEFAULT_CHART) - {bk.INVENTORY}
_CODE = re.compile(r"^[1-5]\d{3}$")


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise LedgerError(_("Nama akun wajib diisi."))
    if len(name) > 80:
        raise LedgerError(_("Nama akun paling panjang 80 huruf."))
    return name


@transaction.atomic
def account_create(*, actor: User | None, kube: Kube, code: str, name: str) -> Account:
    """Add an account to one KUBE's books. `code` is four digits whose first says the kind (1 harta … 5 beban)."""
    book_open(kube=kube, actor=actor)
    code = (code or "").strip()
    if not _CODE.match(code):
        raise LedgerError(
            _("Kode akun harus 4 angka diawali 1–5 (1 harta, 2 kewajiban, 3 modal, 4 pendapatan, 5 beban).")
        )
    if Account.objects.filter(kube=kube, code=code).exists():
        raise LedgerError(_("Kode akun %(code)s sudah ada di buku ini.") % {"code": code})
    account = Account.objects.create(kube=kube, code=code, name=_clean_name(name), type=TYPE_DIGIT[code[0]])
    audit_record(
        actor=actor,
        action="ledger.account_create",
        object_type="ledger.Account",
        object_id=account.pk,
        changes={"kube": kube.pk, "code": code, "name": account.name},
    )
    return account


@transaction.atomic
def account_update(*, actor: User | None, account: Account, name: str, active: bool) -> Account:
    """Rename an account or retire it (only with a zero balance, and never one the operations use)."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = {"name": account.name, "active": account.active}
    name = _clean_name(name)
    if not active and account.active:
        if account.code in OPERATION_ACCOUNTS:
            raise LedgerError(
                _("Akun %(account)s dipakai transaksi harian dan tidak bisa dinonaktifkan.") % {"account": account}
            )
        if account.balance != 0:
            raise LedgerError(
                _("Akun %(account)s masih bersaldo; kosongkan dulu sebelum dinonaktifkan.") % {"account": account}
            )
    account.name, account.active = name, bool(active)
    account.save(update_fields=["name", "active"])
    audit_record(
        actor=actor,
        action="ledger.account_update",
        object_type="ledger.Account",
        object_id=account.pk,
        changes={"before": before, "after": {"name": account.name, "active": account.active}},
    )
    return account
