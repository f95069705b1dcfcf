"""NIK_VALID and KK_VALID: structure, the +40 day for women, impossible dates, unknown regions."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.id import nik as stdnum_nik

from tests.conftest import person

KK = "6171040101100001"


def outcome(run_screen, **overrides):
    families, _, _ = run_screen([person(**overrides)])
    return families[overrides.get("no_kk", KK)]


def test_a_man_s_nik_carries_his_birth_date(run_screen):
    assert outcome(run_screen, nik="6171041708800001", tanggal_lahir="1980-08-17")["r_NIK_VALID"] == "PASS"


def test_a_woman_s_nik_adds_forty_to_the_day(run_screen):
    row = outcome(run_screen, nik="6171045708800001", jenis_kelamin="P", tanggal_lahir="1980-08-17")
    assert row["r_NIK_VALID"] == "PASS"


def test_a_woman_s_nik_without_the_forty_fails(run_screen):
    row = outcome(run_screen, nik="6171041708800001", jenis_kelamin="P", tanggal_lahir="1980-08-17")
    assert row["r_NIK_VALID"] == "FAIL:DATE"
    assert "NIK_VALID" in row["failed_rules"].split(";")
    assert row["decision"] == "INELIGIBLE"


def test_a_man_s_nik_with_the_forty_fails(run_screen):
    assert outcome(run_screen, nik="6171045708800001", tanggal_lahir="1980-08-17")["r_NIK_VALID"] == "FAIL:DATE"


def test_an_impossible_date_in_the_nik_fails_even_without_a_birth_date(run_screen):
    # 31 February cannot be anyone's birthday.
    row = outcome(run_screen, nik="6171043102800001", tanggal_lahir="")
    assert row["r_NIK_VALID"] == "FAIL:DATE"


def test_a_possible_nik_date_without_a_birth_date_is_unknown(run_screen):
    row = outcome(run_screen, nik="6171041708800001", tanggal_lahir="")
    assert row["r_NIK_VALID"] == "UNKNOWN:NO_BIRTH_DATE"
    assert row["decision"] == "NEEDS_VERIFICATION"


def test_an_unknown_kecamatan_fails(run_screen):
    # 61.71.99 is not a kecamatan of Kota Pontianak.
    assert outcome(run_screen, nik="6171991708800001")["r_NIK_VALID"] == "FAIL:REGION"


def test_a_short_nik_fails_on_length(run_screen):
    assert outcome(run_screen, nik="617104170880001")["r_NIK_VALID"] == "FAIL:LENGTH"


def test_a_long_nik_fails_on_length(run_screen):
    assert outcome(run_screen, nik="61710417088000011")["r_NIK_VALID"] == "FAIL:LENGTH"


def test_letters_in_a_nik_fail_on_format(run_screen):
    assert outcome(run_screen, nik="61710417088O0001")["r_NIK_VALID"] == "FAIL:FORMAT"


def test_an_empty_nik_is_unknown(run_screen):
    assert outcome(run_screen, nik="")["r_NIK_VALID"] == "UNKNOWN:EMPTY"


def test_separators_in_a_nik_are_ignored(run_screen):
    assert outcome(run_screen, nik="6171.0417.0880.0001")["r_NIK_VALID"] == "PASS"


def test_a_valid_no_kk_passes(run_screen):
    assert outcome(run_screen)["r_KK_VALID"] == "PASS"


def test_a_no_kk_of_an_unknown_kabkota_fails(run_screen):
    row = outcome(run_screen, no_kk="6199040101100001")
    assert row["r_KK_VALID"] == "FAIL:REGION"


def test_a_short_no_kk_fails_on_length(run_screen):
    assert outcome(run_screen, no_kk="617104010110001")["r_KK_VALID"] == "FAIL:LENGTH"


def test_letters_in_a_no_kk_fail_on_format(run_screen):
    assert outcome(run_screen, no_kk="61710401011OOOO1")["r_KK_VALID"] == "FAIL:FORMAT"


birth_dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2019, 12, 31))


@settings(max_examples=60, deadline=None)
@given(birth=birth_dates, female=st.booleans(), serial=st.integers(1, 9999), shift=st.integers(0, 3))
def test_the_engine_agrees_with_python_stdnum(tmp_path_factory, region_index, permensos, birth, female, serial, shift):
    """Our SQL check and python-stdnum agree on structure and date; we add the kecamatan and the match."""
    from berdaya.engine import ScreeningOptions, screen
    from tests.conftest import AS_OF, write_rows

    day = birth.day + (40 if female else 0) + shift  # shift > 0 makes the date part disagree
    nik = f"617104{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
    path = write_rows(
        tmp_path_factory.mktemp("nik") / "one.csv",
        [person(nik=nik, jenis_kelamin="P" if female else "L", tanggal_lahir=birth.isoformat())],
    )
    result = screen(path, ScreeningOptions(ruleset=permensos, regions=region_index, as_of=AS_OF))
    ours = result.family_rows()[0]["r_NIK_VALID"]
    result.close()
    stdnum_valid = stdnum_nik.is_valid(nik)
    if shift == 0:
        assert stdnum_valid and stdnum_nik.get_birth_date(nik).replace(year=birth.year) == birth
        assert ours == "PASS"
    else:
        # stdnum only knows the date is possible; we also know it is not this person's.
        assert ours == "FAIL:DATE"
        if not stdnum_valid:
            assert ours.startswith("FAIL")
