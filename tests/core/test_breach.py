"""The breach report lists who revealed, exported or changed which records in a window, per actor too;
it narrows to a region or a NIK, writes CSV/XLSX/JSON, is admin-only on the web and is itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.core.breach import breach_file, breach_report, parse_moment
from berdaya.core.models import AuditEvent
from berdaya.core.services import audit_record
from tests.conftest import PASSWORD
from tests.factories import make_family

NOON = timezone.make_aware(dt.datetime(2026, 11, 20, 12, 0))


def at(moment: dt.datetime, **kwargs) -> AuditEvent:
    """An audit row written at `moment` (the log takes its time from the clock; rows cannot be back-dated)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit_record(**kwargs)


@pytest.fixture
def world(officer, stranger, admin_user, regions):
    """In Pontianak (61.71): a reveal and an export by the officer; in Singkawang (61.72): an export."""
    ours, theirs = make_family(), make_family(region="61.72.01.1001")
    person = ours.members.first()
    at(NOON, actor=officer, action="pdp.reveal", object_type="registry.Person", object_id=str(person.pk),
       changes={"field": "nik"}, client_address="203.0.113.5", note="cek KK asli di lapangan")  # fmt: skip
    at(NOON + dt.timedelta(minutes=5), actor=officer, action="registry.import.report", object_type="region",
       object_id="61.71", changes={"format": "xlsx", "rows": 120}, client_address="203.0.113.5")  # fmt: skip
    at(NOON + dt.timedelta(minutes=9), actor=stranger, action="export.registry", object_type="region",
       object_id="61.72", changes={"format": "csv", "rows": 40}, client_address="198.51.100.2")  # fmt: skip
    at(NOON + dt.timedelta(minutes=20), actor=officer, action="kube.create", object_type="kube.Kube", object_id="999")
    at(
        NOON + dt.timedelta(days=3),
        actor=officer,
        action="export.registry",
        object_type="region",
        object_id="61.71",
        changes={"format": "csv", "rows": 7},
    )  # fmt: skip — outside the window below
    return {"person": person, "ours": ours, "theirs": theirs}


WINDOW = {"start": NOON - dt.timedelta(hours=1), "end": NOON + dt.timedelta(hours=1)}


def test_it_lists_reveals_exports_and_changes_in_the_window(world, officer):
    report = breach_report(**WINDOW)
    assert [(r.actor, r.kind, r.action) for r in report.rows] == [
        ("petugas", "reveal", "pdp.reveal"),
        ("petugas", "export", "registry.import.report"),
        ("orang_lain", "export", "export.registry"),
        ("petugas", "change", "kube.create"),
    ]
    exported = report.rows[1]
    assert (exported.rows, exported.format, exported.client_address, exported.role) == (
        120, "xlsx", "203.0.113.5", "program_officer",
    )  # fmt: skip
    summary = {a.actor: a for a in report.actors}
    assert (summary["petugas"].reveals, summary["petugas"].exports, summary["petugas"].rows_exported) == (1, 1, 120)
    assert summary["petugas"].changes == 1 and summary["petugas"].addresses == ["203.0.113.5"]
    assert summary["orang_lain"].rows_exported == 40


def test_a_region_keeps_its_records_and_national_exports(world, admin_user):
    at(NOON + dt.timedelta(minutes=30), actor=admin_user, action="backup.create", object_type="database",
       changes={"rows": 5000})  # fmt: skip
    report = breach_report(**WINDOW, region="61.71")
    assert [r.action for r in report.rows] == ["pdp.reveal", "registry.import.report", "kube.create", "backup.create"]
    assert "orang_lain" not in {r.actor for r in report.rows}


def test_a_nik_keeps_the_rows_about_that_person_and_the_bulk_reads_of_their_region(world):
    report = breach_report(**WINDOW, nik=world["person"].nik)
    assert [(r.action, r.match) for r in report.rows] == [("pdp.reveal", "record"), ("registry.import.report", "bulk")]
    assert report.nik_masked != world["person"].nik and report.nik_masked.endswith(world["person"].nik[-4:])


def test_an_unknown_nik_or_an_empty_window_is_refused(world):
    with pytest.raises(ValueError, match="NIK ini tidak ada di registri"):
        breach_report(**WINDOW, nik="0000000000000000")
    with pytest.raises(ValueError, match="Waktu akhir harus setelah waktu awal"):
        breach_report(start=NOON, end=NOON)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_files_hold_every_row(world, fmt):
    report = breach_report(**WINDOW)
    body, _content_type = breach_file(report, fmt)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        actions = [r["action"] for r in rows]
    elif fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body))["Kejadian"]
        header = [c.value for c in sheet[1]]
        actions = [row[header.index("action")] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert load_workbook(io.BytesIO(body))["Per pengguna"].max_row == 3  # header + two actors
    else:
        actions = [r["action"] for r in json.loads(body)["rows"]]
    assert actions == ["pdp.reveal", "registry.import.report", "export.registry", "kube.create"]


def test_parse_moment_reads_a_bare_end_date_as_the_end_of_that_day():
    assert parse_moment("2026-11-20", end=True) == timezone.make_aware(dt.datetime(2026, 11, 21))
    assert parse_moment("2026-11-20T12:00") == NOON


def test_the_command_writes_the_file_and_prints_the_summary(world, tmp_path):
    out = tmp_path / "insiden.csv"
    result = CliRunner().invoke(
        app, ["audit", "breach", "--from", "2026-11-20T11:00", "--to", "2026-11-20T13:00", "--region", "61.71",
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "petugas (program_officer, 61.71; 203.0.113.5): 1 tampil NIK/KK, 1 ekspor (120 baris)" in result.output
    assert len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))) == 3
    assert AuditEvent.objects.filter(action="export.breach_report").get().changes["rows"] == 3


def test_the_page_is_for_admins_and_audits_each_reading(world, admin_user, officer):
    url = reverse("pdp_reveal:breach")
    form = {"start": "2026-11-20T11:00", "end": "2026-11-20T13:00", "region": "", "nik": world["person"].nik}
    client = Client()
    client.login(username=officer.username, password=PASSWORD)
    assert client.get(url).status_code == 403 and client.post(url, form).status_code == 403
    client.login(username=admin_user.username, password=PASSWORD)
    page = client.post(url, form, REMOTE_ADDR="192.0.2.9")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    body = page.content.decode()
    assert "pdp.reveal" in body and "registry.import.report" in body
    assert body.count(world["person"].nik) == 1  # only in the form's own field, for the download buttons
    download = client.post(url, {**form, "format": "xlsx"})
    assert download["Content-Disposition"].endswith('.xlsx"')
    readings = AuditEvent.objects.filter(action="export.breach_report").order_by("id")
    assert [(e.actor, e.changes["format"]) for e in readings] == [(admin_user, "html"), (admin_user, "xlsx")]
    assert readings[0].client_address == "192.0.2.9"
    assert world["person"].nik not in json.dumps(readings[0].changes)


def test_every_bulk_read_the_code_audits_counts_as_an_export():
    """An audit action that names an export, report, file or listing must be an `export` in the report."""
    import ast
    from pathlib import Path

    import berdaya
    from berdaya.core.breach import access_kind

    actions = set()
    for path in Path(berdaya.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "action" and isinstance(node.value, ast.Constant):
                actions.add(node.value.value)
    bulk = {
        a
        for a in actions
        if isinstance(a, str) and re.search(r"export|report|pdf|xlsx|csv|download|backup\.create|\.list$", a)
    }
    assert {"ledger.export_xlsx", "registry.import.report", "export.job_file"} <= bulk  # the scan finds them
    assert {a for a in bulk if access_kind(a) != "export"} == set()
