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


def assert_claimed(observe, name, measured, *, claimed, accept, holds=True, unit=""):
    """Check a measured quantity against the number a claim states, and record all three in the
    report cell: the measured value, the claimed value, and the accepted band (the claim's value
    widened by a stated tolerance that a loaded 2-core machine cannot cross by noise).

    ``accept`` is ``(low, high)`` (either may be None for an open side). With ``holds=True`` the
    test confirms the claim: the value must lie inside the band. With ``holds=False`` it refutes
    the claim: the value must lie outside the band, so a Django that did deliver the claimed
    number would fail the test and show as drift.
    """
    low, high = accept
    inside = (low is None or measured >= low) and (high is None or measured <= high)
    band = f"[{'-inf' if low is None else low}, {'+inf' if high is None else high}]{unit}"
    observe(**{name: round(measured, 3), f"{name} claimed": f"{claimed}{unit}", f"{name} accepted": band})
    verb = "confirms" if holds else "refutes"
    assert inside == holds, (
        f"{name} = {measured:.3f}{unit}: {'outside' if holds else 'inside'} {band}, the band this test "
        f"accepts for the claimed {claimed}{unit}, so the test no longer {verb} the claim")


# ------------------------------------------------------------------ robust measurement: best-of
#
# On a shared machine, load only ever *adds* time to a measurement: a timed wait of T seconds
# takes T or more, never less. So the smallest of a few repeats is the best estimate of the
# unloaded value, and a spike in one run cannot decide a verdict. ``enough`` stops the repeats
# as soon as the best so far already settles the question (the first run usually does), so an
# idle machine pays for one run and a loaded one for up to ``runs``.


def _best(values):
    """The smallest of ``values``; for tuples, the smallest of each position."""
    if isinstance(values[0], tuple):
        return tuple(min(v[i] for v in values) for i in range(len(values[0])))
    return min(values)


def best_of(measure, runs=3, enough=None):
    """Call ``measure()`` up to ``runs`` times; return the best (smallest) value seen, per
    position when it returns a tuple. Stops early once ``enough(best)`` is true."""
    values = []
    for _ in range(runs):
        values.append(measure())
        if enough is not None and enough(_best(values)):
            break
    return _best(values)


async def abest_of(measure, runs=3, enough=None):
    """:func:`best_of` for a coroutine function ``measure``."""
    values = []
    for _ in range(runs):
        values.append(await measure())
        if enough is not None and enough(_best(values)):
            break
    return _best(values)


def inside(value, accept):
    """Is ``value`` inside the band ``accept`` = (low, high) (either may be None)?"""
    low, high = accept
    return (low is None or value >= low) and (high is None or value <= high)


def improvement_percent(sync_s, async_s):
    """How much less time the async version took, in percent of the sync time (the articles'
    "N% faster" figures are this: 230 ms -> 100 ms is 56%)."""
    return 100 * (1 - async_s / sync_s)
