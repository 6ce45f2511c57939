"""Middleware of the project itself (not of one app)."""

from django.conf import settings
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.cache import patch_cache_control

from requests_app.application.uploads import MAX_ATTACHMENT_BYTES


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is larger than MAX_REQUEST_BYTES, before
    anything reads the body: Django would otherwise spool the whole upload to disk before a
    form could refuse it. A body without a valid Content-Length is read by Django as empty."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return HttpResponse(
                "This upload is too large for HMIS Access: a file can be at most "
                f"{filesizeformat(MAX_ATTACHMENT_BYTES)}. Go back, choose a smaller file and "
                "save again.\n",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class PrivateResponseMiddleware:
    """Cache-Control: no-store on every response to a signed-in person: pages, redirects,
    errors and downloads (attachments, MOUs, CSVs) show people's names and the access they
    hold, and must not be kept by the browser's cache or a proxy for the next person at that
    computer. `private` takes out any `public`; directives already set (the admin's and the
    login page's `no-cache, must-revalidate`) are kept. Anonymous answers keep their own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
