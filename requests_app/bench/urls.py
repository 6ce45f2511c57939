"""The bare pages, mounted under /bench/ when BENCH_PAGES is on (hmis_access/urls.py)."""

from django.urls import path

from requests_app.bench import views

urlpatterns = [
    path("ok", views.ok, name="bench_ok"),
    path("signed-in", views.signed_in, name="bench_signed_in"),
    path("layout", views.layout, name="bench_layout"),
    path("rows", views.rows, name="bench_rows"),
    path("layout-rows", views.layout_rows, name="bench_layout_rows"),
]
