"""The demo's KUBEs and mentoring (spec §10): about 40 groups formed by the real optimiser from the
screened registry and walked through the real lifecycle services, pendamping for Kecamatan Pontianak
Utara and none for Pontianak Kota (the Makassar failure, visible in the alerts), and 18 months of
meetings with attendance, visits and trainings.

History (meetings, attendance, visits) is bulk-loaded: it is what would have been recorded over
18 months, and going through a service per row would fill the audit log with the demo's own
making. Everything is drawn from one `random.Random`, so the same seed builds the same world.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from berdaya.core.models import Region, User
from berdaya.demo.books import demo_books_build
from berdaya.engine.grouping.formation import GroupingOptions, form_groups
from berdaya.kube import services
from berdaya.kube.models import Kube, KubeState
from berdaya.mentoring.models import (
    Assignment,
    Attendance,
    Facilitator,
    FacilitatorRole,
    Meeting,
    Training,
    TrainingParticipant,
    Visit,
    VisitPurpose,
)
from berdaya.registry.models import Decision, Family
from berdaya.registry.services.common import default_ruleset

KUBE_COUNT = 40
STAFFED_KECAMATAN = "61.71.04"  # Pontianak Utara has pendamping; Pontianak Kota (61.71.05) has none.
# Product names per business type; groups are called "KUBE <name> <n>".
NAMES = {
    "pertanian": ["Jagung Manis", "Lidah Buaya", "Sayur Segar"],
    "peternakan": ["Ayam Kampung", "Kambing Etawa"],
    "perikanan": ["Lele Kapuas", "Patin Jaya"],
    "pengolahan_pangan": ["Kerupuk Basah", "Sambal Lingkong"],
    "perdagangan": ["Warung Berkah", "Kios Sembako"],
    "kerajinan": ["Anggrek", "Tenun Corak Insang"],
    "jasa": ["Jahit Rapi", "Servis Motor"],
}
# The two groups the spec names: sweet corn in Siantan Hulu, and Anggrek 6, a pre-KUBE that meets
# more than four times a month before its capital arrives (the Yogyakarta case).
JAGUNG_MANIS = ("KUBE Jagung Manis 8", "61.71.04.1001", "pertanian")
ANGGREK = "KUBE Anggrek 6"
FACILITATORS = (
    ("Siti Rahmawati", "pendamping1", -0.0105, 109.3390),
    ("Andi Pratama", None, -0.0040, 109.3290),
    ("Yuliana Kristina", None, -0.0200, 109.3470),
)
# Lifecycle mix of the 40 groups, most of them working.
STATE_PLAN = (
    [KubeState.PROPOSED] * 4 + [KubeState.VERIFIED] * 3 + [KubeState.ESTABLISHED] * 4
    + [KubeState.FUNDED] * 5 + [KubeState.ACTIVE] * 22 + [KubeState.GRADUATED, KubeState.DISSOLVED]
)  # fmt: skip
HISTORY_START = dt.date(2025, 5, 1)
DEMO_AID = 20_000_000  # UEP aid per KUBE, the same for every group
# Graduation and dissolution, in days before the demo date.
ENDINGS = {KubeState.GRADUATED: 20, KubeState.DISSOLVED: 75}


def demo_kubes_build(*, seed: int, officer: User, as_of: dt.date, log: Callable[[str], None]) -> dict:
    """Form, establish and mentor the demo KUBEs. Runs inside demo_build's transaction."""
    rng = random.Random(seed * 31 + 4)
    groups = _proposals(seed)
    kubes, endings = _create_kubes(groups, rng, officer, as_of)
    log(f"KUBE dibentuk: {len(kubes)} (dari {len(groups)} usulan optimasi)")
    # A group's books are written while it works: a dissolved group's books are frozen and a graduated
    # group's members have left, so the groups graduate or dissolve only after their history is posted.
    ends = {kube.pk: (state, as_of - dt.timedelta(days=ENDINGS[state])) for kube, state in endings}
    book_counts = demo_books_build(seed=seed, officer=officer, as_of=as_of, log=log, endings=ends)
    _end(endings, officer, as_of)
    facilitators = _facilitators(officer)
    assigned = _assign(kubes, facilitators)
    meetings, attendance, visits = _history(kubes, assigned, rng, as_of)
    trainings = _trainings(kubes, rng)
    log(
        f"Pendampingan: {len(facilitators)} pendamping di Pontianak Utara, tidak ada di Pontianak Kota; "
        f"{meetings:,} pertemuan, {attendance:,} catatan kehadiran, {visits:,} kunjungan, {trainings} pelatihan"
    )
    return {"kubes": len(kubes), "meetings": meetings, "visits": visits, **book_counts}


def _proposals(seed: int) -> list[dict]:
    """The optimiser's proposal over every eligible family of the city, in a stable order."""
    ruleset = default_ruleset()
    families = list(
        Family.objects.filter(latest_decision__decision=Decision.ELIGIBLE)
        .select_related("latest_decision")
        .order_by("no_kk")
    )
    rows = [
        {
            "no_kk": f.no_kk,
            "kode_wilayah": f.region_id,
            "lat": f.lat,
            "lon": f.lon,
            "keahlian": f.latest_decision.business_type,
            "rt": f.rt,
            "rw": f.rw,
        }
        for f in families
    ]
    options = GroupingOptions(ruleset.group_size_min, ruleset.group_size_max, target=10, seed=seed)
    result = form_groups(rows, options)
    by_no_kk = {f.no_kk: f for f in families}
    members: dict[str, list[Family]] = {}
    for row in result.members:
        members.setdefault(row["group_id"], []).append(by_no_kk[row["no_kk"]])
    return [{**g, "families": members[g["group_id"]], "meeting": by_no_kk[g["meeting_no_kk"]]} for g in result.groups]


def _pick(groups: list[dict], rng: random.Random) -> list[dict]:
    """About 40 groups spread over the villages, the sweet-corn group of Siantan Hulu first."""
    if not groups:
        return []
    name, village, business = JAGUNG_MANIS
    # A small demo (tests build 60 families) may have no sweet-corn group there: take the first group.
    first = next((g for g in groups if g["kode_wilayah"] == village and g["business_type"] == business), groups[0])
    rest = [g for g in groups if g is not first and not g["mixed"]]
    rng.shuffle(rest)
    by_village: dict[str, list[dict]] = {}
    for g in rest:
        by_village.setdefault(g["kode_wilayah"], []).append(g)
    picked = [first]
    while len(picked) < KUBE_COUNT and any(by_village.values()):
        for village_code in sorted(by_village):
            if by_village[village_code] and len(picked) < KUBE_COUNT:
                picked.append(by_village[village_code].pop())
    return picked


def _create_kubes(
    groups: list[dict], rng: random.Random, officer: User, as_of: dt.date
) -> tuple[list[Kube], list[tuple[Kube, str]]]:
    """The KUBEs, each taken to its planned state, and those still to graduate or dissolve (see _end)."""
    picked = _pick(groups, rng)
    if not picked:
        return [], []
    states = list(STATE_PLAN)
    rng.shuffle(states)
    states = states[: len(picked)]
    states[0] = KubeState.ACTIVE  # Jagung Manis 8 is the study's working group
    if len(states) > 1 and KubeState.ESTABLISHED not in states:
        states[1] = KubeState.ESTABLISHED
    # Anggrek 6: the first established group whose business is crafts, else the first established one.
    anggrek_at = next(
        (i for i, g in enumerate(picked) if states[i] == KubeState.ESTABLISHED and g["business_type"] == "kerajinan"),
        states.index(KubeState.ESTABLISHED) if KubeState.ESTABLISHED in states else -1,
    )
    counters: dict[str, int] = {}
    regions = {r.code: r for r in Region.objects.filter(code__in={g["kode_wilayah"] for g in picked})}
    kubes, endings = [], []
    for i, (group, state) in enumerate(zip(picked, states, strict=True)):
        if i == 0:
            name = JAGUNG_MANIS[0]
        elif i == anggrek_at:
            name = ANGGREK
        else:
            series = rng.choice(NAMES.get(group["business_type"], ["Usaha Bersama"]))
            counters[series] = counters.get(series, 0) + 1
            number = counters[series]
            if (series, number) in (("Jagung Manis", 8), ("Anggrek", 6)):
                counters[series] += 1
                number += 1
            name = f"KUBE {series} {number}"
        kube = _walk(group, name, state, regions[group["kode_wilayah"]], rng, officer, as_of)
        kube.refresh_from_db()  # the services hand back fresh rows; the one created first is stale
        kubes.append(kube)
        if state in ENDINGS:
            endings.append((kube, state))
    return kubes, endings


def _walk(
    group: dict, name: str, state: str, region: Region, rng: random.Random, officer: User, as_of: dt.date
) -> Kube:
    """Create one KUBE and take it through the lifecycle services to `state`, on plausible dates."""
    early = state in (KubeState.ACTIVE, KubeState.GRADUATED, KubeState.DISSOLVED)
    if state == KubeState.PROPOSED:
        formed = as_of - dt.timedelta(days=rng.randint(10, 60))
    elif early:
        formed = HISTORY_START + dt.timedelta(days=rng.randint(0, 150))
    else:
        formed = as_of - dt.timedelta(days=rng.randint(120, 300))
    families = group["families"]
    kube = services.kube_create(
        actor=officer,
        name=name,
        region=region,
        families=families,
        business_type=group["business_type"],
        formed_on=formed,
        meeting_family=group["meeting"],
        reason="usulan optimasi pembentukan kelompok",
    )
    if state == KubeState.PROPOSED:
        return kube
    heads = [f.members.order_by("id").first() for f in families[:3]]
    users = {"bendahara": User.objects.get(username="bendahara")} if name == JAGUNG_MANIS[0] else None
    musyawarah = formed + dt.timedelta(days=14)
    services.officers_set(
        actor=officer, kube=kube, chair=heads[0], secretary=heads[1], treasurer=heads[2], since=musyawarah, users=users
    )
    services.kube_verify(
        actor=officer,
        kube=kube,
        musyawarah_on=musyawarah,
        bank_name="Bank Kalbar",
        bank_account=f"1030{rng.randint(10**7, 10**8 - 1)}",
        reason="musyawarah pembentukan",
    )
    if state == KubeState.VERIFIED:
        return kube
    decree = musyawarah + dt.timedelta(days=30)
    services.kube_establish(
        actor=officer, kube=kube, decree_number=f"460/{kube.pk:03d}/DINSOS-PTK/{decree.year}", decree_date=decree
    )
    if state == KubeState.ESTABLISHED:
        return kube
    paid = decree + dt.timedelta(days=30)
    services.aid_record(
        actor=officer,
        kube=kube,
        amount=DEMO_AID,
        paid_on=paid,
        reference=f"UEP-{paid.year}-{kube.pk:04d}",
    )
    services.plan_record(
        actor=officer,
        kube=kube,
        title=f"RUB {kube.name}",
        agreed_on=musyawarah,
        lines=[
            {
                "kind": "investment",
                "description": "Peralatan usaha",
                "quantity": 1,
                "unit_price": 800_000 * len(families),
            },
            {
                "kind": "operating",
                "description": "Bahan baku bulan pertama",
                "quantity": len(families),
                "unit": "KK",
                "unit_price": 1_000_000,
            },
            {
                "kind": "income",
                "description": "Perkiraan penjualan per bulan",
                "quantity": 1,
                "unit_price": 450_000 * len(families),
            },
        ],
    )
    if state == KubeState.FUNDED:
        return kube
    services.kube_activate(actor=officer, kube=kube, on=paid + dt.timedelta(days=7))
    return kube


def _end(endings: list[tuple[Kube, str]], officer: User, as_of: dt.date) -> None:
    """Graduate or dissolve the groups planned to end, once their books are written."""
    for kube, state in endings:
        on = as_of - dt.timedelta(days=ENDINGS[state])
        if state == KubeState.GRADUATED:
            services.kube_graduate(
                actor=officer,
                kube=kube,
                on=on,
                reason="evaluasi akhir: usaha berjalan, IKS terbentuk, tanpa pendampingan intensif",
            )
        else:
            services.kube_dissolve(
                actor=officer, kube=kube, on=on, reason="usaha berhenti setelah banjir; anggota sepakat membubarkan"
            )
        kube.refresh_from_db()


def _facilitators(officer: User) -> list[Facilitator]:
    home = Region.objects.get(code=STAFFED_KECAMATAN)
    made = []
    for name, username, lat, lon in FACILITATORS:
        user = User.objects.get(username=username) if username else None
        made.append(Facilitator.objects.create(name=name, user=user, home_region=home, cap=10, lat=lat, lon=lon))
    return made


def _assign(kubes: list[Kube], facilitators: list[Facilitator]) -> dict[int, tuple[Facilitator, dt.date]]:
    """Staffed-kecamatan groups share the three pendamping by village, from their musyawarah on."""
    staffed = [k for k in kubes if k.region_id.startswith(STAFFED_KECAMATAN + ".") and k.formed_on]
    staffed.sort(key=lambda k: (k.region_id, k.name))
    assigned = {}
    for i, kube in enumerate(staffed):
        facilitator = facilitators[0] if kube.name == JAGUNG_MANIS[0] else facilitators[i % len(facilitators)]
        start = kube.formed_on + dt.timedelta(days=7)
        end = None
        if kube.state in (KubeState.GRADUATED, KubeState.DISSOLVED):
            end = kube.events.order_by("-at").first().effective_on
        Assignment.objects.create(kube=kube, facilitator=facilitator, start=start, end=end, source="proposed")
        assigned[kube.pk] = (facilitator, start)
    return assigned


def _history(kubes, assigned, rng: random.Random, as_of: dt.date) -> tuple[int, int, int]:
    """Meetings with attendance for every group since its musyawarah, and visits for the staffed ones."""
    meetings: list[Meeting] = []
    attendance_plan: list[tuple[int, list[tuple[Family, str]]]] = []
    visits: list[Visit] = []
    low_attendance = next(
        (k.pk for k in kubes if not k.region_id.startswith(STAFFED_KECAMATAN + ".") and k.state == KubeState.ACTIVE),
        None,
    )
    quiet = next(
        (k.pk for k in kubes if k.pk in assigned and k.state == KubeState.ACTIVE and k.name != JAGUNG_MANIS[0]), None
    )
    for kube in kubes:
        if not kube.musyawarah_on:
            continue
        families = [m.family for m in kube.memberships.select_related("family").order_by("id")]
        ended = kube.events.filter(to_state__in=["graduated", "dissolved"]).values_list("effective_on", flat=True)
        last_day = min([as_of - dt.timedelta(days=1), *ended])
        rate = 0.45 if kube.pk == low_attendance else rng.uniform(0.72, 0.95)
        day = kube.musyawarah_on
        while day <= last_day:
            funded = kube.aid.filter(paid_on__lte=day).exists()
            per_month = 2 if funded else 1
            if kube.name == ANGGREK and (as_of - day).days <= 31:
                per_month = 5  # meets more than four times a month before its capital: CAPITAL_LOAN_READY
            for _ in range(per_month):
                date = day + dt.timedelta(days=rng.randint(0, 27))
                if date > last_day:
                    continue
                meetings.append(
                    Meeting(kube=kube, date=date, agenda=rng.choice(AGENDAS), spiritual_guidance=rng.random() < 0.3)
                )
                attendance_plan.append((len(meetings) - 1, [(f, _status(rng, rate)) for f in families]))
            day = _next_month(day)
        if kube.pk in assigned:
            facilitator, start = assigned[kube.pk]
            day = start
            stop = last_day - dt.timedelta(days=45) if kube.pk == quiet else last_day
            while day <= stop:
                visits.append(
                    Visit(
                        kube=kube,
                        facilitator=facilitator,
                        date=day,
                        purpose=rng.choice(VisitPurpose.values),
                        role_served=rng.choice(FacilitatorRole.values),
                        notes=rng.choice(VISIT_NOTES),
                    )
                )
                day += dt.timedelta(days=rng.randint(12, 26))
    created = Meeting.objects.bulk_create(meetings)
    rows = [Attendance(meeting=created[i], family=f, status=s) for i, marks in attendance_plan for f, s in marks]
    Attendance.objects.bulk_create(rows, batch_size=2000)
    Visit.objects.bulk_create(visits)
    return len(created), len(rows), len(visits)


def _status(rng: random.Random, rate: float) -> str:
    draw = rng.random()
    if draw < rate:
        return "present"
    return "excused" if draw < rate + (1 - rate) * 0.4 else "absent"


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _trainings(kubes: list[Kube], rng: random.Random) -> int:
    city = Region.objects.get(code="61.71")
    plan = [
        ("Pembukuan sederhana KUBE", "Dinas Sosial Kota Pontianak", dt.date(2025, 8, 12)),
        ("Budidaya jagung manis", "Penyuluh Pertanian Pontianak Utara", dt.date(2025, 10, 7)),
        ("Pemasaran digital produk KUBE", "Rumah BUMN Pontianak", dt.date(2026, 3, 17)),
        ("Pengelolaan Iuran Kesetiakawanan Sosial (IKS)", "Dinas Sosial Kota Pontianak", dt.date(2026, 7, 21)),
    ]
    for topic, trainer, date in plan:
        training = Training.objects.create(topic=topic, trainer=trainer, date=date, days=2, region=city)
        eligible = [k for k in kubes if k.musyawarah_on and k.musyawarah_on <= date]
        for kube in rng.sample(eligible, min(len(eligible), 8)):
            treasurer = kube.officers.filter(role="bendahara").select_related("person").first()
            if treasurer and treasurer.person.family_id:
                TrainingParticipant.objects.create(training=training, kube=kube, family_id=treasurer.person.family_id)
    # Every quarter the pendamping of Pontianak Utara run a business class for the members of their groups
    # (most attend); Pontianak Kota has no pendamping, so its groups get none (the failure the dashboard shows).
    home = Region.objects.get(code=STAFFED_KECAMATAN)
    for topic, date in QUARTERLY_CLASSES:
        training = Training.objects.create(
            topic=topic, trainer="Pendamping Kecamatan Pontianak Utara", date=date, days=1, region=home
        )
        rows = []
        for kube in kubes:
            if not kube.region_id.startswith(STAFFED_KECAMATAN + ".") or not kube.musyawarah_on:
                continue
            if kube.musyawarah_on > date:
                continue
            for membership in kube.memberships.filter(live=True).order_by("id"):
                if rng.random() < 0.8:
                    rows.append(TrainingParticipant(training=training, kube=kube, family_id=membership.family_id))
        TrainingParticipant.objects.bulk_create(rows)
    return len(plan) + len(QUARTERLY_CLASSES)


QUARTERLY_CLASSES = (
    ("Kelas usaha triwulan: harga pokok dan pencatatan", dt.date(2025, 9, 16)),
    ("Kelas usaha triwulan: pemasaran bersama", dt.date(2025, 12, 9)),
    ("Kelas usaha triwulan: mutu produk dan kemasan", dt.date(2026, 2, 24)),
    ("Kelas usaha triwulan: menagih pinjaman anggota", dt.date(2026, 5, 19)),
    ("Kelas usaha triwulan: menyusun laporan tahunan", dt.date(2026, 8, 18)),
    ("Kelas usaha triwulan: rencana usaha 2027", dt.date(2026, 10, 13)),
)

AGENDAS = (
    "Pertemuan rutin dan setoran IKS",
    "Pembagian tugas produksi",
    "Laporan keuangan bulanan",
    "Rencana pemasaran",
    "Evaluasi usaha bersama pendamping",
    "Musyawarah pembagian SHU",
)
VISIT_NOTES = (
    "Buku kas diperiksa, saldo sesuai.",
    "Anggota diajak menghubungi pembeli di pasar Siantan.",
    "Motivasi anggota yang jarang hadir.",
    "Membantu menyusun laporan bulanan.",
    "Meninjau lahan dan peralatan usaha.",
)
