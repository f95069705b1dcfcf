"""The evaluation pages: an officer creates a round, scores it and works the plan; files from ODK or Kobo
are imported whole or refused row by row; the web survey stores a response; and each role sees only
what it may (a stranger nothing, an evaluator no names, a viewer no KUBE page)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from berdaya.core.models import Region
from berdaya.engine.evaluation.instruments import load_instrument
from berdaya.evaluation.models import KubeScore, PlanAction, Response, Round, SubmissionImport
from berdaya.evaluation.selectors import survey_families
from berdaya.evaluation.services import round_create, round_score
from berdaya.kube.models import KubeState
from tests.factories import assign, make_facilitator, make_kube

pytestmark = pytest.mark.django_db
FETCH = {"HTTP_X_BERDAYA_FORM": "fetch"}


@pytest.fixture
def kube(regions):
    return make_kube(name="KUBE Kerupuk Siantan", size=5, state=KubeState.ACTIVE)


@pytest.fixture
def baseline(kube, officer):
    return round_create(
        actor=officer,
        name="Awal 2025",
        kind="baseline",
        region=Region.objects.get(code="61.71"),
        start_on=dt.date(2025, 3, 1),
        end_on=dt.date(2025, 3, 31),
    )


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def families(kube):
    return [m.family for m in kube.memberships.order_by("id")]


def head_name(family) -> str:
    return family.members.order_by("id").first().name


def welfare_answers(kube, family, **overrides) -> dict[str, str]:
    """One household's welfare answers as text, keyed by item code (what a form or an export holds)."""
    values = {
        "sample": "anggota", "kube_id": str(kube.pk), "family_id": str(family.pk), "round": "baseline",
        "survey_date": "2025-03-10", "consent": "1", "income_month": "1500000", "household_size": "4",
        "meals_per_day": "3", "food_shortage_month": "0", "protein_week": "1", "new_clothes_year": "1",
        "floor_material": "semen", "wall_material": "tembok", "roof_material": "seng", "floor_area": "36",
        "sick_untreated": "0", "health_insurance": "1", "children_7_15": "0", "children_not_school": "",
        "worship_able": "1", "community_activity_3m": "1", "community_activity_types": "arisan posyandu",
    }  # fmt: skip
    values.update(overrides)
    return values


def survey_post(kube, family, **overrides) -> dict:
    """What the web form posts: the fixed items (sample, round) are the form's own; multiple choices are lists."""
    values = welfare_answers(kube, family, **overrides)
    for fixed in ("sample", "round"):
        values.pop(fixed)
    values["community_activity_types"] = values["community_activity_types"].split()
    return {**values, "client_uuid": overrides.get("client_uuid", str(uuid.uuid4()))}


def csv_upload(rows: list[dict[str, str]], name: str = "kesejahteraan.csv") -> SimpleUploadedFile:
    """An ODK Central CSV export of welfare submissions: its columns, then the item codes."""
    codes = load_instrument("welfare").codes
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["SubmissionDate", *codes, "meta-instanceID"])
    for row in rows:
        writer.writerow(["2025-03-12T08:00:00Z", *(row.get(code, "") for code in codes), row["instance"]])
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def score_url(round_, kube) -> str:
    return reverse("evaluation:kube_score", args=[round_.pk, kube.pk])


# ---------------------------------------------------------------- rounds, scores, plan


def test_an_officer_creates_a_round_for_the_funded_kubes_of_the_city(officer_client, kube):
    assert officer_client.get(reverse("evaluation:round_new")).status_code == 200
    response = officer_client.post(
        reverse("evaluation:round_new"),
        {"name": "Awal 2025", "kind": "baseline", "region": "61.71", "start_on": "2025-03-01", "end_on": "2025-03-31"},
    )
    round_ = Round.objects.get(name="Awal 2025")
    assert response.status_code == 302 and response.url == reverse("evaluation:round_detail", args=[round_.pk])
    assert list(round_.kubes.all()) == [kube] and round_.created_by.username == "petugas"
    page = officer_client.get(reverse("evaluation:round_list")).content.decode()
    assert "Awal 2025" in page and 'id="round-new"' in page


def test_a_refused_round_keeps_what_was_typed(officer_client, baseline):
    response = officer_client.post(
        reverse("evaluation:round_new"),
        {"name": "Akhir 2026", "kind": "endline", "region": "61.71", "start_on": "2026-03-01", "end_on": "2026-03-31"},
    )
    assert response.status_code == 400
    assert "putaran awal" in response.content.decode() and 'value="Akhir 2026"' in response.content.decode()
    assert not Round.objects.filter(name="Akhir 2026").exists()


def test_an_officer_scores_a_round_and_sees_verdicts_maturity_and_the_plan(officer_client, baseline, kube):
    detail = reverse("evaluation:round_detail", args=[baseline.pk])
    page = officer_client.get(detail).content.decode()
    assert "KUBE Kerupuk Siantan" in page and "Belum dinilai" in page and 'id="score-round"' in page

    response = officer_client.post(reverse("evaluation:round_score", args=[baseline.pk]))
    assert response.status_code == 302
    score = KubeScore.objects.get(round=baseline, kube=kube)
    page = officer_client.get(detail).content.decode()
    assert "belum berhasil" in page and score.get_maturity_display() in page
    assert 'id="rollup"' in page  # open actions rolled up by kecamatan

    page = officer_client.get(score_url(baseline, kube)).content.decode()
    assert 'data-indicator="S1_BASIC_NEEDS"' in page and "Kelompok terpercaya" in page
    assert "tidak ada data" in page  # no surveys yet: indicators without data say so


def test_the_pages_read_scores_in_few_queries(officer_client, baseline, kube, django_assert_max_num_queries):
    round_score(actor=None, round=baseline)
    with django_assert_max_num_queries(20):
        assert officer_client.get(reverse("evaluation:round_detail", args=[baseline.pk])).status_code == 200


def test_an_officer_marks_a_plan_action_done(officer_client, baseline, kube):
    round_score(actor=None, round=baseline)
    action = PlanAction.objects.filter(round=baseline, kube=kube).first()
    url = reverse("evaluation:action_done", args=[action.pk])
    response = officer_client.post(url, {"on": "2025-04-02", "note": "Rapat diadakan"})
    assert response.status_code == 302 and response.url == score_url(baseline, kube)
    action.refresh_from_db()
    assert action.done_on == dt.date(2025, 4, 2) and action.done_note == "Rapat diadakan"
    assert action.done_by.username == "petugas"
    # Rescoring keeps what was done.
    round_score(actor=None, round=baseline)
    assert PlanAction.objects.get(pk=action.pk).done_on == dt.date(2025, 4, 2)
    page = officer_client.get(score_url(baseline, kube)).content.decode()
    assert "selesai" in page


def test_the_kubes_pendamping_marks_an_action_done_but_not_another_kubes(client, make_user, baseline, kube):
    other = make_kube(name="KUBE Lain", size=5, state=KubeState.ACTIVE)
    baseline.kubes.add(other)
    user = make_user("pendamping1", "facilitator", "61.71.04")
    assign(kube, make_facilitator(user=user))
    round_score(actor=None, round=baseline)
    mine = PlanAction.objects.filter(round=baseline, kube=kube).first()
    theirs = PlanAction.objects.filter(round=baseline, kube=other).first()
    client.force_login(user)
    assert 'class="done-button"' in client.get(score_url(baseline, kube)).content.decode()
    assert client.post(reverse("evaluation:action_done", args=[mine.pk]), {"on": "2025-04-02"}).status_code == 302
    assert PlanAction.objects.get(pk=mine.pk).done_on == dt.date(2025, 4, 2)
    assert client.post(reverse("evaluation:action_done", args=[theirs.pk]), {"on": "2025-04-02"}).status_code == 404
    assert client.get(score_url(baseline, other)).status_code == 404
    # The round page shows the pendamping only their own KUBE.
    page = client.get(reverse("evaluation:round_detail", args=[baseline.pk])).content.decode()
    assert "KUBE Kerupuk Siantan" in page and "KUBE Lain" not in page


def test_the_kube_page_shows_the_latest_verdict(officer_client, baseline, kube):
    page = officer_client.get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert 'id="no-evaluation"' in page
    round_score(actor=None, round=baseline)
    page = officer_client.get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert 'id="evaluation-link"' in page and score_url(baseline, kube) in page and "belum berhasil" in page


# ---------------------------------------------------------------- imports


def test_a_good_export_is_imported_and_its_counts_shown(officer_client, baseline, kube):
    rows = [{**welfare_answers(kube, f), "instance": f"uuid:{uuid.uuid4()}"} for f in families(kube)]
    url = reverse("evaluation:import", args=[baseline.pk])
    response = officer_client.post(url, {"instrument": "welfare", "source": "odk", "file": csv_upload(rows)})
    record = SubmissionImport.objects.get()
    assert response.status_code == 302 and response.url == f"{url}?hasil={record.pk}"
    assert record.status == "imported" and record.counts["created"] == 5
    assert Response.objects.filter(round=baseline, instrument="welfare", source="odk").count() == 5
    page = officer_client.get(response.url).content.decode()
    assert 'data-status="imported"' in page and "5 isian baru" in page


def test_a_malformed_export_is_listed_row_by_row_and_nothing_imported(officer_client, baseline, kube):
    good, bad = families(kube)[:2]
    rows = [
        {**welfare_answers(kube, good), "instance": "uuid:a"},
        {**welfare_answers(kube, bad, floor_material="emas", household_size="0"), "instance": "uuid:b"},
    ]
    url = reverse("evaluation:import", args=[baseline.pk])
    response = officer_client.post(
        url, {"instrument": "welfare", "source": "kobo", "file": csv_upload(rows)}, follow=True
    )
    record = SubmissionImport.objects.get()
    assert record.status == "refused" and Response.objects.count() == 0
    page = response.content.decode()
    assert 'data-status="refused"' in page and 'id="problems"' in page
    assert "<td>3</td><td>floor_material</td>" in page and "<td>3</td><td>household_size</td>" in page


def test_a_household_answered_twice_is_a_line_in_the_report_not_a_server_error(officer_client, baseline, kube):
    """The same household under two instanceIDs, in one file or beside an answer already stored: refused
    with the line, nothing imported (the database would refuse the second answer)."""
    first, second = families(kube)[:2]
    url = reverse("evaluation:import", args=[baseline.pk])
    twice = [
        {**welfare_answers(kube, first), "instance": "uuid:one"},
        {**welfare_answers(kube, first), "instance": "uuid:two"},
    ]
    response = officer_client.post(url, {"instrument": "welfare", "source": "odk", "file": csv_upload(twice)})
    assert response.status_code == 302
    record = SubmissionImport.objects.get()
    assert record.status == "refused" and Response.objects.count() == 0
    assert [p["line"] for p in record.problems] == [3] and "baris 2" in record.problems[0]["message"]
    # Stored once; a later file answers it again under a new instanceID, next to a new household.
    officer_client.post(url, {"instrument": "welfare", "source": "odk", "file": csv_upload(twice[:1])})
    assert Response.objects.count() == 1
    again = [
        {**welfare_answers(kube, second), "instance": "uuid:three"},
        {**welfare_answers(kube, first), "instance": "uuid:four"},
    ]
    response = officer_client.post(url, {"instrument": "welfare", "source": "odk", "file": csv_upload(again)})
    assert response.status_code == 302
    record = SubmissionImport.objects.order_by("-id").first()
    assert record.status == "refused" and [p["line"] for p in record.problems] == [3]
    assert Response.objects.count() == 1
    # The same instanceID again is a re-send, not a clash: counted as already there.
    officer_client.post(url, {"instrument": "welfare", "source": "odk", "file": csv_upload(twice[:1])})
    assert SubmissionImport.objects.order_by("-id").first().counts["already"] == 1


def test_a_file_of_another_kind_is_refused_on_the_form(officer_client, baseline):
    upload = SimpleUploadedFile("foto.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    url = reverse("evaluation:import", args=[baseline.pk])
    response = officer_client.post(url, {"instrument": "welfare", "source": "odk", "file": upload})
    assert response.status_code == 400 and "CSV atau XLSX" in response.content.decode()
    assert not SubmissionImport.objects.exists()


# ---------------------------------------------------------------- the web survey


def test_the_web_survey_stores_a_welfare_response(officer_client, baseline, kube):
    family = families(kube)[0]
    url = reverse("evaluation:survey", args=[baseline.pk, "welfare"])
    page = officer_client.get(url).content.decode()
    assert 'name="floor_material"' in page and 'name="client_uuid"' in page and "data-offline" in page
    assert head_name(family) in page  # an officer picks the family by its head's name
    assert page.index('data-code="consent"') < page.index('data-code="kube_id"')  # consent first

    data = survey_post(kube, family)
    response = officer_client.post(url, data)
    assert response.status_code == 302 and response.url == url
    stored = Response.objects.get(round=baseline, family=family)
    assert stored.instance_id == data["client_uuid"] and stored.source == "web" and stored.kube == kube
    assert stored.answers["sample"] == "anggota" and stored.answers["round"] == "baseline"
    assert stored.answers["floor_area"] == 36 and stored.answers["consent"] == 1
    assert stored.answers["children_not_school"] is None  # not asked: no children 7-15
    assert stored.answers["community_activity_types"] == ["arisan", "posyandu"]
    # Sent again from the phone's outbox: stored once.
    assert officer_client.post(url, data, **FETCH).json()["ok"] is True
    assert Response.objects.filter(round=baseline, family=family).count() == 1


def test_bad_answers_re_show_the_form_with_what_was_typed(officer_client, baseline, kube):
    url = reverse("evaluation:survey", args=[baseline.pk, "welfare"])
    data = survey_post(kube, families(kube)[0], household_size="0", meals_per_day="", children_7_15="2")
    data.pop("floor_material")
    response = officer_client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("Wajib diisi.") == 3  # meals, floor, and the question that two children open
    assert 'name="household_size" value="0"' in page and 'name="income_month" value="1500000"' in page
    assert Response.objects.count() == 0

    refusal = officer_client.post(url, data, **FETCH)
    assert refusal.status_code == 400 and refusal.json()["ok"] is False and refusal.json()["errors"]


def test_more_children_out_of_school_than_children_is_refused(officer_client, baseline, kube):
    url = reverse("evaluation:survey", args=[baseline.pk, "welfare"])
    data = survey_post(kube, families(kube)[0], children_7_15="1", children_not_school="2")
    assert officer_client.post(url, data).status_code == 400
    data = survey_post(kube, families(kube)[0], children_7_15="2", children_not_school="1")
    assert officer_client.post(url, data).status_code == 302
    assert Response.objects.get().answers["children_not_school"] == 1


def test_a_respondent_who_declines_leaves_nothing(officer_client, baseline, kube):
    url = reverse("evaluation:survey", args=[baseline.pk, "welfare"])
    data = {"consent": "0", "kube_id": kube.pk, "family_id": families(kube)[0].pk, "survey_date": "2025-03-10"}
    response = officer_client.post(url, {**data, "client_uuid": str(uuid.uuid4())})
    assert response.status_code == 302 and Response.objects.count() == 0


def test_a_family_of_another_kube_is_refused_by_the_service(officer_client, baseline, kube):
    other = make_kube(name="KUBE Lain", size=5, state=KubeState.ACTIVE)
    baseline.kubes.add(other)
    url = reverse("evaluation:survey", args=[baseline.pk, "welfare"])
    response = officer_client.post(url, survey_post(kube, families(other)[0]))
    assert response.status_code == 400 and "bukan anggota KUBE" in response.content.decode()


def test_the_group_assessment_and_empowerment_forms_open(officer_client, baseline):
    for name in ("group_assessment", "empowerment"):
        page = officer_client.get(reverse("evaluation:survey", args=[baseline.pk, name])).content.decode()
        assert 'id="survey-form"' in page
    page = officer_client.get(reverse("evaluation:survey", args=[baseline.pk, "empowerment"])).content.decode()
    assert 'class="seg likert"' in page  # Likert 1-4 as one row of four


def test_the_xlsform_downloads(officer_client):
    response = officer_client.get(reverse("evaluation:xlsform", args=["welfare", 1]))
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert 'filename="berdaya_welfare_v1.xlsx"' in response["Content-Disposition"]
    assert officer_client.get(reverse("evaluation:xlsform", args=["welfare", 99])).status_code == 404
    assert officer_client.get(reverse("evaluation:xlsform", args=["nothing", 1])).status_code == 404


# ---------------------------------------------------------------- who sees what


def test_a_stranger_gets_404_everywhere(client, stranger, baseline, kube):
    round_score(actor=None, round=baseline)
    action = PlanAction.objects.filter(round=baseline).first()
    client.force_login(stranger)
    for url in (
        reverse("evaluation:round_detail", args=[baseline.pk]),
        score_url(baseline, kube),
        reverse("evaluation:import", args=[baseline.pk]),
        reverse("evaluation:survey", args=[baseline.pk, "welfare"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("evaluation:round_score", args=[baseline.pk])).status_code == 404
    assert client.post(reverse("evaluation:action_done", args=[action.pk]), {"on": "2025-04-01"}).status_code == 404
    assert "Awal 2025" not in client.get(reverse("evaluation:round_list")).content.decode()


def test_an_evaluator_reads_scores_without_names_and_changes_nothing(client, make_user, baseline, kube):
    round_score(actor=None, round=baseline)
    family = families(kube)[0]
    client.force_login(make_user("peneliti", "evaluator", "61.71"))
    for url in (reverse("evaluation:round_detail", args=[baseline.pk]), score_url(baseline, kube)):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200 and "KUBE Kerupuk Siantan" in page
        assert head_name(family) not in page and family.no_kk not in page
    assert 'id="nav-evaluation"' in page
    assert client.post(reverse("evaluation:round_score", args=[baseline.pk])).status_code == 403
    assert client.get(reverse("evaluation:import", args=[baseline.pk])).status_code == 403
    assert client.get(reverse("evaluation:survey", args=[baseline.pk, "welfare"])).status_code == 403
    assert 'class="done-button"' not in client.get(score_url(baseline, kube)).content.decode()


def test_families_are_named_only_for_those_who_may_see_names(kube):
    family = families(kube)[0]
    named = dict(survey_families(kubes=[kube], names=True)[kube.pk])
    pseudonymous = dict(survey_families(kubes=[kube], names=False)[kube.pk])
    assert head_name(family) in named[family.pk]
    assert pseudonymous[family.pk] == f"Keluarga #{family.pk}"


def test_a_viewer_sees_aggregates_but_no_kube_page(client, make_user, baseline, kube):
    round_score(actor=None, round=baseline)
    client.force_login(make_user("pemantau", "viewer", "61"))
    assert "Awal 2025" in client.get(reverse("evaluation:round_list")).content.decode()
    page = client.get(reverse("evaluation:round_detail", args=[baseline.pk])).content.decode()
    assert 'id="round-counts"' in page and 'id="kube-scores"' not in page and "KUBE Kerupuk Siantan" not in page
    assert client.get(score_url(baseline, kube)).status_code == 403


def test_a_pendamping_has_no_evaluation_link_in_the_menu(client, make_user):
    client.force_login(make_user("pendamping2", "facilitator", "61.71"))
    assert 'id="nav-evaluation"' not in client.get(reverse("home")).content.decode()
