"""Group formation in the app (spec §5): a program officer runs the optimiser over a kelurahan or
kecamatan, edits the proposal, and approves it into proposed KUBEs.

A run is a draft `FormationRun` holding the proposal as JSON:
groups `[{key, kode_wilayah, business_type, mixed, meeting_family_id, family_ids, distances}]` and
unplaced `[{family_id, reason_code, reason}]`, plus the engine's summary (kept current after edits).
Every write here is atomic and audited; a refused write raises FormationError and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from berdaya.core.models import Region, User
from berdaya.core.scoping import code_in_scope
from berdaya.core.services import audit_record
from berdaya.engine import RuleSet, load_ruleset
from berdaya.engine.grouping import GroupingOptions, form_groups
from berdaya.engine.grouping.geo import haversine_m
from berdaya.engine.grouping.strata import MIXED
from berdaya.engine.masking import mask_id
from berdaya.kube.models import FormationRun, Kube, Membership
from berdaya.kube.selectors import can_manage_kubes
from berdaya.kube.services.lifecycle import KubeError, kube_create
from berdaya.registry.models import Decision, Family
from berdaya.registry.services.common import default_ruleset

UNPLACED = "unplaced"
MOVED_OUT = "MOVED_OUT"
# Seconds per stratum for the exact solver: a page waits for the run, so keep it short.
WEB_TIME_LIMIT = 5.0


class FormationError(Exception):
    """A refused formation write; `str(error)` is the message for the user (already translated)."""


def business_type_label(business_type: str) -> str:
    """`pengolahan_pangan` -> `Pengolahan Pangan`; the mixed pool reads `Campuran`."""
    return (business_type or MIXED).replace("_", " ").title()


def _family_type(family: Family) -> str:
    decision = family.latest_decision
    return ((decision.business_type if decision else "") or family.skill_text or "").strip().lower()


def _require_actor(actor: User | None, region_code: str) -> None:
    if actor is None:
        return  # the command line and the demo run as the system, like the DTKS import
    if not can_manage_kubes(actor):
        raise FormationError(_("Anda tidak berwenang membentuk KUBE."))
    if not code_in_scope(actor, region_code):
        raise FormationError(_("Wilayah %(code)s di luar wilayah Anda.") % {"code": region_code})


def _eligible_free_families(region: Region):
    """Families of the region whose latest decision is ELIGIBLE and who are in no live KUBE."""
    area = Q(region_id=region.code) | Q(region__code__startswith=region.code + ".")
    return (
        Family.objects.filter(area, latest_decision__decision=Decision.ELIGIBLE, anonymised_at__isnull=True)
        .exclude(memberships__live=True)
        .select_related("latest_decision")
        .order_by("region_id", "no_kk")
    )


def formation_run(
    *,
    actor: User | None,
    region_code: str,
    ruleset: RuleSet | str | None = None,
    seed: int = 0,
    target: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> FormationRun:
    """Run the optimiser over the eligible, unplaced families of a kecamatan or kelurahan.

    `ruleset` (a RuleSet or a bundled name; default the installation's) gives the size bounds and
    target; `target` overrides the latter. Returns the draft FormationRun. Raises FormationError for
    an unknown region, one that is not a kecamatan or kelurahan, one outside the actor's scope, bad
    sizes, or a region with no eligible family left to place.
    `progress(done, total, message)`, when given, is told after each stratum the optimiser solves.

    Only the draft and its audit row are written in a transaction: the optimiser runs before it, so
    a background job's progress is visible while it works and SQLite's write lock is not held meanwhile.
    """
    report = progress or (lambda done, total, message: None)
    code = (region_code or "").strip()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise FormationError(_("Kode wilayah %(code)s tidak dikenal.") % {"code": code or "-"})
    if region.level not in (Region.Level.KECAMATAN, Region.Level.DESA):
        raise FormationError(
            _("Formasi dijalankan per kecamatan atau desa/kelurahan; %(code)s adalah %(level)s.")
            % {"code": code, "level": region.get_level_display()}
        )
    _require_actor(actor, region.code)
    if ruleset is None:
        ruleset = default_ruleset()
    elif isinstance(ruleset, str):
        ruleset = load_ruleset(ruleset)
    target = target or ruleset.group_target
    if not ruleset.group_size_min <= target <= ruleset.group_size_max:
        raise FormationError(
            _("Ukuran sasaran %(target)d harus di antara %(min)d dan %(max)d KK (aturan %(rules)s).")
            % {"target": target, "min": ruleset.group_size_min, "max": ruleset.group_size_max, "rules": ruleset.name}
        )
    families = list(_eligible_free_families(region))
    if not families:
        raise FormationError(
            _("Tidak ada keluarga layak yang belum ber-KUBE di %(region)s. Jalankan penyaringan dahulu.")
            % {"region": f"{region.code} {region.name}"}
        )
    rows = [
        {
            "no_kk": f.no_kk,
            "kode_wilayah": f.region_id,
            "lat": f.lat,
            "lon": f.lon,
            "keahlian": _family_type(f),
            "rt": f.rt,
            "rw": f.rw,
        }
        for f in families
    ]
    options = GroupingOptions(
        size_min=ruleset.group_size_min,
        size_max=ruleset.group_size_max,
        target=target,
        seed=seed,
        time_limit=WEB_TIME_LIMIT,
    )
    report(0, 0, f"menyusun kelompok dari {len(families):,} keluarga")
    result = form_groups(rows, options, progress=lambda done, total: report(done, total, "strata selesai"))
    id_of = {f.no_kk: f.pk for f in families}
    members: dict[str, list[dict]] = {}
    for member in result.members:
        members.setdefault(member["group_id"], []).append(member)
    groups = []
    for number, group in enumerate(result.groups, start=1):
        rows_of_group = members.get(group["group_id"], [])
        groups.append(
            {
                "key": f"G{number}",
                "kode_wilayah": group["kode_wilayah"],
                "business_type": group["business_type"],
                "mixed": bool(group["mixed"]),
                "meeting_family_id": id_of[group["meeting_no_kk"]],
                "family_ids": [id_of[m["no_kk"]] for m in rows_of_group],
                "distances": [m["distance_m"] for m in rows_of_group],
            }
        )
    unplaced = [
        {"family_id": id_of[u["no_kk"]], "reason_code": u["reason_code"], "reason": u["reason"]}
        for u in result.unplaced
    ]
    with transaction.atomic():
        run = FormationRun.objects.create(
            region=region,
            ruleset_name=ruleset.name,
            size_min=ruleset.group_size_min,
            size_max=ruleset.group_size_max,
            target=target,
            seed=seed,
            groups=groups,
            unplaced=unplaced,
            summary={**_jsonable(result.summary), "rules": f"{ruleset.name}@{ruleset.version}", "moves": 0},
            created_by=actor if actor is not None and actor.pk else None,
        )
        audit_record(
            actor=actor,
            action="kube.formation.run",
            object_type="formation_run",
            object_id=str(run.pk),
            changes={
                "region": region.code,
                "rules": ruleset.name,
                "seed": seed,
                "target": target,
                "families": len(families),
                "groups": len(groups),
                "unplaced": len(unplaced),
            },
        )
    return run


def _jsonable(summary: dict) -> dict:
    """The engine's summary with integer keys made strings, as JSON would store them anyway."""
    out = dict(summary)
    out["size_histogram"] = {str(k): v for k, v in summary.get("size_histogram", {}).items()}
    return out


def _locked_draft(run: FormationRun, actor: User | None) -> FormationRun:
    run = FormationRun.objects.select_for_update().get(pk=run.pk)
    _require_actor(actor, run.region_id)
    if run.status != FormationRun.Status.DRAFT:
        raise FormationError(
            _("Usulan formasi #%(pk)d berstatus %(status)s; hanya usulan yang masih draf yang bisa diubah.")
            % {"pk": run.pk, "status": run.get_status_display()}
        )
    return run


def _refresh_group(group: dict, families: dict[int, Family], old_distances: dict[int, float | None]) -> None:
    """After a move: the meeting house is again the medoid, and each member's distance to it is recomputed.

    Without coordinates for every member the distance cannot be measured, so the meeting house stays
    (or falls to the first member if it left) and only the distances the engine gave are kept.
    """
    ids = group["family_ids"]
    located = all(families[i].lat is not None and families[i].lon is not None for i in ids)
    if located:
        lat = np.array([families[i].lat for i in ids])
        lon = np.array([families[i].lon for i in ids])
        matrix = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        medoid = int(np.argmin(matrix.sum(axis=0)))
        group["meeting_family_id"] = ids[medoid]
        group["distances"] = [round(float(d), 1) for d in matrix[:, medoid]]
        return
    if group["meeting_family_id"] not in ids:
        group["meeting_family_id"] = ids[0]
    group["distances"] = [old_distances.get(i) for i in ids]


def _refresh_mixed(group: dict, families: dict[int, Family]) -> None:
    if group["business_type"] == MIXED:
        group["mixed"] = True
        return
    group["mixed"] = any(_family_type(families[i]) != group["business_type"] for i in group["family_ids"])


def _summarise(run: FormationRun) -> dict:
    """The engine's summary with the figures that edits change recomputed from the current proposal."""
    distances = np.array([d for g in run.groups for d in g["distances"] if d is not None], dtype=float)
    sizes = Counter(len(g["family_ids"]) for g in run.groups)
    return {
        **run.summary,
        "groups": len(run.groups),
        "placed": sum(len(g["family_ids"]) for g in run.groups),
        "unplaced": len(run.unplaced),
        "unplaced_by_reason": dict(Counter(u["reason_code"] for u in run.unplaced)),
        "mixed_groups": sum(1 for g in run.groups if g["mixed"]),
        "size_histogram": {str(k): sizes[k] for k in sorted(sizes)},
        "objective_m": round(float(distances.sum()), 1),
        "mean_distance_m": round(float(distances.mean()), 1) if len(distances) else 0.0,
        "p90_distance_m": round(float(np.percentile(distances, 90)), 1) if len(distances) else 0.0,
        "max_distance_m": round(float(distances.max()), 1) if len(distances) else 0.0,
    }


@transaction.atomic
def formation_move(*, actor: User | None, run: FormationRun, family_id: int, to_key: str) -> FormationRun:
    """Move one family of a draft proposal to another group of its own village, or to/from "unplaced".

    Refused (FormationError) when the run is not a draft, the family is not in it, the target group
    is in another village, or the move would take a group above the rule set's maximum or below its
    minimum. Returns the updated run.
    """
    run = _locked_draft(run, actor)
    groups = {g["key"]: g for g in run.groups}
    source = next((g for g in run.groups if family_id in g["family_ids"]), None)
    in_unplaced = next((u for u in run.unplaced if u["family_id"] == family_id), None)
    if source is None and in_unplaced is None:
        raise FormationError(_("Keluarga itu tidak ada dalam usulan formasi ini."))
    if to_key != UNPLACED and to_key not in groups:
        raise FormationError(_("Kelompok %(key)s tidak ada dalam usulan ini.") % {"key": to_key})
    from_key = source["key"] if source else UNPLACED
    if from_key == to_key:
        raise FormationError(_("Keluarga itu sudah berada di %(key)s.") % {"key": _place_name(to_key)})
    target = groups.get(to_key)
    affected = [g for g in (source, target) if g is not None]
    ids = {i for g in affected for i in g["family_ids"]} | {family_id}
    families = Family.objects.select_related("latest_decision").in_bulk(list(ids))
    family = families[family_id]
    shown = mask_id(family.no_kk)
    if target is not None:
        if family.region_id != target["kode_wilayah"]:
            raise FormationError(
                _(
                    "KK %(no_kk)s tinggal di %(village)s, sedangkan %(key)s di %(target)s; anggota satu KUBE "
                    "tinggal di satu desa/kelurahan."
                )
                % {"no_kk": shown, "village": family.region_id or "-", "key": to_key, "target": target["kode_wilayah"]}
            )
        if len(target["family_ids"]) + 1 > run.size_max:
            raise FormationError(
                _("%(key)s sudah beranggota %(size)d KK; aturan %(rules)s membolehkan paling banyak %(max)d KK.")
                % {"key": to_key, "size": len(target["family_ids"]), "rules": run.ruleset_name, "max": run.size_max}
            )
    if source is not None and len(source["family_ids"]) - 1 < run.size_min:
        raise FormationError(
            _(
                "%(key)s akan tinggal %(size)d KK, di bawah minimum %(min)d KK menurut aturan %(rules)s. "
                "Pindahkan keluarga lain ke %(key)s dahulu."
            )
            % {"key": from_key, "size": len(source["family_ids"]) - 1, "min": run.size_min, "rules": run.ruleset_name}
        )
    old = {i: d for g in affected for i, d in zip(g["family_ids"], g["distances"], strict=True)}
    if source is not None:
        source["family_ids"] = [i for i in source["family_ids"] if i != family_id]
    else:
        run.unplaced = [u for u in run.unplaced if u["family_id"] != family_id]
    if target is not None:
        target["family_ids"] = [*target["family_ids"], family_id]
    else:
        run.unplaced = [
            *run.unplaced,
            {"family_id": family_id, "reason_code": MOVED_OUT, "reason": _("dikeluarkan dari usulan oleh petugas")},
        ]
    for group in affected:
        _refresh_group(group, families, old)
        _refresh_mixed(group, families)
    run.summary = {**_summarise(run), "moves": int(run.summary.get("moves", 0)) + 1}
    run.save(update_fields=["groups", "unplaced", "summary"])
    audit_record(
        actor=actor,
        action="kube.formation.move",
        object_type="formation_run",
        object_id=str(run.pk),
        changes={"family": family_id, "from": from_key, "to": to_key},
    )
    return run


def _place_name(key: str) -> str:
    return _("daftar belum ditempatkan") if key == UNPLACED else key


def _kube_names(groups: list[dict]) -> list[str]:
    """`KUBE <Jenis usaha> <n>`: n counts up per village and type, skipping names already taken there."""
    taken: dict[str, set[str]] = {}
    for region_id, name in Kube.objects.filter(region_id__in={g["kode_wilayah"] for g in groups}).values_list(
        "region_id", "name"
    ):
        taken.setdefault(region_id, set()).add(name)
    names = []
    for group in groups:
        used = taken.setdefault(group["kode_wilayah"], set())
        stem = f"KUBE {business_type_label(group['business_type'])}"
        number = 1
        while f"{stem} {number}" in used:
            number += 1
        used.add(f"{stem} {number}")
        names.append(f"{stem} {number}")
    return names


def _describe(families: list[Family], extra: dict[int, str]) -> str:
    shown = [f"KK {mask_id(f.no_kk)}{extra.get(f.pk, '')}" for f in families[:5]]
    more = len(families) - len(shown)
    return ", ".join(shown) + (_(" dan %(n)d lainnya") % {"n": more} if more > 0 else "")


@transaction.atomic
def formation_approve(*, actor: User | None, run: FormationRun, formed_on: dt.date) -> list[Kube]:
    """Approve a draft proposal: one proposed KUBE per group (through kube_create), all or none.

    Names are `KUBE <Jenis usaha> <n>`, unique in the village. Refused (FormationError, nothing
    created) if the run is not a draft, a family has meanwhile joined a live KUBE or is no longer
    eligible, or a group's size is outside the run's bounds. Returns the KUBEs created.
    """
    run = _locked_draft(run, actor)
    if not run.groups:
        raise FormationError(_("Usulan ini tidak berisi kelompok; tidak ada KUBE yang dapat dibuat."))
    all_ids = [i for g in run.groups for i in g["family_ids"]]
    # Locking the families makes a concurrent kube_create wait rather than slip in between check and insert.
    families = Family.objects.select_for_update(of=("self",)).select_related("latest_decision").in_bulk(all_ids)
    missing = [i for i in all_ids if i not in families]
    if missing:
        raise FormationError(
            _("%(n)d keluarga dalam usulan ini sudah tidak ada di registri; jalankan formasi lagi.")
            % {"n": len(missing)}
        )
    taken = Membership.objects.filter(family_id__in=all_ids, live=True).select_related("kube").order_by("family_id")
    if taken:
        where = {m.family_id: f" ({m.kube.name})" for m in taken}
        raise FormationError(
            _(
                "Tidak ada KUBE yang dibuat: %(families)s sudah menjadi anggota KUBE lain sejak usulan ini dibuat. "
                "Keluarkan keluarga itu dari usulan lalu setujui lagi."
            )
            % {"families": _describe([families[m.family_id] for m in taken], where)}
        )
    not_eligible = [
        families[i]
        for i in all_ids
        if families[i].latest_decision is None or families[i].latest_decision.decision != Decision.ELIGIBLE
    ]
    if not_eligible:
        raise FormationError(
            _("Tidak ada KUBE yang dibuat: %(families)s tidak lagi berstatus layak menurut penyaringan terakhir.")
            % {"families": _describe(not_eligible, {})}
        )
    for group in run.groups:
        if not run.size_min <= len(group["family_ids"]) <= run.size_max:
            raise FormationError(
                _("%(key)s beranggota %(size)d KK, di luar %(min)d–%(max)d KK; perbaiki usulan dahulu.")
                % {"key": group["key"], "size": len(group["family_ids"]), "min": run.size_min, "max": run.size_max}
            )
    villages = Region.objects.in_bulk({g["kode_wilayah"] for g in run.groups})
    kubes = []
    for group, name in zip(run.groups, _kube_names(run.groups), strict=True):
        try:
            kubes.append(
                kube_create(
                    actor=actor,
                    name=name,
                    region=villages[group["kode_wilayah"]],
                    families=[families[i] for i in group["family_ids"]],
                    business_type=group["business_type"],
                    formed_on=formed_on,
                    meeting_family=families.get(group["meeting_family_id"]),
                    formation_run=run,
                    reason=_("Disetujui dari usulan formasi #%(pk)d (%(key)s)") % {"pk": run.pk, "key": group["key"]},
                )
            )
        except KubeError as error:
            raise FormationError(_("Tidak ada KUBE yang dibuat: %(error)s") % {"error": error}) from error
    run.status, run.approved_at = FormationRun.Status.APPROVED, timezone.now()
    run.save(update_fields=["status", "approved_at"])
    audit_record(
        actor=actor,
        action="kube.formation.approve",
        object_type="formation_run",
        object_id=str(run.pk),
        changes={"kubes": [k.pk for k in kubes], "formed_on": formed_on.isoformat()},
    )
    return kubes


@transaction.atomic
def formation_discard(*, actor: User | None, run: FormationRun, reason: str = "") -> FormationRun:
    """Discard a draft proposal; its families stay free. Refused (FormationError) unless it is a draft."""
    run = _locked_draft(run, actor)
    run.status = FormationRun.Status.DISCARDED
    run.save(update_fields=["status"])
    audit_record(
        actor=actor, action="kube.formation.discard", object_type="formation_run", object_id=str(run.pk), note=reason
    )
    return run
