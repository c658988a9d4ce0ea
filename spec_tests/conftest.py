"""Fixtures shared by the spec tests. Small on purpose: each test should read on its own."""
import asyncio
import os
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections

from fixture_app.models import Author, Post


@pytest.fixture(autouse=True)
def _close_worker_thread_connections():
    """Close the connection that sync_to_async's worker thread opened during an async test.

    Without this the test database cannot be dropped at the end of the session on PostgreSQL
    ("being accessed by other users"). Runs on that same worker thread.
    """
    yield
    asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture
def three_posts(transactional_db):
    """Three committed posts, visible from every thread's connection."""
    author = Author.objects.create(name="Ada")
    return [Post.objects.create(author=author, title=f"post {i}", published=i % 2 == 0) for i in range(3)]


@pytest.fixture(params=["wsgi", "asgi"])
def get(request, transactional_db):
    """GET a URL of fixture_app through Django's WSGI test Client or its ASGI AsyncClient.

    Both re-raise the view's exception into the test, the way a server would log it.
    """
    if request.param == "wsgi":
        from django.test import Client

        return Client().get
    from django.test import AsyncClient  # Django >= 3.1

    client = AsyncClient()

    async def get(*args, **kwargs):
        return await client.get(*args, **kwargs)

    return async_to_sync(get)


class SQLLog(list):
    """Every SQL statement Django ran during a test, as (sql, thread id), from any thread."""

    def selects(self):
        return [sql for sql, _ in self if sql.lstrip().upper().startswith("SELECT")]

    def threads(self):
        return {thread for _, thread in self}


@pytest.fixture
def sql_log(monkeypatch):
    """Record the SQL of every connection on every thread (a worker thread of sync_to_async
    included) by wrapping Django's cursor, which all versions route statements through."""
    from django.db.backends import utils

    log = SQLLog()
    original = utils.CursorWrapper._execute

    def _execute(self, sql, params, *args):
        log.append((sql, threading.get_ident()))
        return original(self, sql, params, *args)

    monkeypatch.setattr(utils.CursorWrapper, "_execute", _execute)
    return log


# Hypothesis: few, reproducible examples in CI; many in the documented "deep" profile
# (DJSPEC_HYPOTHESIS_PROFILE=deep). The database is reset inside each example, so the
# function-scoped database fixture is safe to share between examples.
from hypothesis import HealthCheck, settings  # noqa: E402

_shared = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("ci", max_examples=20, derandomize=True, database=None, **_shared)
settings.register_profile("deep", max_examples=300, **_shared)
settings.load_profile(os.environ.get("DJSPEC_HYPOTHESIS_PROFILE", "ci"))
