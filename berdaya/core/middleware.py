"""Bahasa Indonesia first (the browser's language does not switch the interface, the user does); the
request as the context of audit rows."""

from berdaya.core.audit_context import bound_request


class IndonesianFirstMiddleware:
    """Drop Accept-Language before Django's LocaleMiddleware reads it.

    Many officers' phones are set to English; the interface should still open in Bahasa Indonesia
    and change only when the user picks English (the language cookie set by /i18n/setlang/).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class AuditContextMiddleware:
    """Make the request (its user and client address) what audit rows are attributed to.

    The user is read when an audit row is written, not here: an API request's user is known only after
    django-ninja has checked its bearer token, inside the view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with bound_request(request):
            return self.get_response(request)
