"""Bearer tokens: shown once, stored as a hash, refused when revoked or the user is inactive."""

from __future__ import annotations

import hashlib
import json

import pytest
import typer
from typer.testing import CliRunner

from berdaya.api.models import ApiToken
from berdaya.api.services import ApiTokenError, api_token_create, api_token_revoke
from berdaya.core.models import AuditEvent
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/kubes/{}/accounts"


def test_a_token_is_returned_once_and_only_its_hash_is_stored(officer):
    token = api_token_create(user=officer, actor=None)
    stored = ApiToken.objects.get(user=officer)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(stored.prefix) and len(stored.prefix) < len(token) // 3
    assert not any(token in str(value) for value in ApiToken.objects.values().get().values())


def test_issuing_a_token_is_audited_without_the_token(officer, admin_user):
    token = api_token_create(user=officer, actor=admin_user)
    event = AuditEvent.objects.get(action="api.token_create")
    assert event.actor == admin_user and event.changes["user"] == "petugas"
    assert token not in json.dumps(event.changes)


def test_an_inactive_user_gets_no_token(officer):
    officer.is_active = False
    officer.save()
    with pytest.raises(ApiTokenError):
        api_token_create(user=officer, actor=None)
    assert not ApiToken.objects.exists()


def test_a_request_with_no_token_is_401_with_a_message(kube):
    response = ApiClient().get(ACCOUNTS.format(kube.pk))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "Bearer" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer bdy_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "bdy_x"])
def test_a_wrong_or_malformed_token_is_401(kube, officer, header):
    api_token_create(user=officer, actor=None)
    response = ApiClient().get(ACCOUNTS.format(kube.pk), Authorization=header)
    assert response.status_code == 401


def test_a_revoked_token_is_401(kube, officer):
    token = api_token_create(user=officer, actor=None)
    assert ApiClient(token).get(ACCOUNTS.format(kube.pk)).status_code == 200
    api_token_revoke(token=ApiToken.objects.get(user=officer), actor=None)
    assert ApiClient(token).get(ACCOUNTS.format(kube.pk)).status_code == 401
    assert AuditEvent.objects.filter(action="api.token_revoke").count() == 1


def test_an_inactive_users_token_is_401(kube, officer):
    token = api_token_create(user=officer, actor=None)
    officer.is_active = False
    officer.save()
    assert ApiClient(token).get(ACCOUNTS.format(kube.pk)).status_code == 401


def test_a_signed_in_browser_session_alone_does_not_open_the_api(kube, officer):
    client = ApiClient()
    assert client.client.login(username="petugas", password=PASSWORD)
    assert client.get(ACCOUNTS.format(kube.pk)).status_code == 401


def test_a_token_records_when_it_was_last_used(kube, officer):
    token = api_token_create(user=officer, actor=None)
    assert ApiToken.objects.get().last_used_at is None
    ApiClient(token).get(ACCOUNTS.format(kube.pk))
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_works_with_csrf_checks_enforced(kube, officer):
    token = api_token_create(user=officer, actor=None)
    client = ApiClient(token, enforce_csrf_checks=True)
    response = client.post(
        f"/api/kubes/{kube.pk}/operations", {"kind": "sale", "date": "2025-03-03", "amount": 150_000}
    )
    assert response.status_code == 201, response.content


def _cli() -> typer.Typer:
    from berdaya.cli import app

    return app


def test_the_command_prints_a_working_token_as_its_last_line(kube, officer):
    result = CliRunner().invoke(_cli(), ["api-token", "--user", "petugas"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert ApiClient(token).get(ACCOUNTS.format(kube.pk)).status_code == 200


def test_the_command_refuses_an_unknown_user(regions):
    result = CliRunner().invoke(_cli(), ["api-token", "--user", "siapa"])
    assert result.exit_code == 2
    assert not ApiToken.objects.exists()


def test_the_openapi_schema_lists_the_ledger_routes_behind_bearer_auth(db):
    response = ApiClient().get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "Berdaya API"
    for path in (
        "/api/kubes/{kube_id}/accounts",
        "/api/kubes/{kube_id}/entries",
        "/api/kubes/{kube_id}/operations",
        "/api/kubes/{kube_id}/entries/{entry_id}/reversal",
    ):
        assert path in schema["paths"]
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    amount = schema["components"]["schemas"]["OperationIn"]["properties"]["amount"]
    assert amount["type"] == "integer"
    assert not any("docs/assets" in path for path in schema["paths"])


def test_the_docs_page_loads_nothing_from_another_host(db):
    page = ApiClient().get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        assert f"/api/docs/assets/{asset}" in html
        response = ApiClient().get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
    assert ApiClient().get("/api/docs/assets/..%2Fsettings.py").status_code == 404
