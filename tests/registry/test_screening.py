"""Screening the registry stores each family's decision with its rule set, date and reasons."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.registry.models import EligibilityDecision, Family
from berdaya.registry.services import dtks_import, eligibility_screen
from berdaya.registry.services.screening import ScreeningError
from tests.conftest import person, write_rows

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture
def imported(officer, tmp_path):
    rows = [
        person(),
        person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="1970-08-17", pekerjaan="PNS"),
        person(no_kk="6171050101100003", nik="6171051708800004", kode_wilayah="61.71.05.1001", desil=""),
    ]
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", rows), actor=officer)
    assert batch.status == "applied", batch.problems
    return officer


def test_each_family_gets_a_decision_with_reasons_in_indonesian(imported):
    run = eligibility_screen(actor=imported, ruleset_name="kalbar-2019", as_of=AS_OF)
    assert (run.ruleset_name, run.ruleset_version, run.as_of) == ("kalbar-2019", 1, AS_OF)
    decisions = {d.family.no_kk: d for d in EligibilityDecision.objects.filter(run=run).select_related("family")}
    assert decisions["6171040101100001"].decision == "ELIGIBLE"
    pns = decisions["6171040101100002"]
    assert pns.decision == "INELIGIBLE" and pns.failed_rules == "NOT_STATE_EMPLOYEE"
    text = {r["code"]: r["text"] for r in pns.reasons}
    assert "PNS" in text["NOT_STATE_EMPLOYEE"] and "pensiunan" in text["NOT_STATE_EMPLOYEE"]
    assert text["AGE"] == "Usia 56 tahun, dalam rentang 18-59 tahun."
    unknown = decisions["6171050101100003"]
    assert unknown.decision == "NEEDS_VERIFICATION" and unknown.unknown_rules == "IN_DTKS"
    assert Family.objects.get(no_kk="6171040101100001").latest_decision == decisions["6171040101100001"]
    assert run.counts == {"ELIGIBLE": 1, "INELIGIBLE": 1, "NEEDS_VERIFICATION": 1, "families": 3}


def test_the_programme_region_narrows_the_run_and_drives_the_resident_rule(imported):
    run = eligibility_screen(actor=imported, as_of=AS_OF, region_prefix="61.71.04")
    assert run.counts["families"] == 2
    assert all(d.outcomes["RESIDENT"] == "PASS" for d in run.decisions.all())


def test_a_second_run_keeps_the_first_as_history(imported):
    first = eligibility_screen(actor=imported, as_of=AS_OF)
    second = eligibility_screen(actor=imported, as_of=AS_OF, ruleset_name="kalbar-2019")
    family = Family.objects.get(no_kk="6171040101100001")
    assert family.decisions.count() == 2
    assert family.latest_decision.run == second and first.decisions.count() == 3


def test_an_officer_cannot_screen_another_region(imported):
    with pytest.raises(ScreeningError, match="di luar wilayah"):
        eligibility_screen(actor=imported, as_of=AS_OF, region_prefix="61.72")


def test_an_officer_of_another_city_finds_nothing_to_screen(imported, stranger):
    with pytest.raises(ScreeningError, match="Tidak ada keluarga"):
        eligibility_screen(actor=stranger, as_of=AS_OF)


def test_the_registry_gives_back_every_canonical_column_in_order():
    from berdaya.engine.columns import CANONICAL
    from berdaya.registry.services.screening import REGISTRY_COLUMNS

    assert tuple(REGISTRY_COLUMNS) == CANONICAL
