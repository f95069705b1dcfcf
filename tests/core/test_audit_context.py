"""Audit rows name who asked and from where, without each service passing it along."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings

from berdaya.api.auth import BearerToken
from berdaya.api.services import api_token_create
from berdaya.core.audit_context import bound_request, client_address
from berdaya.core.models import AuditEvent
from berdaya.core.services import audit_record
from berdaya.kube.models import KubeState
from tests.api.conftest import ApiClient
from tests.factories import make_kube

rf = RequestFactory()


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_the_client_address_is_remote_addr_by_default():
    assert client_address(request_from("203.0.113.7")) == "203.0.113.7"


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored():
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(BERDAYA_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_trusted_proxy_names_the_client_and_a_forged_left_hop_does_not_count():
    # The client wrote 1.2.3.4 itself; the proxy appended the address it saw (198.51.100.1).
    assert client_address(request_from("10.0.0.2", "1.2.3.4, 198.51.100.1")) == "198.51.100.1"
    # Two trusted proxies in a row are skipped.
    assert client_address(request_from("10.0.0.2", "198.51.100.1, 10.0.0.9")) == "198.51.100.1"
    # A garbled header leaves the proxy's own address.
    assert client_address(request_from("10.0.0.2", "not-an-address")) == "10.0.0.2"


@pytest.mark.django_db
def test_audit_record_takes_actor_and_address_from_the_request(officer):
    request = request_from("203.0.113.7")
    request.user = officer
    with bound_request(request):
        event = audit_record(actor=None, action="test.thing")
    assert (event.actor, event.client_address) == (officer, "203.0.113.7")


@pytest.mark.django_db
def test_an_explicit_actor_wins_and_an_anonymous_request_gives_none(officer, stranger):
    request = request_from("203.0.113.7")
    request.user = AnonymousUser()
    with bound_request(request):
        anonymous = audit_record(actor=None, action="test.thing")
        explicit = audit_record(actor=stranger, action="test.thing")
    assert anonymous.actor is None and anonymous.client_address == "203.0.113.7"
    assert explicit.actor == stranger


@pytest.mark.django_db
def test_outside_a_request_nothing_is_filled_in():
    event = audit_record(actor=None, action="test.thing")
    assert event.actor is None and event.client_address is None


@pytest.mark.django_db
def test_an_api_token_user_is_the_actor_even_with_another_session(officer, stranger):
    token = api_token_create(user=officer, actor=None)
    request = request_from("203.0.113.7")
    request.user = stranger  # a session cookie sent along with the token
    with bound_request(request):
        assert BearerToken().authenticate(request, token) == officer
        event = audit_record(actor=None, action="test.thing")
    assert event.actor == officer


@pytest.mark.django_db
def test_an_api_write_records_the_client_address_through_the_middleware(regions, officer):
    kube = make_kube(state=KubeState.ACTIVE)
    api = ApiClient(api_token_create(user=officer, actor=None), REMOTE_ADDR="203.0.113.9")
    response = api.post(f"/api/kubes/{kube.pk}/operations", {"kind": "sale", "date": "2025-03-03", "amount": 150_000})
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="ledger.sale")
    assert (event.actor, event.client_address) == (officer, "203.0.113.9")
