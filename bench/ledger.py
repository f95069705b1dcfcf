"""Benchmark: posting into KUBE books (spec §7), and the buku kas and neraca pages on a million lines.

    python bench/ledger.py [--db sqlite|postgres|both] [--quick] [--kubes 50] [--lines-per-kube 20000]
                           [--single 1000] [--bulk 10000] [--rounds 3] [--requests 50] [--seed 1]
                           [--pg-url postgres://postgres@127.0.0.1:5432/berdaya_bench]
                           [--sqlite-path /tmp/berdaya_bench.sqlite3] [--keep] [--reuse] [--json FILE]

For each database, one child process (measured by ``os.wait4``: wall time, peak RSS) builds a scratch
database (PostgreSQL: created and dropped by the script; SQLite: a file in /tmp), migrates it, and:

(build) makes ``--kubes`` KUBEs through the real lifecycle services (``tests.factories.make_kube``:
    families, officers, verification, decree, Rp20.000.000 aid to Bank, activation) and posts
    ``--lines-per-kube`` journal lines into each with ``operations_post_bulk`` — a seeded, realistic mix
    (sales, purchases, expenses, wages, savings in and out, member loans and their repayments with jasa,
    Kas↔Bank transfers) dated over the 18 months before today, simulated so that no rule refuses it;
    default 50 × 20,000 = 1,000,000 lines (``--quick``: 5 × 20,000 = 100,000);
(a) posting throughput, each on a fresh KUBE of a database that already holds the books above:
    ``operation_post`` one operation at a time, and ``operations_post_bulk`` of ``--bulk`` operations;
    baselines in the same run: the same entries and lines written by plain ORM ``bulk_create`` with no
    rule, no lock, no balance and no audit row (for the batch), and the same one entry per transaction
    (for one at a time). The ratio is the price of the rules. On PostgreSQL the baselines still pay the
    database's own guards (migration 0002 triggers): those cannot be switched off and are not the
    services' cost;
(b) the pages ``ledger:cash_book`` (``?bulan=`` the last full month) and ``ledger:balance_sheet`` of one
    KUBE with 20,000 lines, ``--requests`` timed requests each (after 3 warm-ups) through Django's test
    Client logged in as an admin, p50 and p95; target p95 ≤ 200 ms. Connections are kept between
    requests (``BERDAYA_DB_CONN_MAX_AGE=60``), as a served installation would.

The parent imports only the standard library. ``--keep`` leaves the scratch databases; ``--reuse``
skips the build when a kept database already holds it (e.g. to re-run the pages).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# Run as a script (python bench/NAME.py): its folder is on sys.path.
from machine import machine_info as shared_machine_info  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

TARGET_P95_MS = 200.0
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/berdaya_bench"
DEFAULT_SQLITE = "/tmp/berdaya_bench.sqlite3"
HISTORY_DAYS = 548  # 18 months
BENCH_PREFIX = "KUBE Bench"
WARMUP = 3


# ---------------------------------------------------------------------------
# operations: a seeded KUBE history that no rule refuses (stdlib only)


@dataclass
class _Books:
    """What the generator must know to stay within the rules: cash, savings held, loans owed."""

    kas: int = 0
    bank: int = 20_000_000  # the UEP aid make_kube posts to Bank
    savings: dict[int, int] = field(default_factory=dict)
    loans: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # member -> (ref, owed, principal)


MIX = (  # (kind, weight): a month of a small trading group
    ("sale", 34),
    ("purchase", 18),
    ("expense", 7),
    ("wages", 4),
    ("other_income", 2),
    ("savings_in", 9),
    ("savings_out", 2),
    ("loan_out", 3),
    ("repayment", 12),
    ("transfer", 5),
    ("equipment", 1),
    ("own_capital", 1),
    ("iks_allocation", 1),
    ("depreciation", 1),
)


def history(
    rng: random.Random, *, members: int, lines: int, end: dt.date, days: int = HISTORY_DAYS
) -> list[dict[str, Any]]:
    """Operations (``operations_post_bulk`` mappings, member as an index) adding up to about ``lines`` lines.

    Dates are drawn over ``days`` days before ``end`` and sorted; every payment is checked against the
    simulated Kas/Bank, savings and loans first, and becomes a sale when the group could not make it.
    """
    kinds = [kind for kind, _w in MIX]
    weights = [w for _k, w in MIX]
    books = _Books()
    start = end - dt.timedelta(days=days)
    dates = sorted(start + dt.timedelta(days=rng.randrange(days)) for _ in range(lines // 2 + 10))
    ops: list[dict[str, Any]] = []
    count = serial = 0
    for date in dates:
        if count >= lines:
            break
        kind = rng.choices(kinds, weights)[0]
        member = rng.randrange(members)
        amount = 0
        op: dict[str, Any] = {"date": date}
        if kind == "transfer":
            if books.kas > 6_000_000:
                kind, amount = "to_bank", 3_000_000
            elif books.bank > 3_000_000:
                kind, amount = "from_bank", 2_000_000
            else:
                kind = "sale"
        if kind in ("purchase", "expense", "wages", "equipment"):
            amount = rng.randrange(20_000, {"purchase": 1_500_000, "equipment": 2_000_000}.get(kind, 400_000), 500)
            if books.kas < amount:
                kind = "sale"
        if kind == "savings_out":
            held = books.savings.get(member, 0)
            if held < 10_000:
                kind = "savings_in"
            else:
                amount = rng.randrange(5_000, held + 1, 1_000) if held > 5_000 else held
        if kind == "loan_out":
            amount = rng.randrange(500_000, 3_000_001, 50_000)
            if member in books.loans or books.kas < amount:
                kind = "sale"
        if kind == "repayment" and member not in books.loans:
            kind = "savings_in"
        if kind == "sale":
            amount = rng.randrange(50_000, 2_000_001, 500)
            op["cash"] = "1200" if rng.random() < 0.1 else None
        elif kind in ("other_income", "own_capital"):
            amount = rng.randrange(10_000, 300_001, 1_000)
        elif kind == "savings_in":
            amount = rng.randrange(10_000, 100_001, 5_000)
        elif kind in ("iks_allocation", "depreciation"):
            amount = rng.randrange(10_000, 100_001, 1_000)
        op.update(kind=kind, amount=amount)
        lines_here = 2
        if kind == "repayment":
            ref, owed, principal = books.loans[member]
            amount = min(owed, max(1, principal // 10))
            fee = principal // 100
            op.update(amount=amount, fee=fee, member=member, loan_ref=ref)
            books.kas += amount + fee
            lines_here = 3 if fee else 2
            if owed - amount == 0:
                del books.loans[member]
            else:
                books.loans[member] = (ref, owed - amount, principal)
        elif kind == "loan_out":
            serial += 1
            ref = f"L{serial}"
            op.update(member=member, loan_ref=ref)
            books.loans[member] = (ref, amount, amount)
            books.kas -= amount
        elif kind in ("savings_in", "savings_out"):
            op["member"] = member
            sign = 1 if kind == "savings_in" else -1
            books.savings[member] = books.savings.get(member, 0) + sign * amount
            books.kas += sign * amount
        elif kind == "sale" and op.get("cash") == "1200":
            books.bank += amount
        elif kind in ("sale", "other_income", "own_capital"):
            books.kas += amount
        elif kind in ("purchase", "expense", "wages", "equipment"):
            books.kas -= amount
        elif kind == "to_bank":
            books.kas, books.bank = books.kas - amount, books.bank + amount
        elif kind == "from_bank":
            books.kas, books.bank = books.kas + amount, books.bank - amount
        ops.append(op)
        count += lines_here
    return ops


def cash_only(rng: random.Random, count: int, end: dt.date) -> list[dict[str, Any]]:
    """Operations with no member (the throughput runs): sales, purchases, expenses, other income."""
    ops, kas = [], 0
    for i in range(count):
        date = end - dt.timedelta(days=rng.randrange(HISTORY_DAYS))
        amount = rng.randrange(10_000, 1_000_001, 500)
        kind = ("sale", "purchase", "expense", "other_income")[i % 4]
        if kind in ("purchase", "expense") and kas < amount:
            kind = "sale"
        kas += amount if kind in ("sale", "other_income") else -amount
        ops.append({"kind": kind, "date": date, "amount": amount})
    return ops


# ---------------------------------------------------------------------------
# the child: one database, everything Django


def _pg_admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), name


def _pg_database(url: str, *, create: bool, drop: bool) -> bool:
    """Drop and/or create the scratch PostgreSQL database; returns whether it existed before."""
    import psycopg

    admin, name = _pg_admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        existed = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if drop and existed:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return existed


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _regions_csv() -> Path:
    from berdaya.engine.regions import bundled_region_csv

    path = Path(tempfile.gettempdir()) / "berdaya-bench-regions-61-31.csv"
    if not path.exists():
        with open(bundled_region_csv(), encoding="utf-8") as source, open(path, "w", encoding="utf-8") as out:
            out.writelines(line for line in source if line.startswith(("61", "31")))
    return path


def _bench_kubes():
    from berdaya.kube.models import Kube

    return list(Kube.objects.filter(name__startswith=BENCH_PREFIX).order_by("name"))


def _build(args: argparse.Namespace, admin, today: dt.date) -> dict[str, Any]:
    from berdaya.kube.models import KubeState
    from berdaya.ledger.models import JournalLine
    from berdaya.ledger.services import operations_post_bulk
    from tests.factories import make_kube

    kube_seconds = post_seconds = 0.0
    entries = 0
    for index in range(args.kubes):
        started = time.perf_counter()
        kube = make_kube(name=f"{BENCH_PREFIX} {index:03d}", state=KubeState.ACTIVE, actor=admin)
        kube_seconds += time.perf_counter() - started
        members = list(kube.memberships.order_by("id"))
        ops = history(random.Random(args.seed * 100_003 + index), members=len(members), lines=args.lines_per_kube,
                      end=today - dt.timedelta(days=1))  # fmt: skip
        for op in ops:
            if "member" in op:
                op["member"] = members[op["member"]]
        started = time.perf_counter()
        entries += len(operations_post_bulk(actor=admin, kube=kube, operations=ops))
        post_seconds += time.perf_counter() - started
        if (index + 1) % 10 == 0 or index + 1 == args.kubes:
            print(f"  built {index + 1}/{args.kubes} KUBEs", file=sys.stderr, flush=True)
    lines = JournalLine.objects.count()
    # The build is only worth timing if the books are whole: kept balances equal the lines, and sum to zero.
    from django.db.models import Sum

    from berdaya.ledger.models import Account

    kept = dict(Account.objects.values_list("pk", "balance"))
    summed = dict(
        JournalLine.objects.values("account_id")
        .annotate(net=Sum("debit") - Sum("credit"))
        .values_list("account_id", "net")
    )
    if sum(kept.values()) != 0 or any(summed.get(pk, 0) != balance for pk, balance in kept.items()):
        raise RuntimeError("the books built are not whole: a kept balance differs from its lines")
    return {
        "kubes": args.kubes,
        "entries": entries,
        "lines_total": lines,
        "kube_seconds": kube_seconds,
        "bulk_seconds": post_seconds,
        "bulk_entries_per_s": entries / post_seconds if post_seconds else None,
        "bulk_lines_per_s": (lines - 2 * args.kubes) / post_seconds if post_seconds else None,
    }


def _throughput(args: argparse.Namespace, admin, today: dt.date) -> dict[str, Any]:
    from django.db import transaction

    from berdaya.engine import bookkeeping as bk
    from berdaya.kube.models import KubeState
    from berdaya.ledger.models import Account, Book, JournalEntry, JournalLine, Operation
    from berdaya.ledger.services import operation_post, operations_post_bulk
    from tests.factories import make_kube

    end = today - dt.timedelta(days=1)
    results: dict[str, Any] = {}

    def fresh(label: str):
        return make_kube(name=f"Throughput {label} {time.time_ns()}", state=KubeState.ACTIVE, actor=admin)

    def rows(kube, ops, first_number: int):
        accounts = {a.code: a for a in Account.objects.filter(kube=kube)}
        entries, lines = [], []
        for offset, op in enumerate(ops):
            planned = bk.operation_lines(op["kind"], amount=op["amount"])
            entry = JournalEntry(
                kube=kube, number=first_number + offset, date=op["date"], operation=Operation(op["kind"]),
                total=op["amount"], posted_by=admin,
            )  # fmt: skip
            entries.append(entry)
            lines.append([(accounts[line.account], line.debit, line.credit) for line in planned])
        return entries, lines

    def line_objects(kube, entries, lines):
        return [
            JournalLine(entry=entry, account=account, kube=kube, date=entry.date, debit=debit, credit=credit)
            for entry, its in zip(entries, lines, strict=True)
            for account, debit, credit in its
        ]

    def single_service(ops) -> float:
        kube = fresh("single")
        started = time.perf_counter()
        for op in ops:
            operation_post(actor=admin, kube=kube, **op)
        return time.perf_counter() - started

    def single_orm(ops) -> float:
        """One entry and its lines per transaction, plain ORM: no rule, no lock, no balance, no audit row."""
        kube = fresh("single-orm")
        entries, lines = rows(kube, ops, Book.objects.get(kube=kube).next_number)
        started = time.perf_counter()
        for entry, its in zip(entries, lines, strict=True):
            with transaction.atomic():
                entry.save(force_insert=True)
                JournalLine.objects.bulk_create(line_objects(kube, [entry], [its]))
        return time.perf_counter() - started

    def bulk_service(ops) -> float:
        kube = fresh("bulk")
        started = time.perf_counter()
        operations_post_bulk(actor=admin, kube=kube, operations=ops)
        return time.perf_counter() - started

    def bulk_orm(ops) -> float:
        """The same rows by plain bulk_create (building the objects counted too), in one transaction."""
        kube = fresh("bulk-orm")
        started = time.perf_counter()
        entries, lines = rows(kube, ops, Book.objects.get(kube=kube).next_number)
        with transaction.atomic():
            JournalEntry.objects.bulk_create(entries, batch_size=2000)
            JournalLine.objects.bulk_create(line_objects(kube, entries, lines), batch_size=5000)
        return time.perf_counter() - started

    single_ops = cash_only(random.Random(args.seed + 1), args.single, end)
    bulk_ops = cash_only(random.Random(args.seed + 2), args.bulk, end)
    variants = {
        "single_service": (single_service, single_ops),
        "single_orm": (single_orm, single_ops),
        "bulk_service": (bulk_service, bulk_ops),
        "bulk_orm": (bulk_orm, bulk_ops),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(args.rounds):
        # Alternate which of each pair goes first: the database grows and warms as the run goes on.
        order = list(variants) if round_ % 2 == 0 else ["single_orm", "single_service", "bulk_orm", "bulk_service"]
        for name in order:
            run, ops = variants[name]
            seconds[name].append(run(ops))
    for name, (_run, ops) in variants.items():
        median = statistics.median(seconds[name])
        results[name] = {"entries": len(ops), "rounds": seconds[name], "entries_per_s": len(ops) / median}
    results["single_vs_orm"] = results["single_service"]["entries_per_s"] / results["single_orm"]["entries_per_s"]
    results["bulk_vs_orm"] = results["bulk_service"]["entries_per_s"] / results["bulk_orm"]["entries_per_s"]
    return results


def _pages(args: argparse.Namespace, admin, today: dt.date) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from berdaya.ledger.models import JournalLine

    kube = _bench_kubes()[0]
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        pages = {
            "buku kas": f"{reverse('ledger:cash_book', args=[kube.pk])}?bulan={last_month:%Y-%m}",
            "neraca": reverse("ledger:balance_sheet", args=[kube.pk]),
        }
    except NoReverseMatch as error:
        return {"skipped": f"the pages are not there yet ({error})"}
    client = Client()
    client.force_login(admin)
    results: dict[str, Any] = {
        "kube_lines": JournalLine.objects.filter(kube=kube).count(),
        "kube_kas_lines_in_month": JournalLine.objects.filter(
            kube=kube, account__code="1100", date__year=last_month.year, date__month=last_month.month
        ).count(),
        "lines_total": JournalLine.objects.count(),
        "month": f"{last_month:%Y-%m}",
    }
    for label, url in pages.items():
        for _ in range(WARMUP):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results[label] = {
            "url": url,
            "requests": len(times),
            "p50_ms": _percentile(times, 0.50),
            "p95_ms": _percentile(times, 0.95),
            "max_ms": max(times),
            "queries": len(queries),
            "bytes": len(response.content),
        }
    return results


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    """In the child: the database named by DATABASE_URL, built (or reused), measured, maybe dropped."""
    url = os.environ["DATABASE_URL"]
    postgres = url.startswith(("postgres://", "postgresql://"))
    reuse = False
    if postgres:
        existed = _pg_database(url, create=False, drop=False)
        reuse = args.reuse and existed
        if not reuse:
            _pg_database(url, create=True, drop=True)
    else:
        path = Path(urlsplit(url).path)
        reuse = args.reuse and path.exists()
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    sys.path.insert(0, str(REPO))  # tests.factories: the lifecycle the tests use
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from berdaya.core.models import User
    from berdaya.core.services import regions_load, user_create
    from berdaya.ledger.models import JournalLine

    result: dict[str, Any] = {"db": "postgres" if postgres else "sqlite", "url": url}
    today = timezone.localdate()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if reuse:
        if len(_bench_kubes()) != args.kubes:
            raise SystemExit(f"{url} holds no complete build of {args.kubes} KUBEs: run without --reuse")
        admin = User.objects.get(username="bench-admin")
        result["build"] = {"reused": True, "lines_total": JournalLine.objects.count()}
    else:
        regions_load(path=_regions_csv())
        admin = user_create(username="bench-admin", password="bench-sandi-123", role="admin")
        result["build"] = _build(args, admin, today)
    result["setup_seconds"] = time.perf_counter() - started
    if postgres:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result["pages"] = _pages(args, admin, today)
    if not args.no_throughput:
        result["throughput"] = _throughput(args, admin, today)
    from django.db import connections

    connections.close_all()
    if not args.keep:
        if postgres:
            _pg_database(url, create=False, drop=True)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{urlsplit(url).path}{suffix}").unlink(missing_ok=True)
    return result


# ---------------------------------------------------------------------------
# the parent: stdlib only


def measure(argv: list[str], env: dict[str, str], log: Path) -> tuple[float, float, int, str]:
    """Run one child and measure it with ``os.wait4``; (seconds, peak MB, exit code, stdout)."""
    with log.with_suffix(".out").open("wb") as out, log.with_suffix(".err").open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *argv], stdout=out, stderr=err,
                                cwd=REPO, env=env)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
    return seconds, peak, proc.returncode, log.with_suffix(".out").read_text(encoding="utf-8")


def _child_argv(args: argparse.Namespace) -> list[str]:
    argv = ["_child", "--kubes", str(args.kubes), "--lines-per-kube", str(args.lines_per_kube),
            "--single", str(args.single), "--bulk", str(args.bulk), "--requests", str(args.requests),
            "--rounds", str(args.rounds), "--seed", str(args.seed)]  # fmt: skip
    for flag in ("keep", "reuse", "no_throughput"):
        if getattr(args, flag):
            argv.append("--" + flag.replace("_", "-"))
    return argv


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    targets = {"sqlite": f"sqlite:///{args.sqlite_path}", "postgres": args.pg_url}
    chosen = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    logs = Path(tempfile.mkdtemp(prefix="berdaya-bench-ledger-"))
    runs = {}
    for db in chosen:
        env = {**os.environ, "DATABASE_URL": targets[db], "DJANGO_SETTINGS_MODULE": "berdaya.settings",
               "BERDAYA_DB_CONN_MAX_AGE": "60"}  # fmt: skip
        print(f"[{db}] building and measuring … (logs in {logs})", flush=True)
        seconds, peak, code, out = measure(_child_argv(args), env, logs / db)
        if code != 0:
            err = (logs / db).with_suffix(".err").read_text(encoding="utf-8")
            raise SystemExit(f"[{db}] child failed (exit {code}):\n{err[-4000:]}")
        run = json.loads(out.strip().splitlines()[-1])
        run.update(wall_seconds=seconds, peak_mb=peak)
        runs[db] = run
    return {
        "machine": shared_machine_info({"django": "django", "psycopg": "psycopg"}),
        "arguments": {k: v for k, v in vars(args).items() if k != "json"},
        "runs": runs,
    }


def _f(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def print_report(result: dict[str, Any]) -> None:
    runs = result["runs"]
    print()
    print("Build (lifecycle services + operations_post_bulk per KUBE)")
    print("| db | KUBEs | entries | lines in DB | KUBE setup s | bulk s | entries/s | wall s | peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for db, run in runs.items():
        b = run["build"]
        if b.get("reused"):
            print(f"| {db} | reused | | {_f(b['lines_total'])} | | | | {_f(run['wall_seconds'], 1)} | "
                  f"{_f(run['peak_mb'])} |")  # fmt: skip
            continue
        print(f"| {db} | {b['kubes']} | {_f(b['entries'])} | {_f(b['lines_total'])} | {_f(b['kube_seconds'], 1)} | "
              f"{_f(b['bulk_seconds'], 1)} | {_f(b['bulk_entries_per_s'])} | {_f(run['wall_seconds'], 1)} | "
              f"{_f(run['peak_mb'])} |")  # fmt: skip
    if any("throughput" in run for run in runs.values()):
        print()
        print("(a) Posting throughput, entries/s, median of the rounds (fresh KUBE each; the build already in the DB)")
        print("| db | operation_post | plain ORM, 1 per txn | × | operations_post_bulk | plain ORM bulk_create | × |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for db, run in runs.items():
            t = run.get("throughput")
            if not t:
                continue
            print(f"| {db} | {_f(t['single_service']['entries_per_s'])} | {_f(t['single_orm']['entries_per_s'])} | "
                  f"{t['single_vs_orm']:.2f} | {_f(t['bulk_service']['entries_per_s'])} | "
                  f"{_f(t['bulk_orm']['entries_per_s'])} | {t['bulk_vs_orm']:.2f} |")  # fmt: skip
    print()
    print(f"(b) Pages of one KUBE, test Client as admin (target p95 ≤ {TARGET_P95_MS:.0f} ms)")
    print("| db | page | KUBE lines | lines in DB | requests | p50 ms | p95 ms | max ms | queries | verdict |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for db, run in runs.items():
        p = run["pages"]
        if "skipped" in p:
            print(f"| {db} | — | | | | | | | | skipped: {p['skipped']} |")
            continue
        for label in ("buku kas", "neraca"):
            page = p[label]
            verdict = "OK" if page["p95_ms"] <= TARGET_P95_MS else "MISSED"
            name = f"{label} {p['month']} ({p['kube_kas_lines_in_month']} Kas lines)" if label == "buku kas" else label
            print(f"| {db} | {name} | {_f(p['kube_lines'])} | {_f(p['lines_total'])} | {page['requests']} | "
                  f"{_f(page['p50_ms'], 1)} | {_f(page['p95_ms'], 1)} | {_f(page['max_ms'], 1)} | "
                  f"{page['queries']} | {verdict} |")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    child = argv[:1] == ["_child"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="5 KUBEs (100,000 lines), 200 single posts, 2,000 bulk")
    parser.add_argument("--kubes", type=int, help="KUBEs in the build (default 50)")
    parser.add_argument("--lines-per-kube", type=int, default=20_000)
    parser.add_argument("--single", type=int, help="operations posted one at a time (default 1,000)")
    parser.add_argument("--bulk", type=int, help="operations in the timed batch (default 10,000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds; the median is reported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE)
    parser.add_argument("--keep", action="store_true", help="leave the scratch databases")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept build of the same size")
    parser.add_argument("--no-throughput", action="store_true", help="skip part (a)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv[1:] if child else argv)
    args.kubes = args.kubes or (5 if args.quick else 50)
    args.single = args.single or (200 if args.quick else 1_000)
    args.bulk = args.bulk or (2_000 if args.quick else 10_000)
    if child:
        print(json.dumps(run_child(args), default=str))
        return
    result = run_benchmark(args)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        print(f"\nresults → {args.json}")


if __name__ == "__main__":
    main()
