"""Every write path leaves an audit row, in the same call as the write.

Two checks, both failing when someone adds a write service without an audit row:

- statically, every public function of a services module (`berdaya/*/services.py`, `services/*.py`) is
  either listed as a read-only helper below or reaches `audit_record` through its calls;
- dynamically, the services are wrapped while a scenario drives most of them (the web pages and the API
  call the same services): the database statements of each outermost service call are watched
  (`connection.execute_wrapper`), and a call that inserted, updated or deleted a domain table must also
  have inserted into the audit table. A helper listed as read-only must not write.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

import berdaya
from berdaya.core.models import Region
from tests.conftest import AS_OF, person, write_rows
from tests.factories import make_family, make_kube

PACKAGE = Path(berdaya.__file__).parent

# Public functions of the services modules that write nothing (helpers, reads), with why.
READ_ONLY = {
    "audit_record": "writes the audit row itself",
    "token_hash": "hashes a string",
    "region_ancestors": "walks region codes",
    "mask_name": "formats a name",
    "person_pseudonym": "derives a pseudonym",
    "family_pseudonym": "derives a pseudonym",
    "business_type_label": "looks up a label",
    "kube_score": "computes one KUBE's score; round_score stores it",
    "default_cap": "reads a setting",
    "kecamatan_of": "cuts a region code",
    "facilitators_for_user": "a scoped read",
    "facilitator_load": "counts assignments",
    "assignment_propose": "proposes pairs; assignment_accept writes them",
    "current_assignments": "a read",
    "region_index_from_db": "a read",
    "default_ruleset": "reads a setting",
    "registry_as_table": "builds an Arrow table for the engine",
}

# Statements that are not domain writes: the audit table itself, Django's and the job queue's own
# bookkeeping (sessions, task rows, a job's progress), and sign-in throttling.
NOT_DOMAIN = re.compile(r"^(core_auditevent|core_job|django_.*|axes_.*)$")
WRITE_SQL = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE)\s+"?(\w+)"?', re.IGNORECASE)


def service_modules() -> list:
    paths = sorted(PACKAGE.glob("*/services.py")) + sorted(
        p for p in PACKAGE.glob("*/services/*.py") if p.name != "__init__.py"
    )
    return [importlib.import_module("berdaya." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)) for p in paths]


def public_services() -> dict[str, tuple]:
    """name -> (module, function) of every public function defined in a services module."""
    found = {}
    for module in service_modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                found[name] = (module, function)
    return found


def auditing_function_names() -> set[str]:
    """Names of the functions in the package that call audit_record, directly or through others (by name)."""
    calls: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if {"migrations", "engine", "locale"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                called = calls.setdefault(node.name, set())
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Call):
                        func = sub.func
                        called.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    auditing = {"audit_record"}
    while True:
        more = {name for name, called in calls.items() if called & auditing} - auditing
        if not more:
            return auditing
        auditing |= more


def test_every_write_service_reaches_audit_record():
    services = public_services()
    assert len(services) > 40  # the discovery found the services packages
    auditing = auditing_function_names()
    unaudited = sorted(name for name in services if name not in READ_ONLY and name not in auditing)
    assert unaudited == [], f"write services without an audit row (or add them to READ_ONLY with why): {unaudited}"
    assert not set(READ_ONLY) - set(services), "READ_ONLY names a function that is gone"


@dataclass
class Call:
    name: str
    writes: set[str] = field(default_factory=set)
    audited: bool = False


class ServiceWatch:
    """Wraps each service; records the tables each outermost call wrote and whether it audited."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._current: Call | None = None

    def __call__(self, execute, sql, params, many, context):
        match = WRITE_SQL.match(sql or "")
        if match and self._current is not None:
            table = match.group(2).lower()
            if table == "core_auditevent" and match.group(1).upper().startswith("INSERT"):
                self._current.audited = True
            elif not NOT_DOMAIN.match(table):
                self._current.writes.add(table)
        return execute(sql, params, many, context)

    def wrap(self, name, function):
        def wrapped(*args, **kwargs):
            if self._current is not None:  # a service called by another: the outer call is the unit
                return function(*args, **kwargs)
            self._current = call = Call(name)
            try:
                result = function(*args, **kwargs)
            except Exception:
                call.writes.clear()  # rolled back
                raise
            finally:
                self._current = None
            self.calls.append(call)
            return result

        return wrapped


@pytest.fixture
def watch(monkeypatch):
    spy = ServiceWatch()
    services = public_services()
    functions = {function: name for name, (_module, function) in services.items()}
    # Patch every module that holds one of the functions (the defining module and packages re-exporting it).
    modules = {m for m, _f in services.values()}
    modules |= {importlib.import_module(m.__name__.rsplit(".", 1)[0]) for m in modules}
    for module in modules:
        for attr, value in list(vars(module).items()):
            if inspect.isfunction(value) and value in functions:
                monkeypatch.setattr(module, attr, spy.wrap(functions[value], value))
    with connection.execute_wrapper(spy):
        yield spy


def _drive_services(officer, tmp_path) -> None:
    """A tour through the writes: registry, KUBE lifecycle, books, mentoring, API tokens, evaluation."""
    from berdaya.api import services as api
    from berdaya.evaluation import services as evaluation
    from berdaya.kube import services as kube_services
    from berdaya.ledger import services as ledger
    from berdaya.mentoring.services import activity, assignment
    from berdaya.registry import services as registry

    registry.dtks_import(path=write_rows(tmp_path / "dtks.csv", [person()]), actor=officer, file_name="dtks.csv")
    registry.eligibility_screen(actor=officer, as_of=AS_OF, region_prefix="61.71")

    city = Region.objects.get(code="61.71")
    kube = make_kube(state="active", actor=officer)  # create, officers, verify, establish, aid, activate
    newcomer = make_family()
    kube_services.member_add(actor=officer, kube=kube, family=newcomer, joined_on=dt.date(2025, 3, 1))
    kube_services.member_remove(actor=officer, kube=kube, family=newcomer, left_on=dt.date(2025, 4, 1), reason="pindah")

    account = ledger.account_create(actor=officer, kube=kube, code="1600", name="Kendaraan")
    ledger.account_update(actor=officer, account=account, name="Kendaraan dinas", active=True)
    sale = ledger.operation_post(actor=officer, kube=kube, kind="sale", date=dt.date(2025, 3, 3), amount=150_000)
    ledger.entry_reverse(actor=officer, entry=sale, reason="salah catat", date=dt.date(2025, 3, 4))
    ledger.month_close(actor=officer, kube=kube, month=dt.date(2025, 2, 1))

    pendamping = assignment.facilitator_create(
        actor=officer, name="Rina", home_region=Region.objects.get(code="61.71.04")
    )
    assignment.facilitator_update(actor=officer, facilitator=pendamping, data={"cap": 12})
    assignment.assignment_set(actor=officer, kube=kube, facilitator=pendamping, start=dt.date(2025, 2, 1))
    live = kube.memberships.filter(live=True)
    activity.meeting_record(actor=officer, kube=kube, date=dt.date(2025, 3, 10), agenda="Pertemuan rutin",
                             spiritual_guidance=False, attendance={m.family_id: "present" for m in live})  # fmt: skip
    activity.training_record(actor=officer, topic="Pembukuan", trainer="Dinsos", date=dt.date(2025, 3, 12),
                             days=1, region=city, participants=[(kube, live.first().family)])  # fmt: skip
    assignment.assignment_end(actor=officer, kube=kube, end=dt.date(2025, 6, 1), reason="pindah tugas")

    from berdaya.api.models import ApiToken

    api.api_token_create(user=officer, actor=officer)
    api.api_token_revoke(token=ApiToken.objects.get(user=officer), actor=officer)

    evaluation.round_create(actor=officer, name="Awal 2025", kind="baseline", region=city,
                            start_on=dt.date(2025, 3, 1), end_on=dt.date(2025, 3, 31), kubes=[kube])  # fmt: skip
    kube_services.kube_graduate(actor=officer, kube=kube, on=dt.date(2026, 2, 1), reason="evaluasi akhir")


DRIVEN = {
    "regions_load", "user_create", "dtks_import", "eligibility_screen", "kube_create", "officers_set",
    "kube_verify", "kube_establish", "aid_record", "kube_activate", "member_add", "member_remove",
    "account_create", "account_update", "operation_post", "entry_reverse", "month_close", "facilitator_create",
    "facilitator_update", "assignment_set", "meeting_record", "training_record", "assignment_end",
    "api_token_create", "api_token_revoke", "round_create", "kube_graduate",
}  # fmt: skip


def test_every_driven_write_leaves_an_audit_row_in_the_same_call(watch, officer, tmp_path):
    _drive_services(officer, tmp_path)
    called = {call.name for call in watch.calls}
    assert called >= DRIVEN, f"not driven: {sorted(DRIVEN - called)}"
    silent = [(call.name, sorted(call.writes)) for call in watch.calls if call.writes and not call.audited]
    assert silent == []
    wrote = {call.name for call in watch.calls if call.writes}
    assert not wrote & set(READ_ONLY), f"read-only helpers that wrote: {sorted(wrote & set(READ_ONLY))}"
    assert len(wrote) >= 20  # the watch saw the writes (a broken wrapper would see none)


def test_the_watch_catches_a_write_without_audit(watch, regions):
    """The check itself can fail: a bare ORM write inside a wrapped call is reported."""
    from berdaya.registry.models import Family

    def careless():
        Family.objects.create(no_kk="6171040101990001", region_id="61.71.04.1001")

    watch.wrap("careless", careless)()
    last = watch.calls[-1]
    assert (last.name, last.writes, last.audited) == ("careless", {"registry_family"}, False)
