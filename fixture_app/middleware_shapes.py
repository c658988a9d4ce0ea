"""Middleware for the middleware surface spec (spec_tests/test_middleware_surface.py).

Two kinds:

* ``Recording<Name>``: a subclass of one of Django's own middleware classes that records, in
  ``EVENTS``, each of its hooks (``process_request``, ``process_view``, ``process_response``,
  and ``aprocess_request`` where Django has it) with the thread it ran on, then runs Django's
  hook unchanged. Built on first use (``fixture_app.middleware_shapes.RecordingSessionMiddleware``
  names a subclass of ``SessionMiddleware``), so that importing this module imports no contrib
  middleware, and so that classes a release lacks are simply not there.
* The shapes a user writes (Django docs, topics/http/middleware, "Asynchronous support"): a
  function factory or a class, with and without the ``sync_capable``/``async_capable`` flags,
  with and without marking the instance as a coroutine function, and the three decorators of
  ``django.utils.decorators`` (3.1+). Each records what it did, and on which thread.
"""
import asyncio
import inspect
import threading

from django.core.exceptions import MiddlewareNotUsed
from django.http import Http404, HttpResponse

EVENTS = []  # (what, thread id, details)


def record(what, **details):
    EVENTS.append((what, threading.get_ident(), details))


def recorded(what):
    """The events named ``what``."""
    return [event for event in EVENTS if event[0] == what]


# ------------------------------------------------------------------ Django's middleware, recorded

BUILTIN = {  # class name -> module
    "SecurityMiddleware": "django.middleware.security",
    "SessionMiddleware": "django.contrib.sessions.middleware",
    "CommonMiddleware": "django.middleware.common",
    "BrokenLinkEmailsMiddleware": "django.middleware.common",
    "CsrfViewMiddleware": "django.middleware.csrf",
    "AuthenticationMiddleware": "django.contrib.auth.middleware",
    "RemoteUserMiddleware": "django.contrib.auth.middleware",
    "PersistentRemoteUserMiddleware": "django.contrib.auth.middleware",
    "LoginRequiredMiddleware": "django.contrib.auth.middleware",  # 5.1+
    "MessageMiddleware": "django.contrib.messages.middleware",
    "XFrameOptionsMiddleware": "django.middleware.clickjacking",
    "GZipMiddleware": "django.middleware.gzip",
    "ConditionalGetMiddleware": "django.middleware.http",
    "LocaleMiddleware": "django.middleware.locale",
    "CacheMiddleware": "django.middleware.cache",
    "UpdateCacheMiddleware": "django.middleware.cache",
    "FetchFromCacheMiddleware": "django.middleware.cache",
    "FlatpageFallbackMiddleware": "django.contrib.flatpages.middleware",
    "RedirectFallbackMiddleware": "django.contrib.redirects.middleware",
    "CurrentSiteMiddleware": "django.contrib.sites.middleware",
    "XViewMiddleware": "django.contrib.admindocs.middleware",
    "ContentSecurityPolicyMiddleware": "django.middleware.csp",  # 6.0+
}
HOOKS = ("process_request", "aprocess_request", "process_view", "process_response")


def builtin_path(name):
    """``"SessionMiddleware"`` -> ``"django.contrib.sessions.middleware.SessionMiddleware"``."""
    return "%s.%s" % (BUILTIN[name], name)


def recording_path(name):
    """The dotted path of the recording subclass of Django's middleware ``name``."""
    return "%s.Recording%s" % (__name__, name)


def _recorder(base, hook):
    original = getattr(base, hook)
    if inspect.iscoroutinefunction(original):
        async def method(self, *args, **kwargs):
            record(hook)
            return await original(self, *args, **kwargs)
    else:
        def method(self, *args, **kwargs):
            record(hook)
            return original(self, *args, **kwargs)
    method.__name__ = hook
    return method


def _recording_subclass(base):
    hooks = {hook: _recorder(base, hook) for hook in HOOKS if hasattr(base, hook)}
    return type("Recording" + base.__name__, (base,), dict(hooks, __module__=__name__))


# ------------------------------------------------------------------ the shapes a user writes

try:  # Django 3.1+
    from django.utils.decorators import async_only_middleware, sync_and_async_middleware, sync_only_middleware
except ImportError:  # Django 3.0: no async middleware
    def async_only_middleware(factory):
        return factory

    sync_and_async_middleware = sync_only_middleware = async_only_middleware


def django_iscoroutinefunction(obj):
    """The test Django's handler applies to a middleware or a get_response (per version:
    asyncio's 3.1-4.1, asgiref's 4.2-6.0, inspect's 6.1)."""
    from django.core.handlers import exception

    detect = getattr(exception, "iscoroutinefunction", None)
    return (detect or asyncio.iscoroutinefunction)(obj)


def record_factory(get_response):
    """Record what a middleware factory was handed: the class of get_response (``AsyncToSync``
    where Django adapted it) and whether Django sees a coroutine function in it."""
    record("factory", get_response=type(get_response).__name__,
           get_response_is_async=django_iscoroutinefunction(get_response))


def no_flags(get_response):
    """A plain function factory with a sync inner function and no flags: Django's defaults
    (``sync_capable = True``, ``async_capable = False``) apply."""
    record_factory(get_response)

    def middleware(request):
        record("no-flags")
        return get_response(request)
    return middleware


def async_inner_no_flags(get_response):
    """A function factory returning an ``async def`` inner function, without any flag or
    decorator: to Django it is a sync-only middleware."""
    record_factory(get_response)

    async def middleware(request):
        record("async-inner")
        return await get_response(request)
    return middleware


class AsyncCallNoFlags:
    """A class whose ``__call__`` is ``async def``, with ``__init__(get_response)`` but no flags
    and no coroutine marker."""

    def __init__(self, get_response):
        self.get_response = get_response
        record_factory(get_response)

    async def __call__(self, request):
        record("async-call")
        return await self.get_response(request)


class DocsAsyncMiddleware:
    """The async class-based middleware of the docs (topics/http/middleware, 4.2+): async-only
    flags, and ``markcoroutinefunction(self)`` (asgiref's) when get_response is async."""
    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    async def __call__(self, request):
        record(type(self).__name__)
        return await self.get_response(request)


class UnmarkedAsyncMiddleware(DocsAsyncMiddleware):
    """The same class without the marker: the instance does not look like a coroutine function."""

    def __init__(self, get_response):
        self.get_response = get_response


class UnmarkedAsyncMiddlewareThatRaises(UnmarkedAsyncMiddleware):
    async def __call__(self, request):
        raise ValueError("raised by an unmarked async middleware")


class MarkedAsyncMiddlewareThatRaises(DocsAsyncMiddleware):
    async def __call__(self, request):
        raise ValueError("raised by a marked async middleware")


class OldMarkerAsyncMiddleware(DocsAsyncMiddleware):
    """Marked the way Django itself did before 4.2 (and what users copied): the
    ``_is_coroutine`` attribute set to asyncio's private marker."""

    def __init__(self, get_response):
        self.get_response = get_response
        if asyncio.iscoroutinefunction(get_response):
            self._is_coroutine = asyncio.coroutines._is_coroutine


class InspectMarkedAsyncMiddleware(DocsAsyncMiddleware):
    """The 6.1 docs' form: ``inspect.iscoroutinefunction``/``inspect.markcoroutinefunction``
    (``markcoroutinefunction`` is in Python 3.12+ only)."""

    def __init__(self, get_response):
        self.get_response = get_response
        if inspect.iscoroutinefunction(self.get_response):
            inspect.markcoroutinefunction(self)


@sync_and_async_middleware
def docs_dual(get_response):
    """The docs' sync-and-async function middleware: it picks an async or a sync inner function
    by testing get_response, and records what the three detectors say about it."""
    from asgiref.sync import iscoroutinefunction as asgiref_iscoroutinefunction

    is_async = django_iscoroutinefunction(get_response)
    record("factory", asyncio=asyncio.iscoroutinefunction(get_response),
           asgiref=asgiref_iscoroutinefunction(get_response),
           inspect=inspect.iscoroutinefunction(get_response))
    if is_async:
        async def middleware(request):
            record("dual-async")
            return await get_response(request)
    else:
        def middleware(request):
            record("dual-sync")
            return get_response(request)
    return middleware


@sync_and_async_middleware
def dual_always_sync(get_response):
    """Declares both modes but always returns a sync function that sets a header on the
    response: wrong when get_response is async (the docs: the returned callable must match)."""
    def middleware(request):
        record("always-sync")
        response = get_response(request)
        response["X-Always-Sync"] = "1"
        return response
    return middleware


@sync_only_middleware
def sync_only_decorated(get_response):
    record_factory(get_response)

    def middleware(request):
        record("sync-only")
        return get_response(request)
    return middleware


@async_only_middleware
def async_only_decorated(get_response):
    """Async-only; sets a header, so a test sees it ran."""
    record_factory(get_response)

    async def middleware(request):
        record("async-only")
        response = await get_response(request)
        response["X-Async-Only"] = "1"
        return response
    return middleware


@async_only_middleware
def raises_http404(get_response):
    async def middleware(request):
        raise Http404("raised by an async middleware")
    return middleware


@async_only_middleware
def raises_value_error(get_response):
    async def middleware(request):
        raise ValueError("raised by an async middleware")
    return middleware


@async_only_middleware
def sees_response(get_response):
    """Records what the middleware below hands back: a response (its status) or an exception."""
    async def middleware(request):
        try:
            response = await get_response(request)
        except Exception as exc:
            record("saw-exception", exc=repr(exc))
            raise
        record("saw-response", status=response.status_code)
        return response
    return middleware


class SyncHooks(DocsAsyncMiddleware):
    """An async middleware with sync ``process_view`` and ``process_exception`` hooks."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        record("process_view")

    def process_exception(self, request, exception):
        record("process_exception", exc=repr(exception))


class AsyncHooks(DocsAsyncMiddleware):
    """An async middleware with ``async def`` hooks; its process_exception answers 418."""

    async def process_view(self, request, view_func, view_args, view_kwargs):
        record("process_view")

    async def process_exception(self, request, exception):
        record("process_exception", exc=repr(exception))
        return HttpResponse("handled by an async process_exception", status=418)


@async_only_middleware
def not_used(get_response):
    """Opts out at startup, the documented way."""
    record("factory")
    raise MiddlewareNotUsed("not today")


def neither_mode(get_response):
    return get_response


neither_mode.sync_capable = False
neither_mode.async_capable = False


def _remote_user_subclasses():
    from django.contrib.auth.middleware import RemoteUserMiddleware

    class RemoteUserOverridingProcessRequest(RemoteUserMiddleware):
        """Overrides only the sync hook (deprecated in 5.2, unsupported in 6.1)."""

        def process_request(self, request):
            record("overridden process_request")
            return super().process_request(request)

    class CustomHeaderRemoteUserMiddleware(RemoteUserMiddleware):
        """The how-to's custom header: the client sends ``AuthUser: ...``."""
        header = "HTTP_AUTHUSER"

    return [RemoteUserOverridingProcessRequest, CustomHeaderRemoteUserMiddleware]


def __getattr__(name):  # PEP 562: classes built when Django's import_string first asks for them
    """``Recording<Name>`` (a recording subclass of Django's middleware ``Name``) and the two
    RemoteUserMiddleware subclasses, built on first use: contrib middleware is imported only
    once Django is set up, and a class a release lacks is simply not there."""
    from django.utils.module_loading import import_string

    if name.startswith("Recording") and name[len("Recording"):] in BUILTIN:
        classes = [_recording_subclass(import_string(builtin_path(name[len("Recording"):])))]
    elif name in ("RemoteUserOverridingProcessRequest", "CustomHeaderRemoteUserMiddleware"):
        classes = _remote_user_subclasses()
    else:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    for cls in classes:
        cls.__module__ = __name__
        globals()[cls.__name__] = cls
    return globals()[name]
