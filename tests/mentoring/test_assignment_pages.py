"""The pendamping and assignment pages as a program officer uses them, and who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.core.models import Region
from berdaya.mentoring.models import Assignment, Facilitator
from tests.factories import assign, make_facilitator, make_kube

UTARA = "61.71.04"
START = "2025-03-01"

pytestmark = pytest.mark.django_db

LIST_URL = reverse("mentoring:facilitator_list")
ASSIGN_URL = reverse("mentoring:assignment")


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def other_kecamatan() -> Region:
    return Region.objects.filter(level="kecamatan", code__startswith="61.71.").exclude(code=UTARA).order_by("code")[0]


def village_in(kecamatan: Region) -> str:
    return Region.objects.filter(level="desa", code__startswith=kecamatan.code + ".").order_by("code")[0].code


@pytest.mark.parametrize("role", ["facilitator", "kube_officer", "viewer", "evaluator"])
@pytest.mark.parametrize("url", [LIST_URL, ASSIGN_URL])
def test_it_forbids_users_who_do_not_manage_kubes(client, make_user, role, url):
    client.force_login(make_user("orang", role, "61.71"))

    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "accept", "pair": "1:1", "start": START}).status_code == 403


@pytest.mark.parametrize("url", [LIST_URL, ASSIGN_URL])
def test_it_sends_anonymous_visitors_to_sign_in(client, regions, url):
    response = client.get(url)

    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_it_lists_pendamping_with_caseload_and_flags_over_cap(officer_client):
    busy = make_facilitator(name="Rina Sibuk", cap=1)
    for _ in range(2):
        assign(make_kube(size=5), busy)
    make_facilitator(name="Budi Luang", cap=10)

    page = officer_client.get(LIST_URL).content.decode()

    assert "Rina Sibuk" in page and "Budi Luang" in page
    assert "2 / 1" in page and "melebihi batas" in page
    assert f'data-facilitator="{busy.pk}" class="over-cap"' in page


def test_it_hides_pendamping_of_another_region(client, stranger):
    make_facilitator(name="Rina Pontianak")
    client.force_login(stranger)

    page = client.get(LIST_URL).content.decode()

    assert "Rina Pontianak" not in page


def test_it_registers_a_pendamping_from_the_form(officer_client):
    response = officer_client.post(LIST_URL, {"name": "Siti Pendamping", "home_region": UTARA, "cap": "8"})

    assert response.status_code == 302
    facilitator = Facilitator.objects.get()
    assert (facilitator.name, facilitator.home_region_id, facilitator.cap) == ("Siti Pendamping", UTARA, 8)


def test_it_offers_only_kecamatan_in_the_users_region(client, stranger):
    client.force_login(stranger)

    response = client.post(LIST_URL, {"name": "Siti", "home_region": UTARA, "cap": "8"})

    assert response.status_code == 200
    assert not Facilitator.objects.exists()
    assert "home_region" in response.context["form"].errors


def test_it_edits_a_pendamping_in_scope_and_404s_outside(officer_client, client, stranger):
    facilitator = make_facilitator(name="Rina", cap=10)
    url = reverse("mentoring:facilitator_edit", args=[facilitator.pk])
    data = {"name": "Rina Wati", "home_region": UTARA, "cap": "6", "phone": "", "lat": "", "lon": "", "active": "on"}

    assert officer_client.post(url, data).status_code == 302
    facilitator.refresh_from_db()
    assert (facilitator.name, facilitator.cap) == ("Rina Wati", 6)

    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_it_shows_the_proposal_unassigned_kubes_and_kecamatan_without_pendamping(officer_client):
    rina = make_facilitator(name="Rina", cap=1)
    first = make_kube(name="KUBE Jagung Manis 8", size=5)
    second = make_kube(name="KUBE Anggrek 6", size=5)
    lonely_kecamatan = other_kecamatan()
    make_kube(name="KUBE Jauh", size=5, region=village_in(lonely_kecamatan))

    response = officer_client.get(ASSIGN_URL)
    page = response.content.decode()

    proposal = response.context["proposal"]
    # Equal travel: the older KUBE (lower id) gets the last place, the newer one waits.
    assert [(r.kube, r.facilitator) for r in proposal.rows] == [(first, rina)]
    assert [u.kube for u in proposal.unassigned][0] == second
    assert f'value="{proposal.rows[0].value}"' in page
    assert "Siantan Hulu".upper() in page.upper()  # the kelurahan column
    assert page.count('data-reason="ALL_AT_CAP"') == 2
    assert f'data-code="{lonely_kecamatan.code}"' in page


def test_it_saves_only_the_selected_rows(officer_client, officer):
    make_facilitator(name="Rina")
    kubes = [make_kube(size=5), make_kube(size=5)]
    rows = officer_client.get(ASSIGN_URL).context["proposal"].rows
    chosen = next(r for r in rows if r.kube == kubes[1])

    response = officer_client.post(ASSIGN_URL, {"action": "accept", "pair": [chosen.value], "start": START})

    assert response.status_code == 302
    [saved] = Assignment.objects.all()
    assert (saved.kube, saved.source, saved.start, saved.assigned_by) == (
        kubes[1],
        "proposed",
        dt.date(2025, 3, 1),
        officer,
    )


def test_it_refuses_a_posted_proposal_that_would_exceed_a_cap(officer_client):
    rina = make_facilitator(name="Rina", cap=1)
    kubes = [make_kube(size=5), make_kube(size=5)]

    response = officer_client.post(
        ASSIGN_URL, {"action": "accept", "pair": [f"{k.pk}:{rina.pk}" for k in kubes], "start": START}, follow=True
    )

    assert not Assignment.objects.exists()
    assert "melebihi batas" in response.content.decode()


def test_it_refuses_a_stranger_posting_pairs_from_another_region(client, stranger):
    rina = make_facilitator()
    kube = make_kube(size=5)
    client.force_login(stranger)

    client.post(ASSIGN_URL, {"action": "accept", "pair": [f"{kube.pk}:{rina.pk}"], "start": START})

    assert not Assignment.objects.exists()


def test_it_overrides_over_cap_only_with_a_reason_and_the_list_then_flags_it(officer_client):
    rina = make_facilitator(name="Rina", cap=1)
    assign(make_kube(size=5), rina)
    kube = make_kube(size=5)
    data = {"action": "override", "kube": kube.pk, "facilitator": rina.pk, "start": START, "reason": ""}

    refused = officer_client.post(ASSIGN_URL, data, follow=True)
    assert "isi alasannya" in refused.content.decode()
    assert not Assignment.objects.filter(kube=kube).exists()

    officer_client.post(ASSIGN_URL, {**data, "reason": "belum ada pendamping lain"})
    saved = Assignment.objects.get(kube=kube)
    assert (saved.facilitator, saved.source) == (rina, "override")
    assert "melebihi batas" in officer_client.get(LIST_URL).content.decode()


def test_it_refuses_overriding_a_kube_outside_scope(client, stranger):
    kube = make_kube(size=5)
    singkawang = Region.objects.filter(level="kecamatan", code__startswith="61.72.").order_by("code")[0].code
    theirs = make_facilitator(home=singkawang)
    client.force_login(stranger)

    response = client.post(
        ASSIGN_URL, {"action": "override", "kube": kube.pk, "facilitator": theirs.pk, "start": START, "reason": "x"}
    )

    assert response.status_code == 200 and "kube" in response.context["override_form"].errors
    assert not Assignment.objects.exists()


def test_it_ends_an_assignment_from_the_page(officer_client):
    kube = make_kube(size=5)
    current = assign(kube, make_facilitator(), start=dt.date(2025, 1, 1))

    response = officer_client.post(ASSIGN_URL, {"action": "end", "kube": kube.pk, "end": START, "reason": "pindah"})

    assert response.status_code == 302
    current.refresh_from_db()
    assert current.end == dt.date(2025, 3, 1)


def test_it_preselects_the_kube_in_the_override_form(officer_client):
    kube = make_kube(size=5)

    response = officer_client.get(ASSIGN_URL, {"kube": kube.pk})

    assert response.context["override_form"]["kube"].value() == str(kube.pk)
    assert f'<option value="{kube.pk}" selected>' in response.content.decode()
