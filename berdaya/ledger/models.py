"""One set of double-entry books per KUBE (spec §7): the book, its accounts, journal entries and lines,
and the member loans whose repayments the books carry.

What must never break is guarded by the database as well as by the services: a line is a positive debit
or a positive credit (CheckConstraint), entry numbers and idempotency keys are unique per KUBE, a posted
entry or line cannot be changed, a line's account belongs to the same KUBE as its entry, and on
PostgreSQL an entry whose lines do not balance cannot commit (triggers in migration 0002).
Writes go through `berdaya.ledger.services`; nothing here has business logic.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from berdaya.engine.bookkeeping import AccountType as EngineAccountType
from berdaya.kube.models import Kube, Membership


class AccountType(models.TextChoices):
    ASSET = EngineAccountType.ASSET.value, _("Harta (aset)")
    LIABILITY = EngineAccountType.LIABILITY.value, _("Kewajiban")
    EQUITY = EngineAccountType.EQUITY.value, _("Modal")
    INCOME = EngineAccountType.INCOME.value, _("Pendapatan")
    EXPENSE = EngineAccountType.EXPENSE.value, _("Beban")


class Operation(models.TextChoices):
    """The plain-word operations (engine.bookkeeping.OPERATIONS) plus the entries only the system makes."""

    AID_RECEIVED = "aid_received", _("Terima bantuan UEP")
    SALE = "sale", _("Penjualan")
    PURCHASE = "purchase", _("Beli bahan")
    EQUIPMENT = "equipment", _("Beli peralatan")
    EXPENSE = "expense", _("Biaya operasional")
    WAGES = "wages", _("Bayar upah")
    LOAN_OUT = "loan_out", pgettext_lazy("ledger operation: lend to a member", "Pinjaman anggota")
    REPAYMENT = "repayment", _("Angsuran pinjaman")
    SAVINGS_IN = "savings_in", _("Simpanan masuk")
    SAVINGS_OUT = "savings_out", _("Simpanan keluar")
    IKS_ALLOCATION = "iks_allocation", _("Alokasi IKS")
    IKS_PAYOUT = "iks_payout", _("Penyaluran dana IKS")
    SHU_DISTRIBUTION = "shu_distribution", _("Bagi SHU")
    OWN_CAPITAL = "own_capital", _("Modal swadaya")
    OTHER_INCOME = "other_income", _("Pendapatan lain")
    TO_BANK = "to_bank", _("Setor kas ke bank")
    FROM_BANK = "from_bank", _("Tarik dari bank ke kas")
    DEPRECIATION = "depreciation", _("Penyusutan peralatan")
    MANUAL = "manual", _("Jurnal umum")
    REVERSAL = "reversal", _("Jurnal pembalik")
    YEAR_CLOSE = "year_close", _("Tutup buku tahunan")


class Book(models.Model):
    """A KUBE's books. Posting locks this row, so entries of one KUBE are numbered without gaps or
    duplicates however many people post at once; `closed_through` is the last day nothing may post into."""

    kube = models.OneToOneField(Kube, primary_key=True, on_delete=models.PROTECT, related_name="book")
    closed_through = models.DateField(null=True, blank=True)
    next_number = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("buku KUBE")
        verbose_name_plural = _("buku KUBE")

    def __str__(self) -> str:
        return str(self.kube)


class Account(models.Model):
    kube = models.ForeignKey(Kube, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(max_length=8)
    name = models.CharField(max_length=80)
    type = models.CharField(max_length=10, choices=AccountType.choices)
    active = models.BooleanField(default=True)
    # Debit minus credit over every posted line, kept by the posting service under the book's lock so the
    # pages need not sum a KUBE's whole history; a property test checks it against the lines.
    balance = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["kube_id", "code"]
        constraints = [models.UniqueConstraint(fields=["kube", "code"], name="account_code_unique_in_book")]
        verbose_name = _("akun")
        verbose_name_plural = _("akun")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MemberLoan(models.Model):
    """A loan from the group's fund to one member: the schedule the arrears are measured against.

    The money itself is in the books: the loan-out entry and every repayment carry `loan`, so what is
    outstanding is the sum of their lines on Piutang pinjaman anggota (a reversal included).
    """

    kube = models.ForeignKey(Kube, on_delete=models.PROTECT, related_name="loans")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="loans")
    principal = models.BigIntegerField()
    term_months = models.PositiveSmallIntegerField()
    first_due_on = models.DateField()
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)  # jasa per month, as agreed
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kube_id", "first_due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(condition=Q(term_months__gte=1, term_months__lte=60), name="loan_term_range"),
        ]
        verbose_name = _("pinjaman anggota")
        verbose_name_plural = _("pinjaman anggota")

    def __str__(self) -> str:
        return f"{self.kube} #{self.pk} Rp{self.principal:,}"


class JournalEntry(models.Model):
    kube = models.ForeignKey(Kube, on_delete=models.PROTECT, related_name="journal_entries")
    number = models.PositiveIntegerField()
    date = models.DateField()
    operation = models.CharField(max_length=20, choices=Operation.choices)
    description = models.CharField(max_length=200, blank=True)
    member = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    loan = models.ForeignKey(MemberLoan, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    # A form carries a key generated when it was opened: a double submit (or the phone's outbox resending)
    # finds the entry already posted instead of posting twice.
    idempotency_key = models.CharField(max_length=64, blank=True)
    total = models.BigIntegerField()  # the sum of the debits (= the sum of the credits)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kube_id", "date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["kube", "number"], name="entry_number_unique_in_book"),
            models.UniqueConstraint(
                fields=["kube", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="entry_idempotency_key_unique_in_book",
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="entry_total_positive"),
        ]
        indexes = [models.Index(fields=["kube", "date", "number"], name="entry_kube_date")]
        verbose_name = _("jurnal")
        verbose_name_plural = _("jurnal")

    def __str__(self) -> str:
        return f"{self.kube} #{self.number} {self.date}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    # Copies of the entry's KUBE and date: the reports filter lines by account and date without a join,
    # and the database checks the copies agree with the entry and the account (migration 0002).
    kube = models.ForeignKey(Kube, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["entry_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="line_one_positive_side",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "date"], name="line_account_date"),
            models.Index(fields=["kube", "date"], name="line_kube_date"),
        ]
        verbose_name = _("baris jurnal")
        verbose_name_plural = _("baris jurnal")

    def __str__(self) -> str:
        side = f"D {self.debit:,}" if self.debit else f"K {self.credit:,}"
        return f"{self.account_id} {side}"
