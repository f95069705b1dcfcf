"""A sentence in Bahasa Indonesia for every rule outcome, so each decision carries its reasons.

The outcome itself is decided in SQL (screening.py); this module only words it, from the
outcome code and the candidate's values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from berdaya.engine.rulesets import RuleSet
from berdaya.engine.screening import CONFLICTS

RULE_TITLES = {
    "NIK_VALID": "NIK valid",
    "KK_VALID": "Nomor KK valid",
    "IN_DTKS": "Terdaftar di DTKS/DTSEN",
    "HEAD_OR_EARNER": "Kepala keluarga atau pencari nafkah utama",
    "AGE": "Usia",
    "MARRIED": "Menikah atau pernah menikah",
    "RESIDENT": "Tinggal di wilayah program",
    "READY": "Bersedia berkelompok",
    "SKILL": "Keahlian sesuai jenis usaha",
    "NOT_STATE_EMPLOYEE": "Bukan PNS/ASN, TNI, POLRI atau pensiunan",
    "NO_PRIOR_AID": "Belum pernah menerima bantuan KUBE",
}


def _age(birth: dt.date | None, as_of: dt.date) -> int | None:
    if birth is None:
        return None
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def explain(
    code: str,
    outcome: str | None,
    facts: dict[str, Any],
    *,
    ruleset: RuleSet,
    as_of: dt.date,
    region_prefix: str | None = None,
) -> str:
    """The sentence for one rule's outcome. `facts` holds the candidate's parsed values."""
    if outcome is None:
        return "Aturan tidak dipakai dalam perangkat aturan ini."
    status, _, detail = outcome.partition(":")
    if detail == "NO_CANDIDATE":
        return "Tidak dapat dinilai: keluarga tidak memiliki satu kandidat yang jelas."
    if status == "UNKNOWN" and detail == "EMPTY":
        field = {
            "NIK_VALID": "NIK",
            "IN_DTKS": "desil",
            "AGE": "tanggal lahir",
            "MARRIED": "status kawin",
            "RESIDENT": "kode wilayah",
            "READY": "kesediaan",
            "SKILL": "keahlian",
            "NOT_STATE_EMPLOYEE": "pekerjaan",
            "NO_PRIOR_AID": "riwayat bantuan KUBE",
            "HEAD_OR_EARNER": "hubungan keluarga dan pencari nafkah",
        }.get(code, "data")
        return f"Data {field} kosong; perlu dilengkapi."
    lo, hi = ruleset.age_range
    age = _age(facts.get("birth_date"), as_of)
    texts = {
        ("NIK_VALID", "PASS"): "NIK 16 digit, kode kecamatan dikenal, dan tanggal lahirnya cocok.",
        ("NIK_VALID", "FAIL:FORMAT"): "NIK mengandung karakter selain angka.",
        ("NIK_VALID", "FAIL:LENGTH"): "NIK tidak 16 digit.",
        ("NIK_VALID", "FAIL:REGION"): "Enam digit pertama NIK bukan kode kecamatan yang dikenal.",
        ("NIK_VALID", "FAIL:DATE"): "Bagian tanggal lahir pada NIK tidak cocok dengan tanggal lahir"
        " (untuk perempuan tanggal ditambah 40).",
        ("NIK_VALID", "UNKNOWN:NO_BIRTH_DATE"): "Tanggal lahir kosong sehingga NIK tidak dapat dicocokkan.",
        ("KK_VALID", "PASS"): "Nomor KK 16 digit dan kode kabupaten/kotanya dikenal.",
        ("KK_VALID", "FAIL:FORMAT"): "Nomor KK mengandung karakter selain angka.",
        ("KK_VALID", "FAIL:LENGTH"): "Nomor KK tidak 16 digit.",
        ("KK_VALID", "FAIL:REGION"): "Empat digit pertama Nomor KK bukan kode kabupaten/kota yang dikenal.",
        ("IN_DTKS", "PASS"): f"Desil {facts.get('desil')} (batas desil {ruleset.desil_max}).",
        ("IN_DTKS", "FAIL"): f"Desil {facts.get('desil')} di atas batas desil {ruleset.desil_max}.",
        ("HEAD_OR_EARNER", "PASS"): "Kandidat adalah kepala keluarga atau pencari nafkah utama.",
        ("HEAD_OR_EARNER", "FAIL"): "Tidak ada kepala keluarga maupun pencari nafkah utama.",
        ("AGE", "PASS"): f"Usia {age} tahun, dalam rentang {lo}-{hi} tahun.",
        ("AGE", "FAIL"): f"Usia {age} tahun, di luar rentang {lo}-{hi} tahun.",
        ("MARRIED", "PASS"): f"Status kawin: {str(facts.get('marital_status') or '').lower()}.",
        ("MARRIED", "FAIL"): "Belum pernah menikah.",
        ("RESIDENT", "PASS"): "Tinggal di wilayah program."
        if region_prefix
        else "Tidak ada batas wilayah program.",
        ("RESIDENT", "FAIL"): f"Tinggal di luar wilayah program ({region_prefix}).",
        ("READY", "PASS"): "Menyatakan bersedia bekerja dalam kelompok.",
        ("READY", "FAIL"): "Menyatakan tidak bersedia bekerja dalam kelompok.",
        ("SKILL", "PASS"): f"Keahlian '{facts.get('skill_text')}' sesuai jenis usaha "
        f"{str(facts.get('keahlian') or '').replace('_', ' ')}.",
        ("SKILL", "FAIL"): "Tidak memiliki keahlian usaha.",
        ("SKILL", "UNKNOWN:UNRECOGNISED"): f"Keahlian '{facts.get('skill_text')}' tidak dikenali; "
        "petugas perlu menentukan jenis usahanya.",
        ("NOT_STATE_EMPLOYEE", "PASS"): f"Pekerjaan: {str(facts.get('occupation') or '').lower()}.",
        ("NOT_STATE_EMPLOYEE", "FAIL"): f"Pekerjaan '{facts.get('occupation')}' termasuk PNS/ASN, TNI, POLRI"
        " atau pensiunan.",
        ("NO_PRIOR_AID", "PASS"): "Belum pernah menerima bantuan KUBE.",
        ("NO_PRIOR_AID", "FAIL"): "Pernah menerima bantuan KUBE.",
        ("NO_PRIOR_AID", "FAIL:ACTIVE_KUBE"): "Sudah menjadi anggota KUBE lain yang aktif.",
    }
    return texts.get((code, outcome), f"{RULE_TITLES.get(code, code)}: {outcome}.")


def explain_conflicts(conflicts: str) -> list[str]:
    return [CONFLICTS.get(code, code) for code in conflicts.split(";") if code]
