"""Backup and restore (issue 8 §6): backup → wipe → restore gives the same stats and the same books, and a
damaged or foreign archive is refused before anything changes.

The round trip runs the real commands in subprocesses against a scratch database made for the test (an
SQLite file, or a PostgreSQL database created and dropped), on whichever engine DATABASE_URL names: the
dump tools see only committed data, and the commands are what an operator runs. The refusals run in
process on the test database, with committed rows (transactional tests).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from berdaya.core.backup import DUMPS, BackupError, backup_check, backup_create, backup_restore
from berdaya.core.selectors import stats_counts

REPO = Path(__file__).resolve().parents[2]
BERDAYA = [sys.executable, "-m", "berdaya.cli"]
DAY = dt.date(2025, 3, 3)


# ---- a small world and what must survive ----------------------------------------------------------


def world_build(regions_csv: str) -> None:
    """Regions, two active KUBEs with aid, a month of bookkeeping (a loan, a repayment, a reversal),
    a pendamping with a meeting, and the audit rows all that writes."""
    from berdaya.core.services import regions_load, user_create
    from berdaya.kube.models import KubeState
    from berdaya.ledger.services import entry_reverse, operation_post
    from tests.factories import assign, make_facilitator, make_kube, make_meeting

    regions_load(path=regions_csv)
    user_create(username="petugas", password="sandi-uji-123", role="program_officer", region_code="61.71")
    for name in ("KUBE Jagung Manis 8", "KUBE Anggrek 6"):
        kube = make_kube(name=name, size=10, state=KubeState.ACTIVE)
        member = kube.memberships.order_by("id").first()
        operation_post(actor=None, kube=kube, kind="from_bank", date=DAY, amount=5_000_000)
        operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member,
                       term_months=4)
        operation_post(actor=None, kube=kube, kind="repayment", date=DAY + dt.timedelta(days=30), amount=250_000,
                       fee=10_000, member=member)
        wrong = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount="1.250.000")
        entry_reverse(actor=None, entry=wrong, reason="salah catat")
        assign(kube, make_facilitator())
        make_meeting(kube, DAY)


def books_snapshot() -> dict:
    """Every book's trial balance (reports.trial_balance, as the book pages show it) and all its lines."""
    from berdaya.kube.models import Kube
    from berdaya.ledger.models import JournalLine
    from berdaya.ledger.reports import trial_balance

    books = {}
    for kube in Kube.objects.filter(book__isnull=False).order_by("name"):
        balance = trial_balance(kube, dt.date(2100, 1, 1))
        lines = JournalLine.objects.filter(kube=kube).order_by("entry__number", "id").values_list(
            "entry__number", "entry__operation", "date", "account__code", "debit", "credit")
        books[kube.name] = {
            "trial_balance": [[r.code, r.debit, r.credit] for r in balance.rows],
            "totals": [balance.total_debit, balance.total_credit],
            "lines": [[n, op, day.isoformat(), code, d, c] for n, op, day, code, d, c in lines],
        }
    return books


# Subprocesses set Django up before they import this module.
SETUP = "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'berdaya.settings'); django.setup(); "


def _probe() -> None:
    """Run in a subprocess: print the books and the latest audit actions of DATABASE_URL as JSON."""
    from berdaya.core.models import AuditEvent

    actions = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2])
    print(json.dumps({"books": books_snapshot(), "latest_actions": actions}))


# ---- a scratch database for the subprocess round trip ---------------------------------------------


class Scratch:
    """An empty database of the engine under test, its URL, and a way to wipe it."""

    def __init__(self, tmp_path: Path):
        settings = connection.settings_dict
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp_path / "scratch.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"berdaya_backup_scratch_{uuid.uuid4().hex[:10]}"
            auth = quote(settings["USER"]) + (f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else "")
            self.url = f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{self.name}"
            self._server(f'CREATE DATABASE "{self.name}"')

    def _server(self, sql: str) -> None:
        """Run one statement on the PostgreSQL server (CREATE/DROP DATABASE cannot run in a database)."""
        import psycopg

        settings = connection.settings_dict
        with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                             user=settings["USER"], password=settings.get("PASSWORD") or None,
                             dbname="postgres", autocommit=True) as server:
            server.execute(sql)

    def wipe(self) -> None:
        """Throw the database away and put an empty one (no tables) in its place: a new server."""
        if self.vendor == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            self.drop()
            self._server(f'CREATE DATABASE "{self.name}"')

    def tables(self) -> int:
        return self.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                           if self.vendor == "sqlite" else "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")

    def scalar(self, sql: str):
        if self.vendor == "sqlite":
            import sqlite3

            with contextlib.closing(sqlite3.connect(self.path)) as db:
                return db.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.url) as db:
            return db.execute(sql).fetchone()[0]

    def drop(self) -> None:
        if self.vendor != "sqlite":
            self._server(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def run(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        env = {**os.environ, "DATABASE_URL": self.url}
        result = subprocess.run(list(args), cwd=REPO, env=env, input=input, capture_output=True, text=True,
                                timeout=600, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def berdaya(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run(*BERDAYA, *args, **kwargs)

    def stats(self) -> dict:
        return json.loads(self.berdaya("stats", "--json").stdout)

    def probe(self) -> dict:
        probe = SETUP + "from tests.core.test_backup import _probe; _probe()"
        return json.loads(self.run(sys.executable, "-c", probe).stdout)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, kalbar_regions_csv):
    """A migrated scratch database holding the small world; both tests leave the world in it."""
    database = Scratch(tmp_path_factory.mktemp("scratch"))
    try:
        database.berdaya("migrate")
        build = f"from tests.core.test_backup import world_build; world_build({str(kalbar_regions_csv)!r})"
        database.run(sys.executable, "-c", SETUP + build)
        yield database
    finally:
        database.drop()


def test_backup_wipe_restore_gives_the_same_stats_and_the_same_books(scratch, tmp_path):
    archive = tmp_path / "cadangan.tar"
    made = scratch.berdaya("backup", "--out", str(archive))
    assert "Cadangan dibuat" in made.stdout
    stats, books = scratch.stats(), scratch.probe()["books"]
    assert stats["journal_lines"] > 0 and stats["families"] == 20 and set(books) == {"KUBE Anggrek 6",
                                                                                    "KUBE Jagung Manis 8"}
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds personal data
    assert "Arsip baik" in scratch.berdaya("backup", "--check", str(archive)).stdout

    scratch.wipe()
    assert scratch.tables() == 0
    declined = scratch.berdaya("restore", str(archive), input="n\n", check=False)
    assert declined.returncode != 0 and scratch.tables() == 0  # "no" changes nothing

    restored = scratch.berdaya("restore", str(archive), "--yes")
    assert "Dipulihkan" in restored.stdout
    after, probe = scratch.stats(), scratch.probe()
    assert probe["books"] == books
    # The one row more in the audit log is the restore's own, written after the backup's log came back;
    # the backup carries the record of its making.
    assert probe["latest_actions"] == ["backup.restore", "backup.create"]
    assert after == {**stats, "audit_events": stats["audit_events"] + 1}


def backup_while_a_session_is_written(out: str) -> None:
    """Run in a subprocess: a backup during which another connection commits a row (a login session)
    after the manifest's counts are read and before the dump is taken."""
    from django.db import connections

    from berdaya.core import backup

    counted = backup._content

    def content_then_another_write() -> dict:
        content = counted()
        other = connections.create_connection("default")  # a second connection: another process, in effect
        try:
            with other.cursor() as cursor:
                cursor.execute("INSERT INTO django_session (session_key, session_data, expire_date) "
                               "VALUES ('written-during-backup', 'x', '2100-01-01 00:00:00+00')")
        finally:
            other.close()
        return content

    backup._content = content_then_another_write
    backup.backup_create(out, actor=None)


def test_a_backup_is_one_snapshot_while_others_write(scratch, tmp_path):
    """SQLite (WAL) and PostgreSQL (an exported snapshot): a row committed while the backup runs is in
    neither the manifest nor the dump, and the writer was not held up (SQLite would have timed out)."""
    archive = tmp_path / "bersamaan.tar"
    assert scratch.scalar("SELECT COUNT(*) FROM django_session") == 0
    write = f"from tests.core.test_backup import backup_while_a_session_is_written as b; b({str(archive)!r})"
    scratch.run(sys.executable, "-c", SETUP + write)
    assert scratch.scalar("SELECT COUNT(*) FROM django_session") == 1  # committed before the backup ended
    assert _members(archive)[0]["tables"]["django_session"] == 0  # but after its snapshot
    scratch.berdaya("backup", "--check", str(archive))  # SQLite: the copy's own counts agree
    scratch.berdaya("restore", str(archive), "--yes")  # PostgreSQL: the dump's rows agree, checked in the restore
    assert scratch.scalar("SELECT COUNT(*) FROM django_session") == 0


# ---- refusals, before anything changes --------------------------------------------------------------


@dataclass
class BackedUp:
    archive: Path
    at_backup: tuple[dict, dict]  # stats and books in the archive
    now: tuple[dict, dict]  # after a sale posted since: what a refused restore must leave


@pytest.fixture
def backed_up(transactional_db, regions, tmp_path) -> BackedUp:
    """A committed world in the test database, its backup, and a sale posted after the backup."""
    from berdaya.kube.models import Kube
    from berdaya.ledger.services import operation_post

    world_build(str(regions))
    archive = tmp_path / "cadangan.tar"
    backup_create(archive, actor=None)
    at_backup = (stats_counts(), books_snapshot())
    operation_post(actor=None, kube=Kube.objects.get(name="KUBE Anggrek 6"), kind="sale", date=DAY, amount=75_000)
    return BackedUp(archive, at_backup, (stats_counts(), books_snapshot()))


def _members(archive: Path) -> tuple[dict, bytes]:
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        return manifest, tar.extractfile(manifest["dump"]["name"]).read()


def _write_archive(path: Path, manifest: dict, dump: bytes) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, body in (("manifest.json", json.dumps(manifest).encode()), (manifest["dump"]["name"], dump)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return path


def _unchanged(backed_up: BackedUp) -> None:
    stats, books = backed_up.now
    assert stats_counts() == stats
    assert books_snapshot() == books
    assert books != backed_up.at_backup[1]  # so a restore that went through would have shown


def test_an_archive_with_one_byte_flipped_is_refused_before_anything_is_wiped(backed_up):
    archive = backed_up.archive
    backup_check(archive)  # sound before the flip
    manifest, _ = _members(archive)
    with tarfile.open(archive) as tar:
        at = tar.getmember(manifest["dump"]["name"]).offset_data + manifest["dump"]["size"] // 2
    body = bytearray(archive.read_bytes())
    body[at] ^= 0xFF  # a byte in the middle of the dump
    archive.write_bytes(bytes(body))
    for attempt in (backup_check, lambda path: backup_restore(path, actor=None)):
        with pytest.raises(BackupError, match="SHA-256"):
            attempt(archive)
    _unchanged(backed_up)


def test_an_archive_from_the_other_engine_is_refused_with_a_clear_message(backed_up, tmp_path):
    manifest, _ = _members(backed_up.archive)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    dump = b"a dump of the other engine"
    manifest.update(engine=other, dump={"name": DUMPS[other], "size": len(dump),
                                        "sha256": hashlib.sha256(dump).hexdigest()})
    foreign = _write_archive(tmp_path / "lain.tar", manifest, dump)
    theirs, ours = ("PostgreSQL", "SQLite") if other == "postgresql" else ("SQLite", "PostgreSQL")
    with pytest.raises(BackupError, match=f"dari {theirs}.*adalah {ours}"):
        backup_restore(foreign, actor=None)
    _unchanged(backed_up)


def test_a_manifest_that_disagrees_with_its_dump_is_refused_and_the_old_data_stays(backed_up, tmp_path):
    """The checksum covers the dump, not the manifest: a manifest edited to claim one journal line more is
    caught by the counts (SQLite: on the unpacked copy; PostgreSQL: at the end of the restore's own
    transaction, which then rolls back: the sale posted after the backup is still there)."""
    manifest, dump = _members(backed_up.archive)
    manifest["tables"]["ledger_journalline"] += 1
    edited = _write_archive(tmp_path / "diubah.tar", manifest, dump)
    with pytest.raises(BackupError, match="ledger_journalline"):
        backup_restore(edited, actor=None)
    _unchanged(backed_up)


def test_a_backup_from_a_schema_this_code_does_not_know_is_refused(backed_up, tmp_path):
    manifest, dump = _members(backed_up.archive)
    manifest["migrations"]["core"].append("9999_from_the_future")
    newer = _write_archive(tmp_path / "baru.tar", manifest, dump)
    with pytest.raises(BackupError, match="9999_from_the_future"):
        backup_restore(newer, actor=None)
    _unchanged(backed_up)


def test_a_restore_stops_when_not_confirmed(backed_up):
    asked = []

    def decline(manifest: dict) -> None:
        asked.append(manifest["engine"])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backup_restore(backed_up.archive, actor=None, confirm=decline)
    assert asked == [connection.vendor]
    _unchanged(backed_up)


def test_a_restore_over_a_live_database_brings_back_the_backup(backed_up):
    """Restored in place, over the sale posted since: the books are the backup's again. The admin who
    restores was created after the backup, so the restored database does not know them: the restore's
    audit row names them without pointing at a user row that is not there."""
    from berdaya.core.models import AuditEvent, User
    from berdaya.core.services import user_create

    admin = user_create(username="admin_baru", password="sandi-uji-123", role="admin", region_code=None)
    stats, books = backed_up.at_backup
    backup_restore(backed_up.archive, actor=admin)
    assert books_snapshot() == books
    assert stats_counts() == {**stats, "audit_events": stats["audit_events"] + 1}
    assert not User.objects.filter(username="admin_baru").exists()
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor, event.changes["by"]) == ("backup.restore", None, "admin_baru")
    assert event.changes["replaced_stats"]["journal_lines"] == backed_up.now[0]["journal_lines"]


@pytest.mark.parametrize(
    ("version", "message"), [(None, "pg_dump tidak ditemukan"), ("13.1", "pg_dump versi 13 lebih lama")]
)
def test_a_missing_or_older_postgresql_client_is_named_in_the_refusal(tmp_path, monkeypatch, version, message):
    from berdaya.core.backup import _pg_tool_check

    if version:
        fake = tmp_path / "pg_dump"
        fake.write_text(f'#!/bin/sh\necho "pg_dump (PostgreSQL) {version} (Debian)"\n')
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match=message):
        _pg_tool_check("pg_dump", at_least=15)

