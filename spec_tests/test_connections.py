"""Database connections under ASGI: when Django closes them, which requests share them, and why
the docs say to turn persistent connections off.

Django keeps one connection per thread. It checks it when a request starts and when it ends
(``close_old_connections`` on ``request_started``/``request_finished``): with ``CONN_MAX_AGE = 0``
(the default) the connection is closed at the end of the request; with a number of seconds or
``None`` it stays open for the next request *on the same thread*. Under ASGI an async view's ORM
work runs in ``sync_to_async``, on a worker thread, so everything depends on which thread that is:

* **3.0** (sync views only): every request's sync code runs on one shared thread, but the
  handler sends ``request_finished`` from the event loop's thread, which has no connection: the
  view's connection stays open after the request and is closed when the next one starts.
* **3.1–3.2**: still one shared thread for all requests, and the signals reach it: age 0 closes
  the connection at the end of the request; a persistent connection serves every request.
* **4.0+**: the handler gives each request a worker thread of its own (``ThreadSensitiveContext``).
  All of one request's thread-sensitive calls share that thread and its connection, and age 0
  still closes it. But a persistent connection is never reused: every request opens a new one
  and leaves it behind, idle, until the garbage collector reclaims the dead thread's
  ``DatabaseWrapper``; K requests leave K server connections. Hence the docs' advice (5.1+) to
  disable persistent connections under ASGI. K concurrent requests also hold K connections.

A connection opened in ``sync_to_async(thread_sensitive=False)`` lives on an executor thread that
no request signal reaches: it outlives the request whatever ``CONN_MAX_AGE`` says;
``close_old_connections()`` run on a thread closes that thread's expired connections.

Broken connections (PostgreSQL, the server process ended with ``pg_terminate_backend``): after a
database error Django finds the connection unusable and drops it, so one request fails. With
``CONN_HEALTH_CHECKS`` (4.1+) a reused connection is checked once per request before use, and the
request succeeds on a fresh connection. These two are shown through Django's WSGI handler on one
worker thread, where connections are reused; under ASGI from 4.0 none is.

Every test here talks to Django's real handlers in this process: ``get_asgi_application()``
through httpx (not ``AsyncClient``, which detaches ``close_old_connections``: see
spec_tests/test_test_tools.py) and ``WSGIHandler`` called on one worker thread. The views
(fixture_app/views/connections.py) record the thread, the ``DatabaseWrapper`` and the DB-API
connection object of each query (and the server process id on PostgreSQL); after a request,
``wrapper.connection is None`` means Django closed it. Claims: claims/connections.toml.
"""
import asyncio
import gc
import io
import json
import threading
import time
import wsgiref.util
from concurrent.futures import ThreadPoolExecutor

import django
import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from fixture_app.views import connections as views
from spec_tests.sides import side

pytestmark = pytest.mark.django_db(transaction=True)

ASYNC_QUERY = "/connections/async-query/"
SYNC_QUERY = "/connections/sync-query/"
# the view an ASGI test requests: an async view from 3.1, a sync view on 3.0 (no async views)
ASGI_QUERY = SYNC_QUERY if django.VERSION < (3, 1) else ASYNC_QUERY


def distinct(objects):
    """The objects, without repeats by identity (threads, DB-API connections)."""
    out = []
    for obj in objects:
        if not any(obj is seen for seen in out):
            out.append(obj)
    return out


def is_open(seen):
    """Is the connection a view recorded still open (not closed by Django)?"""
    return seen["wrapper"].connection is not None and seen["wrapper"].connection is seen["raw"]


@pytest.fixture
def seen():
    """The queries the /connections/ views ran during the test (views.SEEN). Afterwards every
    connection they opened is closed: the list is dropped, the garbage collector reclaims the
    wrappers of finished threads, and on PostgreSQL any server process still alive is ended (the
    test database must be droppable at the end of the session)."""
    views.SEEN.clear()
    yield views.SEEN
    pids = {s["pid"] for s in views.SEEN if s["pid"]}
    views.SEEN.clear()
    gc.collect()
    if pids:
        terminate(*pids)


@pytest.fixture
def conn_max_age(monkeypatch):
    """``conn_max_age(value)`` sets CONN_MAX_AGE for the connections opened from now on (every
    thread's wrapper shares the settings dict)."""
    def set_(value):
        monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", value)
    return set_


def on_a_fresh_thread(function, *args):
    """Run ``function`` on a new thread that closes its own connections afterwards."""
    def body():
        try:
            return function(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(body).result(timeout=60)


def _server_pids():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return {row[0] for row in cursor.fetchall()}


def server_pids():
    """PostgreSQL: the server processes connected to the test database, this query's excepted."""
    return on_a_fresh_thread(_server_pids)


def _terminate(pids):
    with connections["default"].cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def terminate(*pids):
    """End these PostgreSQL server processes (as a server restart or an admin would) and wait
    until they are gone."""
    on_a_fresh_thread(_terminate, pids)
    wait_until(lambda: not (set(pids) & server_pids()), "terminated backends to exit")


def wait_until(condition, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class WsgiWorker:
    """Django's WSGI handler called on one dedicated thread, as a threaded WSGI server's worker
    calls it: request_started, the view, then ``response.close()`` (request_finished)."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.executor = ThreadPoolExecutor(max_workers=1)

    def get(self, path):
        """(status, JSON body) of a GET."""
        return self.executor.submit(self._get, path).result(timeout=60)

    def _get(self, path):
        environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b"")}
        wsgiref.util.setup_testing_defaults(environ)
        status = []
        response = self.handler(environ, lambda line, headers, exc_info=None: status.append(line))
        try:
            body = b"".join(response)
        finally:
            response.close()
        code = int(status[0].split()[0])
        return code, (json.loads(body) if code == 200 else None)

    def close(self):
        self.executor.submit(connections.close_all).result(timeout=60)
        self.executor.shutdown()


@pytest.fixture
def wsgi_worker(transactional_db):
    worker = WsgiWorker()
    yield worker
    worker.close()


# ------------------------------------------------------------------------ settings


@pytest.mark.no_database
@pytest.mark.claims(confirms=["connections.conn-max-age-defaults-to-zero"])
def test_a_database_without_conn_max_age_gets_zero(observe):
    """A DATABASES entry that names only ENGINE and NAME gets CONN_MAX_AGE = 0 once Django fills
    in the defaults (no connection is opened). All versions."""
    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    value = handler["default"].settings_dict["CONN_MAX_AGE"]
    observe(CONN_MAX_AGE=value)
    assert value == 0


@pytest.mark.no_database
@pytest.mark.parametrize("relation", [
    side("refutes", "3.0-4.0", "<4.1", "connections.conn-health-checks-defaults-to-off"),
    side("confirms", "4.1+", ">=4.1", "connections.conn-health-checks-defaults-to-off"),
])
def test_conn_health_checks_is_a_database_setting_off_by_default(relation, observe):
    """Django fills in CONN_HEALTH_CHECKS = False for a database that does not set it (4.1+);
    before 4.1 there is no such key."""
    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    settings_dict = handler["default"].settings_dict
    observe(CONN_HEALTH_CHECKS=settings_dict.get("CONN_HEALTH_CHECKS", "absent"))
    if relation == "confirms":
        assert settings_dict["CONN_HEALTH_CHECKS"] is False
    else:
        assert "CONN_HEALTH_CHECKS" not in settings_dict


# ------------------------------------------------------------------------ CONN_MAX_AGE = 0 under ASGI


@pytest.mark.parametrize("url,relation", [
    pytest.param(SYNC_QUERY, "refutes", id="3.0-sync-view", marks=[
        pytest.mark.django("<3.1"),
        pytest.mark.claims(refutes=["connections.conn-max-age-zero-closes-at-end-of-request"])]),
    pytest.param(ASYNC_QUERY, "confirms", id="3.1+-async-view", marks=[
        pytest.mark.django(">=3.1"),
        pytest.mark.claims(confirms=["connections.conn-max-age-zero-closes-at-end-of-request"])]),
    pytest.param(SYNC_QUERY, "confirms", id="3.1+-sync-view", marks=[
        pytest.mark.django(">=3.1"),
        pytest.mark.claims(confirms=["connections.conn-max-age-zero-closes-at-end-of-request"])]),
])
async def test_with_conn_max_age_zero_the_asgi_handler_closes_the_connection_when_the_request_ends(
        url, relation, asgi_http, seen, observe):
    """CONN_MAX_AGE = 0, two requests through Django's ASGI handler. From 3.1 the connection each
    request used is closed as soon as it has answered. In 3.0 it is still open after the request
    (request_finished ran on the loop's thread) and only closed when the next request starts on
    its thread, which opens a new one."""
    assert connections["default"].settings_dict["CONN_MAX_AGE"] == 0
    async with asgi_http:
        assert (await asgi_http.get(url)).status_code == 200
        first_open_after = is_open(seen[0])
        assert (await asgi_http.get(url)).status_code == 200
    first, second = seen
    observe(open_after_its_request=first_open_after, open_after_the_next=is_open(first),
            next_request_new_connection=second["raw"] is not first["raw"])
    assert second["raw"] is not first["raw"] and not is_open(first)
    assert first_open_after == (relation == "refutes")


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["connections.one-connection-per-request"])
async def test_the_thread_sensitive_calls_of_one_request_share_one_thread_and_connection(asgi_http, seen, observe):
    """An async view makes three separate ``sync_to_async`` calls, each one query: all three run
    on one thread with one connection, the thread on which Django also sent request_started and
    request_finished, and with CONN_MAX_AGE = 0 that connection is closed after the request.
    3.1+."""
    from django.core.signals import request_finished, request_started

    signal_threads = []

    def record(sender, **kwargs):
        signal_threads.append(threading.current_thread())

    request_started.connect(record)
    request_finished.connect(record)
    try:
        async with asgi_http:
            assert (await asgi_http.get("/connections/async-three-queries/")).status_code == 200
    finally:
        request_started.disconnect(record)
        request_finished.disconnect(record)
    threads, raws = distinct(s["thread"] for s in seen), distinct(s["raw"] for s in seen)
    observe(queries=len(seen), threads=len(threads), connections=len(raws),
            signals_on_that_thread=all(t is threads[0] for t in signal_threads))
    assert len(seen) == 3 and len(threads) == 1 and len(raws) == 1
    assert len(signal_threads) == 2 and all(t is threads[0] for t in signal_threads)
    assert threads[0] is not threading.current_thread()
    assert not is_open(seen[0])


# ------------------------------------------------------------------------ persistent connections under ASGI


@pytest.mark.parametrize("age", [60, None], ids=["CONN_MAX_AGE=60", "CONN_MAX_AGE=None"])
@pytest.mark.parametrize("relation", [
    side("confirms", "3.0-3.2", "<4.0", "connections.persistent-connection-reused-by-later-requests"),
    side("refutes", "4.0+", ">=4.0", "connections.persistent-connection-reused-by-later-requests"),
])
async def test_under_asgi_a_persistent_connection_serves_later_requests_only_before_4_0(
        age, relation, asgi_http, seen, conn_max_age, observe):
    """Persistent connections, three requests through Django's ASGI handler (an async view from
    3.1, a sync view on 3.0). 3.0–3.2: one thread and one connection serve all three. 4.0+:
    three threads, three connections, each left open after its request."""
    conn_max_age(age)
    async with asgi_http:
        for _ in range(3):
            assert (await asgi_http.get(ASGI_QUERY)).status_code == 200
    threads, raws = distinct(s["thread"] for s in seen), distinct(s["raw"] for s in seen)
    observe(requests=3, threads=len(threads), connections=len(raws), left_open=sum(map(is_open, seen)))
    assert all(is_open(s) for s in seen)
    assert (len(threads), len(raws)) == ((1, 1) if relation == "confirms" else (3, 3))


@pytest.mark.database("pg")
@pytest.mark.parametrize("relation", [
    side("refutes", "3.0-3.2", "<4.0", "connections.persistent-connections-pile-up-under-asgi"),
    side("confirms", "4.0+", ">=4.0", "connections.persistent-connections-pile-up-under-asgi"),
])
async def test_under_asgi_persistent_connections_pile_up_until_garbage_collection(
        relation, asgi_http, seen, conn_max_age, observe):
    """CONN_MAX_AGE = 60, four requests through Django's ASGI handler, the garbage collector
    paused. 4.0+: four new server processes stay connected after the requests, one per request,
    and go only when the collector reclaims the finished threads' connections. 3.0–3.2: one
    server process serves all four and stays (its thread is alive). PostgreSQL."""
    conn_max_age(60)
    before, left = server_pids(), set()
    gc.disable()
    try:
        async with asgi_http:
            for _ in range(4):
                assert (await asgi_http.get(ASGI_QUERY)).status_code == 200
        left = server_pids() - before
        used = {s["pid"] for s in seen}
        views.SEEN.clear()  # the test keeps no reference to the connections
        gc.enable()
        gc.collect()
        if relation == "confirms":
            try:
                wait_until(lambda: not (server_pids() & left), "the collected connections to close", 5)
            except AssertionError:
                pass  # asserted below
        after_gc = server_pids() & left
        observe(requests=4, idle_connections_left=len(left), after_gc_collect=len(after_gc))
        assert left == used
        assert (len(left), after_gc) == ((4, set()) if relation == "confirms" else (1, left))
    finally:
        gc.enable()
        if relation == "confirms" and left & server_pids():
            terminate(*(left & server_pids()))  # whatever the collector left, so the database can be dropped


# ------------------------------------------------------------------------ connections outside the request's thread


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["connections.thread-insensitive-connection-outlives-the-request"])
async def test_a_thread_insensitive_query_leaves_its_connection_open_after_the_request(asgi_http, seen, observe):
    """CONN_MAX_AGE = 0. An async view that queries in ``sync_to_async(thread_sensitive=False)``:
    after the request its connection is still open (and a second such request finds it on the
    same executor thread), while the ordinary thread-sensitive view's connection is closed.
    3.1+."""
    async with asgi_http:
        for _ in range(2):
            assert (await asgi_http.get("/connections/async-query-thread-insensitive/")).status_code == 200
        insensitive = list(seen)
        assert (await asgi_http.get(ASYNC_QUERY)).status_code == 200
    sensitive = seen[-1]
    observe(thread_insensitive_open_after=[is_open(s) for s in insensitive],
            reused_by_second_request=insensitive[1]["raw"] is insensitive[0]["raw"],
            thread_sensitive_open_after=is_open(sensitive))
    assert all(is_open(s) for s in insensitive) and not is_open(sensitive)


@pytest.mark.parametrize("age,closed", [(0, True), (60, False)], ids=["CONN_MAX_AGE=0", "CONN_MAX_AGE=60"])
@pytest.mark.claims(confirms=["connections.close-old-connections-from-async-code"])
async def test_close_old_connections_through_sync_to_async_closes_an_expired_connection(
        age, closed, seen, conn_max_age, observe):
    """Async code outside any request queries through ``sync_to_async``; then
    ``await sync_to_async(close_old_connections)()`` runs on the same worker thread: with
    CONN_MAX_AGE = 0 the connection is closed, with 60 it stays open. All versions."""
    from django.db import close_old_connections

    conn_max_age(age)
    query = await sync_to_async(views._use_the_database)()
    assert is_open(query)
    await sync_to_async(close_old_connections)()
    observe(closed=not is_open(query))
    assert is_open(query) is not closed


@pytest.mark.parametrize("relation", [
    side("refutes", "3.1-3.2", ">=3.1,<4.0", "connections.each-concurrent-request-holds-a-connection"),
    side("confirms", "4.0+", ">=4.0", "connections.each-concurrent-request-holds-a-connection"),
])
async def test_concurrent_requests_each_hold_a_connection(relation, asgi_http, seen, observe):
    """Four concurrent requests to an async view that queries, then waits on the test's gate.
    While all four wait, 4.0+: four connections are open at once, one per request; 3.1–3.2: all
    four used the one shared connection. After the gate opens, CONN_MAX_AGE = 0 closes them."""
    views.GATE.update(event=asyncio.Event(), arrived=0)
    async with asgi_http:
        requests = [asyncio.ensure_future(asgi_http.get("/connections/async-query-then-wait/")) for _ in range(4)]
        try:
            deadline = time.monotonic() + 30
            while views.GATE["arrived"] < 4:
                assert time.monotonic() < deadline, "the requests did not all arrive"
                await asyncio.sleep(0.01)
            open_at_once = distinct(s["raw"] for s in seen if is_open(s))
        finally:
            views.GATE["event"].set()
        responses = await asyncio.gather(*requests)
    assert [r.status_code for r in responses] == [200] * 4
    observe(requests_in_flight=4, connections_open_at_once=len(open_at_once))
    assert len(open_at_once) == (4 if relation == "confirms" else 1)


# ------------------------------------------------------------------------ broken connections (PostgreSQL)


def _run_after_termination(get, url):
    """Three GETs of ``url``; the server process that answered the first is ended before the
    second. Returns (that process id, the statuses of requests 2 and 3, their process ids)."""
    status, body = get(url)
    assert status == 200
    first_pid = body["queries"][0]["pid"]
    terminate(first_pid)
    statuses, pids = [], []
    for _ in range(2):
        status, body = get(url)
        statuses.append(status)
        pids.append(body["queries"][0]["pid"] if body else None)
    return first_pid, statuses, pids


@pytest.mark.database("pg")
@pytest.mark.claims(confirms=["connections.database-error-affects-one-request"])
def test_under_wsgi_a_broken_connection_fails_one_request_then_is_replaced(wsgi_worker, seen, conn_max_age, observe):
    """CONN_MAX_AGE = None, no health checks, Django's WSGI handler on one worker thread. The
    connection's server process is ended between requests: the next request fails (500, the
    database error), Django then drops the unusable connection, and the request after it succeeds
    on a new server process. All versions, PostgreSQL."""
    conn_max_age(None)
    first_pid, statuses, pids = _run_after_termination(wsgi_worker.get, SYNC_QUERY)
    observe(statuses_after_termination=statuses)
    assert statuses == [500, 200] and pids[1] != first_pid


@pytest.mark.database("pg")
@pytest.mark.parametrize("failed", [
    pytest.param(1, id="3.0-3.2", marks=[pytest.mark.django("<4.0")]),
    pytest.param(0, id="4.0+", marks=[pytest.mark.django(">=4.0")]),
])
@pytest.mark.claims(confirms=["connections.database-error-affects-one-request"])
async def test_under_asgi_a_broken_connection_fails_at_most_one_request(failed, asgi_http, seen, conn_max_age, observe):
    """The same through Django's ASGI handler. 3.0–3.2 (a shared thread, so the persistent
    connection is reused): one request fails, the next succeeds on a new server process. 4.0+:
    no request fails, since no request reuses the broken connection. PostgreSQL."""
    conn_max_age(None)

    async with asgi_http:
        async def get(url):
            response = await asgi_http.get(url)
            return response.status_code, (response.json() if response.status_code == 200 else None)

        status, body = await get(ASGI_QUERY)
        assert status == 200
        first_pid = body["queries"][0]["pid"]
        terminate(first_pid)
        results = [await get(ASGI_QUERY) for _ in range(2)]
    statuses = [status for status, _ in results]
    observe(statuses_after_termination=statuses)
    assert statuses == ([500, 200] if failed else [200, 200])
    assert results[1][1]["queries"][0]["pid"] != first_pid


@pytest.mark.database("pg")
@pytest.mark.parametrize("relation", [
    side("refutes", "3.0-4.0", "<4.1", "connections.health-checks-replace-a-broken-connection"),
    side("confirms", "4.1+", ">=4.1", "connections.health-checks-replace-a-broken-connection"),
])
def test_with_health_checks_a_broken_connection_is_replaced_before_the_request_uses_it(
        relation, wsgi_worker, seen, conn_max_age, monkeypatch, observe):
    """CONN_MAX_AGE = None and CONN_HEALTH_CHECKS = True, Django's WSGI handler on one worker
    thread; the connection's server process is ended between requests. 4.1+: the next request
    succeeds, on a new server process. Before 4.1 the setting does nothing: that request fails
    (500). PostgreSQL."""
    conn_max_age(None)
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_HEALTH_CHECKS", True)
    first_pid, statuses, pids = _run_after_termination(wsgi_worker.get, SYNC_QUERY)
    observe(next_request=statuses[0], new_server_process=pids[0] is not None and pids[0] != first_pid)
    if relation == "confirms":
        assert statuses == [200, 200] and pids[0] != first_pid
    else:
        assert statuses == [500, 200]


@pytest.mark.parametrize("relation", [
    side("refutes", "3.0-4.0", "<4.1", "connections.health-check-once-per-request"),
    side("confirms", "4.1+", ">=4.1", "connections.health-check-once-per-request"),
])
def test_the_health_check_runs_once_per_request_that_queries(relation, wsgi_worker, seen, conn_max_age, monkeypatch,
                                                            observe):
    """CONN_MAX_AGE = None, CONN_HEALTH_CHECKS = True, Django's WSGI handler on one worker thread;
    the backend's ``is_usable()`` is counted. After a first request opens the connection: a
    request making three queries checks it once (4.1+), a request making none does not check it.
    Before 4.1 no request checks it. SQLite and PostgreSQL."""
    conn_max_age(None)
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_HEALTH_CHECKS", True)
    wrapper_class = type(connections["default"])
    checks = []
    original = wrapper_class.is_usable

    def counted(self):
        checks.append(threading.current_thread())
        return original(self)

    monkeypatch.setattr(wrapper_class, "is_usable", counted)
    assert wsgi_worker.get(SYNC_QUERY)[0] == 200
    counts = {}
    for name, url in (("three_queries", "/connections/sync-three-queries/"), ("no_query", "/connections/sync-no-query/")):
        checks.clear()
        assert wsgi_worker.get(url)[0] == 200
        counts[name] = len(checks)
    observe(**{f"checks_in_request_with_{k}": v for k, v in counts.items()})
    assert counts == ({"three_queries": 1, "no_query": 0} if relation == "confirms" else {"three_queries": 0, "no_query": 0})
