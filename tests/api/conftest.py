"""API fixtures: an active KUBE in Kota Pontianak, tokens for the people in tests/conftest.py, a client."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from berdaya.api.services import api_token_create
from berdaya.kube.models import KubeState
from tests.factories import make_kube


class ApiClient:
    """A Django test client that sends a bearer token and JSON bodies."""

    def __init__(self, token: str | None = None, **client_kwargs):
        self.client = Client(**client_kwargs)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **headers):
        return self.client.get(path, headers={**self.headers, **headers})

    def post(self, path: str, body=None, *, raw: str | None = None, **headers):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data=data, content_type="application/json", headers={**self.headers, **headers})


@pytest.fixture
def kube(regions):
    """Active, Siantan Hulu (Kota Pontianak), Rp20,000,000 aid in the bank."""
    return make_kube(state=KubeState.ACTIVE)


@pytest.fixture
def api_as():
    def make(user) -> ApiClient:
        return ApiClient(api_token_create(user=user, actor=None))

    return make


@pytest.fixture
def officer_api(officer, api_as):
    return api_as(officer)


@pytest.fixture
def pendamping(make_user, kube):
    """The user of the pendamping assigned to `kube` now."""
    from tests.factories import assign, make_facilitator

    user = make_user("pendamping", "facilitator", "61.71.04")
    assign(kube, make_facilitator(name="Siti Pendamping", user=user))
    return user


@pytest.fixture
def chair(make_user, kube):
    """The chair (ketua) of `kube`, with a login of role kube_officer."""
    user = make_user("ketua", "kube_officer", kube.region_id)
    kube.officers.filter(role="ketua").update(user=user)
    return user


@pytest.fixture
def evaluator(make_user):
    return make_user("peneliti", "evaluator", "61.71")


@pytest.fixture
def viewer(make_user):
    return make_user("pemantau", "viewer", "61")
