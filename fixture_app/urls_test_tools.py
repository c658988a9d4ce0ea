"""URLs of the test tools spec (spec_tests/test_test_tools.py), under /test-tools/."""
from django.urls import path

from fixture_app.views import test_tools

urlpatterns = [
    path("echo-sync/", test_tools.echo_sync),
    path("echo-async/", test_tools.echo_async),
    path("redirect/", test_tools.redirect_to_echo),
    path("raises/", test_tools.raises),
    path("whoami/", test_tools.whoami),
    path("post/", test_tools.post_ok),
]
