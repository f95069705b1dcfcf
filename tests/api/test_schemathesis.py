"""Schemathesis against the live API: the demo world is built into its own database, served by
`berdaya serve` on a free port, and every operation of /api/openapi.json is sent generated requests
(boundary values, then random ones) with a program officer's token. No response may be a server error
or break the documented schema.

The world is built on the engine of this test run: an SQLite file beside the test, or a database of its
own on the PostgreSQL server (created and dropped here), so each run of `make test` fuzzes its engine —
PostgreSQL refuses values SQLite takes (a NUL in text, an over-long string), so both runs matter.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

EXAMPLES = 10  # per operation and phase: about a minute for the API's operations on the demo world
SEED = 2026
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}  # fixed: a failure in CI is reproduced with the same command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _berdaya(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "berdaya", *args], env=env, capture_output=True, text=True, check=True, **kwargs
    )


@contextlib.contextmanager
def _database(folder: Path):
    """A database URL of the test run's engine that nothing else uses, removed afterwards."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        yield f"sqlite:///{folder / 'demo.sqlite3'}"
        return
    import psycopg

    name = f"berdaya_schemathesis_{uuid.uuid4().hex[:8]}"
    server = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    if db.get("PASSWORD"):
        server += f" password={db['PASSWORD']}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        yield f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for(url: str, server: subprocess.Popen, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped: {server.stdout.read() if server.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the server did not answer {url} within {seconds} s")


def _schemathesis() -> str:
    found = Path(sys.executable).with_name("st")
    return str(found) if found.exists() else shutil.which("st") or "st"


def test_no_server_error_and_no_response_breaks_the_schema(tmp_path):
    with _database(tmp_path) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "BERDAYA_DEBUG": "0"}
        _berdaya("demo", "--no-serve", env=env, cwd=tmp_path, timeout=900)
        token = _berdaya("api-token", "--user", "petugas", env=env, cwd=tmp_path).stdout.strip().splitlines()[-1]
        port = _free_port()
        log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 - read after the server stops
        server = subprocess.Popen(
            [sys.executable, "-m", "berdaya", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            schema_url = f"http://127.0.0.1:{port}/api/openapi.json"
            _wait_for(schema_url, server)
            with urllib.request.urlopen(schema_url, timeout=10) as response:
                paths = json.load(response)["paths"]
            operations = sum(1 for path in paths.values() for method in path if method in HTTP_METHODS)
            run = subprocess.run(
                [
                    _schemathesis(),
                    "run",
                    schema_url,
                    "--checks",
                    "not_a_server_error,response_schema_conformance",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--max-examples",
                    str(EXAMPLES),
                    "--seed",
                    str(SEED),
                    # One worker: with several threads CPython 3.11's ast.parse, which Hypothesis calls to
                    # describe its filters, can fail with "AST constructor recursion depth mismatch".
                    "--workers",
                    "1",
                    "--generation-database",
                    "none",
                    "--no-color",
                ],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=900,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        log.seek(0)
        server_log = log.read()
        log.close()
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert f"Tested: {operations}" in run.stdout, report  # every operation was sent requests
    assert "Traceback" not in server_log, server_log[-6000:]
