"""The demo's evaluation (spec §8, §10): a baseline and an endline survey round for Kota Pontianak, with
every member family's welfare and empowerment answers, about thirty comparison families, a pendamping's
assessment of each group, and both rounds scored, so every score, plan and test has content.

The answers are drawn, not invented: what changes between the rounds follows each group's own books.
A group whose sales held or grew and whose members repay their loans (most of them) sees its members'
income rise by roughly 10–25 %, fewer households short of food or clothes, and empowerment items up
by about half a point; a group whose sales fell or whose loans went bad (books.py's struggling groups,
and the group dissolved after the flood) changes little or worsens; comparison families gain a few
per cent, so the difference in differences is positive. The assessment reads meetings, trainings, IKS
and sales channels off the records. Household size and children aged 7–15 come from the registry.

Every response goes through `response_record` (source "demo"), as a form entered on the web would.
Each family's answers come from a `random.Random` seeded by the demo seed and the family's No KK (each
group's by its name), so the same seed gives the same answers, whatever the database ids.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Min, Sum

from berdaya.core.models import Region, User
from berdaya.evaluation.facts import BUSINESS_OPERATIONS, round_period
from berdaya.evaluation.models import Round
from berdaya.evaluation.services import response_record, round_create, round_score
from berdaya.kube.models import Kube, Membership
from berdaya.ledger.metrics import kube_metrics
from berdaya.ledger.models import JournalEntry, Operation
from berdaya.mentoring.alerts import kube_attendance
from berdaya.mentoring.models import Meeting, TrainingParticipant
from berdaya.registry.models import Decision, Family, Person

CITY = "61.71"
BASELINE = ("Survei awal 2025", dt.date(2025, 12, 1), dt.date(2025, 12, 31))
ENDLINE = ("Survei akhir 2026", dt.date(2026, 10, 1), dt.date(2026, 10, 25))
COMPARISON_FAMILIES = 30
NO_FACILITATOR = "Petugas Dinas Sosial Kota Pontianak"  # who assesses the groups no pendamping serves
# Words in a sale's description that name a buyer the group deals with regularly (a partnership).
PARTNER_WORDS = ("pesanan", "dititip", "galeri", "pameran", "rumah makan", "warung makan", "pengepul", "pelanggan")
# Empowerment indicators a poor household usually scores lower on: services and power over barriers.
EMPOWERMENT_OFFSET = {"within": 0.2, "to": 0.0, "over": -0.25, "with": 0.1}
SPHERE_OFFSET = {"econ": 0.1, "services": -0.2, "social": 0.0}
EMPOWERMENT_ITEMS = (
    "within_econ_1", "within_econ_2", "within_econ_3", "within_services_1", "within_services_2",
    "within_social_1", "within_social_2", "to_econ_1", "to_econ_2", "to_econ_3", "to_services_1",
    "to_services_2", "to_social_1", "to_social_2", "over_econ_1", "over_econ_2", "over_econ_3",
    "over_services_1", "over_services_2", "over_social_1", "over_social_2", "over_social_3",
    "with_econ_1", "with_econ_2", "with_services_1", "with_services_2", "with_social_1", "with_social_2",
)  # fmt: skip
NEW_MARKETS = (
    "Mulai menjual ke pedagang di Pasar Flamboyan",
    "Produk baru dalam kemasan untuk toko oleh-oleh",
    "Pesanan tetap dari rumah makan di Jalan Gajah Mada",
    "Mulai menjual daring lewat grup WhatsApp kelurahan",
)


def demo_evaluation_build(*, seed: int, officer: User, as_of: dt.date, log: Callable[[str], None]) -> dict:
    """Two survey rounds for the city's funded KUBEs, answered and scored. Runs inside demo_build's transaction.

    The baseline takes the KUBEs that had their aid before it began (groups funded later have no baseline);
    the endline every KUBE that received aid. Returns counts of rounds, responses, scores and plan actions.
    """
    city = Region.objects.get(code=CITY)
    name, start, end = BASELINE
    funded_by = {k.pk: k.first_aid for k in Kube.objects.annotate(first_aid=Min("aid__paid_on")) if k.first_aid}
    early = [k for k in Kube.objects.filter(pk__in=[pk for pk, paid in funded_by.items() if paid < start])]
    baseline = round_create(
        actor=officer, name=name, kind="baseline", region=city, start_on=start, end_on=end, kubes=early
    )
    name, start, end = ENDLINE
    endline = round_create(
        actor=officer, name=name, kind="endline", region=city, start_on=start, end_on=end, baseline=baseline
    )
    kubes = list(endline.kubes.order_by("region_id", "name"))
    groups = {kube.pk: _group(kube, seed, funded_by[kube.pk], as_of) for kube in kubes}
    comparison = _comparison_families(seed)
    responses = 0
    for round_ in (baseline, endline):
        for kube in round_.kubes.order_by("region_id", "name"):
            responses += _survey_kube(round_, kube, groups[kube.pk], seed, officer)
        for family in comparison:
            _record(round_, "welfare", officer, _welfare(round_, family, None, _COMPARISON, seed))
            responses += 1
    scored = [round_score(actor=officer, round=round_) for round_ in (baseline, endline)]
    log(
        f"Evaluasi: 2 putaran ({baseline.kubes.count()} dan {endline.kubes.count()} KUBE), {responses:,} isian, "
        f"{len(comparison)} keluarga pembanding; berhasil di putaran akhir: {scored[1]['successful']} KUBE, "
        f"{scored[1]['actions']} tindakan rencana penguatan"
    )
    return {
        "rounds": 2,
        "responses": responses,
        "successful": scored[1]["successful"],
        "plan_actions": scored[0]["actions"] + scored[1]["actions"],
    }


# ---- how each group is doing, from its books --------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """What the books say of one group, and the change its members see between the rounds."""

    name: str
    health: float  # late sales ÷ early sales, less 0.3 when more than a tenth of the loans is 30 days late
    effect: float  # the change in a member household's income between the rounds (0.15 = +15 %)
    channels: int  # regular buyers named in its sales
    iks_kept: bool
    iks_paid: bool


_COMPARISON = _Group("pembanding", 1.0, 0.04, 0, False, False)


def _group(kube: Kube, seed: int, aid: dt.date, as_of: dt.date) -> _Group:
    sales = JournalEntry.objects.filter(kube=kube, operation=Operation.SALE)

    def total(start: dt.date, end: dt.date) -> int:
        return sales.filter(date__gte=start, date__lt=end).aggregate(s=Sum("total"))["s"] or 0

    early, late = total(aid, aid + dt.timedelta(days=182)), total(as_of - dt.timedelta(days=184), as_of)
    health = min(1.5, late / early) if early else 1.0
    par30 = kube_metrics(kube, as_of=ENDLINE[2], months=12).par30
    if par30 is not None and par30 > 0.10:
        health -= 0.3
    rng = random.Random(f"{seed}:evaluation:{kube.name}")
    effect = max(-0.08, min(0.28, 0.10 + 0.5 * (health - 1) + rng.uniform(-0.02, 0.03)))
    texts = {d.split(" (panen")[0].lower() for d in sales.values_list("description", flat=True).distinct()}
    iks = set(JournalEntry.objects.filter(kube=kube).values_list("operation", flat=True).distinct())
    return _Group(
        name=kube.name,
        health=health,
        effect=effect,
        channels=sum(any(word in text for word in PARTNER_WORDS) for text in texts),
        iks_kept=Operation.IKS_ALLOCATION in iks,
        iks_paid=Operation.IKS_PAYOUT in iks,
    )


def _comparison_families(seed: int) -> list[Family]:
    """Eligible families of the city in no KUBE at all, drawn once for both rounds."""
    members = Membership.objects.values("family_id")
    pool = list(
        Family.objects.filter(region__code__startswith=CITY + ".", latest_decision__decision=Decision.ELIGIBLE)
        .exclude(pk__in=members)
        .order_by("no_kk")
    )
    rng = random.Random(f"{seed}:evaluation:comparison")
    return sorted(rng.sample(pool, min(COMPARISON_FAMILIES, len(pool))), key=lambda f: f.no_kk)


# ---- one group in one round -----------------------------------------------------------------------


def _survey_kube(round_: Round, kube: Kube, group: _Group, seed: int, officer: User) -> int:
    families = [m.family for m in kube.memberships.select_related("family").order_by("family__no_kk")]
    for family in families:
        _record(round_, "welfare", officer, _welfare(round_, family, kube, group, seed))
        _record(round_, "empowerment", officer, _empowerment(round_, family, kube, group, seed))
    _record(round_, "group_assessment", officer, _assessment(round_, kube, group, seed))
    return 2 * len(families) + 1


def _record(round_: Round, instrument: str, officer: User, values: dict) -> None:
    who = values.get("family_id") or values["kube_id"]
    response_record(
        actor=officer,
        round=round_,
        instrument=instrument,
        values=values,
        instance_id=f"demo-{round_.pk}-{instrument}-{who}",
        source="demo",
    )


def _survey_date(round_: Round, rng: random.Random) -> dt.date:
    return round_.start_on + dt.timedelta(days=rng.randint(0, (round_.end_on - round_.start_on).days))


def _endline(round_: Round) -> bool:
    return round_.baseline_id is not None


def _welfare(round_: Round, family: Family, kube: Kube | None, group: _Group, seed: int) -> dict:
    """A household's answers. Both rounds are drawn from the same seeded sequence, so the endline follows on."""
    rng = random.Random(f"{seed}:evaluation:welfare:{family.no_kk}")
    people = list(Person.objects.filter(family=family).values_list("birth_date", flat=True))
    size = max(1, min(30, len(people)))
    # Before: a poor household near the poverty line; how it lives follows from how poor it is.
    per_head = rng.lognormvariate(13.2, 0.3)  # median about Rp540.000 a head a month
    poor = 609_160 / per_head  # above 1: below the national poverty line
    short_of_food = rng.random() < 0.12 + 0.2 * poor
    few_meals = rng.random() < 0.06
    clothes = rng.random() > 0.25 + 0.25 * poor
    floor = rng.choices(["kayu_murah", "semen", "kayu_baik", "keramik", "tanah"], [3, 4, 3, 1, 0.3])[0]
    wall = rng.choices(["kayu_murah", "kayu_baik", "tembok", "tembok_kasar"], [3, 3, 3, 1])[0]
    roof = rng.choices(["seng", "asbes", "genteng", "daun"], [6, 2, 1, 0.2])[0]
    area = float(rng.choice(range(24, 66, 3)))
    before = {
        "income": per_head * size,
        "short": short_of_food,
        "meals": 2 if few_meals else rng.choice((2, 3, 3, 3)),
        "protein": rng.random() < 0.8,
        "clothes": clothes,
        "sick": rng.random() < 0.1 + 0.1 * poor,
        "insured": rng.random() < 0.85,
        "worship": rng.random() < 0.97,
        "community": rng.random() < 0.7,
    }
    # After: the group's change, and each household's own luck.
    effect = group.effect
    after = dict(before)
    after["income"] = before["income"] * (1 + effect + rng.gauss(0, 0.06))
    recover, relapse = max(0.05, min(0.8, 0.15 + 2.5 * effect)), 0.03 + max(0.0, -effect)
    after["short"] = rng.random() > recover if before["short"] else rng.random() < relapse
    after["clothes"] = rng.random() < recover if not before["clothes"] else rng.random() > relapse
    after["meals"] = 3 if after["meals"] == 2 and rng.random() < recover else after["meals"]
    after["protein"] = before["protein"] or rng.random() < recover
    after["sick"] = rng.random() < (0.08 if effect > 0.05 else 0.15)
    after["community"] = before["community"] or rng.random() < recover * (1.0 if kube else 0.3)
    # Some houses of the groups that did well are repaired (the books lend for "perbaikan rumah").
    repaired = floor in ("kayu_murah", "tanah") and rng.random() < max(0.0, effect)
    floor_after = "semen" if repaired else floor
    answers = after if _endline(round_) else before
    day = _survey_date(round_, rng)
    children = sum(1 for b in people if b and 7 <= _age(b, day) <= 15)
    values = {
        "sample": "anggota" if kube else "pembanding",
        "family_id": family.pk,
        "round": round_.kind,
        "survey_date": day,
        "consent": "1",
        "income_month": int(round(answers["income"], -4)),
        "household_size": size,
        "meals_per_day": answers["meals"],
        "food_shortage_month": _yes(answers["short"]),
        "protein_week": _yes(answers["protein"]),
        "new_clothes_year": _yes(answers["clothes"]),
        "floor_material": floor_after if _endline(round_) else floor,
        "wall_material": wall,
        "roof_material": roof,
        "floor_area": area,
        "sick_untreated": _yes(answers["sick"]),
        "health_insurance": _yes(answers["insured"]),
        "children_7_15": children,
        "worship_able": _yes(answers["worship"]),
        "community_activity_3m": _yes(answers["community"]),
    }
    if kube is not None:
        values["kube_id"] = kube.pk
    if children:
        values["children_not_school"] = 1 if rng.random() < 0.05 else 0
    if answers["community"]:
        values["community_activity_types"] = sorted(
            rng.sample(["gotong_royong", "rapat_rt_rw", "arisan", "posyandu", "pengajian"], rng.randint(1, 3))
        )
    return values


def _empowerment(round_: Round, family: Family, kube: Kube, group: _Group, seed: int) -> dict:
    rng = random.Random(f"{seed}:evaluation:empowerment:{family.no_kk}")
    level = min(3.5, max(1.4, rng.gauss(2.5, 0.35)))
    if _endline(round_):
        level += max(-0.1, min(0.6, 0.15 + 1.6 * group.effect)) + rng.gauss(0, 0.1)
        rng = random.Random(f"{seed}:evaluation:empowerment:{family.no_kk}:endline")
    values = {
        "kube_id": kube.pk,
        "family_id": family.pk,
        "round": round_.kind,
        "survey_date": _survey_date(round_, rng),
        "consent": "1",
    }
    for code in EMPOWERMENT_ITEMS:
        power, sphere, _n = code.split("_")
        mean = level + EMPOWERMENT_OFFSET[power] + SPHERE_OFFSET[sphere]
        values[code] = str(max(1, min(4, round(mean + rng.gauss(0, 0.45)))))
    return values


def _assessment(round_: Round, kube: Kube, group: _Group, seed: int) -> dict:
    """The pendamping's assessment: meetings, trainings and IKS read off the records, the rest observed."""
    rng = random.Random(f"{seed}:evaluation:group:{kube.name}:{round_.kind}")
    period = round_period(round_, kube)
    endline = _endline(round_)
    quality = 2.5 + (max(-0.3, min(0.8, 0.2 + 2 * group.effect)) if endline else 0.0)

    def likert(shift: float = 0.0) -> str:
        return str(max(1, min(4, round(quality + shift + rng.gauss(0, 0.3)))))

    regular, meetings = _regular_share(kube, period)
    attendance = kube_attendance(kube, period.start, period.end).rate or 0.0
    trained = TrainingParticipant.objects.filter(
        kube=kube, training__date__gte=period.start, training__date__lte=period.end
    ).exists()
    aid_paid = kube.aid.aggregate(first=Min("paid_on"))["first"]
    reported = (round_.start_on - aid_paid).days >= 60 and (group.health >= 0.5 or rng.random() < 0.5)
    healthy = group.health >= 0.95
    new_market = endline and healthy and rng.random() < 0.5
    bonus = rng.choice((0, 1, 1, 2)) if healthy else rng.choice((0, 0, 1))
    assignment = kube.assignments.select_related("facilitator").order_by("-start").first()
    values = {
        "kube_id": kube.pk,
        "round": round_.kind,
        "survey_date": _survey_date(round_, rng),
        "observer": assignment.facilitator.name if assignment else NO_FACILITATOR,
        "coop_help": likert(0.3),
        "coop_tasks_shared": likert(),
        "coop_musyawarah": likert(0.4 if attendance >= 0.75 else -0.2),
        "coop_community": likert(-0.2),
        "partner_count": min(3, (group.channels if endline else min(1, group.channels)) + (bonus if endline else 0)),
        "books_shown": _yes(group.health >= 0.8 or rng.random() < 0.3),
        "aid_report_submitted": _yes(reported),
        "trust_officers": likert(0.2 if group.health >= 0.8 else -0.6),
        "operations_monthly": _scale(regular),
        "meetings_monthly": _scale(meetings),
        "new_product_market": _yes(new_market),
        "iks_allocated": _yes(group.iks_kept),
        "iks_use": "sosial" if group.iks_paid else "disimpan" if group.iks_kept else "belum_ada",
        "members_speak": str(min(4, 2 + (attendance >= 0.8) + (endline and group.effect > 0.05))),
        "community_events": rng.randint(2, 6) if endline and healthy else rng.randint(0, 2),
        "skill_bookkeeping": str(min(4, 2 + (group.health >= 0.8) + (endline and group.effect > 0.05))),
        "skill_problem_solving": str(min(4, 2 + (endline and group.effect > 0.08) + (healthy and rng.random() < 0.4))),
        "skill_new_learned": _yes(trained),
        "observer_note": _note(group, attendance, endline),
    }
    if new_market:
        values["new_product_market_note"] = rng.choice(NEW_MARKETS)
    return values


def _regular_share(kube: Kube, period) -> tuple[float, float]:
    """Share of the period's months with a meeting and a business transaction, and with a meeting."""
    months = set(period.months)
    meeting = {
        d.replace(day=1)
        for d in Meeting.objects.filter(kube=kube, date__range=(period.start, period.end)).values_list(
            "date", flat=True
        )
    }
    business = {
        d.replace(day=1)
        for d in JournalEntry.objects.filter(
            kube=kube, date__range=(period.start, period.end), operation__in=BUSINESS_OPERATIONS
        ).values_list("date", flat=True)
    }
    if not months:
        return 0.0, 0.0
    return len(months & meeting & business) / len(months), len(months & meeting) / len(months)


def _scale(share: float) -> str:
    return "4" if share >= 1 else "3" if share >= 0.8 else "2" if share >= 0.4 else "1"


def _note(group: _Group, attendance: float, endline: bool) -> str:
    if group.health < 0.8:
        return "Penjualan menurun dan ada angsuran pinjaman anggota yang macet; perlu musyawarah penagihan."
    if attendance < 0.75:
        return "Kehadiran rapat masih rendah; pengurus perlu mengajak anggota yang jarang datang."
    if endline:
        return "Usaha berjalan baik; anggota aktif dan buku kas rapi."
    return "Kelompok baru berjalan; anggota bersemangat."


def _yes(flag: bool) -> str:
    return "1" if flag else "0"


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
