"""What every `berdaya` command module shares: Django set-up, the one-line failure, the acting user.

Kept apart from cli.py so that command groups living beside their app (berdaya/pdp/cli.py) use the same
helpers without importing the whole command line.
"""

from __future__ import annotations

import os

import typer


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "berdaya.settings")
    import django

    from berdaya.env import EnvError

    try:
        django.setup()
    except EnvError as error:  # a missing production secret: one clear line, not a traceback
        fail(str(error))


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"Galat: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def actor_get(username: str | None):
    """The acting user named on the command line (their region limits what they may do), or None for an
    operator's run."""
    from berdaya.core.models import User

    if not username:
        return None
    actor = User.objects.filter(username=username).first()
    if actor is None:
        fail(f"pengguna {username!r} tidak ada")
    return actor
