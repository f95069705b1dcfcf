"""Bahasa Indonesia first: the browser's language does not switch the interface, the user does."""


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
