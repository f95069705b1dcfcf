"""Sign-in throttling: django-axes' check in front of Django's own password backend (settings.py)."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class SignInThrottleBackend(AxesStandaloneBackend):
    """Refuse a user name + address pair that failed too often; otherwise let the next backend decide.

    axes needs the request (it counts per address). Every password form in Berdaya (the sign-in page, the
    admin's) passes it; `authenticate()` without a request comes only from code inside the process (the
    test client's `login()`, a shell) where there is no address to count, so it is not throttled rather
    than refused. A view that calls `authenticate()` must pass `request`.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
