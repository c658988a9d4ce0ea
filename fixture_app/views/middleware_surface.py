"""Views for the middleware surface spec (spec_tests/test_middleware_surface.py), under
/middleware-surface/.

Each async view answers JSON with the thread it ran on, so a test can tell whether the request
reached it on the event loop's thread. The padding makes every JSON body longer than the 200
bytes GZipMiddleware needs before it compresses. ``where_sync`` is the one sync view, for
Django 3.0 (no async views there).
"""
import threading

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import translation

PADDING = "." * 300
CALLS = {"counter": 0}  # how often ``counter`` ran: the cache middleware serves repeats without it


def _answer(**extra):
    return JsonResponse(dict(thread=threading.get_ident(), padding=PADDING, **extra))


async def where(request):
    """The async view most tests reach: its thread."""
    return _answer()


def where_sync(request):
    """The same answer from a sync view (Django 3.0 has no async views)."""
    return _answer()


try:  # Django 5.1+: a view LoginRequiredMiddleware lets anonymous users reach
    from django.contrib.auth.decorators import login_not_required
except ImportError:
    public = where
else:
    public = login_not_required(where)


async def whoami(request):
    """The user AuthenticationMiddleware attached (read in a worker thread: the lazy
    ``request.user`` may query the session and the user table); "" for an anonymous user."""
    username = await sync_to_async(lambda: request.user.get_username())()
    return _answer(user=username)


async def session(request):
    """Writes to the session, so SessionMiddleware saves it and sets the session cookie."""
    request.session["visited"] = True
    return _answer()


async def message(request):
    """Adds a message, so MessageMiddleware stores it (a cookie with the cookie storage)."""
    messages.info(request, "hello from an async view")
    return _answer()


async def site(request):
    """The site CurrentSiteMiddleware put on the request."""
    return _answer(site=request.site.domain)


async def language(request):
    """The language LocaleMiddleware activated for this request."""
    return _answer(language=translation.get_language())


async def counter(request):
    """Counts its calls: a response served from the cache does not run it."""
    CALLS["counter"] += 1
    return _answer(calls=CALLS["counter"])


async def not_found(request):
    raise Http404("not here")


async def boom(request):
    raise ValueError("boom from an async view")


async def plain(request):
    """A bare response, for the tests that need no JSON."""
    return HttpResponse("plain")
