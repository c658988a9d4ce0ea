"""Concurrency in async Django: does ``asyncio.gather`` over ORM calls overlap them? Threads.

The articles promise that gathering N queries in an async view takes as long as the slowest.
Django's async ORM methods are ``sync_to_async(thread_sensitive=True)`` wrappers: inside one
request (or one test) they all run on the *same* worker thread, one after another, whatever the
database or driver. So N gathered queries take about N times one query. What does overlap:
``sync_to_async(thread_sensitive=False)`` (a thread and a connection per call), and a truly
async driver used directly (psycopg 3's ``AsyncConnection``), which Django's ORM does not use.
Meanwhile the event loop itself stays free: the queries run off its thread.

Latency is injected in the database: every measured query sleeps ``T`` seconds there
(``fixture_app.latency.Sleep``: ``pg_sleep`` on PostgreSQL, a Python function on SQLite).
Bounds are robust on a loaded 2-core machine: "one after another" means elapsed >= 0.9·N·T (a
lower bound, which load cannot break); "overlapped" means elapsed <= 0.6·N·T (ideal: T).
Each test records elapsed/(N·T) as ``ratio``: about 1 is serial, about 1/N is fully parallel.
"""
import asyncio
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from fixture_app.latency import Sleep
from fixture_app.models import Post

pytestmark = pytest.mark.django_db(transaction=True)

N, T = 3, 0.25  # three queries of a quarter second: 0.75 s one after another, 0.25 s overlapped
SERIAL, PARALLEL = 0.9 * N * T, 0.6 * N * T


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
    observe(ratio=round(elapsed / (N * T), 2), elapsed_s=round(elapsed, 3), query_threads=len(sql_log.threads()))
    assert elapsed >= SERIAL
    assert len(sql_log.threads()) == 1 and threading.get_ident() not in sql_log.threads()


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["concurrency.serves-others-during-async-db-query",
                              "concurrency.sync-parts-in-thread-pool-loop-free"])
async def test_the_event_loop_keeps_running_while_an_async_orm_query_waits(one_post, heartbeat, observe):
    """While ``aget`` waits T seconds on the database, other tasks on the loop keep running: the
    longest pause of a 5 ms heartbeat stays far below T. 4.1+."""
    async with heartbeat() as beat:
        await Post.objects.annotate(nap=Sleep(T)).aget(pk=one_post.pk)
    observe(max_loop_pause_s=round(beat.max_gap, 3))
    assert beat.max_gap < 0.5 * T


def slow_query_on_its_own_connection(pk):
    try:
        return slow_query(pk)
    finally:
        connection.close()  # this thread's connection: close it, or the test database stays busy


async def gather_with_a_thread_per_query(post, sql_log, observe):
    call = sync_to_async(slow_query_on_its_own_connection, thread_sensitive=False)
    elapsed, _ = await timed(*[call(post.pk) for _ in range(N)])
    observe(ratio=round(elapsed / (N * T), 2), elapsed_s=round(elapsed, 3), query_threads=len(sql_log.threads()))
    assert len(sql_log.threads()) == N
    return elapsed


@pytest.mark.database("pg")
@pytest.mark.claims(confirms=["concurrency.thread-sensitive-false-overlaps-queries"])
async def test_sync_to_async_with_thread_sensitive_false_overlaps_the_queries_on_postgresql(one_post, sql_log, observe):
    """``sync_to_async(f, thread_sensitive=False)`` runs each call in its own pool thread, with
    its own database connection: on PostgreSQL N slow queries overlap (about T in all). All
    versions, both drivers."""
    assert await gather_with_a_thread_per_query(one_post, sql_log, observe) <= PARALLEL


@pytest.mark.database("sqlite")
@pytest.mark.claims(refutes=["concurrency.thread-sensitive-false-overlaps-queries"])
async def test_sync_to_async_with_thread_sensitive_false_still_serialises_on_sqlite(one_post, sql_log, observe):
    """On SQLite (here Django's in-memory test database, one shared cache) the N threads and
    connections still take turns: N·T in all. Threads do not make SQLite concurrent. All versions."""
    assert await gather_with_a_thread_per_query(one_post, sql_log, observe) >= SERIAL


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

        elapsed, _ = await timed(*[sleep_on(conn) for conn in connections])
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
        pytest.mark.claims(confirms=["concurrency.psycopg2-orm-in-threadpool"])]),
    pytest.param("psycopg", marks=[
        pytest.mark.driver("psycopg"), pytest.mark.django(">=4.1"),
        pytest.mark.claims(refutes=["concurrency.only-postgresql-native-async-4-0"])]),
    pytest.param("sqlite3", marks=[
        pytest.mark.driver("sqlite3"), pytest.mark.django(">=4.1"),
        pytest.mark.claims(refutes=["concurrency.mysql-not-fully-async", "concurrency.only-postgresql-native-async-4-0"])]),
])
async def test_every_backend_runs_async_orm_queries_in_a_worker_thread(driver, one_post, sql_log, observe):
    """Whatever the database and driver, an async ORM call runs its SQL on a worker thread, not
    on the loop: no backend is "natively async" in Django, and none is left out (SQLite works as
    PostgreSQL does). Before 4.1 async code has only ``sync_to_async``, which does the same."""
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
