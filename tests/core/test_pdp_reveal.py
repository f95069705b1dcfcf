"""A program officer reveals one masked NIK or No KK for a stated reason; the reveal is logged, shown once
and never cached; other roles get 403, records outside the officer's region 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from berdaya.core.models import AuditEvent
from berdaya.kube.models import KubeState
from tests.conftest import PASSWORD
from tests.factories import make_family, make_kube

REASON = "Mencocokkan dengan Kartu Keluarga asli saat verifikasi lapangan"


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def reveal_url(kind: str, pk: int) -> str:
    return reverse("pdp_reveal:reveal", args=[kind, pk])


@pytest.fixture
def family(regions):
    return make_family(persons=2)


def test_an_officer_reveals_a_nik_with_a_reason_and_it_is_logged(officer, family):
    person = family.members.first()
    client = client_for(officer, REMOTE_ADDR="203.0.113.5")
    response = client.post(reveal_url("individu", person.pk), {"reason": REASON})
    assert response.status_code == 200
    assert person.nik in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="pdp.reveal")
    assert (event.actor, event.object_type, event.object_id) == (officer, "registry.Person", str(person.pk))
    assert event.changes["field"] == "nik" and event.note == REASON
    assert event.client_address == "203.0.113.5"
    assert person.nik not in str(event.changes) + event.note  # the log says which record, not the number


def test_the_form_shows_only_the_masked_number_and_logs_nothing(officer, family):
    response = client_for(officer).get(reveal_url("keluarga", family.pk))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert family.no_kk not in body and family.no_kk[-4:] in body
    assert not AuditEvent.objects.filter(action="pdp.reveal").exists()


@pytest.mark.parametrize("reason", ["", "ok", "cek saja", "          "])
def test_a_missing_or_too_short_reason_reveals_nothing(officer, family, reason):
    response = client_for(officer).post(reveal_url("keluarga", family.pk), {"reason": reason})
    assert response.status_code == 400
    assert family.no_kk not in response.content.decode()
    assert not AuditEvent.objects.filter(action="pdp.reveal").exists()


def test_an_admin_reveals_a_no_kk(admin_user, family):
    response = client_for(admin_user).post(reveal_url("keluarga", family.pk), {"reason": REASON})
    assert family.no_kk in response.content.decode()
    assert AuditEvent.objects.get(action="pdp.reveal").changes["field"] == "no_kk"


@pytest.mark.parametrize(
    "role,region",
    [
        ("viewer", "61"),
        ("facilitator", "61.71.04"),
        ("kube_officer", "61.71.04.1001"),
        ("evaluator", "61.71"),
    ],
)
def test_other_roles_are_refused(make_user, family, role, region):
    client = client_for(make_user("orang", role, region))
    assert client.get(reveal_url("keluarga", family.pk)).status_code == 403
    response = client.post(reveal_url("keluarga", family.pk), {"reason": REASON})
    assert response.status_code == 403 and family.no_kk not in response.content.decode()
    assert not AuditEvent.objects.filter(action="pdp.reveal").exists()


def test_an_officer_of_another_region_gets_404(stranger, family):
    response = client_for(stranger).post(reveal_url("keluarga", family.pk), {"reason": REASON})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="pdp.reveal").exists()


def test_the_number_is_never_in_the_url_and_get_cannot_reveal(officer, family):
    response = client_for(officer).get(reveal_url("keluarga", family.pk) + "?reason=" + REASON.replace(" ", "+"))
    assert family.no_kk not in response.content.decode()
    assert not AuditEvent.objects.filter(action="pdp.reveal").exists()


def test_the_family_page_links_to_reveal_for_an_officer_only(officer, make_user, family):
    page = reverse("registry:family_detail", args=[family.pk])
    body = client_for(officer).get(page).content.decode()
    assert reveal_url("keluarga", family.pk) in body
    assert reveal_url("individu", family.members.first().pk) in body
    assert family.no_kk not in body
    admin = make_user("admin2", "admin")
    assert reveal_url("keluarga", family.pk) in client_for(admin).get(page).content.decode()


def test_the_kube_page_links_to_reveal_for_an_officer_but_not_a_facilitator(officer, make_user, regions):
    kube = make_kube(state=KubeState.ACTIVE)
    member = kube.memberships.first()
    page = reverse("kube:detail", args=[kube.pk])
    assert reveal_url("keluarga", member.family_id) in client_for(officer).get(page).content.decode()
    facilitator = make_user("pendamping", "facilitator", "61.71.04")
    response = client_for(facilitator).get(page)
    assert "/pdp/tampilkan/" not in response.content.decode()


def test_the_back_link_stays_on_this_site(officer, family):
    url = reveal_url("keluarga", family.pk)
    body = client_for(officer).get(url + "?next=https://evil.example/").content.decode()
    # (the language switcher in the header repeats the whole path; only the back link and form count)
    assert 'href="https://evil.example/"' not in body and 'value="https://evil.example/"' not in body
    body = client_for(officer).get(url + "?next=/registri/").content.decode()
    assert 'href="/registri/"' in body
