"""What of the ORM async code can await: shared by the ORM and the versions specs."""
import inspect


def awaitable_orm_interface():
    """Every name on QuerySet, Manager and Model that async code could await or iterate with
    ``async for`` (coroutine functions, async generator functions, ``__await__``, ``__aiter__``),
    as "Class.name". Empty before 4.1, which brought them all at once."""
    from django.db.models import Manager, Model, QuerySet

    found = []
    for cls in (QuerySet, Manager, Model):
        for name in dir(cls):
            value = getattr(cls, name, None)
            if name in ("__await__", "__aiter__") or inspect.iscoroutinefunction(value) \
                    or inspect.isasyncgenfunction(value):
                found.append(f"{cls.__name__}.{name}")
    return found
