"""Bearer tokens for the JSON API. Only a SHA-256 hash of each token is stored: a copy of the database
(a backup, a leaked dump) gives nobody a working token. The short prefix lets a person tell tokens apart
in a list without the secret."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the whole token
    prefix = models.CharField(max_length=16)  # the token's first characters, for display only
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["user_id", "-created_at"]
        verbose_name = _("token API")
        verbose_name_plural = _("token API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
