"""Concurrency in async Django: does ``asyncio.gather`` over ORM calls overlap them? Threads.

The articles promise that gathering N queries in an async view takes as long as the slowest.
Django's async ORM methods are ``sync_to_async(thread_sensitive=True)`` wrappers: inside one
request (or one test) they all run on the *same* worker thread, one after another, whatever the
database or driver. So N gathered queries take about N times one query. What does overlap:
``sync_to_async(thread_sensitive=False)`` (a thread and a connection per call, on PostgreSQL and
on a SQLite file alike), and a truly async driver used directly (psycopg 3's
``AsyncConnection``), which Django's ORM does not use. Meanwhile the event loop itself stays
free: the queries run off its thread.

Latency is injected in the database: every measured query sleeps ``T`` seconds there
(``fixture_app.latency.Sleep``: ``pg_sleep`` on PostgreSQL, a Python function on SQLite).
Times are stated in units of one query (``x T``): about N when the queries ran one after
another, about 1 when they overlapped. The bands are robust on a loaded 2-core machine:
"one after another" is > 0.6·N (load only adds time, so this side cannot be crossed by noise);
"overlapped" is <= 0.6·N, on the best of up to three runs.

SQLite here is a file database, as a deployment runs it. Django's *default* SQLite test database
(in memory, one cache shared by every connection of the process) behaves differently: its own
test at the end of the module shows it, as an observation about test setups, not as SQLite's
verdict.
"""
import asyncio
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from fixture_app.latency import Sleep
from fixture_app.models import Post
from spec_tests.timing import abest_of, all_overlap, assert_claimed, beats_during

pytestmark = pytest.mark.django_db(transaction=True)

N, T = 3, 0.25  # three queries of a quarter second: 0.75 s one after another, 0.25 s overlapped
SERIAL, PARALLEL = 0.9 * N * T, 0.6 * N * T
OVERLAPPED = (None, round(0.6 * N, 2))  # in units of T: "about the slowest query" (ideal 1, serial N)
MIN_BEATS = 5  # heartbeats of a 5 ms probe during T: dozens when the loop is free, none when blocked


def slow_query(pk):
    """One SELECT that takes T seconds in the database."""
    return Post.objects.annotate(nap=Sleep(T)).get(pk=pk)


async def timed(*awaitables):
    start = time.perf_counter()
    results = await asyncio.gather(*awaitables)
    return time.perf_counter() - start, results


@pytest.fixture
def one_post(transactional_db):
    return Post.objects.create(title="slow")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(refutes=["concurrency.gather-orm-time-is-slowest"],
                    confirms=["concurrency.sync-parts-in-thread-pool-loop-free"])
async def test_gather_over_async_orm_calls_runs_the_queries_one_after_another(one_post, sql_log, observe):
    """``await asyncio.gather(qs.aget(...), qs.aget(...), qs.aget(...))`` takes N·T, not T: every
    a-method runs on the one thread-sensitive worker thread, one at a time. The loop's own thread
    runs no SQL. 4.1+, every database and driver."""
    slow = Post.objects.annotate(nap=Sleep(T))
    elapsed, _ = await timed(*[slow.aget(pk=one_post.pk) for _ in range(N)])
    observe(query_threads=len(sql_log.threads()))
    assert_claimed(observe, "gathered (x one query)", elapsed / T, claimed=1, accept=OVERLAPPED, holds=False)
    assert len(sql_log.threads()) == 1 and threading.get_ident() not in sql_log.threads()


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["concurrency.serves-others-during-async-db-query",
                              "concurrency.sync-parts-in-thread-pool-loop-free"])
async def test_the_event_loop_keeps_running_while_an_async_orm_query_waits(one_post, observe):
    """While ``aget`` waits T seconds on the database, other tasks on the loop keep running: a
    5 ms heartbeat beats dozens of times meanwhile (asserted: at least 5; a blocked loop gives
    none; most of up to three runs). 4.1+."""
    beats, max_gap, _ = await beats_during(lambda: Post.objects.annotate(nap=Sleep(T)).aget(pk=one_post.pk),
                                           need=MIN_BEATS)
    observe(max_loop_pause_s=round(max_gap, 3))
    assert_claimed(observe, "loop heartbeats during the query", beats, claimed="other work runs",
                   accept=(MIN_BEATS, None))


def slow_query_on_its_own_connection(pk):
    """The slow query on this thread's own connection; returns (pk, start, end) of the query
    itself (the connection is opened first: opening it is not what overlaps or not)."""
    try:
        connection.ensure_connection()
        start = time.perf_counter()
        slow_query(pk)
        return pk, start, time.perf_counter()
    finally:
        connection.close()  # this thread's connection: close it, or the test database stays busy


def span(intervals):
    """From the first start to the last end of (label, start, end) intervals, in units of T."""
    return (max(end for _, _, end in intervals) - min(start for _, start, _ in intervals)) / T


async def gather_with_a_thread_per_query(post, sql_log, observe):
    """N slow queries, each through ``sync_to_async(thread_sensitive=False)``. Returns the span
    of the queries themselves, from the first start to the last end, in units of T (best of up
    to three runs), after checking that each ran on a thread of its own and that all were in
    flight at once."""
    call = sync_to_async(slow_query_on_its_own_connection, thread_sensitive=False)

    async def once():
        sql_log.clear()
        intervals = await asyncio.gather(*[call(post.pk) for _ in range(N)])
        assert len(sql_log.threads()) == N  # a thread (and a connection) per call
        assert all_overlap(intervals)  # every query started before any of them ended
        return span(intervals)

    return await abest_of(once, enough=lambda x: x <= OVERLAPPED[1])


@pytest.mark.claims(confirms=["concurrency.thread-sensitive-false-overlaps-queries"])
async def test_sync_to_async_with_thread_sensitive_false_overlaps_the_queries(one_post, sql_log, observe):
    """``sync_to_async(f, thread_sensitive=False)`` runs each call in its own pool thread, with
    its own database connection: N slow queries overlap (about T in all). On PostgreSQL, and on
    a SQLite file too: SQLite lets several connections read the same file at once. All
    versions, every driver."""
    queries_span = await gather_with_a_thread_per_query(one_post, sql_log, observe)
    observe(query_threads=N, all_in_flight_at_once=True)
    assert_claimed(observe, "first start to last end (x one query)", queries_span, claimed=1, accept=OVERLAPPED)


# ----------------------------------------------------------------------------- the drivers


def connection_kwargs():
    """The test database's connection parameters, for a connection of our own outside the ORM."""
    params = connection.get_connection_params()
    return {k: params[k] for k in ("dbname", "database", "user", "password", "host", "port") if params.get(k)}


@pytest.mark.driver("psycopg")
@pytest.mark.claims(confirms=["concurrency.psycopg3-natively-async"])
async def test_psycopg3_async_connections_overlap_queries_without_threads(one_post, observe):
    """psycopg 3 has a real async API: N ``AsyncConnection``s, gathered, wait on the server
    together, about T in all, on the event loop's own thread. Outside the ORM. psycopg 3 envs."""
    import psycopg

    kwargs = connection_kwargs()
    connections = [await psycopg.AsyncConnection.connect(**kwargs) for _ in range(N)]
    try:
        async def sleep_on(conn):
            async with conn.cursor() as cur:
                await cur.execute("SELECT pg_sleep(%s)", [T])

        async def once():
            elapsed, _ = await timed(*[sleep_on(conn) for conn in connections])
            return elapsed

        elapsed = await abest_of(once, enough=lambda e: e <= PARALLEL)  # best of up to three runs
    finally:
        for conn in connections:
            await conn.close()
    observe(ratio=round(elapsed / (N * T), 2), elapsed_s=round(elapsed, 3))
    assert elapsed <= PARALLEL


@pytest.mark.django(">=4.2")
@pytest.mark.driver("psycopg")
@pytest.mark.claims(confirms=["concurrency.psycopg3-partial-support-4-2"])
async def test_django_runs_psycopg3_through_its_sync_api_in_a_worker_thread(one_post, sql_log, observe):
    """Django 4.2+ supports psycopg 3, but through its *sync* connection: the ORM's queries still
    run in a worker thread and gathered a-calls still take turns. 4.2+, psycopg 3."""
    slow = Post.objects.annotate(nap=Sleep(T))
    elapsed, _ = await timed(*[slow.aget(pk=one_post.pk) for _ in range(N)])
    observe(ratio=round(elapsed / (N * T), 2), connection_class="psycopg.Connection (sync)")
    assert elapsed >= SERIAL
    assert threading.get_ident() not in sql_log.threads()


@pytest.mark.parametrize("driver", [
    pytest.param("psycopg2", marks=[
        pytest.mark.driver("psycopg2"),
        pytest.mark.claims(confirms=["concurrency.psycopg2-orm-in-threadpool"],
                           refutes=["concurrency.only-postgresql-native-async-4-0"])]),
    pytest.param("psycopg", marks=[
        pytest.mark.driver("psycopg"),
        pytest.mark.claims(refutes=["concurrency.only-postgresql-native-async-4-0"])]),
    pytest.param("sqlite3", marks=[
        pytest.mark.driver("sqlite3"),
        pytest.mark.claims(refutes=["concurrency.mysql-not-fully-async", "concurrency.only-postgresql-native-async-4-0"])]),
])
async def test_every_backend_runs_async_orm_queries_in_a_worker_thread(driver, one_post, sql_log, observe):
    """Whatever the database and driver, an async ORM call runs its SQL on a worker thread, not
    on the loop: no backend is "natively async" in Django, and none is left out (SQLite works as
    PostgreSQL does). Before 4.1 async code has only ``sync_to_async``, which does the same, so
    on 4.0, the release A1 names, PostgreSQL (psycopg2) runs its queries in a worker thread too.
    Every version, every driver."""
    if hasattr(Post.objects, "aget"):
        await Post.objects.aget(pk=one_post.pk)
    else:
        await sync_to_async(Post.objects.get)(pk=one_post.pk)
    assert sql_log and threading.get_ident() not in sql_log.threads()
    observe(driver=driver, loop_thread_ran_sql=False)


@pytest.mark.parametrize("relation", [
    pytest.param("confirms", id="before-4.2", marks=[
        pytest.mark.database("pg"), pytest.mark.django("<4.2"),
        pytest.mark.claims(confirms=["concurrency.psycopg2-default-sync-driver"])]),
    pytest.param("refutes", id="4.2+", marks=[
        pytest.mark.driver("psycopg"), pytest.mark.django(">=4.2"),
        pytest.mark.claims(refutes=["concurrency.psycopg2-default-sync-driver"])]),
])
def test_which_driver_django_picks_when_it_can_choose(relation, observe):
    """Before 4.2 psycopg2 is Django's only PostgreSQL driver (and it is sync: no async API).
    From 4.2 Django picks psycopg 3 when it is installed, psycopg2 only as a fallback."""
    driver = connection.Database.__name__
    if relation == "confirms":
        assert driver == "psycopg2" and not hasattr(connection.Database, "AsyncConnection")
    else:
        from django.db.backends.postgresql import psycopg_any

        assert psycopg_any.is_psycopg3 and driver == "psycopg"
    observe(driver=driver)


# ------------------------------------------- Django's default SQLite test database (in memory)


def in_memory_test_database():
    """A connection handler for the database Django's default SQLite test database is: the name
    ``creation._get_test_db_name()`` gives when no TEST NAME is set (``file:memorydb_default?
    mode=memory&cache=shared``). Every thread that asks the handler gets its own connection, as
    with ``django.db.connections``; all of them open the one in-memory database. (This env's own
    test database is a file, so nothing else in the process opens this one.)"""
    from django.db.utils import ConnectionHandler

    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "TEST": {"NAME": None}}
    name = ConnectionHandler({"default": sqlite})["default"].creation._get_test_db_name()
    assert "mode=memory" in name and "cache=shared" in name, name
    return ConnectionHandler({"default": dict(sqlite, NAME=name)}), "default"


@pytest.mark.database("sqlite")
@pytest.mark.claims(confirms=["concurrency.sqlite-in-memory-test-db-serialises-threads"])
def test_djangos_in_memory_sqlite_test_database_makes_threads_take_turns(observe):
    """An observation about *test setups*, not about SQLite in a deployment: on Django's default
    SQLite test database (in memory, one cache shared by every connection of the process) a
    table written on one thread is visible to the others, and N threads, each on its own
    connection, reading it with a slow query take N·T: they take turns, where the same queries
    on a SQLite file overlap (the test above). So a test run on the default SQLite test database
    cannot tell whether threads overlap. All versions; SQLite envs (the database is opened here,
    beside the env's own)."""
    from concurrent.futures import ThreadPoolExecutor

    handler, alias = in_memory_test_database()
    keeper = handler[alias]  # this thread's connection keeps the in-memory database alive
    with keeper.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS djspec_shared")
        cursor.execute("CREATE TABLE djspec_shared (x integer)")
        cursor.execute("INSERT INTO djspec_shared VALUES (1)")

    def slow_read(_):
        conn = handler[alias]  # this thread's own connection
        try:
            conn.ensure_connection()
            with conn.cursor() as cursor:
                start = time.perf_counter()
                cursor.execute("SELECT djspec_sleep(%s) FROM djspec_shared", [T])
                value = cursor.fetchone()[0]
                return (value, threading.get_ident()), start, time.perf_counter()
        finally:
            conn.close()

    try:
        with ThreadPoolExecutor(max_workers=N) as pool:
            intervals = list(pool.map(slow_read, range(N)))
    finally:
        keeper.close()
    assert [value for (value, _), _, _ in intervals] == [1] * N  # every thread saw the row: one shared database
    observe(database=keeper.settings_dict["NAME"], threads=len({thread for (_, thread), _, _ in intervals}))
    assert_claimed(observe, "first start to last end (x one query)", span(intervals), claimed=f"{N} (one at a time)",
                   accept=(0.9 * N, None))
