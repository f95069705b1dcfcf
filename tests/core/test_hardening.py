"""Sign-in hardening (issue 8 §4): Argon2, the sign-in throttle, cookies, CSRF, security headers and the
content-security policy, and production settings that refuse the demo's fallbacks."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

import berdaya.settings as real_settings
from berdaya.api.services import TOKEN_PREFIX, api_token_create, token_hash
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
TEMPLATES = Path(real_settings.BASE_DIR) / "templates"
APP_TEMPLATES = list(Path(real_settings.BASE_DIR).glob("*/templates"))


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Argon2 ---------------------------------------------------------------------------------------------


def test_the_real_settings_hash_new_passwords_with_argon2(settings):
    # tests/conftest.py swaps in MD5 for speed; this test puts the production list back.
    settings.PASSWORD_HASHERS = real_settings.PASSWORD_HASHERS
    assert make_password("rahasia-panjang-1").startswith("argon2$argon2id$")
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in real_settings.PASSWORD_HASHERS[1:]


def test_an_old_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(settings, officer):
    settings.PASSWORD_HASHERS = real_settings.PASSWORD_HASHERS
    officer.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    officer.save(update_fields=["password"])

    client = Client()
    response = sign_in(client, "petugas", PASSWORD)

    assert response.status_code == 302 and signed_in(client)
    officer.refresh_from_db()
    assert officer.password.startswith("argon2$")


# --- the throttle ---------------------------------------------------------------------------------------


def fail_until_locked(client: Client, username: str = "petugas", address: str = "10.0.0.1"):
    responses = [sign_in(client, username, "salah-sekali", address) for _ in range(real_settings.AXES_FAILURE_LIMIT)]
    assert all(r.status_code in (200, 429) for r in responses)
    return responses


def test_the_throttle_defaults_come_from_the_settings():
    assert real_settings.AXES_FAILURE_LIMIT == 5
    assert real_settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert real_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_a_wrong_password_below_the_limit_only_says_it_is_wrong(officer):
    client = Client()
    for _ in range(real_settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "petugas", "salah-sekali")
        assert response.status_code == 200
        assert "Nama pengguna atau kata sandi salah." in response.content.decode()
    assert sign_in(client, "petugas", PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_throttle_locks_out_after_repeated_failures_even_with_the_right_password(officer):
    client = Client()
    responses = fail_until_locked(client)
    assert responses[-1].status_code == 429  # the attempt that reaches the limit already shows the lockout

    response = sign_in(client, "petugas", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Terlalu banyak percobaan masuk yang gagal" in page and "15 menit" in page
    assert 'lang="id"' in page


def test_a_locked_name_and_address_opens_again_after_the_cool_off(officer):
    client = Client()
    fail_until_locked(client)
    assert sign_in(client, "petugas", PASSWORD).status_code == 429

    # Move the failures back past the cool-off instead of waiting fifteen minutes.
    past = real_settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)

    response = sign_in(client, "petugas", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_an_admin_unlocks_a_user_with_the_axes_command(officer):
    client = Client()
    fail_until_locked(client)
    assert sign_in(client, "petugas", PASSWORD).status_code == 429

    call_command("axes_reset_username", "petugas")

    assert sign_in(client, "petugas", PASSWORD).status_code == 302 and signed_in(client)


def test_the_lock_is_per_user_name_and_address(officer, stranger):
    fail_until_locked(Client(), "petugas", "10.0.0.1")

    # The same person from another address, and a colleague from the same office address, still sign in.
    elsewhere = Client()
    assert sign_in(elsewhere, "petugas", PASSWORD, "10.0.0.2").status_code == 302 and signed_in(elsewhere)
    colleague = Client()
    assert sign_in(colleague, "orang_lain", PASSWORD, "10.0.0.1").status_code == 302 and signed_in(colleague)


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(officer, settings):
    settings.BERDAYA_TRUSTED_PROXIES = ["10.9.0.0/16"]

    def via_proxy(client: Client, password: str, forwarded: str):
        return client.post(
            reverse("login"),
            {"username": "petugas", "password": password},
            REMOTE_ADDR="10.9.0.2",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for _ in range(real_settings.AXES_FAILURE_LIMIT):
        via_proxy(Client(), "salah-sekali", "203.0.113.7")
    assert via_proxy(Client(), PASSWORD, "203.0.113.7").status_code == 429
    other = Client()
    assert via_proxy(other, PASSWORD, "198.51.100.4").status_code == 302 and signed_in(other)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_a_success_clears_earlier_failures(officer):
    client = Client()
    for _ in range(real_settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "petugas", "salah-sekali")
    assert sign_in(client, "petugas", PASSWORD).status_code == 302
    client.logout()
    # Without the reset, one more failure would lock: four old ones plus this one.
    assert sign_in(client, "petugas", "salah-sekali").status_code == 200
    assert sign_in(client, "petugas", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(admin_user):
    client = Client()
    for _ in range(real_settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": "admin", "password": "salah-sekali"}, REMOTE_ADDR="10.0.0.9")
    response = client.post(reverse("admin:login"), {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429 and not signed_in(client)


def test_the_failures_of_one_test_do_not_reach_the_next(officer):
    # Attempts live in the database, which every test rolls back: nothing left from the tests above.
    assert not AccessAttempt.objects.exists()


def test_api_tokens_are_too_long_to_guess_and_stored_only_as_a_hash(officer):
    # The API is not a password path (no throttle): a token is 32 random bytes, so guessing is hopeless.
    token = api_token_create(user=officer, actor=None)
    random_part = token.removeprefix(TOKEN_PREFIX)
    assert len(random_part) >= 43  # base64 of 32 bytes
    assert len(token_hash(token)) == 64 and token_hash(token) != token


# --- cookies, CSRF, headers -----------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_lax_and_lasts_a_working_day(officer):
    client = Client()
    sign_in(client, "petugas", PASSWORD)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 12 * 3600
    assert not cookie["secure"]  # plain HTTP in tests; production turns it on (see the deploy check below)


def test_a_cookie_signed_in_post_without_the_csrf_token_is_refused(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert signed_in(client)


def test_every_page_sends_the_security_headers(officer):
    client = Client()
    client.force_login(officer)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    assert "geolocation=(self)" in policy and "camera=()" in policy and "microphone=()" in policy


def test_the_content_security_policy_allows_scripts_only_from_the_site(db):
    response = Client().get(reverse("login"))
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in response["Content-Security-Policy"].split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src-elem"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]


def _template_files() -> list[Path]:
    files = [p for folder in [TEMPLATES, *APP_TEMPLATES] for p in folder.rglob("*.html")]
    # PDF templates (a pdf/ folder or a name ending in _pdf.html) are read by WeasyPrint on the server,
    # never by a browser under the policy.
    return [p for p in files if "pdf" not in p.parent.parts and not p.stem.endswith("_pdf")]


def test_no_template_has_inline_script_handlers_or_styles():
    files = _template_files()
    assert len(files) > 50
    offenders = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{path}: inline {match.group(0)}")
        if re.search(r"<style\b", text):
            offenders.append(f"{path}: <style>")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path}: style attribute")
        for handler in re.findall(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path}: handler {handler.strip()}")
        if "javascript:" in text:
            offenders.append(f"{path}: javascript: URL")
    assert offenders == []


# --- production settings --------------------------------------------------------------------------------


def run_berdaya(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BERDAYA_", "DATABASE_URL", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "berdaya", *args],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(tmp_path) -> dict[str, str]:
    return {
        "BERDAYA_PRODUCTION": "1",
        "BERDAYA_SECRET_KEY": secrets.token_urlsafe(50),
        "BERDAYA_ALLOWED_HOSTS": "berdaya.dinsos.example.go.id",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'berdaya.sqlite3'}",
    }


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run_berdaya(["manage", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_the_deploy_check_is_not_clean_for_the_demo_settings(tmp_path):
    # The same check, without production mode: it must complain (so the clean run above means something).
    result = run_berdaya(["manage", "check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016"):
        assert code in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("BERDAYA_SECRET_KEY", "BERDAYA_SECRET_KEY is required"),
        ("BERDAYA_ALLOWED_HOSTS", "BERDAYA_ALLOWED_HOSTS is required"),
        ("DATABASE_URL", "DATABASE_URL is required"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing, message):
    env = production_env(tmp_path)
    del env[missing]
    result = run_berdaya(["manage", "check"], env, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_the_public_demo_key(tmp_path):
    env = {**production_env(tmp_path), "BERDAYA_SECRET_KEY": real_settings.DEMO_SECRET_KEY}
    result = run_berdaya(["manage", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "public demo key" in result.stderr


def test_production_refuses_debug_pages(tmp_path):
    result = run_berdaya(["manage", "check"], {**production_env(tmp_path), "BERDAYA_DEBUG": "1"}, tmp_path)
    assert result.returncode != 0
    assert "BERDAYA_DEBUG must be off" in result.stderr


def test_outside_production_the_demo_key_is_the_fallback(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY == settings.DEMO_SECRET_KEY)"
    result = run_berdaya(["manage", "shell", "-c", code], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_the_demo_refuses_to_build_in_production_mode(settings):
    """The demo signs in with a published password; a served installation must never get it."""
    from berdaya.demo.build import DemoError, demo_build

    settings.PRODUCTION = True
    with pytest.raises(DemoError, match="BERDAYA_PRODUCTION"):
        demo_build(families=10, log=lambda _m: None)
