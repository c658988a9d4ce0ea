"""URLs of the http async spec (spec_tests/test_http_async.py), under /http-async/."""
from django.urls import path

from fixture_app.views import http_async as v

urlpatterns = [
    path("stream-sync/", v.stream_sync),
    path("stream-sync-from-async-view/", v.stream_sync_from_async_view),
    path("stream-async/", v.stream_async),
    path("stream-gated/", v.stream_gated),
    path("stream-long/", v.stream_long),
    path("hello/", v.hello),
    path("file/", v.file_response),
    path("closing/", v.closing_response),
    path("auser/", v.auser),
    path("request-user/", v.request_user),
    path("session-aset/", v.session_aset),
    path("session-aget/", v.session_aget),
    path("session-sync-read/", v.session_sync_read),
    path("wait-for-disconnect/", v.wait_for_disconnect),
    path("post/<int:pk>/", v.post_or_404),
    path("published/", v.published_or_404),
    path("page/<int:number>/", v.post_page),
]
