"""NO_PRIOR_AID (spec §4) reads the KUBE records: a family in a live KUBE, or in any KUBE that received
UEP aid, fails it when the registry is screened again."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.core.models import Region
from berdaya.kube import services
from berdaya.registry.models import Family
from berdaya.registry.services import dtks_import, eligibility_screen
from tests.conftest import AS_OF, person, write_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def families(officer, tmp_path):
    rows = [person(no_kk=f"61710401011000{i:02d}", nik=f"61710417088000{i:02d}", id_dtks=str(i)) for i in range(1, 7)]
    batch = dtks_import(path=write_rows(tmp_path / "dtks.csv", rows), actor=officer)
    assert batch.status == "applied", batch.problems
    return list(Family.objects.order_by("no_kk"))


def decisions(officer):
    eligibility_screen(actor=officer, as_of=AS_OF, region_prefix="61.71")
    return {f.no_kk: (f.latest_decision.decision, f.latest_decision.failed_rules) for f in Family.objects.all()}


def test_families_in_a_live_kube_fail_no_prior_aid_and_the_others_do_not(officer, families):
    assert {d for d, _ in decisions(officer).values()} == {"ELIGIBLE"}
    members = families[:5]
    services.kube_create(
        actor=officer, name="KUBE Uji", region=Region.objects.get(code="61.71.04.1001"), families=members
    )
    after = decisions(officer)
    for family in members:
        assert after[family.no_kk][0] == "INELIGIBLE" and "NO_PRIOR_AID" in after[family.no_kk][1]
    assert after[families[5].no_kk] == ("ELIGIBLE", "")


def test_a_dissolved_unfunded_kube_frees_its_families_but_a_funded_one_does_not(officer, families):
    village = Region.objects.get(code="61.71.04.1001")
    unfunded = services.kube_create(actor=officer, name="KUBE A", region=village, families=families[:5])
    services.kube_dissolve(actor=officer, kube=unfunded, on=dt.date(2026, 1, 1), reason="tidak jadi")
    assert decisions(officer)[families[0].no_kk][0] == "ELIGIBLE"

    kube = services.kube_create(actor=officer, name="KUBE B", region=village, families=families[:5])
    heads = [f.members.first() for f in families[:3]]
    services.officers_set(actor=officer, kube=kube, chair=heads[0], secretary=heads[1], treasurer=heads[2])
    services.kube_verify(
        actor=officer, kube=kube, musyawarah_on=dt.date(2026, 1, 5), bank_name="Bank Kalbar", bank_account="123"
    )
    services.kube_establish(actor=officer, kube=kube, decree_number="SK/B", decree_date=dt.date(2026, 2, 1))
    services.aid_record(actor=officer, kube=kube, amount=10_000_000, paid_on=dt.date(2026, 2, 10), reference="UEP-B")
    services.kube_dissolve(actor=officer, kube=kube, on=dt.date(2026, 6, 1), reason="usaha berhenti")
    after = decisions(officer)
    assert after[families[0].no_kk][0] == "INELIGIBLE" and "NO_PRIOR_AID" in after[families[0].no_kk][1]
