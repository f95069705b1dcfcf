"""Writes of the api app: issuing and revoking bearer tokens, each audited."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from berdaya.api.models import ApiToken
from berdaya.core.models import User
from berdaya.core.services import audit_record

TOKEN_PREFIX = "bdy_"  # tells a leaked Berdaya token apart in logs and secret scanners
PREFIX_SHOWN = 12  # "bdy_" and 8 random characters: enough to tell tokens apart, useless to an attacker


class ApiTokenError(Exception):
    """A refused token operation; `str(error)` is the message for the user."""


def token_hash(token: str) -> str:
    """The stored form of a token: hex SHA-256. The token holds 256 random bits, so no salt is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def api_token_create(*, user: User, actor: User | None) -> str:
    """Issue a bearer token for `user` and return it in plain text: the only time it can be seen.

    Stores only its hash and prefix. Raises ApiTokenError for an inactive user.
    """
    if not user.is_active:
        raise ApiTokenError(_("Pengguna %(user)s tidak aktif.") % {"user": user.username})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = ApiToken.objects.create(user=user, token_hash=token_hash(token), prefix=token[:PREFIX_SHOWN])
        audit_record(
            actor=actor,
            action="api.token_create",
            object_type="api.ApiToken",
            object_id=record.pk,
            changes={"user": user.username, "prefix": record.prefix},
        )
    return token


def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke a token: every later request with it gets 401. Revoking twice changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked:
            return token
        token.revoked = True
        token.save(update_fields=["revoked"])
        audit_record(
            actor=actor,
            action="api.token_revoke",
            object_type="api.ApiToken",
            object_id=token.pk,
            changes={"user_id": token.user_id, "prefix": token.prefix},
        )
    return token
