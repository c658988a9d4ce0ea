"""Timing checks that do not depend on how loaded the machine is."""


def all_overlap(calls):
    """Did every call of ``calls`` ((path, start, end), as the slow server logs them) start
    before any of them ended, i.e. were they all in flight at once?"""
    return bool(calls) and max(start for _, start, _ in calls) < min(end for _, _, end in calls)
