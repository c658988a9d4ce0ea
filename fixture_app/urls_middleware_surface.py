"""URLs of the middleware surface spec (spec_tests/test_middleware_surface.py), under /middleware-surface/."""
from django.urls import path

from fixture_app.views import middleware_surface as views

urlpatterns = [
    path("where/", views.where),
    path("where-sync/", views.where_sync),
    path("public/", views.public),
    path("whoami/", views.whoami),
    path("session/", views.session),
    path("message/", views.message),
    path("site/", views.site),
    path("language/", views.language),
    path("counter/", views.counter),
    path("not-found/", views.not_found),
    path("boom/", views.boom),
    path("plain/", views.plain),
]
