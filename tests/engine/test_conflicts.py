"""A family without one clear candidate, or sharing a NIK, is a conflict: reported, never guessed."""

from __future__ import annotations

from tests.conftest import person

KK1 = "6171040101100001"
KK2 = "6171040101100002"


def test_two_heads_are_a_conflict_not_a_guess(run_screen):
    rows = [person(), person(nik="6171041708820002", tanggal_lahir="1982-08-17", pencari_nafkah_utama="N")]
    families, _, counts = run_screen(rows)
    family = families[KK1]
    assert family["conflicts"] == "TWO_HEADS"
    assert family["decision"] == "NEEDS_VERIFICATION"
    assert family["candidate_nik"] is None
    assert counts["conflicts"] == 1


def test_two_main_earners_are_a_conflict(run_screen):
    rows = [
        person(),
        person(nik="6171045708820002", jenis_kelamin="P", tanggal_lahir="1982-08-17", hubungan_keluarga="ISTRI"),
    ]
    families, _, _ = run_screen(rows)
    assert families[KK1]["conflicts"] == "TWO_EARNERS"
    assert families[KK1]["decision"] == "NEEDS_VERIFICATION"


def test_a_conflict_is_never_eligible_even_when_every_rule_it_can_judge_passes(run_screen):
    rows = [person(), person(nik="6171041708820002", tanggal_lahir="1982-08-17")]
    families, _, _ = run_screen(rows)
    assert families[KK1]["failed_rules"] == ""
    assert families[KK1]["decision"] == "NEEDS_VERIFICATION"


def test_a_nik_in_two_families_puts_both_on_verification(run_screen):
    rows = [
        person(),
        person(no_kk=KK2, nik="6171041708700003", tanggal_lahir="1970-08-17"),
        # The first family's head appears again as a relative in the second family.
        person(no_kk=KK2, hubungan_keluarga="FAMILI LAIN", pencari_nafkah_utama="N"),
    ]
    families, _, _ = run_screen(rows)
    for no_kk in (KK1, KK2):
        assert "NIK_IN_TWO_FAMILIES" in families[no_kk]["conflicts"]
        assert families[no_kk]["decision"] == "NEEDS_VERIFICATION"


def test_the_same_nik_twice_in_one_family_is_a_conflict(run_screen):
    rows = [person(), person(hubungan_keluarga="ANAK", pencari_nafkah_utama="N", nama="DUPLIKAT")]
    families, _, _ = run_screen(rows)
    assert "DUPLICATE_NIK" in families[KK1]["conflicts"]


def test_an_unreadable_candidate_row_puts_the_family_on_verification(run_screen):
    families, rejected, _ = run_screen([person(tanggal_lahir="1980-13-45")])
    assert families[KK1]["conflicts"] == "CANDIDATE_ROW_REJECTED"
    assert families[KK1]["decision"] == "NEEDS_VERIFICATION"
    assert [(r["line"], r["column"], r["reason_code"]) for r in rejected] == [(2, "tanggal_lahir", "BAD_DATE")]


def test_an_unreadable_member_row_does_not_stop_the_family(run_screen):
    rows = [
        person(),
        person(nik="6171040101100009", hubungan_keluarga="ANAK", pencari_nafkah_utama="N", tanggal_lahir="31-02-2010"),
    ]
    families, rejected, _ = run_screen(rows)
    assert families[KK1]["decision"] == "ELIGIBLE"
    assert [(r["line"], r["column"]) for r in rejected] == [(3, "tanggal_lahir")]


def test_a_row_without_no_kk_is_rejected_and_belongs_to_no_family(run_screen):
    families, rejected, counts = run_screen([person(), person(no_kk="", nik="6171041708700003")])
    assert list(families) == [KK1]
    assert rejected[0]["reason_code"] == "NO_KK_EMPTY" and rejected[0]["line"] == 3
    assert counts["rows"] == 2 and counts["families"] == 1
