"""Factories for KUBE and mentoring tests: families, KUBEs in any lifecycle state, pendamping, meetings.

They write through the services where a service exists (so tests exercise the real guards), and
straight through the ORM only for the registry rows that an import would create.
"""

from __future__ import annotations

import datetime as dt
import itertools

from berdaya.core.models import Region
from berdaya.kube.models import Kube, KubeState
from berdaya.registry.models import Family, Person

_serial = itertools.count(1)
VILLAGE = "61.71.04.1001"  # Siantan Hulu
LAT, LON = -0.0123, 109.3345


def make_family(
    *,
    region: str = VILLAGE,
    lat: float | None = LAT,
    lon: float | None = LON,
    skill: str = "pertanian",
    persons: int = 1,
) -> Family:
    """A family with `persons` members (the first is the head), NIKs and No KK unique per test run."""
    n = next(_serial)
    family = Family.objects.create(
        no_kk=f"617104{n:010d}", region_id=region, lat=lat, lon=lon, skill_text=skill, desil=2, rt="001", rw="002"
    )
    for i in range(persons):
        Person.objects.create(
            nik=f"617104{n:08d}{i:02d}",
            family=family,
            name=f"WARGA {n}-{i}",
            sex="L" if i == 0 else "P",
            birth_date=dt.date(1980, 1, 1),
            relationship="KEPALA KELUARGA" if i == 0 else "ISTRI",
            is_main_earner=i == 0,
        )
    return family


def make_families(count: int, **kwargs) -> list[Family]:
    return [make_family(**kwargs) for _ in range(count)]


def make_kube(
    *,
    name: str | None = None,
    size: int = 10,
    region: str = VILLAGE,
    state: str = KubeState.PROPOSED,
    actor=None,
    formed_on: dt.date = dt.date(2025, 1, 6),
    business_type: str = "pertanian",
    families: list[Family] | None = None,
) -> Kube:
    """A KUBE of `size` new families, walked through the real lifecycle services up to `state`."""
    from berdaya.kube import services

    families = families if families is not None else make_families(size, region=region)
    kube = services.kube_create(
        actor=actor,
        name=name or f"KUBE Uji {next(_serial)}",
        region=Region.objects.get(code=region),
        families=families,
        business_type=business_type,
        formed_on=formed_on,
        meeting_family=families[0],
    )
    order = [KubeState.PROPOSED, KubeState.VERIFIED, KubeState.ESTABLISHED, KubeState.FUNDED, KubeState.ACTIVE]
    target = order.index(state) if state in order else len(order) - 1
    if target >= 1:
        heads = [f.members.order_by("id").first() for f in families[:3]]
        services.officers_set(
            actor=actor, kube=kube, chair=heads[0], secretary=heads[1], treasurer=heads[2], since=formed_on
        )
        kube = services.kube_verify(
            actor=actor,
            kube=kube,
            musyawarah_on=formed_on + dt.timedelta(days=7),
            bank_name="Bank Kalbar",
            bank_account=f"1000{kube.pk:08d}",
        )
    if target >= 2:
        kube = services.kube_establish(
            actor=actor,
            kube=kube,
            decree_number=f"SK/{kube.pk}/KUBE/2025",
            decree_date=formed_on + dt.timedelta(days=30),
        )
    if target >= 3:
        services.aid_record(
            actor=actor,
            kube=kube,
            amount=20_000_000,
            paid_on=formed_on + dt.timedelta(days=45),
            reference=f"UEP-{kube.pk}",
        )
    if target >= 4:
        kube = services.kube_activate(actor=actor, kube=kube, on=formed_on + dt.timedelta(days=50))
    if state in (KubeState.GRADUATED, KubeState.DISSOLVED):
        if state == KubeState.GRADUATED:
            kube = services.kube_graduate(
                actor=actor, kube=kube, on=formed_on + dt.timedelta(days=400), reason="evaluasi akhir"
            )
        else:
            kube = services.kube_dissolve(
                actor=actor, kube=kube, on=formed_on + dt.timedelta(days=400), reason="usaha berhenti"
            )
    kube.refresh_from_db()
    return kube


def make_facilitator(
    *,
    name: str | None = None,
    home: str = "61.71.04",
    cap: int = 10,
    user=None,
    lat: float | None = LAT,
    lon: float | None = LON,
):
    from berdaya.mentoring.models import Facilitator

    return Facilitator.objects.create(
        name=name or f"Pendamping {next(_serial)}", home_region_id=home, cap=cap, user=user, lat=lat, lon=lon
    )


def assign(kube: Kube, facilitator, *, start: dt.date = dt.date(2025, 1, 1)):
    from berdaya.mentoring.models import Assignment

    return Assignment.objects.create(kube=kube, facilitator=facilitator, start=start)


def make_meeting(kube: Kube, date: dt.date, *, statuses: list[str] | None = None, agenda: str = "Pertemuan rutin"):
    """A meeting with attendance: `statuses` per live member in order (default: all present)."""
    from berdaya.mentoring.models import Attendance, Meeting

    meeting = Meeting.objects.create(kube=kube, date=date, agenda=agenda)
    families = [m.family for m in kube.memberships.filter(live=True).select_related("family").order_by("id")]
    statuses = statuses or ["present"] * len(families)
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, family=f, status=s) for f, s in zip(families, statuses, strict=False)]
    )
    return meeting


def make_visit(kube: Kube, date: dt.date, *, facilitator=None, purpose: str = "monitoring"):
    from berdaya.mentoring.models import Visit

    return Visit.objects.create(kube=kube, date=date, facilitator=facilitator, purpose=purpose)
