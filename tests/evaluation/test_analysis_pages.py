"""The analysis page and the research downloads: who may see them, what they show, and that every format
downloads and parses."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pyreadstat
import pytest
from django.urls import reverse

from berdaya.core.models import AuditEvent
from berdaya.registry.models import Person
from tests.evaluation.test_analysis import build_world
from tests.evaluation.test_dataset_exports import assert_no_personal_data
from tests.factories import assign, make_facilitator

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(officer):
    return build_world(officer)


def analysis_url(round_):
    return reverse("evaluation:analysis", args=[round_.pk])


def export_url(round_, instrument, fmt):
    return reverse("evaluation:export", args=[round_.pk, instrument, fmt])


def test_the_officer_sees_the_comparison_table(client, officer, world):
    client.force_login(officer)
    response = client.get(analysis_url(world.endline))
    assert response.status_code == 200
    html = response.content.decode()
    for code in ("income_pc", "dep_food", "score_overall", "empowered", "successful"):
        assert f'data-code="{code}"' in html
    assert "Wilcoxon" in html and "McNemar" in html
    assert 'id="did"' in html and 'id="how-to-read"' in html
    assert reverse("evaluation:round_detail", args=[world.endline.pk]) in html
    assert export_url(world.endline, "welfare", "dta") in html


def test_a_baseline_round_says_analysis_needs_a_follow_up(client, officer, world):
    client.force_login(officer)
    response = client.get(analysis_url(world.baseline))
    assert response.status_code == 200
    assert 'id="needs-followup"' in response.content.decode()


def test_a_stranger_gets_404(client, stranger, world):
    client.force_login(stranger)
    assert client.get(analysis_url(world.endline)).status_code == 404
    assert client.get(export_url(world.endline, "welfare", "csv")).status_code == 404


def test_a_viewer_and_a_pendamping_are_refused(client, make_user, world):
    client.force_login(make_user("pemantau", "viewer", "61"))
    assert client.get(analysis_url(world.endline)).status_code == 403
    assert client.get(export_url(world.endline, "welfare", "csv")).status_code == 403
    pendamping = make_facilitator(user=make_user("pendamping", "facilitator", "61.71.04"))
    assign(world.kubes[0], pendamping)
    client.force_login(pendamping.user)
    assert client.get(analysis_url(world.endline)).status_code in (403, 404)
    assert client.get(export_url(world.endline, "welfare", "xlsx")).status_code in (403, 404)


def test_an_unknown_instrument_or_format_is_404(client, officer, world):
    client.force_login(officer)
    assert client.get(export_url(world.endline, "kepuasan", "csv")).status_code == 404
    assert client.get(export_url(world.endline, "welfare", "pdf")).status_code == 404


def test_the_evaluator_sees_no_names_and_downloads_pseudonymised_data(client, make_user, world):
    client.force_login(make_user("peneliti", "evaluator", "61.71"))
    page = client.get(analysis_url(world.endline))
    assert page.status_code == 200
    html = page.content.decode()
    for person in Person.objects.filter(family__in=world.members):
        assert person.name not in html and person.nik not in html
    download = client.get(export_url(world.endline, "welfare", "csv"))
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        data_name = next(n for n in archive.namelist() if not n.endswith("codebook.csv"))
        rows = list(csv.DictReader(io.StringIO(archive.read(data_name).decode("utf-8-sig"))))
    assert "family_id" not in rows[0] and all(r["pid"].startswith("F-") for r in rows)
    assert_no_personal_data(world, download.content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
def test_each_format_downloads_and_parses(client, officer, world, fmt, tmp_path):
    client.force_login(officer)
    response = client.get(export_url(world.endline, "welfare", fmt))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert_no_personal_data(world, response.content)
    if fmt == "xlsx":
        path = tmp_path / "data.xlsx"
        path.write_bytes(response.content)
        workbook = openpyxl.load_workbook(path)
        assert len(list(workbook["data"].values)) == 15 and workbook["codebook"].max_row > 40
    else:
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            names = archive.namelist()
            assert any(n.endswith(".codebook.csv") for n in names)
            data_name = next(n for n in names if n.endswith(f".{fmt}"))
            (tmp_path / data_name).write_bytes(archive.read(data_name))
        path = tmp_path / data_name
        if fmt == "csv":
            assert len(list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))) == 14
        else:
            frame, _meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
            assert len(frame) == 14
    event = AuditEvent.objects.filter(action="evaluation.export").latest("id")
    assert event.actor == officer and event.changes["format"] == fmt and event.changes["rows"] == 14
