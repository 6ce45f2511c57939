from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("requests_app.urls")),
]

if settings.BENCH_PAGES:
    # The bare pages the benchmark compares every page with (docs/performance.md).
    urlpatterns.append(path("bench/", include("requests_app.bench.urls")))
