"""Who is asking, from where: what the audit log fills in when a write does not say.

AuditContextMiddleware puts the current request here; `audit_record` reads the actor and the client
address from it, so every write made while serving a request is attributed without each service
passing them along. Outside a request (the command line, the worker) there is none, and the services'
own `actor` stands.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

_request: ContextVar[HttpRequest | None] = ContextVar("berdaya_audit_request", default=None)


def current_request() -> HttpRequest | None:
    return _request.get()


def current_actor():
    """The signed-in user of the current request (an API token's user too: BearerToken sets request.user
    before the view runs), or None."""
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def current_client_address() -> str | None:
    request = _request.get()
    return client_address(request) if request is not None else None


def client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the nearest untrusted hop of X-Forwarded-For when REMOTE_ADDR is a trusted proxy.

    Anyone can send an X-Forwarded-For header; only a proxy listed in BERDAYA_TRUSTED_PROXIES (addresses
    or networks) is believed. The list is read right to left, skipping the trusted proxies, so a
    client cannot hide behind an address it writes at the left.
    """
    remote = _ip(request.META.get("REMOTE_ADDR"))
    if remote is None or not _trusted(remote):
        return str(remote) if remote is not None else None
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            break  # a garbled header: trust nothing to the left of it
        if not _trusted(address):
            return str(address)
    return str(remote)


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    for entry in getattr(settings, "BERDAYA_TRUSTED_PROXIES", []):
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


@contextmanager
def bound_request(request: HttpRequest) -> Iterator[HttpRequest]:
    """Make `request` the current one while the block runs (the middleware's body; tests)."""
    token = _request.set(request)
    try:
        yield request
    finally:
        _request.reset(token)
