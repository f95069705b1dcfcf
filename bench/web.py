"""Benchmark: the main pages under 20 signed-in users, and the city evaluation report (PDF), on city-scale data.

    python bench/web.py [--database-url URL ...] [--quick] [--users 20] [--run-time 300] [--warmup 10]
                        [--think 1,3] [--workers 4] [--port 8765] [--region 61.71] [--no-pdf]
                        [--json-out FILE]

Data: the city-scale demo world (`berdaya demo --scale city --no-serve`: ~100,000 families, 2,000 KUBEs,
~1M journal lines), built beforehand into each database given (default: the SQLite file
/work/bench-data/city.sqlite3 and the PostgreSQL database berdaya_city); the script refuses a database
without it. For each database, in one run:

(prepare) a child process picks the pages' objects from the data (the kecamatan and kelurahan with the
    most KUBEs, the KUBE with the most journal lines, the pendamping with the largest caseload), issues
    an API token for the program officer, and opens every page once per role through Django's test
    client: a page the role may not open (not 200) is left out of that role's load and listed; each
    page's query count, its time alone (best of three, one request at a time, with the figures cache
    off: what the first request after a write pays to recompute a dashboard) and the CPU time of that
    request in the Django process (SQLite's engine included, PostgreSQL's server not) are printed next to
    its times under load: on a shared machine the CPU time is the figure that other processes disturb least;
(load) gunicorn (`--workers`, sync workers, connections kept 60 s) serves 127.0.0.1:`--port`; Locust
    headless (bench/locustfile_web.py) runs `--users` users, half of them the city's program officer
    (`petugas`, 61.71), half the provincial viewer (`pemantau`, 61), each signed in through the login
    form (CSRF token and session cookie), each opening its role's pages at random with a think time
    of `--think` seconds (uniform) between requests, for `--run-time` seconds; the first `--warmup`
    seconds are not counted. Any response but a 200 is a failure (redirects are not followed);
(baseline) in the same load, the same users open the login page (a template, a session read and no
    query of the programme's tables) and a static file served by WhiteNoise: each page's p50 and p95
    are printed as a ratio to the login page's;
(report) `berdaya report evaluation --region <city> --out …pdf` in a child process, after the load
    (measured by os.wait4: wall time, peak RSS; the command's own time excludes start-up).

Targets: p95 ≤ 300 ms for every page; the city PDF ≤ 30 s. `--quick`: 30 s of load after 5 s of warm-up.
Locust and PostgreSQL run on the same 2 cores as the server: the load generator's own CPU time is printed.
The parent imports only the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# Run as a script (python bench/NAME.py): its folder is on sys.path.
from machine import machine_info as shared_machine_info  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
BIN = Path(sys.executable).parent

TARGET_P95_MS = 300.0
TARGET_PDF_S = 30.0
DEFAULT_URLS = (
    "sqlite:////work/bench-data/city.sqlite3",
    "postgres://postgres@127.0.0.1:5432/berdaya_city",
)
BASELINE = "baseline: login page"
STATIC = "baseline: static file"
MIN_FAMILIES = 50_000  # below this the database does not hold the city world


# ---------------------------------------------------------------------------
# prepare (child process, Django loaded)


def _pick(region: str) -> dict[str, Any]:
    """The objects the pages show: the busiest kecamatan, kelurahan, KUBE books and pendamping of `region`."""
    from django.db.models import Count, Q

    from berdaya.kube.models import Kube
    from berdaya.ledger.models import JournalLine
    from berdaya.mentoring.models import Facilitator

    kubes = Kube.objects.filter(region__code__startswith=region + ".")
    by_village = dict(kubes.values("region_id").annotate(n=Count("id")).values_list("region_id", "n"))
    by_kecamatan: dict[str, int] = {}
    for code, n in by_village.items():
        by_kecamatan[code[:8]] = by_kecamatan.get(code[:8], 0) + n
    kecamatan = max(sorted(by_kecamatan), key=by_kecamatan.get)
    kelurahan = max(sorted(by_village), key=by_village.get)
    lines = (
        JournalLine.objects.filter(entry__kube__region__code__startswith=region + ".")
        .values("entry__kube_id")
        .annotate(n=Count("id"))
        .order_by("-n", "entry__kube_id")
        .first()
    )
    facilitator = (
        Facilitator.objects.filter(active=True, home_region__code__startswith=region + ".")
        .annotate(load=Count("assignments", filter=Q(assignments__end__isnull=True)))
        .order_by("-load", "id")
        .first()
    )
    if lines is None or facilitator is None:
        raise SystemExit(f"no KUBE books or no pendamping in {region}: is this the city demo world?")
    return {
        "kecamatan": kecamatan,
        "kelurahan": kelurahan,
        "kube": lines["entry__kube_id"],
        "kube_lines": lines["n"],
        "kecamatan_kubes": by_kecamatan[kecamatan],
        "kelurahan_kubes": by_village[kelurahan],
        "facilitator": facilitator.pk,
        "facilitator_load": facilitator.load,
    }


def _candidates(region: str, p: dict[str, Any], province: str) -> list[tuple[str, str, bool]]:
    """(name, url, is_api) of the main pages, the baselines first."""
    k = p["kube"]
    return [
        (BASELINE, "/masuk/", False),
        (STATIC, "/static/berdaya/berdaya.css", False),
        ("home", "/", False),
        ("dashboard: own region", "/dasbor/", False),
        ("dashboard: province", f"/dasbor/wilayah/{province}/", False),
        ("dashboard: city", f"/dasbor/wilayah/{region}/", False),
        ("dashboard: kecamatan", f"/dasbor/wilayah/{p['kecamatan']}/", False),
        ("dashboard: kelurahan", f"/dasbor/wilayah/{p['kelurahan']}/", False),
        ("KUBE profile", f"/dasbor/kube/{k}/", False),
        ("pendamping profile", f"/dasbor/pendamping/{p['facilitator']}/", False),
        ("plan: city", f"/dasbor/rencana/{region}/", False),
        ("registry: family list", "/registri/keluarga/", False),
        ("KUBE list", "/kube/", False),
        ("books: home", f"/buku/{k}/", False),
        ("books: cash book", f"/buku/{k}/kas/", False),
        ("books: balance sheet", f"/buku/{k}/neraca/", False),
        ("evaluation rounds", "/evaluasi/", False),
        ("jobs", "/tugas/", False),
        ("API: journal entries", f"/api/kubes/{k}/entries", True),
    ]


def prepare(region: str, plan_out: Path, min_families: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "berdaya.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from berdaya.api.services import api_token_create
    from berdaya.core.models import User
    from berdaya.demo.build import DEMO_PASSWORD
    from berdaya.kube.models import Kube
    from berdaya.ledger.models import JournalLine
    from berdaya.mentoring.models import Attendance, Meeting, Visit
    from berdaya.registry.models import Family

    # The world was built by an earlier commit: bring its tables up to the code under test.
    call_command("migrate", interactive=False, verbosity=0)
    counts = {
        "families": Family.objects.count(),
        "kubes": Kube.objects.count(),
        "journal_lines": JournalLine.objects.count(),
        "meetings": Meeting.objects.count(),
        "attendance": Attendance.objects.count(),
        "visits": Visit.objects.count(),
    }
    users = {u.username: u for u in User.objects.filter(username__in=["petugas", "pemantau"])}
    if counts["families"] < min_families or len(users) < 2:
        raise SystemExit(
            f"{connection.vendor}: {counts['families']:,} families, users {sorted(users)}: build the city world "
            "first (DATABASE_URL=… berdaya demo --scale city --no-serve)"
        )
    for user in users.values():
        # Checking the password upgrades an older hash (PBKDF2 → Argon2) now: done by ten simultaneous
        # sign-ins instead, each would rehash with its own salt and log the sessions before it out.
        if not user.check_password(DEMO_PASSWORD):
            raise SystemExit(f"{user.username}: the demo password does not match")
    picked = _pick(region)
    token = api_token_create(user=users["petugas"], actor=None)
    province = region[:2]
    roles: dict[str, Any] = {}
    for role, username in (("officer", "petugas"), ("viewer", "pemantau")):
        client = Client()
        client.force_login(users[username])
        pages, left_out, single = [], [], {}
        for name, url, api in _candidates(region, picked, province):
            if api and role != "officer":
                continue  # the token is the program officer's: it, not the session, says who asks
            headers = {"Authorization": f"Bearer {token}"} if api else {}
            client.get(url, headers=headers)  # warm caches (templates, translations, the database's pages)
            walls, cpus = [], []
            for _ in range(3):
                with CaptureQueriesContext(connection) as queries:
                    began, cpu = time.perf_counter(), time.process_time()
                    response = client.get(url, headers=headers)
                    walls.append((time.perf_counter() - began) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
            if response.status_code == 200:
                pages.append((name, url, api))
                # Best of three, one request at a time: what the page costs without the load's queueing.
                # CPU time is this process's only (Django, and SQLite's engine; not PostgreSQL's server).
                single[name] = {
                    "queries": len(queries),
                    "alone_ms": round(min(walls), 1),
                    "cpu_ms": round(min(cpus), 1),
                }
            else:
                left_out.append((name, url, response.status_code))
        roles[role] = {"username": username, "pages": pages, "left_out": left_out, "single": single}
    plan = {
        "vendor": connection.vendor,
        "counts": counts,
        "picked": picked,
        "password": DEMO_PASSWORD,
        "api_token": token,
        "roles": roles,
    }
    plan_out.write_text(json.dumps(plan, indent=1), encoding="utf-8")


# ---------------------------------------------------------------------------
# load (parent, standard library only)


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        BERDAYA_DB_CONN_MAX_AGE="60",
        DJANGO_SETTINGS_MODULE="berdaya.settings",
        BERDAYA_LOG_LEVEL="ERROR",
    )
    return env


def _run_child(cmd: list[str], env: dict[str, str], log: Path) -> tuple[int, float, int, float]:
    """Run to the end; (exit code, wall s, peak RSS MB, CPU s)."""
    began = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


def _wait_for(url: str, seconds: float, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log.read_text(encoding='utf-8')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=60) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(
        f"the server did not answer {url} within {seconds:.0f} s:\n{log.read_text(encoding='utf-8')[-3000:]}"
    )


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _summarise(raw: dict[str, Any], plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per role and page (requests are named "role|page"): requests, failures, p50, p95, max, and the
    ratios to the same role's login page; then the sign-ins, which count only for their failures."""
    window = raw["window"]
    if not window:
        raise SystemExit("the users never all signed in: no measured window")
    grouped: dict[tuple[str, str], list[tuple[float, bool]]] = {}
    warmup_failures = 0
    for at, label, ms, status, error in raw["requests"]:
        failed = bool(error) or status != 200
        if label.startswith("sign-in"):
            failed = bool(error) or status != (302 if label == "sign-in POST" else 200)
            grouped.setdefault(("sign-in", label), []).append((ms, failed))
            continue
        if at < window["start"]:
            warmup_failures += failed
            continue
        if at > window["end"]:
            continue
        role, name = label.split("|", 1)
        grouped.setdefault((role, name), []).append((ms, failed))
    keys = [(role, name) for role, r in plan["roles"].items() for name, _url, _api in r["pages"]]
    keys += sorted(k for k in grouped if k[0] == "sign-in")
    table = []
    for role, name in keys:
        samples = grouped.get((role, name), [])
        times = [ms for ms, _failed in samples]
        single = plan["roles"].get(role, {}).get("single", {}).get(name, {})
        table.append(
            {
                "role": role,
                "page": name,
                "requests": len(samples),
                "failures": sum(1 for _ms, failed in samples if failed),
                "p50_ms": round(_percentile(times, 0.5), 1) if times else None,
                "p95_ms": round(_percentile(times, 0.95), 1) if times else None,
                "max_ms": round(max(times), 1) if times else None,
                "queries": single.get("queries"),
                "alone_ms": single.get("alone_ms"),
                "cpu_ms": single.get("cpu_ms"),
            }
        )
    base = {row["role"]: row for row in table if row["page"] == BASELINE}
    for row in table:
        login = base.get(row["role"])
        if login and login["p50_ms"] and row["p50_ms"] is not None:
            row["x_login_p50"] = round(row["p50_ms"] / login["p50_ms"], 1)
            row["x_login_p95"] = round(row["p95_ms"] / login["p95_ms"], 1)
        under_test = row["role"] != "sign-in" and not row["page"].startswith("baseline")
        row["meets_target"] = (
            (row["p95_ms"] is not None and row["p95_ms"] <= TARGET_P95_MS and row["failures"] == 0)
            if under_test
            else (None if row["failures"] == 0 else False)
        )
    if warmup_failures:
        table.append(
            {
                "role": "all",
                "page": "(failures during warm-up)",
                "requests": 0,
                "failures": warmup_failures,
                "meets_target": False,
            }
        )
    return table


def run_database(url: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    vendor = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
    tag = vendor
    env = _env(url)
    # A fresh figures cache for the server (core/figures_cache.py): the warm-up fills it, as the first
    # visitors after a write would. The per-page "alone" timings run with the cache off, so they are the
    # cost of recomputing a page's figures (what the first request after any write pays).
    env["BERDAYA_CACHE_DIR"] = str(work / f"{tag}-cache")
    plan_path = work / f"{tag}-plan.json"
    print(f"\n== {vendor}: {url}")
    code, wall, _rss, _cpu = _run_child(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            f"--prepare-into={plan_path}",
            f"--region={args.region}",
            f"--min-families={args.min_families}",
        ],
        {**env, "BERDAYA_FIGURES_CACHE_SECONDS": "0"},
        work / f"{tag}-prepare.log",
    )
    if code != 0:
        print((work / f"{tag}-prepare.log").read_text(encoding="utf-8")[-3000:])
        raise SystemExit(f"prepare failed on {vendor}")
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    c = plan["counts"]
    print(
        f"   data: {c['families']:,} families, {c['kubes']:,} KUBEs, {c['journal_lines']:,} journal lines, "
        f"{c['attendance']:,} attendance records; prepared in {wall:.1f} s"
    )
    p = plan["picked"]
    print(
        f"   pages show: kecamatan {p['kecamatan']} ({p['kecamatan_kubes']} KUBEs), kelurahan {p['kelurahan']} "
        f"({p['kelurahan_kubes']} KUBEs), KUBE #{p['kube']} ({p['kube_lines']:,} journal lines), "
        f"pendamping #{p['facilitator']} (load {p['facilitator_load']})"
    )
    for role, r in plan["roles"].items():
        for name, page_url, status in r["left_out"]:
            print(f"   not for {role}: {name} {page_url} → {status}")

    officers = args.users // 2
    load_env = dict(env)
    raw_path = work / f"{tag}-raw.json"
    load_env.update(
        BENCH_WEB_PLAN=str(plan_path),
        BENCH_WEB_RAW=str(raw_path),
        BENCH_WEB_WARMUP=str(args.warmup),
        BENCH_WEB_MEASURE=str(args.run_time),
        BENCH_WEB_THINK=args.think,
        BENCH_WEB_OFFICERS=str(officers),
        BENCH_WEB_VIEWERS=str(args.users - officers),
    )
    server_log_path = work / f"{tag}-gunicorn.log"
    server_log = open(server_log_path, "w", encoding="utf-8")  # noqa: SIM115
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "web_wsgi:application",
            f"--pythonpath={BENCH_DIR}",
            "--preload",
            f"--workers={args.workers}",
            f"--bind=127.0.0.1:{args.port}",
            "--timeout=120",
            "--graceful-timeout=10",
            "--log-level=warning",
            "--no-control-socket",  # one shared path in $HOME by default: two servers would fight over it
        ],
        cwd=REPO,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    host = f"http://127.0.0.1:{args.port}"
    try:
        _wait_for(host + "/masuk/", 300, server, server_log_path)
        load_before = os.getloadavg()
        code, wall, locust_rss, locust_cpu = _run_child(
            [
                str(BIN / "locust"),
                "-f",
                str(BENCH_DIR / "locustfile_web.py"),
                "--headless",
                f"--users={args.users}",
                f"--spawn-rate={args.users}",
                # A bound only: the locustfile stops the run when its window (after the sign-ins) closes.
                f"--run-time={args.warmup + args.run_time + 300}s",
                f"--host={host}",
                "--only-summary",
                "--stop-timeout=10",
                "--loglevel=WARNING",
            ],
            load_env,
            work / f"{tag}-locust.log",
        )
        load_after = os.getloadavg()
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        server.wait()
        server_log.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The server's CPU (master and workers, reaped) is what RUSAGE_CHILDREN grew by, less Locust's.
    server_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) - locust_cpu
    if not raw_path.exists():
        print((work / f"{tag}-locust.log").read_text(encoding="utf-8")[-3000:])
        raise SystemExit(f"locust wrote no timings on {vendor} (exit {code})")
    raw = json.loads(raw_path.read_text(encoding="utf-8"))
    table = _summarise(raw, plan)
    counted = sum(r["requests"] for r in table if r["role"] != "sign-in")
    result: dict[str, Any] = {
        "vendor": vendor,
        "database_url": url,
        "counts": c,
        "picked": p,
        "left_out": {role: r["left_out"] for role, r in plan["roles"].items()},
        "load": {
            "users": args.users,
            "officers": officers,
            "viewers": args.users - officers,
            "think_s": args.think,
            "warmup_s": args.warmup,
            "measured_s": args.run_time,
            "requests_per_s": round(counted / args.run_time, 1),
            "gunicorn_workers": args.workers,
            "server_cpu_s": round(server_cpu, 1),
            # Over every request served, the sign-ins and warm-up included (Argon2 costs CPU by design).
            "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(raw["requests"])), 1),
            "locust_cpu_s": round(locust_cpu, 1),
            "locust_exit": code,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        },
        "pages": table,
    }
    _print_pages(result)

    if not args.no_pdf:
        pdf = work / f"{tag}-city.pdf"
        code, wall, rss, cpu = _run_child(
            [str(BIN / "berdaya"), "report", "evaluation", "--region", args.region, "--out", str(pdf)],
            env,
            work / f"{tag}-pdf.log",
        )
        said = (work / f"{tag}-pdf.log").read_text(encoding="utf-8")
        own = re.search(r"([\d.]+) dtk", said)
        pages = re.search(r"(\d+) halaman", said)
        result["pdf"] = {
            "exit": code,
            "wall_s": round(wall, 2),
            "command_s": float(own.group(1)) if own else None,
            "pages": int(pages.group(1)) if pages else None,
            "bytes": pdf.stat().st_size if pdf.exists() else 0,
            "peak_mb": rss,
            "cpu_s": round(cpu, 2),
            "meets_target": code == 0 and wall <= TARGET_PDF_S,
        }
        r = result["pdf"]
        print(
            f"   city PDF ({args.region}): {r['wall_s']:.1f} s wall incl. start-up, {r['command_s']} s in the "
            f"command, {r['cpu_s']} CPU s, {r['pages']} pages, {r['bytes']:,} bytes, peak {rss} MB — "
            f"{'meets' if r['meets_target'] else 'MISSES'} ≤ {TARGET_PDF_S:.0f} s"
            + ("" if code == 0 else f" (exit {code}: {said[-500:]})")
        )
    return result


def _fmt(value: Any, spec: str = ".0f") -> str:
    return "—" if value is None else format(value, spec)


def _print_pages(result: dict[str, Any]) -> None:
    load = result["load"]
    print(
        f"   load: {load['users']} users ({load['officers']} program officers 61.71, {load['viewers']} provincial "
        f"viewers 61), think {load['think_s']} s, {load['measured_s']} s measured after {load['warmup_s']} s "
        f"warm-up, {load['requests_per_s']} req/s; gunicorn {load['gunicorn_workers']} workers used "
        f"{load['server_cpu_s']} CPU s ({load['server_cpu_ms_per_request']} ms a request), "
        f"locust {load['locust_cpu_s']} CPU s; load average "
        f"{load['load_average_before'][0]} → {load['load_average_after'][0]}"
    )
    print(
        f"   {'role':<8} {'page':<26} {'req':>5} {'fail':>4} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'×login p50':>10} {'×login p95':>10} {'queries':>7} {'alone ms':>8} {'cpu ms':>7}  target"
    )
    for row in result["pages"]:
        verdict = {None: "", True: "ok", False: "MISSES"}[row["meets_target"]]
        print(
            f"   {row['role']:<8} {row['page']:<26} {row['requests']:>5} {row['failures']:>4} "
            f"{_fmt(row.get('p50_ms')):>7} {_fmt(row.get('p95_ms')):>7} {_fmt(row.get('max_ms')):>7} "
            f"{_fmt(row.get('x_login_p50'), '.1f'):>10} {_fmt(row.get('x_login_p95'), '.1f'):>10} "
            f"{_fmt(row.get('queries'), 'd'):>7} {_fmt(row.get('alone_ms')):>8} {_fmt(row.get('cpu_ms')):>7}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", action="append", help="repeatable; default: the SQLite and PG city")
    parser.add_argument("--quick", action="store_true", help="30 s of load after 5 s of warm-up")
    parser.add_argument("--users", type=int, default=20)
    # 5 minutes: each role's page then gets about 70 requests at the default think time, enough for a p95.
    parser.add_argument("--run-time", type=int, default=300, help="seconds measured (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load not counted")
    parser.add_argument("--think", default="1,3", help="think time between a user's requests: MIN,MAX seconds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--region", default="61.71", help="the city (its program officer is `petugas`)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the city evaluation report")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--keep-workdir", action="store_true", help="keep logs, plans and raw timings")
    parser.add_argument(
        "--min-families", type=int, default=MIN_FAMILIES, help="refuse a smaller registry (a smoke test lowers it)"
    )
    parser.add_argument("--prepare-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_into:
        prepare(args.region, args.prepare_into, args.min_families)
        return
    if args.quick:
        args.run_time, args.warmup = 30, 5
    for tool in ("gunicorn", "locust"):
        if not (BIN / tool).exists():
            raise SystemExit(f"{tool} is missing: pip install -e '.[bench]' (or make bench-web)")
    urls = args.database_url or list(DEFAULT_URLS)
    work = Path(tempfile.mkdtemp(prefix="berdaya-bench-web-"))
    info = shared_machine_info({"django": "Django", "gunicorn": "gunicorn", "locust": "locust"})
    print(
        f"bench/web.py — {info['nproc']} cores, {info['cpu']}, Python {info['python']}, Django {info['django']}, "
        f"gunicorn {info['gunicorn']}, locust {info['locust']}, commit {info['berdaya_commit']}"
        f"{' (+ uncommitted changes)' if info['berdaya_uncommitted_changes'] else ''}, load {info['load_average']}"
    )
    results: list[dict[str, Any]] = []
    try:
        for url in urls:
            results.append(run_database(url, args, work))
            if args.json_out:  # after each database, so a later failure keeps the earlier numbers
                payload = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, "results": results}
                args.json_out.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    finally:
        if args.keep_workdir:
            print(f"logs, plans and raw timings: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    missed = [
        f"{r['vendor']} {row['role']}: {row['page']}"
        for r in results
        for row in r["pages"]
        if row.get("meets_target") is False
    ] + [f"{r['vendor']}: city PDF" for r in results if r.get("pdf") and not r["pdf"]["meets_target"]]
    print(
        "\nTargets: p95 ≤ 300 ms for every page, no failure; city PDF ≤ 30 s — "
        + ("all met" if not missed else "missed by " + ", ".join(missed))
    )
    if args.json_out:
        print(f"numbers: {args.json_out}")


if __name__ == "__main__":
    main()
