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
    band = f"[{'-inf' if low is None else f'{low:g}'}, {'+inf' if high is None else f'{high:g}'}]{unit}"
    observe(**{name: round(measured, 3), f"{name} claimed": f"{claimed}{unit}", f"{name} accepted": band})
    verb = "confirms" if holds else "refutes"
    assert inside(measured, accept) == holds, (
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


def check(name, of, *, claimed, accept, holds=True, unit=""):
    """One quantity a test asserts with :func:`assert_claimed`: ``of(measurement)`` (a function
    of what :func:`best_of` returns) against the claimed value and its accepted band."""
    return {"name": name, "of": of, "claimed": claimed, "accept": accept, "holds": holds, "unit": unit}


def settled(checks):
    """For ``best_of(..., enough=settled(checks))``: stop repeating once every check already
    lands on its side of its band."""
    return lambda measurement: all(inside(c["of"](measurement), c["accept"]) == c["holds"] for c in checks)


def assert_checks(observe, measurement, checks):
    """:func:`assert_claimed` for every check, on the (best) measurement."""
    for c in checks:
        assert_claimed(observe, c["name"], c["of"](measurement), claimed=c["claimed"], accept=c["accept"],
                       holds=c["holds"], unit=c["unit"])


def spread(values, digits=3):
    """'median (min–max, n runs)' of ``values``: how a *measured* quantity is reported."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return f"{round(median, digits)} ({round(ordered[0], digits)}–{round(ordered[-1], digits)}, {len(ordered)} runs)"


class LoopProbe:
    """``async with LoopProbe() as probe: ...``: a task that wakes every 5 ms on the event loop
    while the block runs. ``probe.beats`` counts its wake-ups (a blocked loop gives none while it
    is blocked; a free one gives dozens, even on a loaded machine), ``probe.max_gap`` is the
    longest time between two (a blocked loop shows as a long gap). The beat count is the robust
    measure of "other work runs meanwhile": one scheduling hiccup of a loaded machine lengthens
    one gap but removes few beats."""

    def __init__(self, every=0.005):
        self.every, self.beats, self.max_gap, self._task = every, 0, 0.0, None

    async def _beat(self):
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.every)
            now = time.perf_counter()
            self.beats += 1
            self.max_gap = max(self.max_gap, now - last)
            last = now

    async def __aenter__(self):
        self._task = asyncio.ensure_future(self._beat())
        await asyncio.sleep(0.02)  # let it start
        self.beats, self.max_gap = 0, 0.0
        return self

    async def __aexit__(self, *exc):
        beats = self.beats
        await asyncio.sleep(2 * self.every)  # one more beat: a block that just ended shows as a gap
        self.beats = beats  # ... but beats after the block do not count as beats during it
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


async def beats_during(work, need=5, runs=3):
    """Run ``await work()`` under a :class:`LoopProbe`, up to ``runs`` times until the probe
    beats at least ``need`` times (load only ever takes beats away, so the most of a few runs is
    the robust count). Returns (beats, max gap of that run, what ``work()`` returned)."""
    best = None
    for _ in range(runs):
        async with LoopProbe() as probe:
            result = await work()
        if best is None or probe.beats > best[0]:
            best = (probe.beats, probe.max_gap, result)
        if best[0] >= need:
            break
    return best
