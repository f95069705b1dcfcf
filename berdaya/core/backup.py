"""Backup and restore of the whole database as one archive file (issue 8 §6).

The archive is a tar holding `manifest.json` (first, so a check reads it cheaply) and the dump:

- SQLite: `database.sqlite3.gz`, a page copy made with SQLite's online backup API from the server's
  own connection inside a read transaction, so it is one consistent snapshot even while the web server
  and the worker write (WAL). The copy must pass `PRAGMA integrity_check` and `foreign_key_check`.
- PostgreSQL: `database.pgdump`, `pg_dump --format=custom` run on a snapshot exported from the
  transaction that computed the manifest (`pg_export_snapshot` + `pg_dump --snapshot`), so the counts in
  the manifest describe exactly the rows in the dump.

The manifest holds the format version, Berdaya's version, the engine, the applied migrations per app,
the row count of every table, a content fingerprint (per KUBE's books: journal line count, debit and
credit totals and every account's balance, i.e. the trial balance of all time; and `berdaya stats`),
the SHA-256 of the dump and when it was made.

A restore checks the archive (format, checksum, engine, migrations) before it touches anything, replaces
the database in one transaction (SQLite: the backup API into the live file, one write transaction;
PostgreSQL: `pg_restore` piped into `psql --single-transaction`, with the row counts checked in that same
transaction before it commits), then counts again and compares everything with the manifest.

Why not `dumpdata`/`loaddata` (which could move data between SQLite and PostgreSQL): it loses what is not
a model row (the ledger's and the audit log's triggers are recreated by migrations, but sequences need
resetting), it saves a million journal lines one by one, and its order of inserts can trip the ledger's
same-book trigger. A backup restores to the engine it came from; moving engines is a separate task.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from berdaya.core.models import User

FORMAT = "berdaya-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator (Bahasa Indonesia)."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    size: int
    seconds: float = 0.0
    differences: list[str] = field(default_factory=list)


# ---- create -------------------------------------------------------------------------------------


def backup_create(out: Path | str, *, actor: User | None) -> BackupResult:
    """Write a backup archive of the configured database to `out` (mode 0600, replaced atomically).

    The `backup.create` audit row is committed first, so the backup carries the record of its own making.
    Raises BackupError when the database engine is not supported, a PostgreSQL client tool is missing or
    older than the server, or the copy fails its integrity checks; `out` is then left as it was.
    Must not run inside a transaction (the snapshot needs its own).
    """
    from berdaya.core.services import audit_record

    started = dt.datetime.now(dt.UTC)
    out = Path(out)
    engine = _engine()
    if connection.in_atomic_block:
        raise BackupError(_("Cadangan tidak bisa dibuat di dalam transaksi yang sedang berjalan."))
    if engine == "postgresql":
        _pg_tool_check("pg_dump", at_least=_pg_server_major())
    with transaction.atomic():
        audit_record(actor=actor, action="backup.create", object_type="database", object_id=engine,
                     changes={"file": str(out.resolve())})
    with tempfile.TemporaryDirectory(prefix="berdaya-backup-") as folder:
        work = Path(folder)
        dump = work / DUMPS[engine]
        content = _sqlite_dump(dump) if engine == "sqlite" else _pg_dump(dump)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "berdaya_version": _berdaya_version(),
            "engine": engine,
            "created_at": started.isoformat(timespec="seconds"),
            "dump": {"name": dump.name, "size": dump.stat().st_size, "sha256": _sha256_file(dump)},
            **content,
        }
        size = _archive_write(out, manifest, dump)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return BackupResult(path=out, manifest=manifest, size=size, seconds=seconds)


def _sqlite_dump(dump: Path) -> dict:
    """Snapshot the live SQLite database into gzip file `dump`; return the manifest's content fields."""
    with tempfile.TemporaryDirectory(prefix="berdaya-sqlite-") as folder:
        copy = Path(folder) / "copy.sqlite3"
        with _read_snapshot():
            content = _content()
            target = sqlite3.connect(copy)
            try:
                # The server's own connection, inside the read transaction: the copy is the very
                # snapshot the counts above were read from, whatever other processes write meanwhile.
                connection.connection.backup(target)
            finally:
                target.close()
        problems = _sqlite_file_problems(copy)
        if problems:
            raise BackupError(_("Salinan SQLite tidak utuh: %(problems)s") % {"problems": "; ".join(problems)})
        with open(copy, "rb") as source, gzip.open(dump, "wb", compresslevel=6) as packed:
            shutil.copyfileobj(source, packed, _CHUNK)
    return content


def _pg_dump(dump: Path) -> dict:
    """pg_dump the snapshot the manifest's counts are read from, into `dump`; return the content fields."""
    with _read_snapshot() as snapshot:
        content = _content()
        content["postgresql"] = {"server": _pg_server_major(), "pg_dump": _pg_tool_major("pg_dump")}
        _run([_pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password",
              f"--file={dump}", _pg_conninfo()], env=_pg_env(), what="pg_dump")
    # The archive's table of contents must read back before we call it a backup.
    _run([_pg_tool("pg_restore"), "--list", str(dump)], env=_pg_env(), what="pg_restore --list")
    return content


@contextlib.contextmanager
def _read_snapshot() -> Iterator[str | None]:
    """A read-only transaction whose snapshot every read inside sees; yields the PostgreSQL snapshot id.

    SQLite: a DEFERRED transaction (settings ask for IMMEDIATE, which would take the write lock and hold
    up every writer for the length of the copy); WAL keeps its snapshot from the first read on.
    """
    if connection.vendor == "sqlite":
        mode = connection.transaction_mode
        connection.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic():
                connection.transaction_mode = mode
                yield None
        finally:
            connection.transaction_mode = mode
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        yield cursor.fetchone()[0]


# ---- content: what a restore must give back -----------------------------------------------------


def _content() -> dict:
    """Migrations, row counts, books and `berdaya stats` of the database as the default connection sees it."""
    from berdaya.core.selectors import stats_counts

    with connection.cursor() as cursor:
        tables = _tables(cursor, connection.vendor)
        return {
            "migrations": _migrations_applied(cursor),
            "tables": _row_counts(cursor, tables),
            "books": _books(cursor, tables),
            "stats": stats_counts(),
        }


def _tables(cursor, vendor: str) -> list[str]:
    """The tables whose rows are counted: SQLite's own (`sqlite_sequence`, `sqlite_stat1`, …) are not data."""
    if vendor != "sqlite":
        return sorted(connection.introspection.table_names(cursor, include_views=False))
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    return sorted(name for (name,) in cursor.fetchall())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations_applied(cursor) -> dict[str, list[str]]:
    """Every applied migration, per app (the `django_migrations` table, which the dump also holds)."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _books(cursor, tables: list[str]) -> dict[str, dict]:
    """Per KUBE: journal lines, debit and credit totals, and each account's balance (debit − credit).

    That is every book's trial balance of all time and its line count, in one grouped query.
    """
    if "ledger_journalline" not in tables:
        return {}
    cursor.execute(
        "SELECT l.kube_id, a.code, COUNT(*), SUM(l.debit), SUM(l.credit) FROM ledger_journalline l "
        "JOIN ledger_account a ON a.id = l.account_id GROUP BY l.kube_id, a.code ORDER BY l.kube_id, a.code"
    )
    books: dict[str, dict] = {}
    for kube_id, code, lines, debit, credit in cursor.fetchall():
        book = books.setdefault(str(kube_id), {"lines": 0, "debit": 0, "credit": 0, "balances": {}})
        book["lines"] += int(lines)
        book["debit"] += int(debit)
        book["credit"] += int(credit)
        book["balances"][code] = int(debit) - int(credit)
    return books


def _differences(expected: dict, found: dict, keys=("migrations", "tables", "books", "stats")) -> list[str]:
    """What differs between the manifest's content and the database's, as readable lines."""
    lines = []
    for key in keys:
        if key not in expected:
            continue
        want, got = expected[key], found.get(key, {})
        for name in sorted(set(want) | set(got)):
            if want.get(name) != got.get(name):
                lines.append(f"{key}.{name}: {_short(want.get(name))} → {_short(got.get(name))}")
    return lines


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "…"


# ---- check --------------------------------------------------------------------------------------


def backup_check(path: Path | str) -> BackupResult:
    """Verify an archive without touching the database: format, checksum, and what the dump holds.

    SQLite: the copy is unpacked to a temporary file, passes integrity and foreign-key checks, and its row
    counts and books equal the manifest's. PostgreSQL: `pg_restore --list` reads the dump's table of
    contents (the rows are counted at restore, inside its transaction). Raises BackupError on any fault.
    The result's `differences` say why this installation would refuse to restore it (engine, migrations).
    """
    with _unpacked(Path(path)) as (manifest, dump, size):
        notes = []
        try:
            _compatible(manifest, _engine())
        except BackupError as error:
            notes.append(str(error))
        return BackupResult(path=Path(path), manifest=manifest, size=size, differences=notes)


@contextlib.contextmanager
def _unpacked(path: Path, gate: Callable[[dict], None] | None = None) -> Iterator[tuple[dict, Path, int]]:
    """The checked manifest and the dump (a plain SQLite file or a pg_dump archive) in a temporary folder.

    `gate(manifest)` runs before the dump is read, so a refusal by the manifest alone is quick.
    """
    try:
        size = path.stat().st_size
        archive = tarfile.open(path, "r:")  # noqa: SIM115 - closed by the `with` below, after the checks
    except (OSError, tarfile.TarError) as error:
        raise BackupError(_("%(path)s bukan arsip cadangan Berdaya yang bisa dibaca (%(error)s).")
                          % {"path": path, "error": error}) from error
    with archive, tempfile.TemporaryDirectory(prefix="berdaya-restore-") as folder:
        manifest = _manifest_read(archive, path)
        if gate is not None:
            gate(manifest)
        member = _member(archive, manifest["dump"]["name"], path)
        dump = Path(folder) / member.name
        digest = hashlib.sha256()
        try:
            with archive.extractfile(member) as source, open(dump, "wb") as target:  # type: ignore[union-attr]
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
        except (OSError, tarfile.TarError) as error:
            raise BackupError(_("Arsip %(path)s rusak: %(error)s") % {"path": path, "error": error}) from error
        if digest.hexdigest() != manifest["dump"]["sha256"] or dump.stat().st_size != manifest["dump"]["size"]:
            raise BackupError(_("Checksum SHA-256 isi cadangan %(path)s tidak cocok dengan manifesnya: arsip "
                                "rusak atau diubah. Tidak ada yang dipulihkan.") % {"path": path})
        if manifest["engine"] == "sqlite":
            plain = Path(folder) / "database.sqlite3"
            try:
                with gzip.open(dump, "rb") as source, open(plain, "wb") as target:
                    shutil.copyfileobj(source, target, _CHUNK)
            except (OSError, EOFError) as error:
                raise BackupError(_("Isi cadangan SQLite tidak bisa dibuka: %(error)s") % {"error": error}) from error
            dump.unlink()
            _sqlite_copy_check(plain, manifest)
            dump = plain
        else:
            # pg_restore reads archives of its own major version and older.
            _pg_tool_check("pg_restore", at_least=int(manifest.get("postgresql", {}).get("pg_dump", 0)))
            _run([_pg_tool("pg_restore"), "--list", str(dump)], env=_pg_env(), what="pg_restore --list")
        yield manifest, dump, size


def _manifest_read(archive: tarfile.TarFile, path: Path) -> dict:
    member = _member(archive, MANIFEST, path)
    try:
        manifest = json.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
    except (ValueError, OSError, tarfile.TarError) as error:
        raise BackupError(_("Manifes %(path)s tidak bisa dibaca: %(error)s") % {"path": path, "error": error}) \
            from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s bukan arsip cadangan Berdaya.") % {"path": path})
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(_("Format cadangan versi %(found)s tidak dikenal versi Berdaya ini (versi %(known)s).")
                          % {"found": manifest.get("format_version"), "known": FORMAT_VERSION})
    engine = manifest.get("engine")
    dump = manifest.get("dump")
    if engine not in DUMPS or not isinstance(dump, dict) or dump.get("name") != DUMPS[engine] \
            or not re.fullmatch(r"[0-9a-f]{64}", str(dump.get("sha256"))) \
            or not all(isinstance(manifest.get(key), dict) for key in ("migrations", "tables", "books", "stats")):
        raise BackupError(_("Manifes %(path)s tidak lengkap.") % {"path": path})
    return manifest


def _member(archive: tarfile.TarFile, name: str, path: Path) -> tarfile.TarInfo:
    try:
        member = archive.getmember(name)
    except (KeyError, tarfile.TarError) as error:
        raise BackupError(_("Arsip %(path)s tidak berisi %(name)s.") % {"path": path, "name": name}) from error
    if not member.isfile():
        raise BackupError(_("Arsip %(path)s: %(name)s bukan berkas.") % {"path": path, "name": name})
    return member


def _sqlite_file_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` and `foreign_key_check` report about an SQLite file (empty: sound)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"kunci asing {table} baris {rowid} → {parent}"
                     for table, rowid, parent, _fk in db.execute("PRAGMA foreign_key_check")]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    finally:
        db.close()
    return problems


def _sqlite_copy_check(path: Path, manifest: dict) -> None:
    problems = _sqlite_file_problems(path)
    if problems:
        raise BackupError(_("Salinan SQLite dalam cadangan tidak utuh: %(problems)s")
                          % {"problems": "; ".join(problems[:10])})
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = db.cursor()
        tables = _tables(cursor, "sqlite")
        found = {"tables": _row_counts(cursor, tables), "books": _books(cursor, tables),
                 "migrations": _migrations_applied(cursor)}
    finally:
        db.close()
    differences = _differences(manifest, found, keys=("migrations", "tables", "books"))
    if differences:
        raise BackupError(_("Isi cadangan tidak sama dengan manifesnya: %(diff)s")
                          % {"diff": "; ".join(differences[:10])})


# ---- restore ------------------------------------------------------------------------------------


def backup_restore(
    path: Path | str, *, actor: User | None, confirm: Callable[[dict], None] | None = None
) -> BackupResult:
    """Replace the configured database with the archive's, all or nothing, and prove nothing was lost.

    Before anything changes: the archive is checked (backup_check), and its engine and migrations must
    be this installation's. The database is then replaced in one transaction; afterwards every table's
    row count, every book and `berdaya stats` are compared with the manifest (a difference raises
    BackupError). The restore replaces the audit log with the backup's, so the `backup.restore` row is
    written after it, naming the archive and what the database held before. `confirm(manifest)` is called
    once the archive has passed every check and before anything changes; it raises to stop. Stop the web
    server and the worker first: PostgreSQL waits for their locks, and their open pages would show the old
    data.
    """
    from django.contrib.contenttypes.models import ContentType

    from berdaya.core.services import audit_record

    started = dt.datetime.now(dt.UTC)
    path = Path(path)
    engine = _engine()
    if connection.in_atomic_block:
        raise BackupError(_("Pemulihan tidak bisa dijalankan di dalam transaksi yang sedang berjalan."))
    with _unpacked(path, gate=lambda manifest: _compatible(manifest, engine)) as (manifest, dump, size):
        if confirm is not None:
            confirm(manifest)
        before = _stats_or_none()
        if engine == "sqlite":
            _sqlite_restore(dump)
        else:
            _pg_restore(dump, manifest)
        connection.close()  # nothing Django cached about the old database survives
        ContentType.objects.clear_cache()
        found = _content()
        differences = _differences(manifest, found)
        if differences:
            raise BackupError(_("Basis data setelah pemulihan tidak sama dengan manifes cadangan: %(diff)s")
                              % {"diff": "; ".join(differences[:10])})
        username = actor.username if actor is not None else None
        with transaction.atomic():
            audit_record(
                # The actor's row came from the replaced database: find them again by name in the restored one.
                actor=_user_named(username), action="backup.restore", object_type="database", object_id=engine,
                changes={
                    "file": str(path.resolve()), "sha256": manifest["dump"]["sha256"],
                    "backup_created_at": manifest["created_at"], "berdaya_version": manifest["berdaya_version"],
                    "by": username, "replaced_stats": before,
                },
            )
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return BackupResult(path=path, manifest=manifest, size=size, seconds=seconds)


def _user_named(username: str | None) -> User | None:
    from berdaya.core.models import User

    return User.objects.filter(username=username).first() if username else None


def _compatible(manifest: dict, engine: str) -> None:
    """Refuse an archive from another engine, or whose schema is not exactly this code's migrations."""
    if manifest["engine"] != engine:
        raise BackupError(
            _("Cadangan ini dari %(theirs)s, tetapi basis data yang dikonfigurasi (DATABASE_URL) adalah "
              "%(ours)s. Pulihkan ke basis data %(theirs)s; pindah mesin basis data tidak didukung oleh "
              "pemulihan.") % {"theirs": ENGINE_NAMES[manifest["engine"]], "ours": ENGINE_NAMES[engine]})
    problems = _migration_mismatch(manifest.get("migrations", {}))
    if problems:
        raise BackupError(
            _("Skema cadangan (Berdaya %(version)s) tidak sama dengan migrasi versi ini: %(listed)s. Pulihkan "
              "dengan versi Berdaya yang membuat cadangan, lalu tingkatkan dan jalankan `berdaya migrate`.")
            % {"version": manifest.get("berdaya_version"), "listed": "; ".join(problems[:10])})


def _migration_mismatch(applied: dict[str, list[str]]) -> list[str]:
    """How a backup's applied migrations differ from this code's: each app's last migrations (the graph's
    leaves) must be applied, and nothing may be applied that the code does not know (a newer backup)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    done = {(app, name) for app, names in applied.items() for name in names}
    problems = [_("%(app)s belum sampai %(name)s") % {"app": app, "name": name}
                for app, name in sorted(loader.graph.leaf_nodes()) if (app, name) not in done]
    problems += [_("%(app)s.%(name)s tidak dikenal versi ini") % {"app": app, "name": name}
                 for app, name in sorted(done - known)]
    return problems


def _stats_or_none() -> dict | None:
    """What the database holds before it is replaced (None when it has no tables yet)."""
    from django.db import DatabaseError

    from berdaya.core.selectors import stats_counts

    try:
        with transaction.atomic():
            return stats_counts()
    except DatabaseError:
        return None


def _sqlite_restore(source_path: Path) -> None:
    """Copy the checked SQLite file into the live database with the backup API: one write transaction,
    so a failure leaves the old data and other connections see either the old or the new database.

    Not a file rename: the live file's WAL and shared-memory files belong to the old database, and
    processes that have it open would keep reading the old inode.
    """
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(_("Pemulihan SQLite gagal; data lama tetap: %(error)s") % {"error": error}) from error
    finally:
        source.close()


def _pg_restore(dump: Path, manifest: dict) -> None:
    """`pg_restore --clean` into psql's single transaction; the row counts are checked before COMMIT.

    Piping through psql (rather than `pg_restore -d --single-transaction`) lets the same transaction end
    with a check of every table's count and every book's totals against the manifest: a mismatch raises,
    psql stops, and the transaction rolls back with the old data in place.
    """
    server = _pg_server_major()
    _pg_tool_check("pg_restore", at_least=int(manifest.get("postgresql", {}).get("pg_dump", 0)))
    _pg_tool_check("psql", at_least=server)
    connection.close()  # our own session must hold no lock on the tables that are dropped
    # Only warnings and errors: the NOTICEs of `DROP … IF EXISTS` on an empty database are noise.
    env = {**_pg_env(), "PGOPTIONS": "-c client_min_messages=warning"}
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as psql_errors:
        script = subprocess.Popen(
            [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--exit-on-error", "--file=-",
             str(dump)],
            stdout=subprocess.PIPE, stderr=script_errors, env=env,
        )
        psql = subprocess.Popen(
            [_pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
             "--no-password", "--output=/dev/null", f"--dbname={_pg_conninfo()}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors, env=env,
        )
        assert script.stdout is not None and psql.stdin is not None
        try:
            shutil.copyfileobj(script.stdout, psql.stdin, _CHUNK)
            psql.stdin.write(_pg_verify_sql(manifest).encode())
            psql.stdin.close()
        except BrokenPipeError:
            script.kill()  # psql stopped on an error; its message is read below
        failed = script.wait() != 0
        failed = psql.wait() != 0 or failed
        if failed:
            psql_errors.seek(0)
            script_errors.seek(0)
            message = (psql_errors.read() or script_errors.read()).decode(errors="replace").strip()
            raise BackupError(_("Pemulihan PostgreSQL gagal dan dibatalkan; data lama tetap: %(error)s")
                              % {"error": message[-2000:]})


def _pg_verify_sql(manifest: dict) -> str:
    """A DO block, run last in the restore's transaction, that raises when the restored rows differ."""
    checks = [
        f"IF (SELECT COUNT(*) FROM {_quote(table)}) <> {int(count)} THEN "
        f"RAISE EXCEPTION 'berdaya restore: table % has % rows, manifest says {int(count)}', "
        f"{_literal(table)}, (SELECT COUNT(*) FROM {_quote(table)}); END IF;"
        for table, count in manifest["tables"].items()
    ]
    books = manifest.get("books") or {}
    if books:
        values = ", ".join(f"({int(kube)}, {int(b['lines'])}, {int(b['debit'])}, {int(b['credit'])})"
                           for kube, b in books.items())
        checks.append(
            "IF EXISTS (SELECT 1 FROM (SELECT kube_id, COUNT(*) AS n, SUM(debit) AS d, SUM(credit) AS c "
            "FROM ledger_journalline GROUP BY kube_id) f FULL JOIN (VALUES " + values + ") AS m(kube_id, n, d, c) "
            "USING (kube_id) WHERE f.n IS DISTINCT FROM m.n OR f.d IS DISTINCT FROM m.d "
            "OR f.c IS DISTINCT FROM m.c) THEN RAISE EXCEPTION 'berdaya restore: the books differ from the "
            "manifest'; END IF;"
        )
    # pg_restore's script empties search_path; the checks name tables as Django does, unqualified.
    return "\nRESET search_path;\nDO $berdaya$ BEGIN\n" + "\n".join(checks) + "\nEND $berdaya$;\n"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---- PostgreSQL client tools --------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    return shutil.which(name) or name


def _pg_tool_major(name: str) -> int:
    """The major version of a client tool (`pg_dump (PostgreSQL) 15.20 (Debian …)` → 15), 0 if missing."""
    if shutil.which(name) is None:
        return 0
    result = subprocess.run([name, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\)\s*(\d+)", result.stdout)
    return int(found.group(1)) if found else 0


def _pg_server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def _pg_tool_check(name: str, *, at_least: int) -> None:
    """Refuse when a client tool is missing or its major version is below `at_least`.

    pg_dump refuses a server newer than itself, and pg_restore an archive made by a newer pg_dump; a newer
    client is fine for both, so the rule is "at least", not "equal".
    """
    ours = _pg_tool_major(name)
    if ours == 0:
        raise BackupError(_("%(tool)s tidak ditemukan: pasang klien PostgreSQL (Debian: `apt-get install "
                            "postgresql-client`) dengan versi utama yang sama dengan server.") % {"tool": name})
    if ours < at_least:
        raise BackupError(_("%(tool)s versi %(ours)s lebih lama dari yang diperlukan (PostgreSQL %(needed)s); "
                            "pasang postgresql-client-%(needed)s.") % {"tool": name, "ours": ours, "needed": at_least})


def _pg_conninfo() -> str:
    """The database name as a conninfo argument; host, user and password travel in the environment."""
    return str(connection.settings_dict["NAME"])


def _pg_env() -> dict[str, str]:
    settings = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[variable] = str(settings[key])
    sslmode = (settings.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BackupError(_("%(what)s gagal: %(error)s") % {"what": what, "error": result.stderr.strip()[-2000:]})


# ---- the archive file ---------------------------------------------------------------------------


def _archive_write(out: Path, manifest: dict, dump: Path) -> int:
    """Write the tar next to `out` with mode 0600 (it holds personal data), then rename it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle, tarfile.open(fileobj=handle, mode="w:") as archive:
            body = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(dt.datetime.now(dt.UTC).timestamp())
            archive.addfile(info, io.BytesIO(body))
            info = archive.gettarinfo(str(dump), arcname=dump.name)
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with open(dump, "rb") as source:
                archive.addfile(info, source)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return out.stat().st_size


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _engine() -> str:
    if connection.vendor not in DUMPS:
        raise BackupError(_("Basis data %(vendor)s tidak didukung untuk cadangan.") % {"vendor": connection.vendor})
    return connection.vendor


def _berdaya_version() -> str:
    from berdaya import __version__

    return __version__
