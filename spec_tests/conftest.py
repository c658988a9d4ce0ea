"""Fixtures shared by the spec tests. Small on purpose: each test should read on its own."""
import asyncio
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import aiohttp  # noqa: F401  imported before any test: fixture_app's views import it at first use
import httpx
import pytest
import requests  # noqa: F401  (the same)
from asgiref.sync import sync_to_async
from django.db import connections

from fixture_app.models import Author, Post
from spec_tests.clients import AsgiTestClient


@pytest.fixture(scope="session", autouse=True)
def _flush_writes_post_migrate_rows_back():
    """Between transactional tests, put back the rows post_migrate makes instead of emitting it
    again: the same database for the next test, a fifth less CPU (djspec/flush.py)."""
    from djspec import flush

    undo = flush.install()
    yield
    undo()


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


@pytest.fixture
def get_asgi(transactional_db):
    """GET through Django's ASGI AsyncClient only: for timing tests, where one path is enough.
    One warm-up request first, so that importing the views and building the handler (slow on a
    cold, loaded machine) never lands inside a timed request."""
    get = AsgiTestClient().get
    assert get("/concurrency/async-sleep/?s=0").status_code == 200
    return get


@pytest.fixture
def asgi_http(transactional_db):
    """An httpx client that calls Django's ASGI application in this process, the way a server
    does: the view's exception becomes a 500 response. (The handler touches the database
    connections at the start and end of each request.)"""
    from django.core.asgi import get_asgi_application
    from django.urls import get_resolver

    get_resolver().url_patterns  # import every view now, not inside the first timed request
    transport = httpx.ASGITransport(app=get_asgi_application())
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60)


@pytest.fixture(params=["wsgi", "asgi"])
def either_client(request, transactional_db):
    """Django's WSGI test Client or its ASGI AsyncClient (3.1+), both with blocking ``get`` and
    ``post``. Both re-raise the view's exception into the test, the way a server would log it."""
    if request.param == "wsgi":
        from django.test import Client

        return Client()
    return AsgiTestClient()


@pytest.fixture
def get(either_client):
    """GET a URL of fixture_app through the WSGI test Client or the ASGI AsyncClient."""
    return either_client.get


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


# ----------------------------------------------------------------------------- the slow HTTP server


class SlowHandler(BaseHTTPRequestHandler):
    """GET /delay/<ms>: answers JSON after <ms> milliseconds; GET /fail/<ms>: a 500 after <ms>."""

    def do_GET(self):
        kind, _, ms = urlsplit(self.path).path.strip("/").partition("/")
        started = time.perf_counter()
        time.sleep(int(ms or 0) / 1000)
        self.server.calls.append((self.path, started, time.perf_counter()))
        status = 500 if kind == "fail" else 200
        body = json.dumps({"path": self.path, "delay_ms": int(ms or 0)}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="session")
def slow_http_server():
    """A local HTTP server on 127.0.0.1 and a free port, for the articles' "external API" calls.
    Each request is handled in its own thread, so N concurrent calls can overlap. It logs every
    call as (path, start, end) in ``.calls``. Stops at the end of the session."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    server.daemon_threads = True
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, name="slow-server", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def slow_server(slow_http_server):
    """The slow server's base URL (``/delay/<ms>``, ``/fail/<ms>``)."""
    return f"http://127.0.0.1:{slow_http_server.server_address[1]}"


@pytest.fixture
def slow_calls(slow_http_server):
    """The calls the slow server receives during this test, as (path, start, end)."""
    slow_http_server.calls.clear()
    return slow_http_server.calls



@pytest.fixture(scope="session")
def real_servers():
    """The servers the articles name (djspec/servers.py: uvicorn, daphne, gunicorn with uvicorn
    workers, gunicorn sync and gthread), each a real process on 127.0.0.1 serving fixture_app.
    All start together, once per session, on first use; all stop at the end of the session, and
    a watchdog stops them if the session dies. Maps each name to its ``Server`` (``.url``,
    ``.log_tail()``)."""
    from djspec import servers

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    started = []
    try:
        for name in servers.COMMANDS:
            started.append(servers.Server(name, cwd=root).start())
        yield {server.name: server.wait_ready() for server in started}
    finally:
        for server in started:
            server.terminate()
        for server in started:
            server.stop()
