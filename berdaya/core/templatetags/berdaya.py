"""Formatting for Indonesian users: rupiah, dates, masked identifiers, decision badges."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import get_language

from berdaya.engine.masking import mask_id

register = template.Library()

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@register.filter
def masked(value: str | None) -> str:
    return mask_id(value)


@register.filter
def rupiah(value) -> str:
    if value is None or value == "":
        return ""
    return "Rp" + f"{int(value):,}".replace(",", ".")


@register.filter
def tanggal(value) -> str:
    """`17 Agustus 1945` in Indonesian; ISO-like in English."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if (get_language() or "id").startswith("id"):
        return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"
    return value.strftime("%d %b %Y")


@register.filter
def decision_class(value: str | None) -> str:
    return {"ELIGIBLE": "ok", "INELIGIBLE": "bad", "NEEDS_VERIFICATION": "warn"}.get(value or "", "")


@register.filter
def outcome_class(value: str | None) -> str:
    text = value or ""
    if text.startswith("PASS"):
        return "ok"
    if text.startswith("FAIL") or text == "CONFLICT":
        return "bad"
    return "warn"
