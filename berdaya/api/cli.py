"""`berdaya api-token --user NAME`: issue a bearer token. Wired in berdaya/cli.py as
`app.command("api-token")(api_token)`; kept here so the api app owns its command."""

from __future__ import annotations

import os
from typing import Annotated

import typer


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "berdaya.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


def api_token(
    user: Annotated[str, typer.Option("--user", help="Nama pengguna pemilik token.")],
) -> None:
    """Issue an API token for a user; the token is the last line printed, and is shown only this once."""
    _django()
    from berdaya.api.services import ApiTokenError, api_token_create
    from berdaya.core.models import User

    owner = User.objects.filter(username=user).first()
    if owner is None:
        typer.secho(f"Galat: pengguna {user!r} tidak ada", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    try:
        token = api_token_create(user=owner, actor=None)
    except ApiTokenError as error:
        typer.secho(f"Galat: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from error
    typer.echo(
        f"Token API untuk {owner.username} ({owner.get_role_display()}). Simpan sekarang; tidak ditampilkan lagi:"
    )
    typer.echo(token)
