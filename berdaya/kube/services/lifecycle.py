"""The KUBE lifecycle (spec §3) as guarded transitions. Each write is atomic, records a KubeEvent with
actor, time and reason, and an audit row; a refused transition raises KubeError with a message in the
user's language and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from berdaya.core.models import Region, User
from berdaya.core.scoping import code_in_scope
from berdaya.core.services import audit_record
from berdaya.engine import RuleSet
from berdaya.kube.models import (
    LIVE_STATES,
    Aid,
    BusinessPlan,
    BusinessPlanLine,
    Kube,
    KubeEvent,
    KubeState,
    Membership,
    Officer,
    OfficerRole,
)
from berdaya.registry.models import Family, Person
from berdaya.registry.services.common import default_ruleset


class KubeError(Exception):
    """A refused KUBE write; `str(error)` is the message for the user (already translated)."""


def _event(
    kube: Kube,
    *,
    actor: User | None,
    action: str,
    from_state: str = "",
    reason: str = "",
    effective_on: dt.date | None = None,
    details: dict | None = None,
) -> KubeEvent:
    event = KubeEvent.objects.create(
        kube=kube,
        action=action,
        from_state=from_state,
        to_state=kube.state if from_state else "",
        actor=actor if actor is not None and actor.pk else None,
        at=timezone.now(),
        effective_on=effective_on,
        reason=reason,
        details=details or {},
    )
    audit_record(
        actor=actor,
        action=f"kube.{action}",
        object_type="kube",
        object_id=str(kube.pk),
        changes={"from": from_state, "to": event.to_state, **(details or {})},
        note=reason,
    )
    return event


def _locked(kube: Kube) -> Kube:
    """Re-read the KUBE under a row lock so two officers cannot move it at once."""
    return Kube.objects.select_for_update().get(pk=kube.pk)


def _require_state(kube: Kube, allowed: Iterable[str], action: str) -> None:
    allowed = tuple(allowed)
    if kube.state not in allowed:
        names = ", ".join(str(KubeState(s).label) for s in allowed)
        raise KubeError(
            _("%(kube)s berstatus %(state)s; %(action)s hanya bisa dari status: %(allowed)s.")
            % {"kube": kube.name, "state": kube.get_state_display(), "action": action, "allowed": names}
        )


def _live_members(kube: Kube) -> int:
    return kube.memberships.filter(live=True).count()


def _require_size(kube: Kube, ruleset: RuleSet, action: str) -> None:
    size = _live_members(kube)
    if not ruleset.group_size_min <= size <= ruleset.group_size_max:
        raise KubeError(
            _(
                "%(action)s ditolak: %(kube)s beranggota %(size)d KK, sedangkan aturan %(rules)s meminta "
                "%(min)d–%(max)d KK."
            )
            % {
                "action": action,
                "kube": kube.name,
                "size": size,
                "rules": ruleset.name,
                "min": ruleset.group_size_min,
                "max": ruleset.group_size_max,
            }
        )


def _require_officers(kube: Kube, action: str) -> None:
    have = set(kube.officers.values_list("role", flat=True))
    missing = [str(role.label) for role in OfficerRole if role.value not in have]
    if missing:
        raise KubeError(
            _("%(action)s ditolak: pengurus %(kube)s belum lengkap (belum ada %(missing)s).")
            % {"action": action, "kube": kube.name, "missing": ", ".join(missing)}
        )


def _check_free(families: Sequence[Family], *, except_kube: Kube | None = None) -> None:
    taken = Membership.objects.filter(family__in=families, live=True).select_related("kube", "family")
    if except_kube is not None:
        taken = taken.exclude(kube=except_kube)
    first = taken.first()
    if first is not None:
        raise KubeError(
            _("KK %(no_kk)s sudah menjadi anggota %(kube)s; satu keluarga hanya boleh di satu KUBE aktif.")
            % {"no_kk": str(first.family).removeprefix("KK "), "kube": first.kube.name}
        )


@transaction.atomic
def kube_create(
    *,
    actor: User | None,
    name: str,
    region: Region,
    families: Sequence[Family],
    business_type: str = "",
    formed_on: dt.date | None = None,
    meeting_family: Family | None = None,
    formation_run=None,
    reason: str = "",
) -> Kube:
    """A proposed KUBE with its member families (spec §3 "proposed into a group").

    Families must live in `region` (a desa/kelurahan) and be in no other live KUBE; the database's
    partial unique index on live memberships is the final guard. Size is checked later, at verification.
    """
    name = name.strip()
    if not name:
        raise KubeError(_("Nama KUBE wajib diisi."))
    if actor is not None and not code_in_scope(actor, region.code):
        raise KubeError(_("Wilayah %(code)s di luar wilayah kerja Anda.") % {"code": region.code})
    if region.level != "desa":
        raise KubeError(
            _("KUBE dibentuk di satu desa/kelurahan; %(code)s bukan desa/kelurahan.") % {"code": region.code}
        )
    outside = [f for f in families if f.region_id != region.code]
    if outside:
        raise KubeError(
            _(
                "KK %(no_kk)s tinggal di %(other)s, bukan di %(region)s; anggota satu KUBE tinggal di satu "
                "desa/kelurahan."
            )
            % {
                "no_kk": str(outside[0]).removeprefix("KK "),
                "other": outside[0].region_id or "-",
                "region": region.code,
            }
        )
    if Kube.objects.filter(region=region, name=name).exists():
        raise KubeError(
            _("Nama %(name)s sudah dipakai KUBE lain di %(region)s.") % {"name": name, "region": region.name}
        )
    _check_free(families)
    kube = Kube.objects.create(
        name=name,
        region=region,
        business_type=business_type,
        formed_on=formed_on,
        meeting_family=meeting_family,
        lat=meeting_family.lat if meeting_family else None,
        lon=meeting_family.lon if meeting_family else None,
        formation_run=formation_run,
    )
    try:
        with transaction.atomic():
            Membership.objects.bulk_create(
                [Membership(kube=kube, family=f, joined_on=formed_on, live=True) for f in families]
            )
    except IntegrityError as error:  # a concurrent write took a family between the check and the insert
        raise KubeError(
            _("Salah satu keluarga baru saja dimasukkan ke KUBE lain; muat ulang dan coba lagi.")
        ) from error
    _event(
        kube,
        actor=actor,
        action="create",
        from_state="",
        reason=reason,
        effective_on=formed_on,
        details={"members": len(families)},
    )
    kube.refresh_from_db()
    return kube


@transaction.atomic
def member_add(
    *, actor: User | None, kube: Kube, family: Family, joined_on: dt.date | None = None, ruleset: RuleSet | None = None
) -> Membership:
    """Add a family to a live KUBE of its own village, within the rule set's maximum."""
    kube = _locked(kube)
    ruleset = ruleset or default_ruleset()
    _require_state(kube, LIVE_STATES, _("Menambah anggota"))
    if family.region_id != kube.region_id:
        raise KubeError(
            _("KK %(no_kk)s tidak tinggal di desa/kelurahan %(kube)s.")
            % {"no_kk": str(family).removeprefix("KK "), "kube": kube.name}
        )
    if _live_members(kube) >= ruleset.group_size_max:
        raise KubeError(
            _("%(kube)s sudah beranggota %(max)d KK, batas aturan %(rules)s.")
            % {"kube": kube.name, "max": ruleset.group_size_max, "rules": ruleset.name}
        )
    _check_free([family])
    membership = Membership.objects.create(kube=kube, family=family, joined_on=joined_on, live=True)
    _event(kube, actor=actor, action="member_add", effective_on=joined_on, details={"family": family.pk})
    return membership


@transaction.atomic
def member_remove(*, actor: User | None, kube: Kube, family: Family, left_on: dt.date, reason: str) -> None:
    """A family leaves; its membership is kept with the date and reason, and its officer role ends."""
    kube = _locked(kube)
    if not reason.strip():
        raise KubeError(_("Alasan keluar wajib diisi."))
    membership = kube.memberships.filter(family=family, live=True).first()
    if membership is None:
        raise KubeError(
            _("KK %(no_kk)s bukan anggota aktif %(kube)s.")
            % {"no_kk": str(family).removeprefix("KK "), "kube": kube.name}
        )
    if left_on is None:
        raise KubeError(_("Tanggal keluar wajib diisi."))
    if membership.joined_on and left_on < membership.joined_on:
        raise KubeError(
            _("Tanggal keluar tidak boleh sebelum tanggal bergabung (%(date)s).") % {"date": membership.joined_on}
        )
    membership.live, membership.left_on, membership.left_reason = False, left_on, reason.strip()
    membership.save(update_fields=["live", "left_on", "left_reason"])
    kube.officers.filter(person__family=family).delete()
    _event(
        kube, actor=actor, action="member_remove", reason=reason, effective_on=left_on, details={"family": family.pk}
    )


@transaction.atomic
def officers_set(
    *,
    actor: User | None,
    kube: Kube,
    chair: Person,
    secretary: Person,
    treasurer: Person,
    since: dt.date | None = None,
    users: dict[str, User] | None = None,
) -> list[Officer]:
    """Record the three pengurus chosen by musyawarah: three different people from member families."""
    kube = _locked(kube)
    _require_state(kube, LIVE_STATES, _("Menetapkan pengurus"))
    chosen = {OfficerRole.CHAIR: chair, OfficerRole.SECRETARY: secretary, OfficerRole.TREASURER: treasurer}
    if len({p.pk for p in chosen.values()}) < 3:
        raise KubeError(_("Ketua, sekretaris dan bendahara harus tiga orang yang berbeda."))
    member_families = set(kube.memberships.filter(live=True).values_list("family_id", flat=True))
    for role, person in chosen.items():
        if person.family_id not in member_families:
            raise KubeError(
                _("%(role)s harus berasal dari keluarga anggota %(kube)s.") % {"role": role.label, "kube": kube.name}
            )
    kube.officers.all().delete()
    users = users or {}
    officers = [
        Officer.objects.create(kube=kube, role=role, person=person, since=since, user=users.get(role.value))
        for role, person in chosen.items()
    ]
    _event(
        kube,
        actor=actor,
        action="officers_set",
        effective_on=since,
        details={role.value: person.pk for role, person in chosen.items()},
    )
    return officers


@transaction.atomic
def kube_verify(
    *,
    actor: User | None,
    kube: Kube,
    musyawarah_on: dt.date,
    bank_name: str,
    bank_account: str,
    ruleset: RuleSet | None = None,
    reason: str = "",
) -> Kube:
    """proposed → verified: the musyawarah was held, officers chosen, a bank account opened."""
    kube = _locked(kube)
    action = _("Verifikasi")
    _require_state(kube, [KubeState.PROPOSED], action)
    _require_size(kube, ruleset or default_ruleset(), action)
    _require_officers(kube, action)
    if not bank_name.strip() or not bank_account.strip():
        raise KubeError(_("Verifikasi ditolak: rekening bank KUBE (nama bank dan nomor rekening) wajib diisi."))
    before = kube.state
    kube.state, kube.musyawarah_on = KubeState.VERIFIED, musyawarah_on
    kube.bank_name, kube.bank_account = bank_name.strip(), bank_account.strip()
    kube.save()
    _event(kube, actor=actor, action="verify", from_state=before, reason=reason, effective_on=musyawarah_on)
    return kube


@transaction.atomic
def kube_establish(
    *,
    actor: User | None,
    kube: Kube,
    decree_number: str,
    decree_date: dt.date,
    ruleset: RuleSet | None = None,
    reason: str = "",
) -> Kube:
    """verified → established: the SK penetapan, only with three officers and a size within the rule set."""
    kube = _locked(kube)
    action = _("Penetapan SK")
    _require_state(kube, [KubeState.VERIFIED], action)
    _require_officers(kube, action)
    _require_size(kube, ruleset or default_ruleset(), action)
    decree_number = decree_number.strip()
    if not decree_number:
        raise KubeError(_("Nomor SK wajib diisi."))
    if Kube.objects.filter(decree_number=decree_number).exclude(pk=kube.pk).exists():
        raise KubeError(_("Nomor SK %(number)s sudah dipakai KUBE lain.") % {"number": decree_number})
    if kube.musyawarah_on and decree_date < kube.musyawarah_on:
        raise KubeError(_("Tanggal SK tidak boleh sebelum musyawarah (%(date)s).") % {"date": kube.musyawarah_on})
    before = kube.state
    kube.state, kube.decree_number, kube.decree_date = KubeState.ESTABLISHED, decree_number, decree_date
    kube.save()
    _event(
        kube,
        actor=actor,
        action="establish",
        from_state=before,
        reason=reason,
        effective_on=decree_date,
        details={"decree_number": decree_number},
    )
    return kube


@transaction.atomic
def aid_record(*, actor: User | None, kube: Kube, amount: int, paid_on: dt.date, reference: str) -> Aid:
    """UEP aid paid to the KUBE's account; refused before the decree. The first payment makes it funded."""
    kube = _locked(kube)
    action = _("Pencatatan bantuan UEP")
    _require_state(kube, [KubeState.ESTABLISHED, KubeState.FUNDED, KubeState.ACTIVE], action)
    if amount is None or int(amount) <= 0:
        raise KubeError(_("Jumlah bantuan harus lebih dari Rp0."))
    if kube.decree_date and paid_on < kube.decree_date:
        raise KubeError(_("Bantuan tidak boleh dibayar sebelum tanggal SK (%(date)s).") % {"date": kube.decree_date})
    if not kube.bank_account:
        raise KubeError(_("Bantuan dibayar ke rekening KUBE sendiri; rekening belum dicatat."))
    reference = reference.strip()
    if not reference:
        raise KubeError(_("Nomor referensi pembayaran wajib diisi."))
    if Aid.objects.filter(reference=reference).exists():
        raise KubeError(_("Referensi %(ref)s sudah tercatat.") % {"ref": reference})
    aid = Aid.objects.create(
        kube=kube,
        amount=int(amount),
        paid_on=paid_on,
        reference=reference,
        recorded_by=actor if actor is not None and actor.pk else None,
    )
    _aid_post(aid, actor=actor)
    before = kube.state
    if kube.state == KubeState.ESTABLISHED:
        kube.state = KubeState.FUNDED
        kube.save(update_fields=["state", "updated_at"])
    _event(
        kube,
        actor=actor,
        action="aid",
        from_state=before if before != kube.state else "",
        effective_on=paid_on,
        details={"amount": int(amount), "reference": reference},
    )
    return aid


def _aid_post(aid: Aid, *, actor: User | None) -> None:
    """*Terima bantuan*: the aid lands in the KUBE's bank account and becomes its UEP capital."""
    from berdaya.ledger.services import LedgerError, operation_post

    try:
        operation_post(
            actor=actor,
            kube=aid.kube,
            kind="aid_received",
            date=aid.paid_on,
            amount=aid.amount,
            cash="1200",
            description=_("Bantuan UEP, referensi %(ref)s") % {"ref": aid.reference},
            idempotency_key=f"aid:{aid.pk}",
        )
    except LedgerError as error:
        raise KubeError(str(error)) from error


@transaction.atomic
def kube_activate(*, actor: User | None, kube: Kube, on: dt.date, reason: str = "") -> Kube:
    """funded → active: the business has started with the aid."""
    kube = _locked(kube)
    _require_state(kube, [KubeState.FUNDED], _("Pengaktifan"))
    before, kube.state = kube.state, KubeState.ACTIVE
    kube.save(update_fields=["state", "updated_at"])
    _event(kube, actor=actor, action="activate", from_state=before, reason=reason, effective_on=on)
    return kube


def _end_memberships(kube: Kube, on: dt.date, reason: str, *, actor: User | None) -> None:
    """Release the families, and the pendamping: a closed group no longer counts against a caseload."""
    from berdaya.mentoring.services.assignment import AssignmentError, assignment_end

    kube.memberships.filter(live=True).update(live=False, left_on=on, left_reason=reason)
    current = kube.assignments.filter(end__isnull=True).first()
    if current is not None:
        try:
            assignment_end(actor=actor, kube=kube, end=max(on, current.start), reason=reason)
        except AssignmentError as error:
            raise KubeError(str(error)) from error


@transaction.atomic
def kube_graduate(*, actor: User | None, kube: Kube, on: dt.date, reason: str) -> Kube:
    """active → mandiri: the group stands on its own; its families are free for other programmes."""
    kube = _locked(kube)
    _require_state(kube, [KubeState.ACTIVE], _("Penetapan mandiri"))
    if not reason.strip():
        raise KubeError(_("Dasar penetapan mandiri wajib diisi (mis. hasil evaluasi)."))
    before, kube.state = kube.state, KubeState.GRADUATED
    kube.save(update_fields=["state", "updated_at"])
    _end_memberships(kube, on, _("KUBE mandiri"), actor=actor)
    _event(kube, actor=actor, action="graduate", from_state=before, reason=reason, effective_on=on)
    return kube


@transaction.atomic
def kube_dissolve(*, actor: User | None, kube: Kube, on: dt.date, reason: str) -> Kube:
    """Any live state → dissolved, with a reason; members are released (kept as history)."""
    kube = _locked(kube)
    _require_state(kube, LIVE_STATES, _("Pembubaran"))
    if not reason.strip():
        raise KubeError(_("Alasan pembubaran wajib diisi."))
    before, kube.state = kube.state, KubeState.DISSOLVED
    kube.save(update_fields=["state", "updated_at"])
    _end_memberships(kube, on, _("KUBE dibubarkan"), actor=actor)
    _event(kube, actor=actor, action="dissolve", from_state=before, reason=reason, effective_on=on)
    return kube


@transaction.atomic
def plan_record(
    *,
    actor: User | None,
    kube: Kube,
    title: str,
    lines: Sequence[dict],
    agreed_on: dt.date | None = None,
    agreed_meeting=None,
) -> BusinessPlan:
    """A new version of the RUB/RAB; `lines` are dicts of kind, description, quantity, unit, unit_price.

    Only a live KUBE takes a plan. The agreeing musyawarah (`agreed_meeting`) must be the KUBE's own
    meeting, and the plan cannot be agreed before it; `agreed_on` defaults to the meeting's date.
    Raises KubeError (nothing written) otherwise, or when a line is unknown, empty or negative.
    """
    kube = _locked(kube)
    _require_state(kube, LIVE_STATES, _("Mencatat rencana usaha"))
    if not lines:
        raise KubeError(_("Rencana usaha harus memiliki paling sedikit satu baris."))
    if agreed_meeting is not None:
        if agreed_meeting.kube_id != kube.pk:
            raise KubeError(_("Musyawarah persetujuan harus pertemuan KUBE ini sendiri."))
        agreed_on = agreed_on or agreed_meeting.date
        if agreed_on < agreed_meeting.date:
            raise KubeError(
                _("Tanggal persetujuan tidak boleh sebelum musyawarah (%(date)s).") % {"date": agreed_meeting.date}
            )
    version = (kube.plans.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    plan = BusinessPlan.objects.create(
        kube=kube,
        version=version,
        title=title.strip() or _("Rencana usaha"),
        agreed_on=agreed_on,
        agreed_meeting=agreed_meeting,
    )
    for number, line in enumerate(lines, start=1):
        kind = line.get("kind")
        if kind not in BusinessPlanLine.Kind.values:
            raise KubeError(_("Baris %(n)d: jenis %(kind)s tidak dikenal.") % {"n": number, "kind": kind})
        if int(line.get("unit_price", -1)) < 0 or float(line.get("quantity", 0)) <= 0:
            raise KubeError(_("Baris %(n)d: jumlah harus lebih dari 0 dan harga tidak boleh negatif.") % {"n": number})
        if not str(line.get("description", "")).strip():
            raise KubeError(_("Baris %(n)d: uraian wajib diisi.") % {"n": number})
        BusinessPlanLine.objects.create(
            plan=plan,
            kind=kind,
            description=str(line.get("description", "")).strip()[:200],
            quantity=line.get("quantity", 1),
            unit=line.get("unit", ""),
            unit_price=int(line["unit_price"]),
        )
    _event(kube, actor=actor, action="plan", effective_on=agreed_on, details={"version": version, "lines": len(lines)})
    return plan
