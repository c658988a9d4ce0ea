"""Close coroutines that a failing sample created and never awaited.

Python warns about such a coroutine ("coroutine ... was never awaited") when it is garbage
collected, which can happen during some later, unrelated test. The tests that provoke one close
it where they can reach it: in a traceback's frames, in an object's attributes, or in the
closures of a middleware chain.
"""
import inspect


def close_coroutines(*values):
    """Close the coroutines among ``values`` and among their attributes."""
    for value in values:
        for candidate in [value, *getattr(value, "__dict__", {}).values()]:
            if inspect.iscoroutine(candidate):
                candidate.close()


def close_coroutines_in_traceback(tb):
    """Close the coroutines held by the local variables of a traceback's frames."""
    while tb is not None:
        close_coroutines(*tb.tb_frame.f_locals.values())
        tb = tb.tb_next


def close_coroutines_in_closures(function, seen=None):
    """Close the coroutines found in ``function``'s closures, recursively (a middleware chain
    keeps each middleware in the closure of the one before)."""
    seen = seen if seen is not None else set()
    if id(function) in seen:
        return
    seen.add(id(function))
    inner = [cell.cell_contents for cell in getattr(function, "__closure__", None) or ()]
    inner += [getattr(function, "func", None)]  # asgiref's SyncToAsync wrapper keeps it here
    for value in inner:
        if inspect.iscoroutine(value):
            value.close()
        elif callable(value):
            close_coroutines_in_closures(value, seen)
