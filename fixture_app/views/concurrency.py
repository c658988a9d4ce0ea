"""Views for the concurrency measurements, and the articles' fan-out samples (as written, with
our names; "external APIs" are the test's local slow server, passed as ?base=...).

Claims: claims/concurrency.toml. Delays come as ?s=<seconds> so the tests choose them.

The views that call out with aiohttp or requests import it themselves, at their first call: the
real servers (djspec/servers.py, nine processes per env) never serve them and would otherwise
spend 0.13 s of CPU each importing the two. The spec's own process imports both up front
(spec_tests/conftest.py), so no timed request pays for an import.
"""
import asyncio
import threading
import time

import httpx
from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.shortcuts import render

from fixture_app.latency import Sleep
from fixture_app.models import Author, Post


def _seconds(request):
    return float(request.GET.get("s", "0.2"))


def _where():
    return {"thread": threading.get_ident()}


# --------------------------------------------------------------- plain waits, to see the thread model


_IN_FLIGHT = {"now": 0}  # async_sleep requests of this process being served right now
_GATES = {}  # ?gate=n -> the asyncio.Event that opens once n of them are in flight at once


async def async_sleep(request):
    """Awaits ?s= seconds; reports its thread. With ?gate=n it first waits (at most 30 s) until n
    requests of this view are in flight at once in this process, and reports how many were
    ("in_flight"): a test of how many requests one thread holds open together."""
    gate = int(request.GET.get("gate", 0))
    _IN_FLIGHT["now"] += 1
    try:
        in_flight = _IN_FLIGHT["now"]
        if gate:
            opened = _GATES.setdefault(gate, asyncio.Event())
            if in_flight >= gate:
                opened.set()
                _GATES.pop(gate, None)  # the next test's requests wait for a gate of their own
            try:
                await asyncio.wait_for(opened.wait(), timeout=30)
            except asyncio.TimeoutError:
                pass
            in_flight = max(in_flight, _IN_FLIGHT["now"])
        await asyncio.sleep(_seconds(request))
        return JsonResponse({**_where(), "in_flight": in_flight})
    finally:
        _IN_FLIGHT["now"] -= 1


def sync_sleep(request):
    time.sleep(_seconds(request))
    return JsonResponse(_where())


def spin(seconds):
    """CPU-bound work: keep a core busy for ``seconds``."""
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


# A2 6.2, as written: CPU-bound work directly in the async view
async def cpu_on_the_loop(request):
    result = spin(_seconds(request))
    return JsonResponse({"result": result})


# A2 6.2, the fix: the same work in the loop's default thread pool
async def cpu_in_executor(request):
    loop = asyncio.get_event_loop()
    result = await loop.run_in_executor(None, spin, _seconds(request))
    return JsonResponse({"result": result})


# A2 4.2: a blocking HTTP call (requests) inside an async view
async def requests_in_async_view(request):
    import requests  # here, not at the top: see the module docstring
    data = requests.get(f"{request.GET['base']}/delay/{int(_seconds(request) * 1000)}").json()
    return JsonResponse(data)


# --------------------------------------------------------------- the articles' HTTP fan-out samples


# concurrency.sample-a0-aggregate: one httpx client, two calls gathered
async def aggregate(request):
    base, ms = request.GET["base"], int(_seconds(request) * 1000)
    async with httpx.AsyncClient() as client:
        a, b = await asyncio.gather(
            client.get(f"{base}/delay/{ms}?users"),
            client.get(f"{base}/delay/{ms}?posts"),
        )
    return JsonResponse({"users": a.json(), "posts": b.json()})


async def _fetch_data(url):
    async with httpx.AsyncClient() as client:
        return await client.get(url)


# concurrency.sample-a3-multiple-requests-view: one httpx client per URL, gathered
async def multiple_requests(request):
    base, ms = request.GET["base"], int(_seconds(request) * 1000)
    urls = [f"{base}/delay/{ms}?data1", f"{base}/delay/{ms}?data2"]
    responses = await asyncio.gather(*[_fetch_data(url) for url in urls])
    return JsonResponse({"results": [resp.json() for resp in responses]})


async def _fetch_api(session, url):
    async with session.get(url) as response:
        return await response.json()


# concurrency.sample-2-4-fetch-external-data / -async-fetch: three aiohttp calls gathered
async def fetch_external_data(request):
    import aiohttp  # here, not at the top: see the module docstring
    base, ms = request.GET["base"], int(_seconds(request) * 1000)
    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(
            _fetch_api(session, f"{base}/delay/{ms}?api1"),
            _fetch_api(session, f"{base}/delay/{ms}?api2"),
            _fetch_api(session, f"{base}/delay/{ms}?api3"),
        )
    return JsonResponse({"data": results})


# concurrency.sample-2-4-sync-fetch: the same three calls with requests, one after another
def sync_fetch_external_data(request):
    import requests  # here, not at the top: see the module docstring
    base, ms = request.GET["base"], int(_seconds(request) * 1000)
    result1 = requests.get(f"{base}/delay/{ms}?api1").json()
    result2 = requests.get(f"{base}/delay/{ms}?api2").json()
    result3 = requests.get(f"{base}/delay/{ms}?api3").json()
    return JsonResponse({"data": [result1, result2, result3]})


# concurrency.sample-7-2-aggregated-data-api: four services gathered with return_exceptions,
# fallbacks for a failed user or order service (our order service fails: /fail/)
async def aggregated_data(request):
    import aiohttp  # here, not at the top: see the module docstring
    base, ms = request.GET["base"], int(_seconds(request) * 1000)

    async def service(session, path):
        async with session.get(f"{base}/{path}/{ms}") as response:
            response.raise_for_status()
            return await response.json()

    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(
            service(session, "delay"), service(session, "fail"),
            service(session, "delay"), service(session, "delay"),
            return_exceptions=True,
        )
    user_data, order_data, payment_data, recommendation_data = results
    if isinstance(user_data, Exception):
        user_data = {"error": "User service unavailable"}
    if isinstance(order_data, Exception):
        order_data = {"orders": []}
    return JsonResponse({"user": user_data, "orders": order_data,
                         "payment": payment_data, "recommendations": recommendation_data})


# --------------------------------------------------------------- the articles' ORM dashboards


def _slow(model):
    """The model's rows, each costing 50 ms in the database (filtering on the sleep keeps it in
    COUNT queries too)."""
    return model.objects.annotate(nap=Sleep(0.05)).filter(nap=1)


# concurrency.sample-2-3-sync-dashboard / 5-1 sync: three queries one after another
def sync_dashboard(request, pk):
    author = _slow(Author).get(id=pk)
    post_count = _slow(Post).filter(author=author).count()
    published_count = _slow(Post).filter(author=author, published=True).count()
    return JsonResponse({"author": author.name, "posts": post_count, "published": published_count})


# concurrency.sample-5-1-async-user-dashboard: gather aget and two acount
async def async_dashboard(request, pk):
    author, post_count, published_count = await asyncio.gather(
        _slow(Author).aget(id=pk),
        _slow(Post).filter(author_id=pk).acount(),
        _slow(Post).filter(author_id=pk, published=True).acount(),
    )
    return JsonResponse({"author": author.name, "posts": post_count, "published": published_count})


# concurrency.sample-2-3-async-dashboard, as written: the filters use the author that the same
# gather is still fetching
async def async_dashboard_as_written(request, pk):
    author, post_count, published_count = await asyncio.gather(
        _slow(Author).aget(id=pk),
        _slow(Post).filter(author=author).acount(),  # noqa: F821 - as written: not assigned yet
        _slow(Post).filter(author=author, published=True).acount(),  # noqa: F821
    )
    return JsonResponse({"author": author.name, "posts": post_count, "published": published_count})


# concurrency.sample-preface-async-dashboard, as written: the same use-before-assignment, and
# QuerySets (not awaitables) handed to gather
async def preface_dashboard_as_written(request, pk):
    author, posts, published = await asyncio.gather(
        _slow(Author).aget(id=pk),
        _slow(Post).filter(author=author).all(),  # noqa: F821 - as written
        _slow(Post).filter(author=author, published=True).all(),  # noqa: F821
    )
    return JsonResponse({"author": author.name})


# concurrency.sample-preface-sync-dashboard: three queries, then a template
def preface_sync_dashboard(request, pk):
    author = _slow(Author).get(id=pk)
    posts = _slow(Post).filter(author=author).all()
    published = _slow(Post).filter(author=author, published=True).all()
    return render(request, "dashboard.html", {"author": author, "posts": posts, "published": published})


# concurrency.sample-4-2-bad-async-view, as written: sync ORM, requests, CPU, all on the loop
async def bad_async_view(request, pk):
    import requests  # here, not at the top: see the module docstring
    author = Author.objects.get(id=pk)
    response = requests.get(f"{request.GET['base']}/delay/50")
    result = spin(0.05)
    return JsonResponse({"author": author.name, "status": response.status_code, "result": result})


# concurrency.sample-4-2-good-async-view: aget, aiohttp, run_in_executor
async def good_async_view(request, pk):
    import aiohttp  # here, not at the top: see the module docstring
    author = await Author.objects.aget(id=pk)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{request.GET['base']}/delay/{int(_seconds(request) * 1000)}") as response:
            data = await response.json()
    loop = asyncio.get_event_loop()
    result = await loop.run_in_executor(None, spin, _seconds(request))
    return JsonResponse({"author": author.name, "data": data, "result": result})


# concurrency.sample-q3-fast-view: a query and an API call gathered (the article's 100 and
# 200 ms, doubled)
async def query_and_api_gathered(request, pk):
    import aiohttp  # here, not at the top: see the module docstring
    async def api_call():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{request.GET['base']}/delay/400") as response:
                return await response.json()

    author, data = await asyncio.gather(Author.objects.annotate(nap=Sleep(0.2)).aget(id=pk), api_call())
    return JsonResponse({"author": author.name, "data": data})


# concurrency.sample-q3-slow-view: the same two, one after the other
def query_then_api(request, pk):
    import requests  # here, not at the top: see the module docstring
    author = Author.objects.annotate(nap=Sleep(0.2)).get(id=pk)
    data = requests.get(f"{request.GET['base']}/delay/400").json()
    return JsonResponse({"author": author.name, "data": data})


def _backend_pid():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


# which PostgreSQL connection (server process) served this request's query
async def backend_pid(request):
    return JsonResponse({"pid": await sync_to_async(_backend_pid)()})
