"""Views and middleware of the docs async spec (spec_tests/test_docs_async.py), routed under
/docs-async/ by fixture_app/urls_docs_async.py.

Each piece records *where* it ran in ``EVENTS``: what ran, on which thread, and whether an event
loop was running in that thread. That is what Django's "Asynchronous support" page makes
statements about: an async view on the loop, a sync view or a sync-only middleware in a worker
thread, the one-off event loop of an async view under WSGI. The "marked" views are hand-made
callables that return a coroutine, marked (or not) the way each docs version says Django will
recognise them.
"""
import asyncio
import inspect
import threading
import time

import httpx
from asgiref.sync import markcoroutinefunction, sync_to_async
from django.http import HttpResponse, JsonResponse

EVENTS = []  # one dict per recorded step: what, thread, loop (id of the running loop or None)
LOOPS = []  # the event loop objects the loop-recording view ran on, in request order
BARRIERS = {}  # "per-request": the threading.Barrier the concurrent requests meet at (set by the test)


def record(what):
    """Append where ``what`` runs: its thread and the running event loop, if any."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    EVENTS.append({"what": what, "thread": threading.get_ident(), "loop": id(loop) if loop else None})


def reset():
    del EVENTS[:], LOOPS[:]
    BARRIERS.clear()


# ------------------------------------------------------------------------ views that say where


async def async_where(request):
    """An async view: records its thread and loop, and keeps the loop for the test."""
    record("async view")
    LOOPS.append(asyncio.get_running_loop())
    return JsonResponse({"thread": threading.get_ident()})


def sync_where(request):
    """A sync view: records its thread (and that no loop runs there)."""
    record("sync view")
    return JsonResponse({"thread": threading.get_ident()})


# ---------------------------------------------------------- middleware without flags: sync-only


def sync_only_middleware(get_response):
    """A middleware with no ``sync_capable``/``async_capable`` flags: sync-only, Django's default.
    When a barrier is set (``BARRIERS["middleware"]``) it waits there, so a test can tell whether
    two concurrent requests run it in two threads at once."""
    def middleware(request):
        record("sync middleware")
        barrier = BARRIERS.get("middleware")
        if barrier is not None:
            try:
                barrier.wait()
                request.barrier_met = True
            except threading.BrokenBarrierError:
                request.barrier_met = False
        response = get_response(request)
        if hasattr(request, "barrier_met"):
            response["X-Barrier-Met"] = str(request.barrier_met)
        return response
    return middleware


def second_sync_only_middleware(get_response):
    """A second sync-only middleware, for a stack that is sync from top to bottom."""
    def middleware(request):
        record("second sync middleware")
        return get_response(request)
    return middleware


# ------------------------------------------------- hand-made callables that return a coroutine


async def _respond(request):
    return HttpResponse("served as async")


def unmarked(request):
    """Returns a coroutine but carries no marker: a plain function to every detector."""
    return _respond(request)


def asyncio_marked(request):
    """Marked the way the 3.1-4.1 docs say: ``_is_coroutine = asyncio.coroutines._is_coroutine``."""
    return _respond(request)


asyncio_marked._is_coroutine = asyncio.coroutines._is_coroutine


def _asgiref_marked(request):
    return _respond(request)


# marked the way the 4.2-6.0 docs say: asgiref.sync.markcoroutinefunction
asgiref_marked = markcoroutinefunction(_asgiref_marked)


def _inspect_marked(request):
    return _respond(request)


# marked the way the 6.1 docs say: inspect.markcoroutinefunction (Python 3.12+ only)
inspect_marked = inspect.markcoroutinefunction(_inspect_marked) if hasattr(inspect, "markcoroutinefunction") else None


class AsyncCallView:
    """The 3.1-4.0 docs' class-based form: an instance whose ``__call__`` is ``async def``."""

    async def __call__(self, request):
        return HttpResponse("served as async")


async_call_view = AsyncCallView()


# ------------------------------------------------------------------------ concurrency in a view


async def gather_slow_calls(request):
    """Calls the slow test server ``n`` times with httpx, gathered: ``?base=URL&n=3&ms=300``."""
    base, n, ms = request.GET["base"], int(request.GET.get("n", "3")), int(request.GET.get("ms", "300"))
    async with httpx.AsyncClient(timeout=30) as client:
        responses = await asyncio.gather(*[client.get(f"{base}/delay/{ms}?call={i}") for i in range(n)])
    return JsonResponse({"statuses": [r.status_code for r in responses]})


async def thread_sensitive_at_barrier(request):
    """One thread-sensitive sync_to_async call that waits at ``BARRIERS["per-request"]``: two
    concurrent requests get past it only if their calls run in two threads at the same time."""
    barrier = BARRIERS["per-request"]

    def wait():
        try:
            barrier.wait()
            return threading.get_ident(), True
        except threading.BrokenBarrierError:
            return threading.get_ident(), False

    thread, met = await sync_to_async(wait)()
    return JsonResponse({"thread": thread, "met": met})


async def two_thread_sensitive_calls(request):
    """Two thread-sensitive sync_to_async calls of one request, gathered: their threads and the
    largest number of them that ran at the same moment."""
    lock, state = threading.Lock(), {"now": 0, "max": 0}

    def work():
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return threading.get_ident()

    threads = await asyncio.gather(sync_to_async(work)(), sync_to_async(work)())
    return JsonResponse({"threads": list(threads), "max_at_once": state["max"]})


async def ping(request):
    return HttpResponse("pong")


# ------------------------------------------------------------------- tasks (django.tasks, 6.0+)
# A task must be the module attribute its function's path names (6.1 rebuilds tasks from that
# path), so the decorated functions live here, at module level, where django.tasks exists.

try:
    from django.tasks import task
except ImportError:  # Django < 6.0
    task = None


def add(a, b):
    return a + b


async def async_add(a, b):
    await asyncio.sleep(0)
    return a + b


if task is not None:
    add = task(add)
    async_add = task(async_add)
