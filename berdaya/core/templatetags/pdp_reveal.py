"""`{% load pdp_reveal %}{% reveal_link "individu" person.pk %}`: a "Tampilkan" link beside a masked
number, for those who may reveal it (core/pdp.py); nothing for anyone else."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from berdaya.core.pdp import can_reveal

register = template.Library()


@register.simple_tag(takes_context=True)
def reveal_link(context, kind: str, pk) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or pk is None or not can_reveal(user):
        return ""
    url = reverse("pdp_reveal:reveal", args=[kind, pk]) + "?" + urlencode({"next": request.get_full_path()})
    return format_html('<a class="reveal" href="{}" rel="nofollow">{}</a>', url, _("Tampilkan"))
