"""Deployment: the servers the articles name, as real processes, and what Django ships itself.

Every server here is a real process on 127.0.0.1 serving fixture_app, started once per session
(the ``real_servers`` fixture; djspec/servers.py has the command lines) and reached with httpx:
gunicorn on the WSGI module (sync worker, and gthread with four threads), uvicorn and daphne on
the ASGI module, and gunicorn with two uvicorn workers.

The servers run views that touch no database (djspec/servers.py gives them SQLite settings), so
these tests run in the SQLite envs only: in a PostgreSQL env they would repeat the same
processes and requests. Their claims read n/a in the PostgreSQL columns for that reason.

What the tests find: async views work under every one of them, WSGI included (from 3.1), so
"async views need ASGI" is wrong. The difference is concurrency: under ASGI concurrent requests to
a waiting async view overlap; a WSGI sync worker serves them one after another. Django itself
ships an ASGI *application*, not a server: the event loop belongs to uvicorn or daphne.
"""
import inspect
import re
from importlib.metadata import version

import httpx
import pytest

from spec_tests.timing import concurrently

K, T = 4, 0.3
ASGI_SERVERS = ["uvicorn", "daphne", "gunicorn-uvicorn-workers"]


async def timed_on(server, path):
    """K concurrent GETs of ``path`` on a real server, after a warm-up round (it opens the
    connections and lets every worker process load the views). Returns (elapsed, threads)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        await concurrently(client, re.sub(r"s=[\d.]+", "s=0", path), k=K)
        return await concurrently(client, path, k=K)


def server_versions():
    return {name: version(name) for name in ("uvicorn", "daphne", "gunicorn")}


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.parametrize("server", [
    pytest.param("uvicorn", marks=pytest.mark.claims(confirms=[
        "deployment.uvicorn-asgi-command-sample", "deployment.uvicorn-and-daphne-serve-async-views",
        "deployment.sync-and-async-views-coexist"])),
    pytest.param("daphne", marks=pytest.mark.claims(confirms=[
        "deployment.uvicorn-and-daphne-serve-async-views", "deployment.sync-and-async-views-coexist"])),
    pytest.param("gunicorn-uvicorn-workers", marks=pytest.mark.claims(confirms=[
        "deployment.gunicorn-uvicorn-worker-command-sample", "deployment.sync-and-async-views-coexist"])),
    pytest.param("gunicorn-wsgi", marks=pytest.mark.claims(
        confirms=["deployment.sync-and-async-views-coexist"],
        refutes=["deployment.async-views-need-asgi", "deployment.gunicorn-wsgi-command-sample"])),
])
def test_the_server_serves_an_async_and_a_sync_view_side_by_side(real_servers, server, observe):
    """A2 1.3 gives three commands: gunicorn on the WSGI module as the wrong way, uvicorn and
    gunicorn with uvicorn workers as the right ones; A2 9.1 adds daphne. All four answer an
    async view and a sync view of the same project. 3.1+ (3.0 has no async views)."""
    async_view = httpx.get(real_servers[server].url + "/hello/", timeout=30)
    sync_view = httpx.get(real_servers[server].url + "/concurrency/sync-sleep/?s=0", timeout=30)
    assert (async_view.status_code, async_view.text) == (200, "Hello Async World!")
    assert sync_view.status_code == 200 and set(sync_view.json()) == {"thread"}  # the sync view's own JSON
    observe(server=server, **server_versions())


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["deployment.wsgi-runs-async-views-one-at-a-time"])
async def test_a_wsgi_sync_worker_serves_concurrent_async_view_requests_one_after_another(real_servers, observe):
    """Under gunicorn's sync worker, K concurrent requests to an async view that awaits T take at
    least K·T: Django runs each in a loop of its own, and the worker takes one request at a time.
    3.1+."""
    elapsed, _ = await timed_on(real_servers["gunicorn-wsgi"], f"/concurrency/async-sleep/?s={T}")
    observe(ratio=round(elapsed / (K * T), 2))
    assert elapsed >= 0.9 * K * T


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["deployment.perf-depends-on-asgi-config"])
@pytest.mark.parametrize("server", ASGI_SERVERS)
async def test_every_asgi_server_overlaps_concurrent_waiting_requests(real_servers, server, observe):
    """A4 says the gain of async views depends strongly on the ASGI server's configuration. For
    views that wait on I/O it does not: one uvicorn process, daphne, and gunicorn with two uvicorn
    workers all overlap K concurrent requests (about T in all, not K·T); the gain comes from ASGI
    itself (compare the WSGI sync worker). 3.1+."""
    elapsed, _ = await timed_on(real_servers[server], f"/concurrency/async-sleep/?s={T}")
    observe(server=server, ratio=round(elapsed / (K * T), 2))
    assert elapsed <= 0.6 * K * T


@pytest.mark.no_database
@pytest.mark.claims(confirms=["deployment.gthread-serves-sync-views"])
async def test_gthread_workers_serve_concurrent_sync_view_requests_on_threads(real_servers, observe):
    """A0: under gunicorn ``--worker-class gthread --threads 4`` (one process), K concurrent
    requests to a sync view that sleeps T overlap, each on its own thread. Every version."""
    elapsed, threads = await timed_on(real_servers["gunicorn-gthread"], f"/concurrency/sync-sleep/?s={T}")
    observe(ratio=round(elapsed / (K * T), 2), threads=len(threads))
    assert elapsed <= 0.6 * K * T and len(threads) == K


@pytest.mark.no_database
@pytest.mark.claims(refutes=["deployment.async-views-run-in-djangos-asgi-server"])
def test_django_ships_an_asgi_application_not_an_asgi_server():
    """A4 draws async views inside an ASGI server that belongs to Django. Django ships the
    application side only: ``get_asgi_application()`` is an ASGI callable awaiting
    ``(scope, receive, send)``, with nothing that listens or runs a loop; and ``runserver`` serves
    the WSGI handler (an async view there runs in a one-off loop). The loop belongs to the
    server: uvicorn, daphne. Every version."""
    from django.core.asgi import get_asgi_application
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management.commands.runserver import Command

    app = get_asgi_application()
    assert inspect.iscoroutinefunction(app.__call__)
    assert list(inspect.signature(app.__call__).parameters) == ["scope", "receive", "send"]
    assert not any(hasattr(app, name) for name in ("run", "serve", "serve_forever"))
    assert isinstance(Command().get_handler(), WSGIHandler)


@pytest.fixture
def named_cursors(transactional_db, monkeypatch):
    """The names of the cursors the PostgreSQL backend creates (a name = a server-side cursor)."""
    from django.db import connection

    names, create_cursor = [], connection.create_cursor

    def record(name=None):
        names.append(name)
        return create_cursor(name)

    monkeypatch.setattr(connection, "create_cursor", record)
    return names


@pytest.mark.database("pg")
@pytest.mark.claims(confirms=["deployment.disable-server-side-cursors-option"])
@pytest.mark.parametrize("disabled", [False, True])
def test_disable_server_side_cursors_makes_iterator_use_a_plain_cursor(named_cursors, monkeypatch, disabled):
    """A3's closing notes set DISABLE_SERVER_SIDE_CURSORS. On PostgreSQL ``QuerySet.iterator()``
    reads through a named (server-side) cursor; with the option True, through a plain one.
    Every version, PostgreSQL."""
    from django.db import connection

    from fixture_app.models import Author

    Author.objects.create(name="Ada")
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", disabled)
    assert [a.name for a in Author.objects.iterator()] == ["Ada"]
    assert any(named_cursors) is not disabled
