"""The city-scale demo world (issue 7): all of Kota Pontianak, for page benchmarks at realistic size.

`berdaya demo --scale city` builds about 100,000 DTKS families over the six kecamatan and 29 kelurahan of
Kota Pontianak (the real region tree loaded by `regions_load`), screens them, forms about 2,000 KUBEs with
the grouping engine and takes each through the lifecycle services, gives every kecamatan but Pontianak
Kota its pendamping (the small demo's Makassar failure, city-wide), records nine months of meetings with
attendance and pendamping visits, and posts about a million journal lines through the ledger's bulk
service. Everything goes through the same services an officer's work would (import, screening, kube,
mentoring, ledger); the small demo's helpers in world.py, kubes.py and books.py are reused, not copied.

What it leaves out, to stay within about a quarter of an hour on two cores: survey rounds and scores
(`response_record` per family and instrument would take longer than everything else together), trainings,
and the history of meetings before the last `meeting_months` months (the small demo bulk-loads 18 months
straight into the tables; here every meeting goes through `meeting_record`, so there are fewer of them).

Seeded like the small demo: the same seed and sizes give the same world.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction

from berdaya.core.models import AuditEvent, Region, User
from berdaya.core.services import audit_record, regions_load, user_create
from berdaya.demo.build import (
    DEMO_AS_OF,
    DEMO_CITY,
    DEMO_PASSWORD,
    DEMO_USERS,
    DemoError,
    _reset_previous_demo,
    demo_refuse_in_production,
)
from berdaya.demo.world import KELURAHAN, Kelurahan, generate_dtks, without_shared_niks, write_csv

CITY_FAMILIES = 100_000
CITY_KUBES = 2_000
MEETING_MONTHS = 9  # months of meetings and visits before the demo date
UNSTAFFED_KECAMATAN = "61.71.05"  # Pontianak Kota: no pendamping, as in the small demo
FACILITATOR_LOAD = 16  # KUBEs per pendamping when the city staffs a kecamatan
FACILITATOR_CAP = 20
# Share of each kecamatan in the registry, roughly as the city's population is spread.
KECAMATAN_SHARE = {
    "61.71.01": 0.13,  # Pontianak Selatan
    "61.71.02": 0.16,  # Pontianak Timur
    "61.71.03": 0.21,  # Pontianak Barat
    "61.71.04": 0.22,  # Pontianak Utara
    "61.71.05": 0.19,  # Pontianak Kota
    "61.71.06": 0.09,  # Pontianak Tenggara
}
# Lifecycle mix of the city's KUBEs: most of them funded and working, so most have books.
STATE_MIX = (
    ("proposed", 0.05),
    ("verified", 0.04),
    ("established", 0.05),
    ("funded", 0.10),
    ("active", 0.72),
    ("graduated", 0.02),
    ("dissolved", 0.02),
)

_STREETS = {
    "61.71.01": ("Jl. Ahmad Yani", "Jl. Imam Bonjol", "Jl. Sultan Abdurrahman", "Jl. Karimata", "Jl. Paris"),
    "61.71.02": ("Jl. Tanjung Raya", "Jl. Panglima Aim", "Jl. Tritura", "Jl. Sultan Syarif Abdurrahman"),
    "61.71.03": ("Jl. Komyos Sudarso", "Jl. Pak Benceng", "Jl. Selat Panjang", "Jl. Tebu", "Jl. Kom Yos"),
    "61.71.06": ("Jl. Sepakat", "Jl. Perdana", "Jl. Parit Haji Husin", "Jl. Ampera", "Jl. Bansir"),
}
# The kelurahan the small demo does not cover: code, name, approximate centre, radius, livelihood.
_MORE_KELURAHAN = (
    ("61.71.01.1002", "Benuamelayu Laut", -0.0300, 109.3420, 0.0040, "kota"),
    ("61.71.01.1003", "Benuamelayu Darat", -0.0420, 109.3380, 0.0050, "kota"),
    ("61.71.01.1004", "Parittokaya", -0.0560, 109.3320, 0.0060, "kota"),
    ("61.71.01.1005", "Kotabaru", -0.0530, 109.3200, 0.0050, "kota"),
    ("61.71.01.1006", "Akcaya", -0.0450, 109.3300, 0.0040, "kota"),
    ("61.71.02.1001", "Paritmayor", -0.0050, 109.3850, 0.0070, "sungai"),
    ("61.71.02.1002", "Banjar Serasan", -0.0200, 109.3700, 0.0050, "sungai"),
    ("61.71.02.1003", "Saigon", -0.0320, 109.3800, 0.0060, "campur"),
    ("61.71.02.1004", "Tanjunghulu", -0.0150, 109.3800, 0.0050, "sungai"),
    ("61.71.02.1005", "Tanjunghilir", -0.0150, 109.3550, 0.0040, "sungai"),
    ("61.71.02.1006", "Dalambugis", -0.0250, 109.3500, 0.0040, "sungai"),
    ("61.71.02.1007", "Tambelansampit", -0.0300, 109.3600, 0.0040, "campur"),
    ("61.71.03.1001", "Pallima", -0.0450, 109.2950, 0.0060, "campur"),
    ("61.71.03.1002", "Sungaijawi Dalam", -0.0300, 109.3000, 0.0060, "kota"),
    ("61.71.03.1003", "Sungaijawi Luar", -0.0200, 109.3150, 0.0050, "campur"),
    ("61.71.03.1004", "Sungaibeliung", -0.0400, 109.2850, 0.0060, "kota"),
    ("61.71.06.1001", "Bansir Laut", -0.0550, 109.3550, 0.0050, "campur"),
    ("61.71.06.1002", "Bansir Darat", -0.0680, 109.3500, 0.0060, "campur"),
    ("61.71.06.1003", "Bangka Belitung Laut", -0.0620, 109.3650, 0.0050, "campur"),
    ("61.71.06.1004", "Bangka Belitung Darat", -0.0750, 109.3450, 0.0060, "tani"),
)
_FACILITATOR_NAMES = (
    "Rina Marlina", "Hendra Gunawan", "Nurul Hidayah", "Agus Salim", "Dewi Kartika", "Fransiskus Asui",
    "Maria Goreti", "Syarifah Aini", "Rudi Hartono", "Lili Suryani", "Bambang Setiawan", "Eka Putri",
    "Muhammad Ridwan", "Yohanes Bun", "Sri Wahyuni", "Iwan Kurniawan", "Utin Rahmah", "Daeng Malik",
)  # fmt: skip


def city_kelurahan() -> tuple[Kelurahan, ...]:
    """All 29 kelurahan of Kota Pontianak: the small demo's nine and the other twenty, sorted by code."""
    more = tuple(
        Kelurahan(code, name, lat, lon, radius, 1.0, livelihood, _STREETS[code[:8]])
        for code, name, lat, lon, radius, livelihood in _MORE_KELURAHAN
    )
    return tuple(sorted(KELURAHAN + more, key=lambda k: k.code))


class _Clock:
    def __init__(self, log: Callable[[str], None]) -> None:
        self.log, self.start = log, time.perf_counter()

    def __call__(self, message: str) -> None:
        self.log(f"[{time.perf_counter() - self.start:7.1f} s] {message}")


@transaction.atomic
def demo_city_build(
    *,
    seed: int = 2026,
    families: int = CITY_FAMILIES,
    kubes: int = CITY_KUBES,
    meeting_months: int = MEETING_MONTHS,
    log: Callable[[str], None] = print,
) -> dict:
    """Build the city-scale demo world, all of it or nothing; see the module docstring for what it holds.

    families, kubes: sizes of the registry and of the KUBE programme (tests pass small ones);
    meeting_months: how far back meetings and visits go. Returns the logins and the counts.
    Refuses a database holding data not made by a demo (DemoError), like `demo_build`.
    """
    from berdaya.registry.models import Family
    from berdaya.registry.services import dtks_import, eligibility_screen

    demo_refuse_in_production()
    clock = _Clock(log)
    as_of = DEMO_AS_OF
    if Family.objects.exists():
        if not AuditEvent.objects.filter(action="demo.build").exists():
            raise DemoError("Basis data ini berisi data yang bukan data demo; demo tidak akan menimpanya.")
        clock("Menghapus dunia demo sebelumnya …")
        _reset_previous_demo()
    if not Region.objects.filter(code__startswith=DEMO_CITY + ".").exists():
        counts = regions_load()
        clock(f"Wilayah Kemendagri dimuat: {counts['total']:,}")
    kelurahan = city_kelurahan()
    known = set(Region.objects.filter(code__startswith=DEMO_CITY + ".", level="desa").values_list("code", flat=True))
    differ = sorted(known ^ {k.code for k in kelurahan})
    if differ:
        raise DemoError(f"Kelurahan Kota Pontianak di data wilayah berbeda: {differ}")
    for username, role, region, description in DEMO_USERS:
        user_create(username=username, password=DEMO_PASSWORD, role=role, region_code=region, full_name=description)
    officer = User.objects.get(username="petugas")

    rows = generate_dtks(
        seed=seed, families=families, reference_date=as_of, kelurahan=kelurahan, kecamatan_share=KECAMATAN_SHARE
    )
    rows, held_back = without_shared_niks(rows)
    clock(f"DTKS dibuat: {len(rows):,} individu di {len(kelurahan)} kelurahan")
    # One file per kecamatan, as a Dinas receives them: one import of the whole city's 350,000 individuals
    # asks SQLite for more query parameters than it allows (the import looks up every NIK at once).
    by_kecamatan: dict[str, list[dict]] = {}
    for row in rows:
        by_kecamatan.setdefault(row["kode_wilayah"][:8], []).append(row)
    del rows
    imported = {"families": 0, "rows": 0}
    with tempfile.TemporaryDirectory() as folder:
        for code in sorted(by_kecamatan):
            path = Path(folder) / f"dtks-{code.replace('.', '')}-seed{seed}.csv"
            write_csv(by_kecamatan.pop(code), path)
            batch = dtks_import(path=path, actor=officer, file_name=path.name)
            if batch.status != "applied":
                raise DemoError(f"impor demo gagal ({code}): {batch.error or batch.problems[:3]}")
            imported["families"] += batch.counts["families"]
            imported["rows"] += batch.counts["rows"]
    clock(
        f"DTKS diimpor (satu berkas per kecamatan): {imported['families']:,} keluarga, "
        f"{imported['rows']:,} individu" + (f" ({held_back} baris dengan NIK ganda disisihkan)" if held_back else "")
    )
    _analyze(families)
    run = eligibility_screen(actor=officer, as_of=as_of, region_prefix=DEMO_CITY)
    _analyze(families)
    clock(
        f"Penyaringan: {run.counts['ELIGIBLE']:,} layak, {run.counts['INELIGIBLE']:,} tidak layak, "
        f"{run.counts['NEEDS_VERIFICATION']:,} perlu verifikasi"
    )

    from berdaya.demo.books import demo_books_build
    from berdaya.demo.kubes import _end, _proposals

    rng = random.Random(f"{seed}:city")
    groups = _proposals(seed)
    clock(f"Optimasi pembentukan: {len(groups):,} usulan kelompok")
    made, endings = _create_kubes(groups, kubes, rng, officer, as_of, clock)
    clock(f"KUBE dibentuk: {len(made):,} (dari {len(groups):,} usulan optimasi) — {_state_counts(made)}")
    _analyze(families)

    ends = {kube.pk: (state, as_of - dt.timedelta(days=_ENDINGS[state])) for kube, state in endings}
    working = sum(1 for k in made if k.state == "active")

    def books_progress(done: int, total: int) -> None:
        if done % 100 == 0 or done == total:
            clock(f"  buku {done:,}/{total:,}")

    book_counts = demo_books_build(
        seed=seed,
        officer=officer,
        as_of=as_of,
        log=clock,
        endings=ends,
        struggling=max(3, working // 12),
        strong=max(8, working // 5),
        progress=books_progress,
    )
    _analyze(families)
    facilitators, assigned = _staff(made, rng, officer, as_of)
    clock(
        f"Pendamping: {len(facilitators)} di {len({f.home_region_id for f in facilitators})} kecamatan "
        f"(Pontianak Kota tanpa pendamping), {len(assigned):,} KUBE didampingi"
    )
    meetings, attendance, visits = _history(made, assigned, ends, rng, officer, as_of, meeting_months, clock)
    clock(f"Pendampingan: {meetings:,} pertemuan, {attendance:,} catatan kehadiran, {visits:,} kunjungan")
    _end(endings, officer, as_of)
    clock(f"KUBE diakhiri: {len(endings)} (mandiri atau bubar)")
    counts = {
        "scale": "city",
        "families": imported["families"],
        "persons": imported["rows"],
        "eligible": run.counts["ELIGIBLE"],
        "kubes": len(made),
        "states": _state_counts(made, refresh=True),
        "facilitators": len(facilitators),
        "meetings": meetings,
        "attendance": attendance,
        "visits": visits,
        **book_counts,
    }
    audit_record(actor=None, action="demo.build", changes={"seed": seed, **counts})
    clock(
        f"Selesai: {counts['families']:,} keluarga, {counts['kubes']:,} KUBE, "
        f"{counts['journal_lines']:,} baris jurnal, {meetings:,} pertemuan, {visits:,} kunjungan"
    )
    return {"password": DEMO_PASSWORD, "users": [(u[0], u[3]) for u in DEMO_USERS], "seed": seed, "counts": counts}


_ENDINGS = {"graduated": 20, "dissolved": 75}  # days before the demo date, as kubes.ENDINGS
ANALYZE_FROM_FAMILIES = 20_000  # see _analyze


def _analyze(families: int) -> None:
    """Refresh PostgreSQL's planner statistics inside the build's transaction.

    Autovacuum cannot see rows this transaction has not committed, so without it the planner keeps the
    statistics of empty tables: `family.members.order_by("id").first()` then walked the person table's
    primary key (440 ms a call on 350,000 people) instead of using the family index. ANALYZE run in the
    same transaction counts the transaction's own rows. Again after screening: with the decisions table
    known as empty (a database where an earlier build was rolled back has pages but no live rows), the
    eligible families' join ran for minutes instead of seconds. SQLite's planner does not need it here.

    Only for a registry of city size: the plans it brings can change the order of rows that two builds of
    the same seed store (the lines of a year-end closing entry; two meetings of one KUBE on the same
    day), which tests/demo/test_demo_scale.py compares on 3,000 families.
    """
    if connection.vendor == "postgresql" and families >= ANALYZE_FROM_FAMILIES:
        # The project's tables by name: a bare ANALYZE also takes the cluster's shared catalogs (pg_authid)
        # until this long transaction ends, and a build in another database of the same server then waits.
        tables = sorted(connection.introspection.table_names(include_views=False))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _state_plan(count: int, rng: random.Random) -> list[str]:
    """`count` states in STATE_MIX proportions (largest remainder), shuffled."""
    exact = [(state, share * count) for state, share in STATE_MIX]
    plan = {state: math.floor(value) for state, value in exact}
    by_remainder = sorted(exact, key=lambda item: item[1] - math.floor(item[1]), reverse=True)
    for state, _value in by_remainder[: count - sum(plan.values())]:
        plan[state] += 1
    states = [state for state, _share in STATE_MIX for _ in range(plan[state])]
    rng.shuffle(states)
    return states


def _create_kubes(groups, count, rng, officer, as_of, clock):
    """Pick `count` single-village groups (Jagung Manis 8 of Siantan Hulu first) and walk each to its state."""
    from berdaya.demo.kubes import JAGUNG_MANIS, NAMES, _walk

    _name, village, business = JAGUNG_MANIS
    first = next((g for g in groups if g["kode_wilayah"] == village and g["business_type"] == business), groups[0])
    rest = [g for g in groups if g is not first and not g["mixed"]]
    # A random sample keeps each kelurahan's share of the programme close to its share of eligible families.
    picked = [first, *rng.sample(rest, min(len(rest), count - 1))]
    picked.sort(key=lambda g: (g is not first, g["kode_wilayah"], g["group_id"]))
    states = _state_plan(len(picked), rng)
    if "active" in states:
        states.remove("active")
    else:
        states.pop()
    states.insert(0, "active")  # Jagung Manis 8 works, as in the small demo
    regions = {r.code: r for r in Region.objects.filter(code__in={g["kode_wilayah"] for g in picked})}
    counters: dict[str, int] = {}
    made, endings = [], []
    for i, (group, state) in enumerate(zip(picked, states, strict=True)):
        if i == 0:
            name = JAGUNG_MANIS[0]
        else:
            series = rng.choice(NAMES.get(group["business_type"], ["Usaha Bersama"]))
            counters[series] = counters.get(series, 0) + 1
            if (series, counters[series]) == ("Jagung Manis", 8):
                counters[series] += 1
            name = f"KUBE {series} {counters[series]}"
        # _walk takes graduated and dissolved groups to active; they end after their history is written.
        kube = _walk(group, name, state, regions[group["kode_wilayah"]], rng, officer, as_of)
        kube.refresh_from_db()
        made.append(kube)
        if state in _ENDINGS:
            endings.append((kube, state))
        if (i + 1) % 250 == 0:
            clock(f"  KUBE {i + 1:,}/{len(picked):,}")
    return made, endings


def _state_counts(kubes, *, refresh: bool = False) -> dict[str, int]:
    from berdaya.kube.models import Kube

    states = (
        list(Kube.objects.filter(pk__in=[k.pk for k in kubes]).values_list("state", flat=True))
        if refresh
        else [k.state for k in kubes]
    )
    return {state: states.count(state) for state, _share in STATE_MIX if state in states}


def _staff(kubes, rng, officer, as_of):
    """Pendamping for every kecamatan but Pontianak Kota, about FACILITATOR_LOAD groups each, assigned
    through `assignment_accept` from a week after each group's formation."""
    from berdaya.mentoring.services.assignment import assignment_accept, facilitator_create

    by_kecamatan: dict[str, list] = {}
    for kube in kubes:
        if kube.musyawarah_on and not kube.region_id.startswith(UNSTAFFED_KECAMATAN + "."):
            by_kecamatan.setdefault(kube.region_id[:8], []).append(kube)
    names = iter(_name_stream(rng))
    centres = {k.code: k for k in city_kelurahan()}  # a pendamping lives near the first groups they serve
    pendamping1 = User.objects.get(username="pendamping1")
    facilitators, assigned = [], {}
    for code in sorted(by_kecamatan):
        home = Region.objects.get(code=code)
        staffed = sorted(by_kecamatan[code], key=lambda k: (k.region_id, k.name))
        made = []
        for n in range(math.ceil(len(staffed) / FACILITATOR_LOAD)):
            sample = centres[staffed[n * len(staffed) // math.ceil(len(staffed) / FACILITATOR_LOAD)].region_id]
            user = pendamping1 if code == "61.71.04" and n == 0 else None
            made.append(
                facilitator_create(
                    actor=officer,
                    name="Siti Rahmawati" if user else next(names),
                    home_region=home,
                    cap=FACILITATOR_CAP,
                    user=user,
                    lat=sample.lat,
                    lon=sample.lon,
                )
            )
        # Neighbouring groups (same kelurahan) share a pendamping; Jagung Manis 8 has pendamping1's.
        by_start: dict[dt.date, list[tuple[int, int]]] = {}
        for i, kube in enumerate(staffed):
            facilitator = made[i * len(made) // len(staffed)]
            if kube.name == "KUBE Jagung Manis 8":
                facilitator = made[0]
            start = kube.formed_on + dt.timedelta(days=7)
            by_start.setdefault(start, []).append((kube.pk, facilitator.pk))
            assigned[kube.pk] = (facilitator, start)
        for start in sorted(by_start):
            assignment_accept(actor=officer, pairs=by_start[start], start=start)
        facilitators += made
    # Jagung Manis 8 may have displaced a neighbour onto pendamping1: caps are checked by the service.
    return facilitators, assigned


def _name_stream(rng: random.Random):
    n = 0
    while True:
        names = list(_FACILITATOR_NAMES)
        rng.shuffle(names)
        for name in names:
            yield name if n < len(_FACILITATOR_NAMES) else f"{name} ({n // len(_FACILITATOR_NAMES) + 1})"
            n += 1


def _history(kubes, assigned, ends, rng, officer, as_of, months, clock):
    """Meetings (with every live member's attendance) and visits over the last `months` months, each through
    `meeting_record` / `visit_record`: one a month before a group's aid, two after; visits every 2–5 weeks."""
    from berdaya.demo.kubes import AGENDAS, VISIT_NOTES, _next_month, _status
    from berdaya.kube.models import Membership
    from berdaya.mentoring.models import FacilitatorRole, VisitPurpose
    from berdaya.mentoring.services.activity import meeting_record, visit_record

    window = dt.date(as_of.year, as_of.month, 1)
    for _ in range(months):
        window = dt.date(window.year - (window.month == 1), (window.month - 2) % 12 + 1, 1)
    members: dict[int, list[int]] = {}
    for kube_id, family_id in (
        Membership.objects.filter(kube__in=kubes, live=True).order_by("id").values_list("kube_id", "family_id")
    ):
        members.setdefault(kube_id, []).append(family_id)
    meetings = attendance = visits = 0
    for done, kube in enumerate(kubes, start=1):
        if not kube.musyawarah_on:
            continue
        last_day = as_of - dt.timedelta(days=1)
        if kube.pk in ends:
            last_day = ends[kube.pk][1] - dt.timedelta(days=1)
        staffed = kube.pk in assigned
        rate = rng.uniform(0.72, 0.95) if staffed else rng.uniform(0.45, 0.8)
        paid = kube.aid.order_by("paid_on").values_list("paid_on", flat=True).first()
        day = max(window, dt.date(kube.musyawarah_on.year, kube.musyawarah_on.month, 1))
        while day <= last_day:
            for _ in range(2 if paid and paid <= day else 1):
                date = day + dt.timedelta(days=rng.randint(0, 27))
                if date < kube.musyawarah_on or date > last_day:
                    continue
                marks = {family_id: _status(rng, rate) for family_id in members[kube.pk]}
                meeting_record(
                    actor=officer,
                    kube=kube,
                    date=date,
                    agenda=rng.choice(AGENDAS),
                    spiritual_guidance=rng.random() < 0.3,
                    attendance=marks,
                )
                meetings += 1
                attendance += len(marks)
            day = _next_month(day)
        if staffed:
            facilitator, start = assigned[kube.pk]
            day = max(start, window) + dt.timedelta(days=rng.randint(0, 20))
            while day <= last_day:
                visit_record(
                    actor=facilitator.user or officer,
                    kube=kube,
                    facilitator=facilitator,
                    date=day,
                    purpose=rng.choice(VisitPurpose.values),
                    role_served=rng.choice(FacilitatorRole.values),
                    notes=rng.choice(VISIT_NOTES),
                )
                visits += 1
                day += dt.timedelta(days=rng.randint(14, 35))
        if done % 250 == 0:
            clock(f"  pendampingan {done:,}/{len(kubes):,} KUBE")
    return meetings, attendance, visits
