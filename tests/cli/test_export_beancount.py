"""`berdaya export beancount`: one KUBE's books by id or exact name, refused for an unknown or ambiguous name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.core.models import AuditEvent
from berdaya.kube.models import KubeState
from berdaya.ledger.beancount import beancount_text
from berdaya.ledger.models import JournalEntry
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
runner = CliRunner()
OTHER_VILLAGE = "61.71.04.1002"


@pytest.fixture
def kube(regions):
    return make_kube(name="KUBE Mawar", state=KubeState.ACTIVE)


def export(ref: str, out: Path):
    return runner.invoke(app, ["export", "beancount", "--kube", ref, "--out", str(out)])


def test_a_kube_is_exported_by_its_exact_name(kube, tmp_path):
    out = tmp_path / "mawar.beancount"
    result = export("KUBE Mawar", out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == beancount_text(kube)
    entries = JournalEntry.objects.filter(kube=kube).count()
    assert result.stdout.strip().splitlines() == [
        f"Buku KUBE Mawar (id {kube.pk}): {entries} jurnal, {2 * entries} baris, 17 akun -> {out}"
    ]
    check = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(out)], capture_output=True)
    assert check.returncode == 0 and check.stdout == check.stderr == b""


def test_a_kube_is_exported_by_its_id_and_the_read_is_audited(kube, tmp_path):
    out = tmp_path / "buku.beancount"
    result = export(str(kube.pk), out)
    assert result.exit_code == 0, result.output
    assert f"{kube.name} (id {kube.pk})" in result.stdout
    event = AuditEvent.objects.get(action="ledger.export_beancount")
    assert (event.object_type, event.object_id, event.changes["out"]) == ("kube.Kube", str(kube.pk), str(out))


def test_an_unknown_kube_is_refused_with_1_and_nothing_written(kube, tmp_path):
    out = tmp_path / "tidak-ada.beancount"
    for ref in ("KUBE Melati", "999999", "kube mawar"):
        result = export(ref, out)
        assert result.exit_code == 1
        assert f"KUBE {ref!r} tidak ditemukan" in result.output
    assert not out.exists()
    assert not AuditEvent.objects.filter(action="ledger.export_beancount").exists()


def test_an_ambiguous_name_lists_the_matches_and_asks_for_an_id(kube, tmp_path, regions):
    twin = make_kube(name="KUBE Mawar", region=OTHER_VILLAGE, state=KubeState.ACTIVE)
    out = tmp_path / "kembar.beancount"
    result = export("KUBE Mawar", out)
    assert result.exit_code == 1
    assert "ada 2 KUBE bernama 'KUBE Mawar'" in result.output
    assert f"id {kube.pk} di {kube.region.name}" in result.output
    assert f"id {twin.pk} di {twin.region.name}" in result.output
    assert not out.exists()
    assert export(str(twin.pk), out).exit_code == 0


def test_an_unwritable_file_is_refused_with_2_and_not_audited(kube, tmp_path):
    result = export(str(kube.pk), tmp_path / "tidak-ada" / "buku.beancount")
    assert result.exit_code == 2 and "tidak bisa menulis" in result.output
    assert not AuditEvent.objects.filter(action="ledger.export_beancount").exists()
