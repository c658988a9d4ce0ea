"""Fixtures shared by the spec tests. Small on purpose: each test should read on its own."""
import asyncio

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

    return async_to_sync(AsyncClient().get)
