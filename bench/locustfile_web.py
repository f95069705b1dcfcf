"""Locust users for `bench/web.py`: the city's program officer and a provincial viewer, signed in through
the login form, each opening the main pages of its role at random with a think time between them.

Not run on its own: `bench/web.py` starts Locust headless with this file and hands it, through the
environment, a JSON file of pages per role (BENCH_WEB_PLAN, written by the script's prepare step from the
database under test), where to write every request's time (BENCH_WEB_RAW), the warm-up and measured
seconds, the think time and how many users of each role. Locust's own percentiles
are bucketed (10 ms steps above 100 ms); the script computes exact ones from the raw times instead.

Every response but a 200 counts as a failure: pages are fetched without following redirects, so a
session that lost its login (302 to /masuk/) fails instead of timing the login page.
"""

from __future__ import annotations

import json
import os
import random
import re
import time

import gevent
from locust import HttpUser, between, constant, events, task

PLAN = json.loads(open(os.environ["BENCH_WEB_PLAN"], encoding="utf-8").read())  # noqa: SIM115
RAW_OUT = os.environ["BENCH_WEB_RAW"]
WARMUP_S = float(os.environ.get("BENCH_WEB_WARMUP", "10"))
MEASURE_S = float(os.environ.get("BENCH_WEB_MEASURE", "300"))
OFFICERS = int(os.environ.get("BENCH_WEB_OFFICERS", "10"))
VIEWERS = int(os.environ.get("BENCH_WEB_VIEWERS", "10"))
THINK = tuple(float(x) for x in os.environ.get("BENCH_WEB_THINK", "1,3").split(","))
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_started = time.monotonic()
_raw: list[tuple[float, str, float, int, str]] = []  # (start, s since launch; name; ms; status; error)
# The measured window opens WARMUP_S after the last user has signed in (sign-ins hash a password: under
# load the twenty take many seconds) and lasts MEASURE_S; then this file stops the run itself.
_window: dict[str, float] = {}
_signed_in = 0
_environment = None


@events.init.add_listener
def _keep(environment, **_kw):
    global _environment
    _environment = environment


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **_kw):
    status = getattr(response, "status_code", 0) or 0
    began = time.monotonic() - _started - response_time / 1000
    _raw.append((round(began, 3), name, response_time, status, str(exception or "")))


def _one_signed_in() -> None:
    global _signed_in
    _signed_in += 1
    if _signed_in == OFFICERS + VIEWERS:
        now = time.monotonic() - _started
        _window.update(start=now + WARMUP_S, end=now + WARMUP_S + MEASURE_S)
        gevent.spawn_later(WARMUP_S + MEASURE_S, _environment.runner.quit)


@events.quitting.add_listener
def _dump(environment, **_kw):
    with open(RAW_OUT, "w", encoding="utf-8") as out:
        json.dump({"window": _window, "think_s": THINK, "requests": _raw}, out)


def _wait():
    return constant(0) if THINK == (0.0, 0.0) else between(*THINK)


class _Signed(HttpUser):
    abstract = True
    wait_time = _wait()
    role = ""

    def on_start(self) -> None:
        try:
            self._sign_in()
        finally:
            _one_signed_in()  # a refused sign-in still opens the window; its failure is reported

    def _sign_in(self) -> None:
        who = PLAN["roles"][self.role]
        # The login form sets the CSRF cookie and carries the token; Django then checks the two agree.
        with self.client.get("/masuk/", name="sign-in form", catch_response=True) as page:
            found = CSRF_INPUT.search(page.text or "")
            if page.status_code != 200 or not found:
                page.failure(f"login form: {page.status_code}")
                return
        form = {"username": who["username"], "password": PLAN["password"], "csrfmiddlewaretoken": found.group(1)}
        with self.client.post(
            "/masuk/", data=form, name="sign-in POST", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 302 or "sessionid" not in self.client.cookies:
                answer.failure(f"sign-in refused for {who['username']}: {answer.status_code}")

    @task
    def page(self) -> None:
        name, url, api = random.choice(PLAN["roles"][self.role]["pages"])
        headers = {"Authorization": f"Bearer {PLAN['api_token']}"} if api else None
        label = f"{self.role}|{name}"  # bench/web.py reports each role's times apart
        with self.client.get(url, name=label, headers=headers, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.headers.get('Location', '')}")


class ProgramOfficer(_Signed):
    role = "officer"
    fixed_count = OFFICERS


class ProvincialViewer(_Signed):
    role = "viewer"
    fixed_count = VIEWERS
