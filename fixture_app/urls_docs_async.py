"""URLs of the docs async spec (spec_tests/test_docs_async.py), under /docs-async/.

The ``marked/<how>/`` views are hand-made callables returning a coroutine, marked (or not) the
way the docs of each version say Django recognises an async view; ``inspect`` exists only where
Python has ``inspect.markcoroutinefunction`` (3.12+).
"""
from django.urls import path

from fixture_app.views import docs_async as views

urlpatterns = [
    path("ping/", views.ping),
    path("async-where/", views.async_where),
    path("sync-where/", views.sync_where),
    path("marked/none/", views.unmarked),
    path("marked/asyncio/", views.asyncio_marked),
    path("marked/asgiref/", views.asgiref_marked),
    path("async-call-instance/", views.async_call_view),
    path("gather-slow-calls/", views.gather_slow_calls),
    path("thread-sensitive-at-barrier/", views.thread_sensitive_at_barrier),
    path("two-thread-sensitive-calls/", views.two_thread_sensitive_calls),
]
if views.inspect_marked is not None:
    urlpatterns.append(path("marked/inspect/", views.inspect_marked))
