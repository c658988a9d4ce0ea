"""URLs of the connections spec (spec_tests/test_connections.py), under /connections/."""
from django.urls import path

from fixture_app.views import connections

urlpatterns = [
    path("async-query/", connections.async_query),
    path("sync-query/", connections.sync_query),
    path("async-three-queries/", connections.async_three_queries),
    path("sync-three-queries/", connections.sync_three_queries),
    path("async-query-thread-insensitive/", connections.async_query_thread_insensitive),
    path("async-no-query/", connections.async_no_query),
    path("sync-no-query/", connections.sync_no_query),
    path("async-query-then-wait/", connections.async_query_then_wait),
]
