"""Building the demo world into the database (spec §10): regions, users, the DTKS registry, decisions.

Runs the same services an officer would (import, screening), so the demo shows the real paths.
Later issues add KUBEs, mentoring, books and evaluation here.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from berdaya.core.models import AuditEvent, Region, Role, User
from berdaya.core.services import audit_record, regions_load, user_create
from berdaya.demo.world import generate_dtks, without_shared_niks, write_csv

DEMO_PASSWORD = "berdaya-demo"
# A fixed reference date keeps the world identical for a given seed, whatever day it is built.
DEMO_AS_OF = dt.date(2026, 11, 1)
DEMO_CITY = "61.71"
DEMO_USERS = (
    ("admin", Role.ADMIN, None, "Admin sistem (seluruh Indonesia)"),
    ("petugas", Role.PROGRAM_OFFICER, "61.71", "Petugas program, Dinas Sosial Kota Pontianak"),
    ("pendamping1", Role.FACILITATOR, "61.71.04", "Pendamping, Kecamatan Pontianak Utara"),
    ("bendahara", Role.KUBE_OFFICER, "61.71.04.1001", "Bendahara KUBE Jagung Manis 8 (Siantan Hulu)"),
    ("pemantau", Role.VIEWER, "61", "Pemantau, Provinsi Kalimantan Barat"),
    ("peneliti", Role.EVALUATOR, "61.71", "Evaluator / peneliti, Kota Pontianak"),
)


class DemoError(RuntimeError):
    pass


def _reset_previous_demo() -> None:
    from berdaya.evaluation.services import evaluation_wipe
    from berdaya.kube.models import Aid, FormationRun, Kube
    from berdaya.ledger.services import books_wipe
    from berdaya.mentoring.models import Facilitator, Training
    from berdaya.registry.models import EligibilityDecision, EligibilityRun, Family, ImportBatch, Person

    with transaction.atomic():
        Training.objects.all().delete()
        evaluation_wipe(actor=None)  # surveys and scores point at KUBEs and families
        books_wipe(actor=None)  # before the KUBEs: posted books are protected from ordinary deletes
        Aid.objects.all().delete()
        Kube.objects.all().delete()  # memberships, officers, events, plans, meetings, visits go with them
        FormationRun.objects.all().delete()
        Facilitator.objects.all().delete()
        Family.objects.update(latest_decision=None)
        EligibilityDecision.objects.all().delete()
        EligibilityRun.objects.all().delete()
        Person.objects.all().delete()
        Family.objects.all().delete()
        ImportBatch.objects.all().delete()
        # The demo users stay: audit rows point at them, and the audit log is append-only.


@transaction.atomic
def demo_refuse_in_production() -> None:
    """The demo signs in with a published password: never build it on a served installation."""
    from django.conf import settings

    if getattr(settings, "PRODUCTION", False):
        raise DemoError("Demo tidak boleh dijalankan dengan BERDAYA_PRODUCTION=1.")


def demo_build(*, seed: int = 2026, families: int = 2000, log: Callable[[str], None] = print) -> dict:
    """Build the demo world, all of it or nothing.

    Refuses to touch a database that holds data not made by the demo (raises DemoError), and refuses to
    run at all in production mode.
    """
    from berdaya.registry.models import Family
    from berdaya.registry.services import dtks_import, eligibility_screen

    demo_refuse_in_production()
    if Family.objects.exists():
        if not AuditEvent.objects.filter(action="demo.build").exists():
            raise DemoError("Basis data ini berisi data yang bukan data demo; demo tidak akan menimpanya.")
        log("Menghapus dunia demo sebelumnya …")
        _reset_previous_demo()
    if Region.objects.count() == 0:
        counts = regions_load()
        log(f"Wilayah Kemendagri dimuat: {counts['total']:,}")
    kept = set(User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list("username", flat=True))
    for username, role, region, description in DEMO_USERS:
        if username in kept:
            continue
        user_create(
            username=username, password=DEMO_PASSWORD, role=role, region_code=region, full_name=description
        )
    officer = User.objects.get(username="petugas")

    rows = generate_dtks(seed=seed, families=families, reference_date=DEMO_AS_OF)
    rows, held_back = without_shared_niks(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"dtks-pontianak-seed{seed}.csv"
        write_csv(rows, path)
        batch = dtks_import(path=path, actor=officer, file_name=path.name)
    if batch.status != "applied":
        raise DemoError(f"impor demo gagal: {batch.error or batch.problems[:3]}")
    log(
        f"DTKS diimpor: {batch.counts['families']:,} keluarga, {batch.counts['rows']:,} individu"
        + (f" ({held_back} baris dengan NIK ganda disisihkan)" if held_back else "")
    )
    run = eligibility_screen(actor=officer, as_of=DEMO_AS_OF, region_prefix=DEMO_CITY)
    log(
        f"Penyaringan: {run.counts['ELIGIBLE']:,} layak, {run.counts['INELIGIBLE']:,} tidak layak, "
        f"{run.counts['NEEDS_VERIFICATION']:,} perlu verifikasi"
    )
    from berdaya.demo.kubes import demo_kubes_build

    kube_counts = demo_kubes_build(seed=seed, officer=officer, as_of=DEMO_AS_OF, log=log)
    from berdaya.demo.evaluation import demo_evaluation_build

    evaluation = demo_evaluation_build(seed=seed, officer=officer, as_of=DEMO_AS_OF, log=log)
    audit_record(
        actor=None,
        action="demo.build",
        changes={"seed": seed, "families": families, **kube_counts, "evaluation": evaluation},
    )
    return {"password": DEMO_PASSWORD, "users": [(u[0], u[3]) for u in DEMO_USERS], "seed": seed}
