"""The formation pages as a program officer uses them: run, read the proposal and its plot, move, approve."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from berdaya.kube.models import FormationRun, Kube, KubeState
from berdaya.kube.plot import PlotPoint, members_svg
from berdaya.kube.services.formation import UNPLACED, formation_run
from tests.kube.test_formation_service import SIANTAN_HULU, village_families

pytestmark = pytest.mark.django_db


def start(client, officer, **data):
    client.force_login(officer)
    return client.post(
        reverse("kube:formation_list"), {"region": SIANTAN_HULU, "ruleset": "kalbar-2019", "seed": "0", **data}
    )


def test_an_officer_runs_formation_and_sees_the_plot_with_one_circle_per_family(client, officer):
    families = village_families(24, seed=21)
    response = start(client, officer)
    run = FormationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("kube:formation_detail", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    start_at = page.rindex("<svg", 0, page.index('class="formation-plot"'))  # the plot, not a histogram bar
    svg = page[start_at : page.index("</svg>", start_at)]
    assert svg.count("<circle") == len(families)
    assert svg.count('stroke="#1d2a2f" stroke-width="1.5"/>') >= len(run.groups)  # meeting houses marked
    for group in run.groups:
        assert f'data-key="{group["key"]}"' in page
    # No KK appear masked only.
    assert families[0].no_kk not in page and families[0].no_kk[:4] + "••••" in page
    assert "Rata-rata jarak" in page and 'id="histogram"' in page


def test_the_list_shows_runs_and_villages_with_eligible_families(client, officer):
    village_families(7, seed=22)
    formation_run(actor=officer, region_code=SIANTAN_HULU, ruleset="kalbar-2019")
    client.force_login(officer)
    page = client.get(reverse("kube:formation_list")).content.decode()
    assert "Siantan Hulu" in page and 'id="runs"' in page and '<option value="61.71.04">' in page


def test_a_refused_run_shows_the_reason_on_the_form(client, officer):
    response = start(client, officer, region="61.71.04.1003")
    assert response.status_code == 200 and "Tidak ada keluarga layak" in response.content.decode()
    assert not FormationRun.objects.exists()


def test_an_officer_moves_a_family_and_approves_the_proposal(client, officer):
    village_families(16, seed=23)
    start(client, officer)
    run = FormationRun.objects.get()
    large = max(run.groups, key=lambda g: len(g["family_ids"]))
    mover = large["family_ids"][0]
    response = client.post(reverse("kube:formation_move", args=[run.pk]), {"family": mover, "to": UNPLACED})
    assert response.status_code == 302
    run.refresh_from_db()
    assert [u["family_id"] for u in run.unplaced] == [mover]
    page = client.get(reverse("kube:formation_detail", args=[run.pk])).content.decode()
    assert "dikeluarkan dari usulan oleh petugas" in page
    response = client.post(reverse("kube:formation_approve", args=[run.pk]), {"formed_on": "2026-02-02"})
    assert response.status_code == 302
    kubes = Kube.objects.filter(formation_run=run)
    assert kubes.count() == len(run.groups) and {k.state for k in kubes} == {KubeState.PROPOSED}
    page = client.get(reverse("kube:formation_detail", args=[run.pk])).content.decode()
    assert 'id="created-kubes"' in page and "KUBE Pertanian 1" in page and 'id="approve-form"' not in page


def test_a_refused_move_is_shown_as_a_message_and_changes_nothing(client, officer):
    village_families(5, seed=24)  # one group of exactly kalbar-2019's minimum
    start(client, officer)
    run = FormationRun.objects.get()
    small = min(run.groups, key=lambda g: len(g["family_ids"]))
    response = client.post(
        reverse("kube:formation_move", args=[run.pk]), {"family": small["family_ids"][0], "to": UNPLACED}, follow=True
    )
    assert "di bawah minimum" in response.content.decode()
    run.refresh_from_db()
    assert run.unplaced == []


def test_discarding_a_run_returns_to_the_list(client, officer):
    village_families(10, seed=25)
    start(client, officer)
    run = FormationRun.objects.get()
    response = client.post(reverse("kube:formation_discard", args=[run.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("kube:formation_list")
    run.refresh_from_db()
    assert run.status == FormationRun.Status.DISCARDED


def test_an_officer_of_another_city_gets_404_for_a_run(client, officer, stranger):
    village_families(10, seed=26)
    run = formation_run(actor=officer, region_code=SIANTAN_HULU, ruleset="kalbar-2019")
    client.force_login(stranger)
    assert client.get(reverse("kube:formation_detail", args=[run.pk])).status_code == 404
    family = run.groups[0]["family_ids"][0]
    assert (
        client.post(reverse("kube:formation_move", args=[run.pk]), {"family": family, "to": UNPLACED}).status_code
        == 404
    )
    assert client.post(reverse("kube:formation_approve", args=[run.pk]), {"formed_on": "2026-02-02"}).status_code == 404
    assert not Kube.objects.exists()
    assert f"#{run.pk}" not in client.get(reverse("kube:formation_list")).content.decode().split('id="runs"')[1]


@pytest.mark.parametrize("name", ["kube:formation_list", "kube:kube_import"])
def test_a_facilitator_is_forbidden(client, make_user, name):
    client.force_login(make_user("pendamping", "facilitator", "61.71"))
    assert client.get(reverse(name)).status_code == 403


def test_a_facilitator_cannot_open_a_run(client, officer, make_user):
    village_families(10, seed=27)
    run = formation_run(actor=officer, region_code=SIANTAN_HULU, ruleset="kalbar-2019")
    client.force_login(make_user("pendamping", "facilitator", "61.71"))
    assert client.get(reverse("kube:formation_detail", args=[run.pk])).status_code == 403


def test_the_plot_escapes_text_and_greys_unplaced_families():
    svg = members_svg(
        [
            PlotPoint(-0.01, 109.33, "G1", True, "<b>KK</b>"),
            PlotPoint(-0.011, 109.331, None, False, "x"),
            PlotPoint(None, None, "G1"),
        ],
        [("G1", "G1 <1>")],
        title="a & b",
    )
    assert "<b>" not in svg and "&lt;b&gt;KK&lt;/b&gt;" in svg and "G1 &lt;1&gt;" in svg and "a &amp; b" in svg
    assert svg.count("<circle") == 2 and 'stroke="#9e9e9e"' in svg
    assert re.search(r'viewBox="0 0 360 \d+"', svg)


def test_the_plot_of_nothing_says_so():
    svg = members_svg([], [], empty_label="Tidak ada koordinat")
    assert "<circle" not in svg and "Tidak ada koordinat" in svg
