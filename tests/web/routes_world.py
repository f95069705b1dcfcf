"""A world of two kab/kota for the tests that walk every route (test_scope_all_routes, test_query_counts).

Kota Pontianak (61.71, side "a") and Kota Singkawang (61.72, side "b") each get the same things: a
DTKS import with one family, an active KUBE of five families with books, an entry and accounts, a
meeting, a visit with a photo, a training, a pendamping assigned to the KUBE, a formation run, a
baseline round with a response, a score and a plan action, a job; and users of every role but admin
(admin has no region). Every person and group of side "b" has a name no page of side "a" may print:
`Side.markers` lists them (names, raw NIK and No KK, the KUBE, the pendamping, the round).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import ContentFile

from berdaya.core.models import Job, Region, Role, User
from berdaya.engine.masking import mask_id
from berdaya.evaluation.models import PlanAction, Response, Round
from berdaya.evaluation.services import round_create
from berdaya.kube.models import FormationRun, Kube, KubeState
from berdaya.ledger.models import Account, JournalEntry
from berdaya.ledger.services import operation_post
from berdaya.mentoring.models import Facilitator, Meeting, Training, Visit
from berdaya.registry.models import Family, ImportBatch, Person
from berdaya.registry.services import dtks_import
from tests.conftest import person, write_rows
from tests.factories import assign, make_facilitator, make_kube, make_meeting, make_visit
from tests.reports.conftest import action, score

# The smallest valid PNG (1x1): a visit photo the photo route can serve.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "000154a24f5d0000000049454e44ae426082"
)
ROLES_WITH_REGION = [r for r in Role.values if r != Role.ADMIN]
CITIES = {
    "a": {"code": "61.71", "kecamatan": "61.71.04", "village": "61.71.04.1001", "name": "PONTIANAK"},
    "b": {"code": "61.72", "kecamatan": "61.72.01", "village": "61.72.01.1001", "name": "SINGKAWANG"},
}


@dataclass
class Side:
    """One kab/kota's objects and users (users[role]; the KUBE officer keeps the side's KUBE)."""

    code: str
    kecamatan: str
    village: str
    kube: Kube
    member: Family
    family: Family
    person: Person  # the head of `family` (the data-subject pages take a person)
    batch: ImportBatch
    formation: FormationRun
    facilitator: Facilitator
    meeting: Meeting
    visit: Visit
    training: Training
    entry: JournalEntry
    account: Account
    round: Round
    response: Response
    action: PlanAction
    job: Job
    users: dict[str, User]
    markers: list[str] = field(default_factory=list)
    personal: list[str] = field(default_factory=list)


@dataclass
class World:
    a: Side
    b: Side
    admin: User
    # City a's other KUBE, kept by another pendamping: city a's pendamping and KUBE officer may not open it.
    neighbour: Side | None = None

    def user(self, role: str, side: str = "a") -> User:
        return self.admin if role == Role.ADMIN else getattr(self, side).users[role]


def _import(side: str, officer: User, tmp_path) -> ImportBatch:
    city = CITIES[side]
    prefix = city["village"].replace(".", "")[:6]
    row = person(
        nik=f"{prefix}1708800001",
        no_kk=f"{prefix}0101100001",
        nama=f"BUDI {city['name']}",
        kode_wilayah=city["village"],
    )
    batch = dtks_import(path=write_rows(tmp_path / f"dtks-{side}.csv", [row]), actor=officer)
    assert batch.status == ImportBatch.Status.APPLIED, batch.problems or batch.error
    return batch


def _job_file(job: Job, side: str) -> None:
    """A file the job made (its download route serves it to the job's actor)."""
    from django.conf import settings

    from berdaya.core.jobs import JOBS_FOLDER

    relative = f"{JOBS_FOLDER}/{job.pk}/laporan-{side}.csv"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("baris,kolom\n", encoding="utf-8")
    job.result = {"files": {"csv": {"path": relative, "name": f"laporan-{side}.csv"}}}
    job.save(update_fields=["result"])


def build_side(side: str, tmp_path, *, kubes: int = 1, families: int = 0) -> Side:
    """One city's objects and users; `kubes` and `families` (loose eligible-or-not families) only grow lists."""
    from tests.factories import make_family

    city = CITIES[side]
    users = {
        role: User.objects.create_user(
            username=f"{role}_{side}", password="x", role=role, region_id=city["code"], first_name=f"{role} {side}"
        )
        for role in ROLES_WITH_REGION
    }
    officer = users[Role.PROGRAM_OFFICER]
    batch = _import(side, officer, tmp_path)
    family = Family.objects.get(no_kk=f"{city['village'].replace('.', '')[:6]}0101100001")
    for _ in range(families):
        make_family(region=city["village"])

    kube = make_kube(name=f"KUBE Rahasia {city['name']}", size=5, state=KubeState.ACTIVE, region=city["village"])
    for i in range(kubes - 1):
        make_kube(name=f"KUBE Tambahan {city['name']} {i}", size=5, state=KubeState.ACTIVE, region=city["village"])
    for i, p in enumerate(Person.objects.filter(family__memberships__kube=kube).order_by("id")):
        p.name = f"ANGGOTA {city['name']} {chr(65 + i)}"
        p.save(update_fields=["name"])
    kube.officers.filter(role="ketua").update(user=users[Role.KUBE_OFFICER])

    facilitator = make_facilitator(name=f"Pendamping {city['name'].title()}", home=city["kecamatan"])
    facilitator.user = users[Role.FACILITATOR]
    facilitator.save(update_fields=["user"])
    for extra in Kube.objects.filter(region_id=city["village"]):
        assign(extra, facilitator)
    meeting = make_meeting(kube, dt.date(2025, 6, 5))
    visit = make_visit(kube, dt.date(2025, 6, 10), facilitator=facilitator)
    visit.photo.save(f"kunjungan-{side}.png", ContentFile(PNG), save=True)
    training = Training.objects.create(
        topic=f"Pelatihan {city['name']}",
        trainer="Dinsos",
        date=dt.date(2025, 6, 1),
        region_id=city["code"],
        recorded_by=officer,
    )

    operation_post(actor=None, kube=kube, kind="sale", date=dt.date(2025, 6, 3), amount=150_000)
    entry = JournalEntry.objects.filter(kube=kube).order_by("-id").first()
    account = Account.objects.filter(kube=kube).order_by("code").first()

    city_region = Region.objects.get(code=city["code"])
    round_ = round_create(
        actor=officer,
        name=f"Putaran {city['name']}",
        kind="baseline",
        region=city_region,
        start_on=dt.date(2025, 3, 1),
        end_on=dt.date(2025, 3, 31),
        kubes=list(Kube.objects.filter(region_id=city["village"])),
    )
    member = kube.memberships.order_by("id").first().family
    response = Response.objects.create(
        round=round_,
        instrument="welfare",
        version=round_.version_of("welfare"),
        kube=kube,
        family=member,
        answers={"income_month": 1_500_000},
        collected_on=dt.date(2025, 3, 10),
        instance_id=f"uuid:{side}-1",
        source=Response.Source.WEB,
        entered_by=officer,
    )
    score(round_, kube, m0=0.4)
    plan_action = action(round_, kube, f"rule_{side}")
    formation = FormationRun.objects.create(
        region=city_region, ruleset_name="permensos-2-2019", size_min=5, size_max=10, target=8, created_by=officer
    )
    job = Job.objects.create(kind=Job.Kind.DTKS_IMPORT, actor=officer, status=Job.Status.DONE)
    _job_file(job, side)

    people = list(Person.objects.filter(family__in=[family, *kube.memberships.values_list("family", flat=True)]))
    personal = sorted(
        {p.name for p in people}
        | {p.nik for p in people}
        | {p.family.no_kk for p in people}
        | {mask_id(p.nik) for p in people}
        | {mask_id(p.family.no_kk) for p in people}
    )
    markers = sorted(
        {p.name for p in people}
        | {p.nik for p in people}
        | {p.family.no_kk for p in people}
        | {kube.name, facilitator.name, round_.name, training.topic}
    )
    return Side(
        code=city["code"],
        kecamatan=city["kecamatan"],
        village=city["village"],
        kube=kube,
        member=member,
        family=family,
        person=family.members.order_by("id").first(),
        batch=batch,
        formation=formation,
        facilitator=facilitator,
        meeting=meeting,
        visit=visit,
        training=training,
        entry=entry,
        account=account,
        round=round_,
        response=response,
        action=plan_action,
        job=job,
        users=users,
        markers=markers,
        personal=personal,
    )


def build_neighbour(a: Side) -> Side:
    """Another KUBE of city a (same village, same round) with its own pendamping, meeting, visit, entry
    and plan action; everything else as city a's."""
    import dataclasses

    other = make_kube(name="KUBE Tetangga PONTIANAK", size=5, state=KubeState.ACTIVE, region=a.village)
    facilitator = make_facilitator(name="Pendamping Tetangga", home=a.kecamatan)
    assign(other, facilitator)
    visit = make_visit(other, dt.date(2025, 6, 11), facilitator=facilitator)
    visit.photo.save("kunjungan-tetangga.png", ContentFile(PNG), save=True)
    operation_post(actor=None, kube=other, kind="sale", date=dt.date(2025, 6, 3), amount=90_000)
    a.round.kubes.add(other)
    score(a.round, other, m0=0.5)
    return dataclasses.replace(
        a,
        kube=other,
        member=other.memberships.order_by("id").first().family,
        facilitator=facilitator,
        meeting=make_meeting(other, dt.date(2025, 6, 6)),
        visit=visit,
        entry=JournalEntry.objects.filter(kube=other).order_by("-id").first(),
        account=Account.objects.filter(kube=other).order_by("code").first(),
        action=action(a.round, other, "rule_tetangga"),
    )


def build_world(tmp_path) -> World:
    admin = User.objects.create_user(
        username="admin_pusat", password="x", role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    a = build_side("a", tmp_path)
    return World(a=a, b=build_side("b", tmp_path), admin=admin, neighbour=build_neighbour(a))


def grow_side(side: Side, *, kubes: int, families: int, entries: int, jobs: int = 3) -> None:
    """More of everything in `side`'s city: `kubes` more active KUBEs (each assigned, met, visited, in
    the round, scored, with an open plan action and a book entry), `families` more families, `entries`
    more sales in the first KUBE's book and as many meetings and visits, more trainings and jobs.

    The query-count tests measure every list page before and after: the count must not change.
    """
    from tests.factories import make_family

    officer = side.users[Role.PROGRAM_OFFICER]
    for _ in range(families):
        make_family(region=side.village)
    for i in range(kubes):
        extra = make_kube(size=5, state=KubeState.ACTIVE, region=side.village)
        extra.officers.filter(role="sekretaris").update(user=side.users[Role.KUBE_OFFICER])
        assign(extra, side.facilitator)
        make_meeting(extra, dt.date(2025, 6, 5), statuses=["present", "absent", "present", "excused", "present"])
        make_visit(extra, dt.date(2025, 6, 9), facilitator=side.facilitator)
        operation_post(actor=None, kube=extra, kind="sale", date=dt.date(2025, 6, 3), amount=10_000 + i)
        side.round.kubes.add(extra)
        score(side.round, extra, m0=0.3)
        action(side.round, extra, f"rule_grow_{extra.pk}")
        Response.objects.create(
            round=side.round,
            instrument="welfare",
            version=side.round.version_of("welfare"),
            kube=extra,
            family=extra.memberships.first().family,
            answers={"income_month": 1_000_000},
            collected_on=dt.date(2025, 3, 11),
            instance_id=f"uuid:grow-{extra.pk}",
            source=Response.Source.WEB,
        )
    for i in range(entries):
        day = dt.date(2025, 6, 1) + dt.timedelta(days=i % 20)
        operation_post(actor=None, kube=side.kube, kind="sale", date=day, amount=1_000 + i)
        make_meeting(side.kube, day, agenda=f"Pertemuan {i}")
        make_visit(side.kube, day, facilitator=side.facilitator)
    for i in range(3):
        Training.objects.create(
            topic=f"Pelatihan tambahan {i}", trainer="Dinsos", date=dt.date(2025, 6, 2), region_id=side.code
        ).participants.create(kube=side.kube, family=side.member)
    for i in range(2):
        make_facilitator(name=f"Pendamping Tambahan {i}", home=side.kecamatan)
    round_create(
        actor=officer,
        name="Putaran tengah",
        kind="midline",
        region=Region.objects.get(code=side.code),
        start_on=dt.date(2025, 9, 1),
        end_on=dt.date(2025, 9, 30),
        baseline=side.round,
        kubes=list(Kube.objects.filter(region_id=side.village)),
    )
    for _ in range(jobs):
        Job.objects.create(kind=Job.Kind.ELIGIBILITY_SCREEN, actor=officer, status=Job.Status.DONE)
    FormationRun.objects.create(
        region_id=side.code, ruleset_name="permensos-2-2019", size_min=5, size_max=10, target=8, created_by=officer
    )
    for i in range(3):
        ImportBatch.objects.create(
            file_name=f"tambahan-{i}.csv",
            sha256=f"{side.code}-{i}",
            kind="csv",
            status=ImportBatch.Status.APPLIED,
            created_by=officer,
            region_id=side.code,
        )
