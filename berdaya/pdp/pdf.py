"""The subject export as a PDF (WeasyPrint, like the evaluation report): the same dict as the JSON export."""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The record's keys (English, as in the JSON) in the words the person reads in the PDF.
FIELD_LABELS = {
    "nik": "NIK", "name": gettext_lazy("Nama"), "sex": gettext_lazy("Jenis kelamin"),
    "birth_date": gettext_lazy("Tanggal lahir"), "birth_year": gettext_lazy("Tahun lahir"),
    "marital_status": gettext_lazy("Status kawin"), "relationship": gettext_lazy("Hubungan keluarga"),
    "is_main_earner": gettext_lazy("Pencari nafkah utama"), "occupation": gettext_lazy("Pekerjaan"),
    "source_line": gettext_lazy("Baris di berkas DTKS"), "updated_at": gettext_lazy("Diperbarui"),
    "anonymised_at": gettext_lazy("Dianonimkan"), "no_kk": "No KK", "region_id": gettext_lazy("Kode wilayah"),
    "region_name": gettext_lazy("Wilayah"), "id_dtks": "ID DTKS", "rt": "RT", "rw": "RW",
    "address": gettext_lazy("Alamat"), "desil": gettext_lazy("Desil"), "lat": gettext_lazy("Lintang"),
    "lon": gettext_lazy("Bujur"), "skill_text": gettext_lazy("Keahlian"), "ready": gettext_lazy("Bersedia"),
    "prior_aid": gettext_lazy("Pernah menerima bantuan KUBE"), "created_at": gettext_lazy("Dicatat"),
    "as_of": gettext_lazy("Tanggal acuan"), "ruleset": gettext_lazy("Aturan"),
    "decision": gettext_lazy("Keputusan"), "latest": gettext_lazy("Terbaru"),
    "business_type": gettext_lazy("Jenis usaha"), "reasons": gettext_lazy("Alasan"), "at": gettext_lazy("Waktu"),
    "file": gettext_lazy("Berkas"), "entity": gettext_lazy("Jenis"), "action": gettext_lazy("Tindakan"),
    "changes": gettext_lazy("Perubahan"), "kube": "KUBE", "state": gettext_lazy("Status"),
    "decree_number": gettext_lazy("No SK"), "decree_date": gettext_lazy("Tanggal SK"),
    "joined_on": gettext_lazy("Bergabung"), "left_on": gettext_lazy("Keluar"),
    "left_reason": gettext_lazy("Alasan keluar"), "live": gettext_lazy("Aktif"), "role": gettext_lazy("Jabatan"),
    "since": gettext_lazy("Sejak"), "date": gettext_lazy("Tanggal"), "agenda": gettext_lazy("Agenda"),
    "status": gettext_lazy("Kehadiran"), "topic": gettext_lazy("Topik"), "trainer": gettext_lazy("Pelatih"),
    "days": gettext_lazy("Hari"), "principal": gettext_lazy("Pokok (Rp)"),
    "term_months": gettext_lazy("Jangka (bulan)"),
    "first_due_on": gettext_lazy("Angsuran pertama"), "fee_percent": gettext_lazy("Jasa (%/bulan)"),
    "number": gettext_lazy("No"), "operation": gettext_lazy("Transaksi"), "description": gettext_lazy("Keterangan"),
    "total": gettext_lazy("Jumlah (Rp)"), "round": gettext_lazy("Putaran"), "instrument": gettext_lazy("Instrumen"),
    "version": gettext_lazy("Versi"), "collected_on": gettext_lazy("Dikumpulkan"), "source": gettext_lazy("Sumber"),
    "answers": gettext_lazy("Jawaban"), "username": gettext_lazy("Nama pengguna"),
    "full_name": gettext_lazy("Nama lengkap"), "email": "Email", "date_joined": gettext_lazy("Terdaftar"),
    "last_login": gettext_lazy("Terakhir masuk"), "active": gettext_lazy("Aktif"),
    "actor_role": gettext_lazy("Peran petugas"), "note": gettext_lazy("Catatan"),
}  # fmt: skip


def label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


TEMPLATE = "pdp/subject_pdf.html"


def section_titles() -> list[tuple[str, str]]:
    """(key in the record, title in Bahasa Indonesia), in the order the PDF and the page show them."""
    return [
        ("decisions", _("Keputusan kelayakan")),
        ("import_changes", _("Perubahan dari impor DTKS")),
        ("kube_memberships", _("Keanggotaan KUBE")),
        ("officer_roles", _("Jabatan pengurus")),
        ("attendance", _("Kehadiran pertemuan")),
        ("trainings", _("Pelatihan")),
        ("member_loans", _("Pinjaman anggota")),
        ("journal_entries", _("Jurnal yang menyebut keanggotaan")),
        ("survey_responses", _("Jawaban survei")),
        ("user_account", _("Akun pengguna")),
        ("audit", _("Riwayat pemrosesan data")),
    ]


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    return str(value)


def record_sections(record: dict) -> list[dict]:
    """Each list section as {key, title, columns, rows (lists of text)}: what the templates draw as tables."""
    sections = []
    for key, title in section_titles():
        items = record.get(key) or []
        columns = list(items[0]) if items else []
        rows = [[_cell(item.get(c)) for c in columns] for item in items]
        sections.append(
            {"key": key, "title": title, "columns": [label(c) for c in columns], "rows": rows, "count": len(items)}
        )
    return sections


def subject_pdf(record: dict) -> bytes:
    """Render the record (from `subject_record`) as an A4 PDF."""
    import weasyprint

    fields = lambda d: [(label(k), _cell(v)) for k, v in (d or {}).items() if k != "other_members"]  # noqa: E731
    html = render_to_string(
        TEMPLATE,
        {
            "r": record,
            "person": fields(record["person"]),
            "family": fields(record["family"]),
            "other_members": (record["family"] or {}).get("other_members", []),
            "sections": record_sections(record),
        },
    )
    return weasyprint.HTML(string=html).write_pdf()
