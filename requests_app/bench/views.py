"""The bare pages every page is compared with (docs/performance.md): "ok", and 50 rows of a
10,000-row table through a plain template. Served by the same process as the application, so
the ratio of a page's rate to theirs leaves out the machine, the server and the middleware.
"ok, signed in" is the floor of every signed-in page: "ok" once the session, the account and
its second factor are checked; "the site's layout, signed in" is that and the site's own frame
(its header for the person, the footer), with nothing in it: no page of the site costs less;
"the site's layout around the 50 rows" is that frame around the bare page's own 50 rows: the
cheapest list the site could draw, one plain query and four plain columns a row.
Mounted only when BENCH_PAGES is on."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from requests_app.models import Organization


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def signed_in(request):
    return ok(request)


@login_required
def layout(request):
    return render(request, "bench/layout.html")


def _organizations():
    return {"organizations": Organization.objects.order_by("pk")[:50]}


def rows(request):
    return render(request, "bench/rows.html", _organizations())


@login_required
def layout_rows(request):
    return render(request, "bench/layout_rows.html", _organizations())
