"""Views and helpers for spec_tests/test_http_async.py (/http-async/): responses, the request's
user and session, cache, auth backends, signals and disconnects in async code.

Every view records what it saw in ``EVENTS`` (a list the test clears first): which thread ran a
piece of code, whether an event loop was running there, in which order things happened. The
tests drive Django's ASGI application directly (or through the test clients) and read it.

This module is imported with the URLconf on every Django from 3.0, so the async APIs that came
later (``request.auser``, ``aget_object_or_404``, ``AsyncPaginator``, ...) are used inside the
view bodies, never at import time.
"""
import asyncio
import threading

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import BaseBackend
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse

from fixture_app.models import Post

EVENTS = []
# per-test state the tests set before a request: asyncio events made on the test's loop, paths
STATE = {}


def where():
    """(thread id, is an event loop running in this thread?)"""
    try:
        asyncio.get_running_loop()
        running = True
    except RuntimeError:
        running = False
    return threading.get_ident(), running


def record(what, **extra):
    thread, running = where()
    EVENTS.append(dict(what=what, thread=thread, loop=running, **extra))


# ------------------------------------------------------------------------- streaming responses


def _sync_chunks():
    for i in range(3):
        record("produce", chunk=i)
        yield f"s{i};"


async def _async_chunks():
    for i in range(3):
        record("produce", chunk=i)
        await asyncio.sleep(0)
        yield f"a{i};"


def stream_sync(request):
    """A sync view streaming a sync generator."""
    return StreamingHttpResponse(_sync_chunks())


async def stream_sync_from_async_view(request):
    """An async view streaming a sync generator (what Django must adapt under ASGI)."""
    return StreamingHttpResponse(_sync_chunks())


async def stream_async(request):
    """An async view streaming an async generator (4.2+)."""
    return StreamingHttpResponse(_async_chunks())


async def _gated_chunks():
    """First chunk now; the second only once the test sets STATE['release']."""
    record("produce", chunk=0)
    yield "first;"
    await STATE["release"].wait()
    record("produce", chunk=1)
    yield "second;"


async def stream_gated(request):
    return StreamingHttpResponse(_gated_chunks())


async def _long_chunks():
    """Streams a first chunk, then waits; records a cancellation (5.0+ on disconnect)."""
    try:
        record("produce", chunk=0)
        yield "first;"
        await asyncio.sleep(float(STATE.get("wait", 0.5)))
        record("produce", chunk=1)
        yield "second;"
    except asyncio.CancelledError:
        record("cancelled")
        raise


async def stream_long(request):
    return StreamingHttpResponse(_long_chunks())


def hello(request):
    return HttpResponse("hello")


# ------------------------------------------------------------------------- files and close()


class _TrackedFile:
    """A binary file whose reads and close() are recorded."""

    def __init__(self, path):
        self._file = open(path, "rb")
        self.name = path

    def read(self, size=-1):
        data = self._file.read(size)
        record("read", size=len(data))
        return data

    def seek(self, *args):
        return self._file.seek(*args)

    def tell(self):
        return self._file.tell()

    def seekable(self):
        return True

    def close(self):
        record("file-closed")
        self._file.close()

    @property
    def closed(self):
        return self._file.closed


def file_response(request):
    """A FileResponse over the file the test named in STATE['path'] (a sync view: FileResponse
    is what Django's own static-file and download views return)."""
    return FileResponse(_TrackedFile(STATE["path"]))


class ClosingResponse(HttpResponse):
    def close(self):
        record("response-closed")
        super().close()


def closing_response(request):
    return ClosingResponse("closing")


# ------------------------------------------------------------------------- the request's user


async def auser(request):
    """``await request.auser()`` (5.0+, AuthenticationMiddleware)."""
    user = await request.auser()
    record("auser")
    return JsonResponse({"authenticated": user.is_authenticated, "username": user.get_username()})


async def request_user(request):
    """``request.user`` read in an async view: the lazy user loads the session on the loop."""
    return JsonResponse({"authenticated": request.user.is_authenticated})


# ------------------------------------------------------------------------- the session


async def session_aset(request):
    """``await request.session.aset()`` (5.1+); SessionMiddleware saves it after the view."""
    await request.session.aset("colour", request.GET.get("colour", "red"))
    return HttpResponse("stored")


async def session_aget(request):
    """``await request.session.aget()`` (5.1+) in the next request."""
    return JsonResponse({"colour": await request.session.aget("colour")})


async def session_sync_read(request):
    """``request.session[...]`` in an async view: the db session loads on the loop."""
    return JsonResponse({"colour": request.session.get("colour")})


# ------------------------------------------------------------------------- disconnects


async def wait_for_disconnect(request):
    """Waits (STATE['wait'] s); records a cancellation (5.0+: the client disconnected)."""
    record("view-started")
    STATE["started"].set()
    try:
        await asyncio.sleep(float(STATE.get("wait", 0.5)))
    except asyncio.CancelledError:
        record("cancelled")
        raise
    record("view-finished")
    return HttpResponse("finished")


# ------------------------------------------------------------------------- shortcuts, paginator


async def post_or_404(request, pk):
    from django.shortcuts import aget_object_or_404  # Django >= 5.0

    post = await aget_object_or_404(Post, pk=pk)
    return JsonResponse({"title": post.title})


async def published_or_404(request):
    from django.shortcuts import aget_list_or_404  # Django >= 5.0

    posts = await aget_list_or_404(Post, published=True)
    return JsonResponse({"titles": [post.title for post in posts]})


async def post_page(request, number):
    from django.core.paginator import AsyncPaginator  # Django >= 6.0

    paginator = AsyncPaginator(Post.objects.order_by("pk"), 2)
    page = await paginator.aget_page(number)
    posts = await page.aget_object_list()
    return JsonResponse({
        "number": page.number,
        "num_pages": await paginator.anum_pages(),
        "titles": [post.title for post in posts],
        "has_next": await page.ahas_next(),
    })


# ------------------------------------------------------------------------- auth backends


class _Backend(BaseBackend):
    def get_user(self, user_id):
        from django.contrib.auth.models import User

        return User.objects.filter(pk=user_id).first()

    def _user(self, token):
        from django.contrib.auth.models import User

        return User.objects.filter(username=token).first()


class SyncOnlyBackend(_Backend):
    """Only the sync interface; its async one is synthesized (5.2+) or the whole sync
    authenticate() is wrapped (5.0-5.1)."""

    def authenticate(self, request, token=None):
        record("sync-authenticate")
        return self._user(token) if token else None


class BothInterfacesBackend(_Backend):
    """A sync and a native async authenticate."""

    def authenticate(self, request, token=None):
        record("sync-authenticate")
        return self._user(token) if token else None

    async def aauthenticate(self, request, token=None):
        record("async-authenticate")
        return await sync_to_async(self._user)(token) if token else None


class AsyncOnlyBackend(_Backend):
    """Only a native async authenticate: no sync one is synthesized from it."""

    async def aauthenticate(self, request, token=None):
        record("async-authenticate")
        return await sync_to_async(self._user)(token) if token else None


# ------------------------------------------------------------------------- cache


def spy_cache_class():
    """A LocMemCache whose sync get/set record the thread they run on (built on demand, to keep
    the cache machinery out of this module's import)."""
    from django.core.cache.backends.locmem import LocMemCache

    class SpyCache(LocMemCache):
        def get(self, key, default=None, version=None):
            record("cache-get", key=key)
            return super().get(key, default, version)

        def set(self, key, value, timeout=None, version=None):
            record("cache-set", key=key)
            return super().set(key, value, timeout, version)

    return SpyCache


class SpyCache:
    """CACHES BACKEND path: fixture_app.views.http_async.SpyCache (a LocMemCache spy)."""

    def __new__(cls, *args, **kwargs):
        return spy_cache_class()(*args, **kwargs)
