"""The ledger in Django's admin: posted books can be looked at, never written.

Entries, lines, books and member loans are read-only here (no add, change or delete): a posted entry
changes only by a reversing entry, which the book pages post through the services. Accounts may be added,
renamed or retired, but only through `account_create` / `account_update`: the form runs the service in a
savepoint that is always rolled back, so the service's own rules decide and a refusal shows as a form
error with nothing written; `save_model` then runs it for real (and the service writes the audit row).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from berdaya.ledger.models import Account, Book, JournalEntry, JournalLine, MemberLoan
from berdaya.ledger.services import LedgerError, account_create, account_update


class KubeFilter(admin.SimpleListFilter):
    """KUBEs that have books, read from the (small) Book table rather than from millions of lines."""

    title = _("KUBE")
    parameter_name = "kube"

    def lookups(self, request, model_admin):
        return [(book.kube_id, book.kube.name) for book in Book.objects.select_related("kube").order_by("kube__name")]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(kube_id=value) if value and value.isdigit() else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only: the books are written by the services, never by the admin."""

    show_full_result_count = False  # no COUNT(*) of the whole journal on every page

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ("account", "debit", "credit")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("number", "kube", "date", "operation", "description", "total", "reverses")
    list_filter = (KubeFilter, "operation", "date")
    list_select_related = ("kube", "reverses")
    search_fields = ("kube__name", "description")
    date_hierarchy = "date"
    inlines = [JournalLineInline]


@admin.register(JournalLine)
class JournalLineAdmin(ReadOnlyAdmin):
    list_display = ("entry", "date", "account", "debit", "credit")
    list_filter = (KubeFilter, "entry__operation", "date", "account__type")
    list_select_related = ("entry__kube", "account")
    search_fields = ("kube__name", "account__code", "account__name")


@admin.register(Book)
class BookAdmin(ReadOnlyAdmin):
    list_display = ("kube", "closed_through", "next_number", "opened_at")
    list_select_related = ("kube",)
    search_fields = ("kube__name",)


@admin.register(MemberLoan)
class MemberLoanAdmin(ReadOnlyAdmin):
    list_display = ("id", "kube", "member", "principal", "term_months", "first_due_on", "fee_percent")
    list_filter = (KubeFilter,)
    list_select_related = ("kube", "member__kube", "member__family")
    search_fields = ("kube__name",)


class _DryRun(Exception):
    """Raised to roll back the service's checking run."""


def _account_save(*, actor, account: Account, data: dict) -> Account:
    """Create or update through the ledger services; LedgerError when refused."""
    if account.pk is None:
        return account_create(actor=actor, kube=data["kube"], code=data["code"], name=data["name"])
    return account_update(actor=actor, account=account, name=data["name"], active=data["active"])


class AccountAdminForm(forms.ModelForm):
    actor = None  # set per request by AccountAdmin.get_form

    class Meta:
        model = Account
        fields = ("kube", "code", "name", "active")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                _account_save(actor=self.actor, account=self.instance, data=cleaned)
                raise _DryRun
        except _DryRun:
            pass
        except LedgerError as error:
            raise ValidationError(str(error)) from error
        return cleaned


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountAdminForm
    list_display = ("code", "name", "kube", "type", "active", "balance")
    list_filter = (KubeFilter, "type", "active")
    list_select_related = ("kube",)
    search_fields = ("code", "name", "kube__name")
    raw_id_fields = ("kube",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kube", "code", "name")  # the type follows from the code's first digit
        return ("kube", "code", "type", "name", "active", "balance")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("kube", "code", "type", "balance")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        saved = _account_save(actor=request.user, account=obj, data=form.cleaned_data)
        for field in Account._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def has_delete_permission(self, request, obj=None):
        return False
