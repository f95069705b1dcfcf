"""Analysis and research downloads of a survey round (spec §8.6).

Who: admins, program officers and evaluators whose region holds the round (`rounds_for_user`); a round
outside the user's scope is 404, and a viewer, pendamping or KUBE officer who can see the round gets 403
(analysis and microdata are not theirs). Evaluators' downloads are pseudonymised (`exports.export_round`).
"""

from __future__ import annotations

import math

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from berdaya.core.audit_context import client_address
from berdaya.core.models import User
from berdaya.evaluation.analysis import Comparison, ComparisonRow, round_comparison
from berdaya.evaluation.exports import FORMATS, export_round
from berdaya.evaluation.models import InstrumentName, Round
from berdaya.evaluation.selectors import can_analyse, round_get_for_user, sees_names


def _round_for_analysis(user: User, pk: int) -> Round:
    """The round if it is in the user's scope (else 404) and the user may analyse it (else 403)."""
    round_ = round_get_for_user(user=user, pk=pk)
    if not can_analyse(user):
        raise PermissionDenied
    return round_


def _round_detail_url(round_: Round) -> str | None:
    try:
        return reverse("evaluation:round_detail", args=[round_.pk])
    except NoReverseMatch:  # the round pages live in views_rounds; link only when they exist
        return None


@login_required
@require_GET
def analysis(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round_for_analysis(request.user, round_id)
    comparison = round_comparison(round_) if round_.baseline_id else None
    downloads = [
        (name, label, [(fmt, reverse("evaluation:export", args=[round_.pk, name, fmt])) for fmt in FORMATS])
        for name, label in InstrumentName.choices
    ]
    return render(
        request,
        "evaluation/analysis.html",
        {
            "round": round_,
            "comparison": comparison,
            "sections": _sections(comparison),
            "did_rows": _did_display(comparison),
            "downloads": downloads,
            "round_url": _round_detail_url(round_),
            "pseudonymised": not sees_names(request.user),
        },
    )


def _number(value: float | None, places: int) -> str:
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞"
    return number_format(value, places, force_grouping=abs(value) >= 10_000)


def _display(row: ComparisonRow) -> dict:
    """A comparison row as the page prints it: shares as percentages, money without decimals."""
    if row.kind == "binary":
        level, places, unit = 100.0, 1, " %"
    else:
        level, places, unit = 1.0, 0 if row.code == "income_pc" else 2, ""

    def show(value: float | None) -> str:
        return _number(None if value is None else value * level, places) + (unit if value is not None else "")

    ci = row.ci and f"{show(row.ci[0])} … {show(row.ci[1])}"
    effect_ci = row.effect_ci and f"{_number(row.effect_ci[0], 2)} … {_number(row.effect_ci[1], 2)}"
    return {
        "row": row,
        "baseline": show(row.baseline),
        "endline": show(row.endline),
        "difference": ("+" if row.difference > 0 else "") + show(row.difference),
        "ci": ci or "—",
        "p": "—" if row.p_value is None else ("< 0,001" if row.p_value < 0.001 else _number(row.p_value, 3)),
        "effect": _number(row.effect_size, 2),
        "effect_ci": effect_ci or "",
        "direction": {True: "up", False: "down", None: "same"}[row.improved],
    }


def _sections(comparison: Comparison | None) -> list[tuple[str, list[dict], int]]:
    if comparison is None:
        return []
    titles = {
        "welfare": _("Kesejahteraan keluarga anggota"),
        "empowerment": _("Keberdayaan anggota"),
        "kube": _("Indikator keberhasilan KUBE"),
    }
    return [
        (title, [_display(row) for row in comparison.section(name)], comparison.pairs.get(name, 0))
        for name, title in titles.items()
    ]


def _did_display(comparison: Comparison | None) -> list[dict]:
    if comparison is None:
        return []
    return [
        {
            "row": row,
            "estimate": _number(row.estimate, 0 if row.code == "income_pc" else 3),
            "ci": f"{_number(row.ci[0], 0 if row.code == 'income_pc' else 3)} … "
            f"{_number(row.ci[1], 0 if row.code == 'income_pc' else 3)}",
            "p": "< 0,001" if row.p_value < 0.001 else _number(row.p_value, 3),
        }
        for row in comparison.did_rows
    ]


@login_required
@require_GET
def export(request: HttpRequest, round_id: int, instrument: str, fmt: str) -> HttpResponse:
    round_ = _round_for_analysis(request.user, round_id)
    if instrument not in InstrumentName.values or fmt not in FORMATS:
        raise Http404
    result = export_round(
        actor=request.user,
        round=round_,
        instrument=instrument,
        fmt=fmt,
        pseudonymise=not sees_names(request.user),
        client_address=client_address(request),
    )
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("<int:round_id>/analisis/", analysis, name="analysis"),
    path("<int:round_id>/ekspor/<slug:instrument>/<str:fmt>/", export, name="export"),
]
