"""Middleware of the project itself (not of one app)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CSRF_SESSION_KEY, CsrfViewMiddleware
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control

from requests_app.accounts import idle
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


class IdleLogoutMiddleware:
    """Signs out a person whose last activity is older than their limit (15 minutes for the
    roles that decide, 30 for requestors, requests_app/accounts/idle.py) and sends them to sign
    in again, back to where they were. A step of an application posted after the session ended
    is kept, not lost: its fields wait in the new session until the same person signs in again
    and opens the step (requests_app/application/views.py). Only the draft's steps: a deciding
    action posted after the limit is never kept nor carried out.

    Reads only the session, which every signed-in page reads anyway: no query of its own on an
    ordinary page. Comes after MessageMiddleware (its message) and before the views; its own
    CSRF check of a kept step comes before the session it is checked against is flushed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if idle.signed_in(session):
            limit = idle.limit_of(request)
            if idle.remaining(session) <= 0:
                return self._sign_out(request, limit)
            if not (request.method == "GET" and request.path == reverse("idle_activity")):
                idle.stamp(session)
        elif idle.SIGNED_OUT in session and self._is_draft_step(request):
            # Posted after the sign-out (the warning's check signed the person out first).
            return self._keep(request, session[idle.SIGNED_OUT])
        return self.get_response(request)

    def _sign_out(self, request, limit):
        user_pk = request.user.pk
        # Checked before logout() flushes the session, which may hold the CSRF token; and the
        # token survives the sign-out wherever it lives (a cookie by default, the session with
        # CSRF_USE_SESSIONS), so the page's own form can still post its step after it.
        keep = self._is_draft_step(request) and self._csrf_passes(request)
        token = request.session.get(CSRF_SESSION_KEY)
        logout(request)
        request.session[idle.SIGNED_OUT] = user_pk
        if token is not None:
            request.session[CSRF_SESSION_KEY] = token
        messages.info(
            request,
            f"You were signed out after {idle.minutes(limit)} without activity, to keep the "
            "records here safe. Sign in again to carry on.",
        )
        if keep:
            return self._keep(request, user_pk, checked=True)
        if request.path == reverse("idle_activity"):
            # The warning's own check: it takes the page to sign in itself.
            return JsonResponse({"remaining": 0})
        if request.method in ("GET", "HEAD"):
            return redirect_to_login(request.get_full_path())
        # Any other post is dropped, never carried out: signing in leads home.
        return redirect(settings.LOGIN_URL)

    def _keep(self, request, user_pk, checked=False):
        if not checked and not self._csrf_passes(request):
            return redirect(settings.LOGIN_URL)
        idle.keep_answers(request, user_pk)
        messages.info(
            request,
            "What you typed on this step is kept. Once you sign in, it is shown again for you "
            "to check and save."
            + (" Files are not kept: choose the file again." if request.FILES else ""),
        )
        return redirect_to_login(request.path)

    @staticmethod
    def _is_draft_step(request):
        if request.method != "POST":
            return False
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.url_name == "application_step" and match.kwargs.get("step") != "review"

    @staticmethod
    def _csrf_passes(request):
        """The check CsrfViewMiddleware would make before the view: a kept post must be one
        the person's own page made, or another site could fill in their answers."""
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        return refused is None
