"""Shared fixtures: the region list, rule sets, people with roles, and DTKS files built in tests."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from berdaya.engine import load_region_index, load_ruleset
from berdaya.engine.columns import CANONICAL
from berdaya.engine.regions import bundled_region_csv

AS_OF = dt.date(2026, 11, 1)
PASSWORD = "sandi-uji-123"


@pytest.fixture(scope="session")
def region_index():
    return load_region_index()


@pytest.fixture(scope="session")
def permensos():
    return load_ruleset("permensos-2-2019")


@pytest.fixture(scope="session")
def kalbar_regions_csv(tmp_path_factory) -> Path:
    """Kalimantan Barat (61) and DKI Jakarta (31) only: small enough to load for every test."""
    path = tmp_path_factory.mktemp("regions") / "wilayah-61-31.csv"
    with open(bundled_region_csv(), encoding="utf-8") as source, open(path, "w", encoding="utf-8") as out:
        for line in source:
            if line.startswith(("61", "31")):
                out.write(line)
    return path


@pytest.fixture
def regions(db, kalbar_regions_csv):
    from berdaya.core.services import regions_load

    regions_load(path=kalbar_regions_csv)
    return kalbar_regions_csv


@pytest.fixture
def make_user(db, regions):
    from berdaya.core.services import user_create

    def make(username: str, role: str, region: str | None = None):
        return user_create(username=username, password=PASSWORD, role=role, region_code=region)

    return make


@pytest.fixture
def officer(make_user):
    """Program officer of Kota Pontianak."""
    return make_user("petugas", "program_officer", "61.71")


@pytest.fixture
def stranger(make_user):
    """Program officer of another city (Kota Singkawang, 61.72)."""
    return make_user("orang_lain", "program_officer", "61.72")


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", "admin")


def person(**overrides) -> dict[str, str]:
    """One individual row with every canonical column; eligible under permensos-2-2019 by default."""
    row = {
        "id_dtks": "1",
        "nik": "6171041708800001",
        "no_kk": "6171040101100001",
        "nama": "BUDI SANTOSO",
        "jenis_kelamin": "L",
        "tanggal_lahir": "1980-08-17",
        "status_kawin": "KAWIN",
        "hubungan_keluarga": "KEPALA KELUARGA",
        "pencari_nafkah_utama": "Y",
        "pekerjaan": "PETANI",
        "kode_wilayah": "61.71.04.1001",
        "rt": "001",
        "rw": "002",
        "alamat": "Jl. Khatulistiwa Gg. Mawar No. 12",
        "desil": "2",
        "lat": "-0.0123",
        "lon": "109.3345",
        "keahlian": "pertanian",
        "kesediaan": "Y",
        "pernah_bantuan_kube": "N",
    }
    row.update(overrides)
    return row


def write_rows(path: Path, rows: list[dict[str, str]], columns=CANONICAL, *, encoding="utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Production hashing is slow on purpose; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _language_reset_after_each_test():
    """A test that renders a page in English must not leave English active for the next test's messages."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _jobs_in_process(settings):
    """Tasks run at once in the test's own process, and pages run their work inline unless a test turns
    background jobs on (tests/core/test_jobs.py does, and drives the real database queue once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.BERDAYA = {**settings.BERDAYA, "BACKGROUND_JOBS": False}


@pytest.fixture(autouse=True)
def _figures_computed_each_time(settings):
    """Rolled-back tests reuse audit ids, so a cached figure could outlive its test; tests of the cache
    (tests/core/test_figures_cache.py) turn it on with a cache of their own."""
    settings.BERDAYA = {**settings.BERDAYA, "FIGURES_CACHE_SECONDS": 0}


def write_xlsx_rows(path: Path, rows: list[dict[str, str]], *, title_rows: int = 0, numeric_nik: bool = False) -> Path:
    """An XLSX of rows under the canonical header, optionally below title rows or with NIKs as numbers."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for i in range(title_rows):
        sheet.append(["DATA TERPADU KESEJAHTERAAN SOSIAL" if i == 0 else None])
    sheet.append(list(CANONICAL))
    for row in rows:
        values = [row[c] for c in CANONICAL]
        if numeric_nik:
            values[1] = int(values[1])
        sheet.append(values)
    workbook.save(path)
    return path
