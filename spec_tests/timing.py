"""Concurrent requests, timed, and timing checks that do not depend on how loaded the machine is."""
import asyncio
import time


async def concurrently(client, url, k):
    """GET ``url`` k times at once with an httpx client; every response must be a 200 from a
    fixture_app view that reports its thread. Returns (elapsed seconds, the set of threads)."""
    start = time.perf_counter()
    responses = await asyncio.gather(*[client.get(url) for _ in range(k)])
    elapsed = time.perf_counter() - start
    assert {r.status_code for r in responses} == {200}, [r.text[:200] for r in responses]
    return elapsed, {r.json()["thread"] for r in responses}


def all_overlap(calls):
    """Did every call of ``calls`` ((path, start, end), as the slow server logs them) start
    before any of them ended, i.e. were they all in flight at once?"""
    return bool(calls) and max(start for _, start, _ in calls) < min(end for _, _, end in calls)
