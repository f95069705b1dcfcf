"""Writes of evaluation rounds: create a round, set its KUBEs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from berdaya.core.models import Region, User
from berdaya.core.scoping import code_in_scope
from berdaya.core.services import audit_record
from berdaya.evaluation.models import Round, RoundKind
from berdaya.kube.models import Kube, KubeState

# KUBEs evaluated in a round: those that received aid (the programme's outcome is what aid did).
EVALUATED_STATES = (KubeState.FUNDED, KubeState.ACTIVE, KubeState.GRADUATED, KubeState.DISSOLVED)


class EvaluationError(Exception):
    """A refused evaluation write; `str(error)` is the message for the user (translated)."""


@transaction.atomic
def round_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    region: Region,
    start_on: dt.date,
    end_on: dt.date,
    baseline: Round | None = None,
    kubes: Iterable[Kube] | None = None,
    versions: dict[str, int] | None = None,
) -> Round:
    """A survey round in one kab/kota. A midline or endline names its baseline round (same kab/kota).

    `kubes` default to every KUBE in the region that received its aid. `versions` maps instrument name
    to version (default: the latest of each). Raises EvaluationError, writing nothing.
    """
    from berdaya.engine.evaluation.instruments import InstrumentError, load_instrument

    name = (name or "").strip()
    if not name:
        raise EvaluationError(_("Nama putaran wajib diisi."))
    if kind not in RoundKind.values:
        raise EvaluationError(_("Jenis putaran '%(kind)s' tidak dikenal.") % {"kind": kind})
    if region.level != "kabkota":
        raise EvaluationError(_("Putaran evaluasi dibuat untuk satu kabupaten/kota."))
    if actor is not None and actor.pk and not code_in_scope(actor, region.code):
        raise EvaluationError(_("Wilayah %(region)s di luar wilayah Anda.") % {"region": region.name})
    if end_on < start_on:
        raise EvaluationError(_("Tanggal selesai tidak boleh sebelum tanggal mulai."))
    if kind == RoundKind.BASELINE and baseline is not None:
        raise EvaluationError(_("Putaran awal (baseline) tidak punya putaran pembanding."))
    if kind != RoundKind.BASELINE:
        if baseline is None or baseline.kind != RoundKind.BASELINE or baseline.region_id != region.code:
            raise EvaluationError(_("Putaran tengah atau akhir harus menyebut putaran awal di wilayah yang sama."))
        if start_on <= baseline.end_on:
            raise EvaluationError(_("Putaran ini harus dimulai setelah putaran awal selesai."))
    if Round.objects.filter(region=region, name=name).exists():
        raise EvaluationError(_("Putaran bernama %(name)s sudah ada.") % {"name": name})
    chosen = {}
    for instrument in ("welfare", "empowerment", "group_assessment"):
        wanted = (versions or {}).get(instrument)
        try:
            chosen[instrument] = load_instrument(instrument, wanted).version
        except InstrumentError as error:
            raise EvaluationError(str(error)) from error
    round_ = Round.objects.create(
        name=name,
        kind=kind,
        region=region,
        start_on=start_on,
        end_on=end_on,
        baseline=baseline,
        welfare_version=chosen["welfare"],
        empowerment_version=chosen["empowerment"],
        group_assessment_version=chosen["group_assessment"],
        created_by=actor if actor is not None and actor.pk else None,
    )
    region_kubes = Kube.objects.filter(region__code__startswith=region.code + ".", state__in=EVALUATED_STATES)
    if kubes is None:
        selected = list(region_kubes)
    else:
        selected = list(kubes)
        outside = [k.name for k in selected if not k.region_id.startswith(region.code + ".")]
        if outside:
            raise EvaluationError(
                _("KUBE di luar %(region)s: %(names)s.") % {"region": region.name, "names": ", ".join(outside)}
            )
    round_.kubes.set(selected)
    audit_record(
        actor=actor,
        action="evaluation.round_create",
        object_type="evaluation.Round",
        object_id=round_.pk,
        changes={"name": name, "kind": kind, "region": region.code, "kubes": len(selected), "versions": chosen},
    )
    return round_


@transaction.atomic
def evaluation_wipe(*, actor: User | None) -> int:
    """Erase every round with its responses, scores and plans: only for the demo's reset of a database that
    holds nothing but demo data. Returns the number of responses erased; audited."""
    from berdaya.evaluation.models import KubeScore, PlanAction, Response, SubmissionImport

    responses = Response.objects.count()
    PlanAction.objects.all().delete()
    KubeScore.objects.all().delete()
    Response.objects.all().delete()
    SubmissionImport.objects.all().delete()
    Round.objects.filter(baseline__isnull=False).delete()  # follow-ups first: they point at their baseline
    Round.objects.all().delete()
    audit_record(actor=actor, action="evaluation.wipe", changes={"responses": responses})
    return responses
