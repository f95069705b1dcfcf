"""Eight processes posting to one KUBE's books at once lose nothing and duplicate nothing (PostgreSQL).

Each process is a separate Python with its own connection to the test database, so the book's row lock
(`select_for_update` in the posting service) and the unique indexes are what keep the books straight.
Every process posts 500 operations with keys of its own and, mixed in, 20 double submits: the same
operation under the same key sent by two processes at about the same moment. Afterwards there must be
exactly one entry per key, entries numbered 1..N, every balance equal to the sum of its lines, and Kas
equal to the arithmetic of the operations.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.models import Count, Sum

from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, Book, JournalEntry, JournalLine
from berdaya.ledger.services import operation_post
from tests.factories import make_kube

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROCESSES = 8
OWN = 500  # operations with keys of their own, per process
SHARED = 20  # keys each process shares with the next one (a double submit)
START_KAS = 10_000_000
DAY = dt.date(2025, 6, 2)
TIMEOUT = 240  # seconds for the whole run; far above what it takes

# Run by each child: set up Django against the test database, say "ready", wait for "go", post, report.
CHILD = r"""
import datetime as dt, json, os, sys
import django
django.setup()
from berdaya.kube.models import Kube
from berdaya.ledger.services import operation_post

kube = Kube.objects.get(pk=int(os.environ["KUBE_ID"]))
plan = json.loads(os.environ["PLAN"])
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
posted = []
for op in plan:
    entry = operation_post(
        actor=None, kube=kube, kind=op["kind"], date=dt.date.fromisoformat(op["date"]),
        amount=op["amount"], idempotency_key=op["key"],
    )
    posted.append([op["key"], entry.pk, entry.number])
print(json.dumps(posted), flush=True)
"""

# Operations that move Kas by a known amount and can never be refused in any order: all payments
# together stay below the Kas the books start with.
KINDS = {"sale": +1, "other_income": +1, "purchase": -1, "expense": -1, "to_bank": -1}


def operation(key: str, n: int) -> dict:
    kind = list(KINDS)[n % len(KINDS)]
    return {"kind": kind, "amount": 1_000 + n % 997, "key": key, "date": DAY.isoformat()}


def shared(pair: int, j: int) -> dict:
    return operation(f"dup-{pair}-{j}", 7_000 + pair * SHARED + j)


def plan_for(process: int) -> list[dict]:
    """500 own operations; process k sends the shared keys of pair k and of pair k-1 at the same points."""
    plan = [operation(f"p{process}-{i}", process * OWN + i) for i in range(OWN)]
    step = OWN // SHARED
    for j in reversed(range(SHARED)):
        plan.insert(j * step, shared(process, j))
        plan.insert(j * step, shared((process - 1) % PROCESSES, j))
    return plan


def database_url() -> str:
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(s['NAME'], safe='')}"


def run_children(kube_id: int) -> list[list]:
    """Start the children, release them together, and return what each posted; fail with their stderr."""
    env_base = {**os.environ, "DATABASE_URL": database_url(), "KUBE_ID": str(kube_id)}
    env_base.setdefault("DJANGO_SETTINGS_MODULE", "berdaya.settings")
    children = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for process in range(PROCESSES):
                stderr = open(Path(tmp) / f"child{process}.err", "w+")  # noqa: SIM115 - closed below
                child = subprocess.Popen(
                    [sys.executable, "-c", CHILD],
                    env={**env_base, "PLAN": json.dumps(plan_for(process))},
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    text=True,
                    cwd=Path(__file__).resolve().parents[2],
                )
                children.append((child, stderr))
            for child, stderr in children:
                line = child.stdout.readline().strip()
                if line != "ready":
                    pytest.fail(f"a child did not start: {line!r}\n{_stderr_of(child, stderr)}")
            for child, _stderr in children:  # all at once, as far as the OS allows
                child.stdin.write("go\n")
                child.stdin.flush()
            deadline = time.monotonic() + TIMEOUT
            results = []
            for child, stderr in children:
                try:
                    out, _ = child.communicate(timeout=max(1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pytest.fail(f"a child was still posting after {TIMEOUT} s\n{_stderr_of(child, stderr)}")
                if child.returncode != 0:
                    pytest.fail(f"a child failed (exit {child.returncode})\n{_stderr_of(child, stderr)}")
                results.append(json.loads(out.strip().splitlines()[-1]))
            return results
        finally:
            for child, stderr in children:
                if child.poll() is None:
                    child.kill()
                    child.wait()
                stderr.close()


def _stderr_of(child: subprocess.Popen, stderr) -> str:
    if child.poll() is None:
        child.kill()
        child.wait()
    stderr.seek(0)
    return stderr.read()[-5_000:]


@pytest.fixture
def kube(regions):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks, so concurrent posting is PostgreSQL's to prove")
    kube = make_kube(state=KubeState.ACTIVE)
    operation_post(actor=None, kube=kube, kind="from_bank", date=DAY, amount=START_KAS)
    return kube


def test_eight_processes_posting_at_once_lose_and_duplicate_nothing(kube):
    before = JournalEntry.objects.filter(kube=kube).count()
    keys_before = set(
        JournalEntry.objects.filter(kube=kube).exclude(idempotency_key="").values_list("idempotency_key", flat=True)
    )
    kas_before = Account.objects.get(kube=kube, code="1100").balance
    assert kas_before == START_KAS

    results = run_children(kube.pk)

    # What was sent: every key once, whoever sent it.
    sent = {op["key"]: op for process in range(PROCESSES) for op in plan_for(process)}
    assert len(sent) == PROCESSES * (OWN + SHARED)
    entries = JournalEntry.objects.filter(kube=kube)
    assert entries.count() == before + len(sent)

    numbers = sorted(entries.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1)), "entry numbers have a gap or a duplicate"
    assert Book.objects.get(kube=kube).next_number == len(numbers) + 1

    repeated = entries.exclude(idempotency_key="").values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1)
    assert not repeated.exists(), "an idempotency key was posted twice"
    assert set(entries.exclude(idempotency_key="").values_list("idempotency_key", flat=True)) == set(sent) | keys_before

    # A double submit: both processes were handed the same entry.
    answers: dict[str, set[int]] = {}
    for posted in results:
        assert len(posted) == OWN + 2 * SHARED
        for key, pk, _number in posted:
            answers.setdefault(key, set()).add(pk)
    assert all(len(pks) == 1 for pks in answers.values()), "a double submit got two different entries"
    assert sum(1 for key in answers if key.startswith("dup-")) == PROCESSES * SHARED

    sums = dict(
        JournalLine.objects.filter(kube=kube)
        .values("account_id")
        .annotate(net=Sum("debit") - Sum("credit"))
        .values_list("account_id", "net")
    )
    for account in Account.objects.filter(kube=kube):
        assert account.balance == sums.get(account.pk, 0), f"{account.code}: balance ≠ sum of its lines"
    assert sum(Account.objects.filter(kube=kube).values_list("balance", flat=True)) == 0

    kas_moves = sum(KINDS[op["kind"]] * op["amount"] for op in sent.values())
    assert Account.objects.get(kube=kube, code="1100").balance == START_KAS + kas_moves
