"""Member changes on the KUBE page: adding an eligible family of the same village, and removing a
member with a date and a reason after a confirmation page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.kube.models import KubeState, Membership
from berdaya.registry.models import Decision, EligibilityDecision, EligibilityRun
from tests.conftest import PASSWORD
from tests.factories import assign, make_facilitator, make_family, make_kube

pytestmark = pytest.mark.django_db

OTHER_VILLAGE = "61.71.04.1002"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def screened(family, decision=Decision.ELIGIBLE):
    run = EligibilityRun.objects.create(
        ruleset_name="permensos-2-2019", ruleset_version=1, ruleset_digest="uji", as_of=dt.date(2025, 1, 1)
    )
    family.latest_decision = EligibilityDecision.objects.create(run=run, family=family, decision=decision)
    family.save(update_fields=["latest_decision"])
    return family


@pytest.fixture
def kube(regions):
    return make_kube(size=8)


def head(family):
    return family.members.order_by("id").first().name


def test_the_add_form_offers_only_eligible_free_families_of_the_same_village(client, officer, kube):
    offered = screened(make_family())
    elsewhere = screened(make_family(region=OTHER_VILLAGE))
    ineligible = screened(make_family(), Decision.INELIGIBLE)
    unscreened = make_family()
    taken = screened(make_family())
    make_kube(families=[taken, *[screened(make_family()) for _ in range(7)]])
    page = login(client, officer).get(reverse("kube:detail", args=[kube.pk])).content.decode()
    form = page.split('id="member-add"')[1].split("</form>")[0]
    assert f'value="{offered.pk}"' in form and head(offered) in form
    assert offered.no_kk not in form and offered.no_kk[-4:] in form  # masked No KK
    for family in (elsewhere, ineligible, unscreened, taken):
        assert f'value="{family.pk}"' not in form


def test_an_officer_adds_a_family_and_it_becomes_a_member(client, officer, kube):
    family = screened(make_family())
    response = login(client, officer).post(
        reverse("kube:member_add", args=[kube.pk]), {"family": family.pk, "joined_on": "2025-04-01"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(kube=kube, family=family)
    assert membership.live and membership.joined_on == dt.date(2025, 4, 1)
    assert kube.events.filter(action="member_add").exists()


def test_a_family_from_another_village_is_refused_even_if_posted(client, officer, kube):
    family = screened(make_family(region=OTHER_VILLAGE))
    response = login(client, officer).post(
        reverse("kube:member_add", args=[kube.pk]), {"family": family.pk, "joined_on": "2025-04-01"}, follow=True
    )
    assert "tidak bisa ditambahkan" in response.content.decode()
    assert not Membership.objects.filter(family=family).exists()


def test_a_full_kube_refuses_a_new_member_with_the_services_message(client, officer, regions):
    kube = make_kube(size=20)  # the default rule set's maximum
    family = screened(make_family())
    response = login(client, officer).post(
        reverse("kube:member_add", args=[kube.pk]), {"family": family.pk, "joined_on": "2025-04-01"}, follow=True
    )
    assert "sudah beranggota 20 KK" in response.content.decode()
    assert not Membership.objects.filter(family=family).exists()


def test_adding_is_post_only(client, officer, kube):
    assert login(client, officer).get(reverse("kube:member_add", args=[kube.pk])).status_code == 405


def test_removal_asks_for_confirmation_then_keeps_the_date_and_reason(client, officer, kube):
    membership = kube.memberships.order_by("id").last()
    url = reverse("kube:member_remove", args=[kube.pk, membership.family_id])
    login(client, officer)
    detail = client.get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert url in detail
    confirm = client.get(url)
    assert confirm.status_code == 200 and head(membership.family) in confirm.content.decode()
    membership.refresh_from_db()
    assert membership.live  # a GET changes nothing
    response = client.post(url, {"left_on": "2025-05-02", "reason": "pindah domisili"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.live
    assert (membership.left_on, membership.left_reason) == (dt.date(2025, 5, 2), "pindah domisili")


def test_a_removal_without_a_reason_is_refused(client, officer, kube):
    membership = kube.memberships.order_by("id").last()
    url = reverse("kube:member_remove", args=[kube.pk, membership.family_id])
    response = login(client, officer).post(url, {"left_on": "2025-05-02", "reason": "   "})
    assert response.status_code == 200
    assert "Alasan keluar wajib diisi" in response.content.decode()
    membership.refresh_from_db()
    assert membership.live


def test_a_removal_dated_before_joining_is_refused(client, officer, kube):
    membership = kube.memberships.order_by("id").last()
    url = reverse("kube:member_remove", args=[kube.pk, membership.family_id])
    response = login(client, officer).post(url, {"left_on": "2024-12-31", "reason": "pindah"})
    assert response.status_code == 200
    assert "sebelum tanggal bergabung" in response.content.decode()
    membership.refresh_from_db()
    assert membership.live


def test_removing_an_officer_warns_that_the_office_ends(client, officer, regions):
    kube = make_kube(state=KubeState.VERIFIED)
    chair = kube.officers.get(role="ketua")
    url = reverse("kube:member_remove", args=[kube.pk, chair.person.family_id])
    page = login(client, officer).get(url).content.decode()
    assert 'id="leaving-officer"' in page and "Ketua" in page


def test_a_family_that_already_left_or_never_joined_gets_404(client, officer, kube):
    outsider = make_family()
    login(client, officer)
    assert client.get(reverse("kube:member_remove", args=[kube.pk, outsider.pk])).status_code == 404
    membership = kube.memberships.order_by("id").last()
    url = reverse("kube:member_remove", args=[kube.pk, membership.family_id])
    client.post(url, {"left_on": "2025-05-02", "reason": "pindah"})
    assert client.get(url).status_code == 404


def test_only_managers_in_scope_change_members(client, officer, stranger, make_user, kube):
    family = screened(make_family())
    member = kube.memberships.first().family_id
    add_url = reverse("kube:member_add", args=[kube.pk])
    remove_url = reverse("kube:member_remove", args=[kube.pk, member])
    login(client, stranger)
    assert client.post(add_url, {"family": family.pk, "joined_on": "2025-04-01"}).status_code == 404
    assert client.get(remove_url).status_code == 404
    client.logout()
    user = make_user("pendamping1", "facilitator", "61.71.04")
    assign(kube, make_facilitator(user=user))
    login(client, user)
    assert client.post(add_url, {"family": family.pk, "joined_on": "2025-04-01"}).status_code == 403
    assert client.post(remove_url, {"left_on": "2025-05-02", "reason": "x"}).status_code == 403
    page = client.get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert 'id="member-add"' not in page and remove_url not in page
    assert not Membership.objects.filter(family=family).exists()
    assert kube.memberships.filter(live=True).count() == 8


def test_a_closed_kube_offers_no_member_changes(client, officer, regions):
    kube = make_kube(state=KubeState.ACTIVE)
    from berdaya.kube import services

    services.kube_dissolve(actor=officer, kube=kube, on=dt.date(2025, 6, 1), reason="usaha berhenti")
    page = login(client, officer).get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert 'id="member-add"' not in page and "member-remove" not in page
