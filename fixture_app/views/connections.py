"""Views for the connections spec (spec_tests/test_connections.py): which database connection a
request uses, and what becomes of it when the request ends.

Each view that touches the database records the connection it used in ``SEEN`` (a list the
test clears and reads): the thread that ran the query, Django's ``DatabaseWrapper`` for that
thread and the DB-API connection object inside it (compared with ``is``, so no id is ever
confused with a recycled one), plus the PostgreSQL server process id on PostgreSQL. After the
request the test looks at ``wrapper.connection``: ``None`` means Django closed it.

Claims: claims/connections.toml.
"""
import threading

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import JsonResponse

SEEN = []  # one dict per query a view ran; cleared by the tests


def _use_the_database():
    """Run one query on this thread's connection and record which connection that was."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
        else:
            cursor.execute("SELECT 1")
        value = cursor.fetchone()[0]
    seen = {
        "thread": threading.current_thread(),
        "wrapper": _wrapper(),
        "raw": connection.connection,
        "pid": value if connection.vendor == "postgresql" else None,
    }
    SEEN.append(seen)
    return seen


def _wrapper():
    """This thread's DatabaseWrapper for 'default' (``connection`` is only a proxy to it)."""
    from django.db import connections

    return connections["default"]


def _answer(seen_list):
    return JsonResponse({"queries": [{"thread": s["thread"].ident, "pid": s["pid"]} for s in seen_list]})


# --------------------------------------------------------------- one query per request


async def async_query(request):
    """An async view that queries through sync_to_async (thread-sensitive, the default)."""
    seen = await sync_to_async(_use_the_database)()
    return _answer([seen])


def sync_query(request):
    """A sync view that queries."""
    return _answer([_use_the_database()])


async def async_three_queries(request):
    """An async view with three separate sync_to_async calls, each one query."""
    seen = [await sync_to_async(_use_the_database)() for _ in range(3)]
    return _answer(seen)


async def async_query_thread_insensitive(request):
    """An async view whose query runs in sync_to_async(thread_sensitive=False): a thread of the
    executor's pool, not the request's thread-sensitive one."""
    seen = await sync_to_async(_use_the_database, thread_sensitive=False)()
    return _answer([seen])


async def async_no_query(request):
    """An async view that never touches the database."""
    return JsonResponse({"queries": []})


def sync_three_queries(request):
    """A sync view with three queries."""
    return _answer([_use_the_database() for _ in range(3)])


def sync_no_query(request):
    """A sync view that never touches the database."""
    return JsonResponse({"queries": []})


# --------------------------------------------------------------- requests held in flight

GATE = {"event": None, "arrived": 0}  # the test sets an asyncio.Event of its own loop


async def async_query_then_wait(request):
    """Query (thread-sensitive sync_to_async), then wait on the test's gate before answering: the
    request stays in flight, its connection used, until the test opens the gate."""
    seen = await sync_to_async(_use_the_database)()
    GATE["arrived"] += 1
    await GATE["event"].wait()
    return _answer([seen])
