"""The WSGI application `bench/web.py` serves with gunicorn --preload: Berdaya's own, with every view module
imported in the master before the workers fork.

Django imports the URLconf (and with it the views, NumPy, SciPy, OR-Tools, WeasyPrint) on a worker's first
request; on a busy 2-core machine that took 26 s, which would land in the measured window. Importing it
once before the fork gives every worker a warm start and shares the pages of memory.
"""

from django.urls import get_resolver

from berdaya.wsgi import application

get_resolver().url_patterns  # noqa: B018 — the import is the point

__all__ = ["application"]
