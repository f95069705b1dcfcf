"""Forms of the books pages (spec §7): what a treasurer types on a phone, checked for shape only.

The bookkeeping rules (amounts, balances, closed months, which accounts) are the posting services'; a
form only makes sure the fields are there and of the right kind, and hands the raw text on. Amounts stay
text here on purpose: `operation_post` reads "1.500.000" with the same rules as the CLI and the API, so a
treasurer gets the same answer wherever they type it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from berdaya.engine import bookkeeping as bk
from berdaya.ledger.models import Account

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# "decimal" brings up a keypad with the dot on Android keyboards; "numeric" often hides it.
AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "1.500.000"}
MANUAL_LINES = 6

CASH_CHOICES = [(bk.KAS, gettext_lazy("Kas (uang tunai)")), (bk.BANK, gettext_lazy("Bank (rekening KUBE)"))]

# One sentence per operation saying, in plain words, what it records.
HINTS = {
    "aid_received": gettext_lazy(
        "Bantuan UEP yang dibayar lewat halaman KUBE sudah tercatat otomatis; pakai ini hanya untuk bantuan lain."
    ),
    "sale": gettext_lazy("Uang hasil penjualan yang diterima."),
    "purchase": gettext_lazy("Uang yang dibayar untuk bahan baku usaha."),
    "equipment": gettext_lazy("Uang yang dibayar untuk alat usaha yang dipakai lama."),
    "expense": gettext_lazy("Biaya usaha sehari-hari: transpor, listrik, kemasan, dan sejenisnya."),
    "wages": gettext_lazy("Upah yang dibayar kepada pekerja."),
    "loan_out": gettext_lazy("Uang kelompok yang dipinjamkan kepada seorang anggota."),
    "repayment": gettext_lazy("Angsuran yang dibayar anggota: pokok pinjaman dan jasanya."),
    "savings_in": gettext_lazy("Simpanan yang disetor anggota ke kelompok."),
    "savings_out": gettext_lazy("Simpanan yang diambil kembali oleh anggota."),
    "iks_allocation": gettext_lazy("Menyisihkan sebagian SHU untuk dana Iuran Kesetiakawanan Sosial (IKS)."),
    "iks_payout": gettext_lazy("Dana IKS yang disalurkan kepada warga yang membutuhkan."),
    "shu_distribution": gettext_lazy("SHU yang dibagikan kepada anggota."),
    "own_capital": gettext_lazy("Modal yang disetor sendiri oleh anggota (swadaya)."),
    "other_income": gettext_lazy("Uang masuk selain penjualan dan jasa pinjaman."),
    "to_bank": gettext_lazy("Uang tunai dari kas yang disetor ke rekening bank KUBE."),
    "from_bank": gettext_lazy("Uang yang ditarik dari rekening bank KUBE ke kas."),
    "depreciation": gettext_lazy("Penyusutan nilai peralatan (tidak ada uang yang keluar)."),
}


def dots(value: int) -> str:
    """1500000 -> "1.500.000", the way a treasurer types it back."""
    return f"{value:,}".replace(",", ".")


def _amount_problem(error: bk.BookError) -> str:
    """The engine's amount refusals in the user's language (the engine's own text is Indonesian only)."""
    if error.code == "too_large":
        return _("Jumlah %(text)s terlalu besar.") % error.params
    return _("'%(text)s' bukan jumlah rupiah yang sah (contoh: 1.500.000).") % error.params


def _checked_amount(text: str, *, allow_zero: bool) -> int:
    """The amount the engine reads from `text`, or a ValidationError in the user's language."""
    try:
        value = bk.parse_rupiah(text)
    except bk.BookError as error:
        raise forms.ValidationError(_amount_problem(error)) from error
    if value == 0 and not allow_zero:
        raise forms.ValidationError(_("Jumlah harus lebih dari Rp0."))
    return value


def new_key() -> str:
    """The idempotency key a form carries from the moment it is opened (the phone's script may replace it)."""
    return str(uuid.uuid4())


def _key_field() -> forms.CharField:
    # Named like the mentoring forms' key so the phone's outbox script (offline-forms.js) fills and keeps it.
    return forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


def _today_max(field: forms.Field) -> None:
    today = timezone.localdate()
    field.initial = today
    field.widget.attrs["max"] = today.isoformat()


def _amount_field(label, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=30,
        required=required,
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
        error_messages={"required": gettext_lazy("Isi jumlah rupiah, misalnya 1.500.000.")},
    )


def uses_cash(kind: str) -> bool:
    """Whether the treasurer chooses Kas or Bank for this operation."""
    operation = bk.OPERATIONS[kind]
    return "cash" in (operation.debit, operation.credit)


def money_comes_in(kind: str) -> bool:
    return bk.OPERATIONS[kind].debit == "cash"


class OperationForm(forms.Form):
    """One plain-word operation. Fields that do not apply to `kind` are removed in `__init__`."""

    date = forms.DateField(label=gettext_lazy("Tanggal"), widget=DATE_WIDGET)
    member = forms.TypedChoiceField(
        label=gettext_lazy("Anggota"),
        coerce=int,
        choices=(),
        error_messages={"required": gettext_lazy("Pilih anggota."), "invalid_choice": gettext_lazy("Pilih anggota.")},
    )
    amount = _amount_field(gettext_lazy("Jumlah (Rp)"))
    fee = _amount_field(gettext_lazy("Jasa pinjaman (Rp)"), required=False)
    term_months = forms.IntegerField(label=gettext_lazy("Lama pinjaman (bulan)"), min_value=1, max_value=60)
    account = forms.ChoiceField(label=gettext_lazy("Jenis biaya"), choices=())
    cash = forms.ChoiceField(choices=CASH_CHOICES, widget=forms.RadioSelect)
    description = forms.CharField(
        label=gettext_lazy("Keterangan (opsional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    client_uuid = _key_field()

    def __init__(
        self,
        *args,
        kind: str,
        members: list[tuple[int, str]] | None = None,
        expense_accounts: list[Account] | None = None,
        suggested_amount: int | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        operation = bk.OPERATIONS[kind]
        _today_max(self.fields["date"])
        self.fields["client_uuid"].initial = new_key()
        if operation.member:
            self.fields["member"].choices = [("", _("— pilih anggota —")), *members] if members else [("", "—")]
        else:
            del self.fields["member"]
        if kind == "repayment":
            self.fields["amount"].label = _("Angsuran pokok (Rp)")
        else:
            del self.fields["fee"]
        if kind == "loan_out":
            self.fields["term_months"].initial = int(settings.BERDAYA.get("LOAN_TERM_MONTHS", 10))
        else:
            del self.fields["term_months"]
        if kind == "expense" and expense_accounts:
            self.fields["account"].choices = [(a.code, f"{a.code} {a.name}") for a in expense_accounts]
            self.fields["account"].initial = bk.OPERATING
        else:
            del self.fields["account"]
        if uses_cash(kind):
            self.fields["cash"].initial = operation.default_cash
            self.fields["cash"].label = _("Uang diterima di") if money_comes_in(kind) else _("Dibayar dari")
        else:
            del self.fields["cash"]
        if suggested_amount:
            self.fields["amount"].initial = dots(suggested_amount)

    # The engine's amount rules are checked here as well as in the service: the field then carries its own
    # message, and a refused amount never reaches the service's message table (see the report on
    # posting._book_message). The raw text is still what the service receives and parses.
    def clean_amount(self) -> str:
        text = self.cleaned_data["amount"].strip()
        if _checked_amount(text, allow_zero=False) == 0:
            raise forms.ValidationError(_("Jumlah harus lebih dari Rp0."))
        return text

    def clean_fee(self) -> str:
        text = (self.cleaned_data.get("fee") or "").strip()
        if text:
            _checked_amount(text, allow_zero=True)
        return text

    def service_arguments(self) -> dict:
        """The keyword arguments of `operation_post` from the cleaned fields; amounts stay raw text."""
        data = self.cleaned_data
        return {
            "kind": self.kind,
            "date": data["date"],
            "amount": data["amount"],
            "cash": data.get("cash") or None,
            "fee": data.get("fee") or 0,
            "account": data.get("account") or None,
            "member": data.get("member"),
            "term_months": data.get("term_months"),
            "description": data.get("description", ""),
            "idempotency_key": data.get("client_uuid", ""),
        }


class ManualEntryForm(forms.Form):
    """A general entry: up to MANUAL_LINES rows of account, debit, credit. Rows left empty are skipped.

    Each row is checked here with its own number (a row the treasurer sees as 4 stays 4 even when row 2
    is empty); the balance, the dates and the accounts' membership are the service's to check.
    """

    date = forms.DateField(label=gettext_lazy("Tanggal"), widget=DATE_WIDGET)
    description = forms.CharField(label=gettext_lazy("Keterangan"), max_length=200)
    client_uuid = _key_field()

    def __init__(self, *args, accounts: list[Account], **kwargs):
        super().__init__(*args, **kwargs)
        _today_max(self.fields["date"])
        self.fields["client_uuid"].initial = new_key()
        choices = [("", "—"), *((str(a.pk), f"{a.code} {a.name}") for a in accounts)]
        for row in range(1, MANUAL_LINES + 1):
            self.fields[f"account_{row}"] = forms.ChoiceField(label=_("Akun"), choices=choices, required=False)
            self.fields[f"debit_{row}"] = _amount_field(_("Debit"), required=False)
            self.fields[f"credit_{row}"] = _amount_field(_("Kredit"), required=False)
            self.fields[f"debit_{row}"].widget.attrs["placeholder"] = "0"
            self.fields[f"credit_{row}"].widget.attrs["placeholder"] = "0"

    def rows(self):
        """(row number, account field, debit field, credit field) for the template."""
        return [
            (row, self[f"account_{row}"], self[f"debit_{row}"], self[f"credit_{row}"])
            for row in range(1, MANUAL_LINES + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        lines = []
        for row in range(1, MANUAL_LINES + 1):
            account = cleaned.get(f"account_{row}")
            texts = [(cleaned.get(f"{side}_{row}") or "").strip() for side in ("debit", "credit")]
            if not account and not any(texts):
                continue
            if not account:
                self.add_error(f"account_{row}", _("Baris %(row)s: pilih akunnya.") % {"row": row})
                continue
            try:
                debit, credit = (bk.parse_rupiah(text) if text else 0 for text in texts)
            except bk.BookError as error:
                self.add_error(None, _("Baris %(row)s: %(problem)s") % {"row": row, "problem": _amount_problem(error)})
                continue
            if debit and credit:
                self.add_error(None, _("Baris %(row)s: isi debit atau kredit, jangan keduanya.") % {"row": row})
            elif not (debit or credit):
                self.add_error(None, _("Baris %(row)s: isi jumlah debit atau kredit.") % {"row": row})
            else:
                lines.append({"account": int(account), "debit": debit, "credit": credit})
        if not self.errors and len(lines) < 2:
            self.add_error(None, _("Jurnal umum perlu sedikitnya dua baris."))
        debit, credit = sum(line["debit"] for line in lines), sum(line["credit"] for line in lines)
        if not self.errors and debit != credit:
            self.add_error(
                None,
                _("Jurnal tidak seimbang: debit Rp%(debit)s, kredit Rp%(credit)s.")
                % {"debit": dots(debit), "credit": dots(credit)},
            )
        cleaned["lines"] = lines
        return cleaned


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Alasan pembatalan"),
        max_length=150,
        error_messages={"required": gettext_lazy("Tuliskan alasan pembatalan.")},
    )
    client_uuid = _key_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_uuid"].initial = new_key()


class AccountCreateForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Kode (4 angka)"),
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[1-5][0-9]{3}", "autocomplete": "off"}),
        help_text=gettext_lazy("Angka pertama: 1 harta, 2 kewajiban, 3 modal, 4 pendapatan, 5 beban."),
    )
    name = forms.CharField(label=gettext_lazy("Nama akun"), max_length=80)


class AccountEditForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nama akun"), max_length=80)
    active = forms.BooleanField(label=gettext_lazy("Masih dipakai"), required=False)


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$")


class MonthCloseForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Tutup buku sampai akhir bulan"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-03"}),
        error_messages={"required": gettext_lazy("Pilih bulan yang ditutup.")},
    )

    def clean_month(self) -> dt.date:
        """The first day of the month typed as YYYY-MM (what `<input type=month>` sends)."""
        match = _MONTH.match(self.cleaned_data["month"].strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(_("Tulis bulan sebagai TAHUN-BULAN, misalnya 2025-03."))
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
