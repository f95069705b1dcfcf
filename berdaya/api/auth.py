"""`Authorization: Bearer TOKEN`: the token's hash names an ApiToken; a revoked token or an inactive user
is refused (401), as is a request with no token at all."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from berdaya.api.models import ApiToken
from berdaya.api.services import token_hash
from berdaya.core.models import User

# last_used_at is for people auditing their tokens, not a request log: one write a minute is enough,
# and a phone sending many requests does not write on every one.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token:
            return None
        record = (
            ApiToken.objects.select_related("user", "user__region")
            .filter(token_hash=token_hash(token), revoked=False)
            .first()
        )
        if record is None or not record.user.is_active:
            return None
        now = timezone.now()
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        # The rest of Django (scoping helpers, audit rows) reads request.user; a session cookie sent along
        # with the token must not decide who is asking.
        request.user = record.user
        return record.user
