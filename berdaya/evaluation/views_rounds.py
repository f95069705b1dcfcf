"""The evaluation pages (spec §8): rounds, a round's scores and strengthening plan, one KUBE's indicators
and plan actions, importing ODK Central / KoboToolbox files, the web survey, and the XLSForm download.

Thin views: `round_get_for_user` fetches a round (404 outside the user's scope), the selectors decide
who sees and does what, one service writes. Who may do what:

- admin, program officer: everything in their kab/kota (create, score, import, survey, mark actions done);
- evaluator: reads rounds, scores and plans, pseudonymised (families by their Berdaya id, never a name);
- viewer: the round list and a round's aggregated counts; a KUBE's own score page is 403 to them;
- pendamping: the surveys and plan actions of the KUBEs assigned to them; KUBE officer: reads their KUBE's.

The survey is a `data-offline` form (static/berdaya/offline-forms.js): the pendamping's phone sends it with
fetch and queues it without a signal; the key made when it opened becomes the response's instance id, so a
form sent twice is stored once.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from berdaya.core.models import Region
from berdaya.core.offline import json_refusals, offline_texts, refused, saved
from berdaya.engine.evaluation import plan as engine_plan
from berdaya.engine.evaluation.instruments import InstrumentError, load_instrument
from berdaya.engine.evaluation.success import INDICATOR_CODES, INDICATOR_TITLES
from berdaya.engine.evaluation.xlsform import xlsform_write
from berdaya.evaluation.forms import ActionDoneForm, ImportForm, RoundForm, SurveyForm
from berdaya.evaluation.models import InstrumentName, KubeScore, Maturity, PlanAction, Response, Round, RoundKind
from berdaya.evaluation.selectors import (
    can_analyse,
    can_enter_responses,
    can_manage_rounds,
    plan_action_get_for_user,
    round_get_for_user,
    round_kubes_in_scope,
    round_regions_for_user,
    rounds_for_user,
    sees_kube_scores,
    sees_names,
    survey_families,
    survey_kubes,
)
from berdaya.evaluation.services import (
    EvaluationError,
    plan_action_done,
    response_record,
    round_create,
    round_score,
    submissions_import,
)

NO_FACILITATOR = "no_facilitator_in_kecamatan"
ROUND_PAGE_SIZE = 100

_json_refusals = json_refusals(
    forbidden=gettext_lazy("Anda tidak berhak mengisi survei untuk putaran ini."),
    not_found=gettext_lazy("Putaran atau instrumen ini tidak ditemukan."),
)


def _manager_round(request, round_id: int) -> Round:
    """A round the user may change (create, score, import): 404 outside scope, 403 for readers."""
    round_ = round_get_for_user(user=request.user, pk=round_id)
    if not can_manage_rounds(request.user):
        raise PermissionDenied
    return round_


def _instruments(round_: Round) -> list[tuple[str, str, int]]:
    """(name, title, version) of the round's three instruments."""
    return [(name, str(label), round_.version_of(name)) for name, label in InstrumentName.choices]


def _plan_rollup(actions: list[PlanAction]) -> tuple[list[dict], int]:
    """Open plan actions counted per kecamatan, cause and owner (engine `plan_rollup`), and how many
    kecamatan need a pendamping (the Dinas's own action for cause `no_facilitator_in_kecamatan`)."""
    by_region: dict[str, list[engine_plan.PlanAction]] = {}
    for action in actions:
        by_region.setdefault(action.kube.region_id, []).append(
            engine_plan.PlanAction(
                code=action.rule,
                text=action.text,
                tjokrowinoto=action.strategies.get("tjokrowinoto", ""),
                ismawan=action.strategies.get("ismawan", ""),
                suharto_level=action.strategies.get("suharto_level", ""),
                owner=action.owner,
                due=action.due_on,
                indicators=tuple(code for code in action.indicator.split(",") if code),
                causes=tuple(code for code in action.cause.split(",") if code),
            )
        )
    rows = engine_plan.plan_rollup(by_region, "kecamatan")
    needing = len(engine_plan.regions_with_cause(rows, NO_FACILITATOR, "dinas"))
    names = dict(Region.objects.filter(code__in={row.region_code for row in rows}).values_list("code", "name"))
    causes = engine_plan.load_plan_rules().causes
    owners = dict(PlanAction._meta.get_field("owner").choices)
    shown = [
        {
            "region": names.get(row.region_code, row.region_code),
            "code": row.region_code,
            "cause": causes.get(row.cause, row.cause) if row.cause else _("indikator belum terpenuhi"),
            "owner": owners.get(row.owner, row.owner),
            "actions": row.actions,
            "sources": row.sources,
        }
        for row in rows
    ]
    return shown, needing


def _unmet_titles(score: KubeScore) -> list[str]:
    return [INDICATOR_TITLES.get(code, code) for code in score.unmet]


# ---------------------------------------------------------------- rounds


@login_required
def round_list(request):
    """Rounds in the user's scope, newest first; "Putaran baru" for managers."""
    rounds = (
        rounds_for_user(request.user)
        .select_related("region")
        .annotate(kube_count=Count("kubes", distinct=True))
        .order_by("-start_on", "-id")[:ROUND_PAGE_SIZE]
    )
    return render(
        request,
        "evaluation/round_list.html",
        {"rounds": rounds, "may_manage": can_manage_rounds(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request):
    """A new round for a kab/kota: its KUBEs are every funded (or later) KUBE there."""
    if not can_manage_rounds(request.user):
        raise PermissionDenied
    regions = round_regions_for_user(request.user)
    baselines = rounds_for_user(request.user).filter(kind=RoundKind.BASELINE).select_related("region")
    form = RoundForm(request.POST or None, regions=regions, baselines=baselines)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = round_create(actor=request.user, **form.cleaned_data)
        except EvaluationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Putaran %(name)s dibuat dengan %(n)s KUBE.") % {"name": round_.name, "n": round_.kubes.count()},
            )
            return redirect("evaluation:round_detail", round_id=round_.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "evaluation/round_new.html", {"form": form}, status=status)


@login_required
def round_detail(request, round_id: int):
    """A round: response counts, verdicts and maturity, each KUBE's score (not for viewers), the plan roll-up."""
    round_ = round_get_for_user(user=request.user, pk=round_id)
    kubes = round_kubes_in_scope(user=request.user, round=round_)
    scores = {
        score.kube_id: score
        for score in KubeScore.objects.filter(round=round_, kube__in=kubes).only(
            "id", "kube_id", "successful", "unmet", "missing", "empowered_share", "empowerment_index",
            "welfare_m0", "maturity",
        )
    }  # fmt: skip
    counts = dict(
        Response.objects.filter(round=round_, kube__in=kubes)
        .values_list("instrument")
        .annotate(n=Count("id"))
        .values_list("instrument", "n")
    )
    open_actions = list(
        PlanAction.objects.filter(round=round_, kube__in=kubes, done_on__isnull=True).select_related("kube")
    )
    rollup, needing = _plan_rollup(open_actions)
    maturity = Counter(score.maturity for score in scores.values())
    rows = []
    if sees_kube_scores(request.user):
        for kube in kubes.select_related("region").order_by("region_id", "name"):
            score = scores.get(kube.pk)
            rows.append((kube, score, _unmet_titles(score) if score else []))
    may_survey = survey_kubes(user=request.user, round=round_).exists()
    context = {
        "round": round_,
        "kube_total": kubes.count(),
        "rows": rows,
        "scored": len(scores),
        "successful": sum(1 for score in scores.values() if score.successful),
        "maturity": [(label, maturity.get(value, 0)) for value, label in Maturity.choices],
        "instruments": [(name, title, version, counts.get(name, 0)) for name, title, version in _instruments(round_)],
        "rollup": rollup,
        "needing_facilitator": needing,
        "open_actions": len(open_actions),
        "may_manage": can_manage_rounds(request.user),
        "may_analyse": can_analyse(request.user),
        "may_survey": may_survey,
        "sees_kube_scores": sees_kube_scores(request.user),
    }
    return render(request, "evaluation/round_detail.html", context)


@login_required
@require_POST
def round_score_view(request, round_id: int):
    """Recompute every KUBE's score and plan in the round."""
    round_ = _manager_round(request, round_id)
    counts = round_score(actor=request.user, round=round_)
    messages.success(
        request,
        _("Skor dihitung ulang: %(kubes)s KUBE, %(successful)s berhasil, %(actions)s aksi rencana penguatan.") % counts,
    )
    return redirect("evaluation:round_detail", round_id=round_.pk)


# ---------------------------------------------------------------- one KUBE


@login_required
def kube_score(request, round_id: int, kube_id: int):
    """One KUBE in one round: each indicator (met, not met, no data) and its plan actions."""
    round_ = round_get_for_user(user=request.user, pk=round_id)
    if not sees_kube_scores(request.user):
        raise PermissionDenied  # a viewer reads aggregates only
    kube = round_kubes_in_scope(user=request.user, round=round_).select_related("region").filter(pk=kube_id).first()
    if kube is None:
        raise Http404
    score = KubeScore.objects.filter(round=round_, kube=kube).first()
    indicators = []
    if score is not None:
        for code in INDICATOR_CODES:
            result = score.indicators.get(code, {})
            indicators.append({"code": code, "title": INDICATOR_TITLES.get(code, code), **result})
    actions = list(PlanAction.objects.filter(round=round_, kube=kube).select_related("done_by"))
    for action in actions:
        action.indicator_titles = [INDICATOR_TITLES.get(c, c) for c in action.indicator.split(",") if c]
    context = {
        "round": round_,
        "kube": kube,
        "score": score,
        "unmet": _unmet_titles(score) if score else [],
        "indicators": indicators,
        "actions": actions,
        "may_mark_done": can_enter_responses(request.user, kube),
        "done_form": ActionDoneForm(),
    }
    return render(request, "evaluation/kube_score.html", context)


@login_required
@require_POST
def action_done(request, action_id: int):
    """Mark one plan action done: the managers and the KUBE's current pendamping."""
    action = plan_action_get_for_user(user=request.user, pk=action_id)
    if not can_enter_responses(request.user, action.kube):
        raise PermissionDenied
    back = reverse("evaluation:kube_score", args=[action.round_id, action.kube_id])
    if action.done_on is not None:
        messages.info(request, _("Aksi ini sudah ditandai selesai."))
        return redirect(back)
    form = ActionDoneForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    plan_action_done(actor=request.user, action=action, on=form.cleaned_data["on"], note=form.cleaned_data["note"])
    messages.success(request, _("Aksi ditandai selesai."))
    return redirect(back)


# ---------------------------------------------------------------- imports


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request, round_id: int):
    """Upload an ODK Central or KoboToolbox export; a refused file is listed row by row, nothing imported."""
    round_ = _manager_round(request, round_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        try:
            with tempfile.TemporaryDirectory(prefix="berdaya-import-") as folder:
                target = Path(folder) / f"kiriman{suffix}"
                with open(target, "wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
                record = submissions_import(
                    actor=request.user,
                    round=round_,
                    instrument=form.cleaned_data["instrument"],
                    path=target,
                    file_name=upload.name,
                    source=form.cleaned_data["source"],
                )
        except EvaluationError as error:
            form.add_error("file", str(error))
        else:
            return redirect(reverse("evaluation:import", args=[round_.pk]) + f"?hasil={record.pk}")
    result = None
    if request.GET.get("hasil", "").isdigit():
        result = round_.imports.filter(pk=int(request.GET["hasil"])).first()
    context = {
        "round": round_,
        "form": form,
        "result": result,
        "recent": round_.imports.select_related("created_by")[:10],
    }
    return render(request, "evaluation/import.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------- the web survey


def _survey_choices(request, round_: Round, instrument: str):
    """(KUBE choices, family choices grouped by KUBE) the user may survey in this round."""
    kubes = list(survey_kubes(user=request.user, round=round_).order_by("name"))
    if not kubes:
        raise PermissionDenied
    done = Response.objects.filter(round=round_, instrument=instrument)
    if instrument == InstrumentName.GROUP_ASSESSMENT:
        assessed = set(done.values_list("kube_id", flat=True))
        kube_choices = [(k.pk, k.name + (_(" — sudah dinilai") if k.pk in assessed else "")) for k in kubes]
        return kube_choices, []
    answered = set(done.values_list("family_id", flat=True))
    families = survey_families(kubes=kubes, names=sees_names(request.user))
    family_choices = [
        (kube.name, [(pk, label + (_(" — sudah diisi") if pk in answered else "")) for pk, label in families[kube.pk]])
        for kube in kubes
        if families[kube.pk]
    ]
    return [(k.pk, k.name) for k in kubes], family_choices


@login_required
@require_http_methods(["GET", "POST"])
@_json_refusals
def survey(request, round_id: int, instrument: str):
    """One instrument filled in on the phone, built from the round's version of it."""
    round_ = round_get_for_user(user=request.user, pk=round_id)
    if instrument not in InstrumentName.values:
        raise Http404
    definition = load_instrument(instrument, round_.version_of(instrument))
    kube_choices, family_choices = _survey_choices(request, round_, instrument)
    form = SurveyForm(
        request.POST or None,
        instrument=definition,
        round=round_,
        kubes=kube_choices,
        families=family_choices,
        observer=request.user.get_full_name() or request.user.username,
    )
    context = {"round": round_, "instrument": definition, "offline_texts": offline_texts()}
    here = reverse("evaluation:survey", args=[round_.pk, instrument])
    if request.method == "POST" and form.is_valid():
        if form.declined:
            return saved(request, here, _("Responden tidak bersedia menjawab; tidak ada yang disimpan."))
        try:
            response = response_record(
                actor=request.user,
                round=round_,
                instrument=instrument,
                values=form.values(),
                instance_id=form.cleaned_data["client_uuid"],
            )
        except EvaluationError as error:
            form.add_error(None, str(error))
        else:
            who = (
                _("KUBE %(name)s") % {"name": response.kube.name}
                if instrument == InstrumentName.GROUP_ASSESSMENT
                else _("keluarga #%(id)s") % {"id": response.family_id}
            )
            return saved(
                request, here, _("Isian %(title)s untuk %(who)s tersimpan.") % {"title": definition.title, "who": who}
            )
    if request.method == "POST":
        return refused(request, form, "evaluation/survey.html", context)
    return render(request, "evaluation/survey.html", {**context, "form": form})


@login_required
def xlsform(request, instrument: str, version: int):
    """The instrument as an XLSForm for ODK Collect or KoboToolbox (a questionnaire: no personal data)."""
    if instrument not in InstrumentName.values:
        raise Http404
    try:
        definition = load_instrument(instrument, version)
    except InstrumentError as error:
        raise Http404 from error
    with tempfile.TemporaryDirectory(prefix="berdaya-xlsform-") as folder:
        written = xlsform_write(definition, Path(folder) / f"{definition.form_id}.xlsx")
        content = written.read_bytes()
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{definition.form_id}.xlsx"'
    return response


urlpatterns = [
    path("", round_list, name="round_list"),
    path("baru/", round_new, name="round_new"),
    path("<int:round_id>/", round_detail, name="round_detail"),
    path("<int:round_id>/skor/", round_score_view, name="round_score"),
    path("<int:round_id>/kube/<int:kube_id>/", kube_score, name="kube_score"),
    path("aksi/<int:action_id>/selesai/", action_done, name="action_done"),
    path("<int:round_id>/impor/", import_view, name="import"),
    path("<int:round_id>/isi/<slug:instrument>/", survey, name="survey"),
    path("xlsform/<slug:instrument>/<int:version>/", xlsform, name="xlsform"),
]
