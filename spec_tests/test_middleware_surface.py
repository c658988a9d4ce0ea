"""Middleware surface: Django's own middleware and the middleware shapes you write, in an async stack.

How Django builds the stack (3.1+). At startup the handler walks MIDDLEWARE from the view
outwards. Each middleware declares what it can take with two flags, ``sync_capable`` (default
True) and ``async_capable`` (default False); the flags alone decide the mode Django calls it in.
Under ASGI a middleware that can run async is handed an async ``get_response``; one that can
only run sync is handed ``async_to_sync(get_response)`` and is itself wrapped in
``sync_to_async``: each request then hops to a worker thread and back. Whether the *instance*
is async (a coroutine function, or marked as one) only matters to the layer above it, which
wraps it accordingly. Django 3.0 has none of this: its ASGI handler runs the whole sync stack in
one worker thread.

Django's own middleware. Every bundled middleware class has both flags from 3.1, and an
all-async stack of them is built without a single adapter: each instance is marked as a
coroutine function and hands the request on with ``await``; the async view runs on the loop.
But "async-capable" is not "no thread hop": ``MiddlewareMixin.__acall__`` runs the sync
``process_request``/``process_response`` hooks through ``sync_to_async`` (and the handler runs
``process_view`` the same way), so every bundled middleware still does its own work in a worker
thread. Only ``RemoteUserMiddleware`` (and ``PersistentRemoteUserMiddleware``) has a native async
path, ``aprocess_request``, from 5.2; even that queries the database in a worker thread.

The shapes you write. No flags means sync-only: adapted, a worker thread per request. An
``async def`` inner function or ``async def __call__`` does not change the flags: without them,
Django still treats the middleware as sync, and it fails (at startup, or on every request). With
the flags, a class must also mark its instances (``markcoroutinefunction``) or the middleware
above it is built in sync mode and breaks, and its exceptions escape Django's conversion to a
500. Which marker Django sees follows the coroutine test it uses: ``asyncio``'s (3.1–4.1),
``asgiref``'s (4.2–6.0), ``inspect``'s (6.1), so the pre-4.2 ``_is_coroutine`` idiom stops
working on 4.2+ (Python 3.12+). Exceptions raised by a (marked) async middleware become a
response that the middleware above receives; ``process_exception`` hooks only see the view's.

Requests go through Django's ASGI handler (``ASGIHandler``, as a server runs it) with httpx,
with the MIDDLEWARE of each test; the test runs on the event loop's thread, so "on the loop"
means "on the test's thread". Claims: claims/middleware_surface.toml.
"""
import gc
import logging
import threading

import django
import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from fixture_app import middleware_shapes as shapes
from fixture_app.views import middleware_surface as views
from spec_tests.sides import side
from spec_tests.unawaited import close_coroutines_in_traceback

P = "/middleware-surface/"
SHAPES = "fixture_app.middleware_shapes."


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def asgi():
    """``asgi(middleware, **settings)`` -> (httpx client, handler): Django's ASGI handler built
    with that MIDDLEWARE (and those settings, for the test's duration)."""
    overrides = []

    def build(middleware, **settings):
        from django.core.handlers.asgi import ASGIHandler

        override = override_settings(MIDDLEWARE=list(middleware), **settings)
        override.enable()
        overrides.append(override)
        shapes.EVENTS.clear()
        handler = ASGIHandler()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=handler), base_url="http://testserver", timeout=30)
        return client, handler

    yield build
    for override in reversed(overrides):
        override.disable()


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with an empty cache, no recorded events and the view counter at 0."""
    from django.core.cache import cache

    cache.clear()
    shapes.EVENTS.clear()
    views.CALLS["counter"] = 0
    yield
    cache.clear()


def middleware_chain(handler):
    """What the handler built, outermost first: each middleware instance, and the name of the
    adapter ("SyncToAsync", "AsyncToSync") wherever Django put one between two layers."""
    from asgiref.sync import AsyncToSync, SyncToAsync

    layers, current = [], handler._middleware_chain
    for _ in range(100):
        if isinstance(current, (SyncToAsync, AsyncToSync)):
            layers.append(type(current).__name__)
            current = getattr(current, "func", None) or getattr(current, "awaitable", None)
        elif hasattr(current, "__wrapped__"):  # convert_exception_to_response's wrapper
            current = current.__wrapped__
        elif hasattr(current, "get_response"):  # a middleware instance
            layers.append(current)
            current = current.get_response
        else:  # the handler's own _get_response_async
            break
    return layers


def threads_of(*whats):
    """The threads the recorded events ``whats`` ran on."""
    return {thread for what, thread, _ in shapes.EVENTS if what in whats}


def close_unawaited(*qualnames):
    """Close the never-started coroutines of these names that a broken stack left behind (the
    view's ``_get_response_async``, a middleware's ``__call__``), so Python does not warn about
    them during some later test."""
    import inspect
    import types

    for obj in gc.get_objects():  # garbage not yet collected included
        if (type(obj) is types.CoroutineType and obj.__qualname__ in qualnames  # type(): no lazy object wakes up
                and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED):
            obj.close()
    gc.collect()


async def session_cookie(username, backend="django.contrib.auth.backends.ModelBackend"):
    """A session cookie header of a logged-in user, made the way the test Client logs in."""
    def login():
        from django.contrib.auth.models import User
        from django.test import Client

        user = User.objects.create_user(username)
        client = Client()
        client.force_login(user, backend=backend)
        return {"Cookie": "sessionid=%s" % client.cookies["sessionid"].value}

    return await sync_to_async(login)()


# ----------------------------------------------------------------------------- Django's middleware
# One Case per bundled middleware class: the stack it needs (``*`` is the class itself), the
# settings, and a check of its own effect under ASGI.


async def security(client):
    response = await client.get(P + "where/")
    assert response.headers["x-content-type-options"] == "nosniff"
    return "X-Content-Type-Options: nosniff"


async def session(client):
    response = await client.get(P + "session/")
    assert "sessionid=" in response.headers["set-cookie"]
    return "session saved, sessionid cookie set"


async def common(client):
    response = await client.get(P + "where")
    assert response.status_code == 301 and response.headers["location"] == P + "where/"
    return "APPEND_SLASH: 301 to %s" % response.headers["location"]


async def broken_link_emails(client):
    from django.core import mail

    mail.outbox = []
    response = await client.get(P + "missing/", headers={"Referer": "http://testserver" + P + "where/"})
    assert response.status_code == 404
    subjects = [message.subject for message in mail.outbox]
    assert len(subjects) == 1 and "Broken INTERNAL link on testserver" in subjects[0]
    return "404 with an internal referer: mail %r" % subjects[0]


async def csrf_view(client):
    response = await client.post(P + "where/", data={"x": "1"})
    assert response.status_code == 403
    return "POST without a token: 403"


async def authentication(client):
    response = await client.get(P + "whoami/", headers=await session_cookie("ada"))
    assert response.json()["user"] == "ada"
    return "request.user from the session: ada"


REMOTE_USER_BACKEND = "django.contrib.auth.backends.RemoteUserBackend"


async def remote_user(client):
    response = await client.get(P + "whoami/", headers=await session_cookie("bob", REMOTE_USER_BACKEND))
    assert response.json()["user"] == ""
    return "remote user bob, no header: logged out"


async def persistent_remote_user(client):
    response = await client.get(P + "whoami/", headers=await session_cookie("bob", REMOTE_USER_BACKEND))
    assert response.json()["user"] == "bob"
    return "remote user bob, no header: still bob"


async def login_required(client):
    response = await client.get(P + "whoami/")
    assert response.status_code == 302
    assert response.headers["location"] == "/accounts/login/?next=" + P + "whoami/"
    return "anonymous: 302 to %s" % response.headers["location"]


async def message(client):
    response = await client.get(P + "message/")
    assert "messages=" in response.headers["set-cookie"]
    return "message stored: messages cookie set"


async def x_frame_options(client):
    response = await client.get(P + "where/")
    assert response.headers["x-frame-options"] == "DENY"
    return "X-Frame-Options: DENY"


async def gzip(client):
    response = await client.get(P + "where/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip" and response.json()["padding"] == views.PADDING
    return "Content-Encoding: gzip"


async def conditional_get(client):
    etag = (await client.get(P + "where/")).headers["etag"]
    response = await client.get(P + "where/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    return "ETag set; If-None-Match: 304"


async def locale(client):
    response = await client.get(P + "language/", headers={"Accept-Language": "fr"})
    assert response.json()["language"] == "fr" and response.headers["content-language"] == "fr"
    return "Accept-Language fr: language fr"


async def served_from_cache(client):
    first = await client.get(P + "counter/")
    second = await client.get(P + "counter/")
    assert first.json()["calls"] == second.json()["calls"] == views.CALLS["counter"] == 1
    assert "max-age=600" in first.headers["cache-control"]
    return "second GET from the cache (view ran once), Cache-Control: %s" % first.headers["cache-control"]


FLATPAGE_TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {
        "flatpages/default.html": "{{ flatpage.title }}: {{ flatpage.content }}"})]},
}]


async def flatpage_fallback(client):
    def make_page():
        from django.contrib.flatpages.models import FlatPage

        page = FlatPage.objects.create(url=P + "about/", title="About", content="about us")
        page.sites.add(1)

    await sync_to_async(make_page)()
    response = await client.get(P + "about/")
    assert response.status_code == 200 and response.text == "About: about us"
    return "404 URL with a flatpage: 200 %r" % response.text


async def redirect_fallback(client):
    def make_redirect():
        from django.contrib.redirects.models import Redirect

        Redirect.objects.create(site_id=1, old_path=P + "old/", new_path=P + "where/")

    await sync_to_async(make_redirect)()
    response = await client.get(P + "old/")
    assert response.status_code == 301 and response.headers["location"] == P + "where/"
    return "404 URL with a redirect: 301 to %s" % response.headers["location"]


async def current_site(client):
    def rename_site():
        from django.contrib.sites.models import Site

        Site.objects.update_or_create(id=1, defaults={"domain": "surface.example", "name": "surface"})
        Site.objects.clear_cache()

    await sync_to_async(rename_site)()
    response = await client.get(P + "site/")
    assert response.json()["site"] == "surface.example"
    return "request.site: surface.example"


async def xview(client):
    response = await client.head(P + "where/")
    assert response.headers["x-view"] == "fixture_app.views.middleware_surface.where"
    return "HEAD from an internal IP: X-View %s" % response.headers["x-view"]


async def content_security_policy(client):
    response = await client.get(P + "where/")
    assert response.headers["content-security-policy"] == "default-src 'self'"
    return "Content-Security-Policy: default-src 'self'"


class Case:
    """One bundled middleware: ``slug`` (its claims' ids), class name, stack, settings, effect."""

    def __init__(self, slug, name, effect, stack=("*",), since="3.1", db=False, url=P + "where/", **settings):
        self.slug, self.name, self.effect, self.stack = slug, name, effect, stack
        self.since, self.db, self.url, self.settings = since, db, url, settings

    def middleware(self, target):
        return [target if name == "*" else shapes.builtin_path(name) for name in self.stack]

    def database_marks(self):
        return [pytest.mark.django_db(transaction=True)] if self.db else [pytest.mark.no_database]


AUTH = ("SessionMiddleware", "AuthenticationMiddleware", "*")
# mail goes to the locmem backend (mail.outbox); 6.1 deprecates (name, address) pairs in MANAGERS
# and a project without MAILERS
MAIL = {"MANAGERS": [("Ops", "ops@example.com")]} if django.VERSION < (6, 1) else {
    "MANAGERS": ["ops@example.com"], "MAILERS": {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}}
CASES = [
    Case("security", "SecurityMiddleware", security),
    Case("session", "SessionMiddleware", session, db=True),
    Case("common", "CommonMiddleware", common),
    Case("broken-link-emails", "BrokenLinkEmailsMiddleware", broken_link_emails, **MAIL),
    Case("csrf-view", "CsrfViewMiddleware", csrf_view),
    Case("authentication", "AuthenticationMiddleware", authentication, stack=AUTH, db=True),
    Case("remote-user", "RemoteUserMiddleware", remote_user, stack=AUTH, db=True,
         AUTHENTICATION_BACKENDS=[REMOTE_USER_BACKEND]),
    Case("persistent-remote-user", "PersistentRemoteUserMiddleware", persistent_remote_user, stack=AUTH, db=True,
         AUTHENTICATION_BACKENDS=[REMOTE_USER_BACKEND]),
    Case("login-required", "LoginRequiredMiddleware", login_required, stack=AUTH, since="5.1", url=P + "public/"),
    Case("message", "MessageMiddleware", message,
         MESSAGE_STORAGE="django.contrib.messages.storage.cookie.CookieStorage"),
    Case("x-frame-options", "XFrameOptionsMiddleware", x_frame_options),
    Case("gzip", "GZipMiddleware", gzip),
    Case("conditional-get", "ConditionalGetMiddleware", conditional_get),
    Case("locale", "LocaleMiddleware", locale),
    Case("cache", "CacheMiddleware", served_from_cache),
    Case("update-cache", "UpdateCacheMiddleware", served_from_cache, stack=("*", "FetchFromCacheMiddleware")),
    Case("fetch-from-cache", "FetchFromCacheMiddleware", served_from_cache, stack=("UpdateCacheMiddleware", "*")),
    Case("flatpage-fallback", "FlatpageFallbackMiddleware", flatpage_fallback, db=True, TEMPLATES=FLATPAGE_TEMPLATES),
    Case("redirect-fallback", "RedirectFallbackMiddleware", redirect_fallback, db=True),
    Case("current-site", "CurrentSiteMiddleware", current_site, db=True),
    Case("xview", "XViewMiddleware", xview, stack=AUTH, INTERNAL_IPS=["127.0.0.1"]),
    Case("content-security-policy", "ContentSecurityPolicyMiddleware", content_security_policy, since="6.0",
         SECURE_CSP={"default-src": ["'self'"]}),
]
NATIVE_ASYNC = {"remote-user", "persistent-remote-user"}  # aprocess_request from 5.2


def capable(case):
    return "middleware-surface.%s-async-capable-not-adapted" % case.slug


def hooks_claim(case):
    if case.slug in NATIVE_ASYNC:
        return "middleware-surface.%s-request-hook-runs-on-loop" % case.slug
    return "middleware-surface.%s-hooks-run-in-worker-thread" % case.slug


def per_case(gate, links, cases=CASES):
    """One pytest.param per case, gated ``gate(case)`` (a case whose gate is None is left out)
    and linked by ``links(case)`` (the keyword arguments of pytest.mark.claims)."""
    return [
        pytest.param(case, id=case.slug, marks=[pytest.mark.django(gate(case)), pytest.mark.claims(**links(case))]
                     + case.database_marks())
        for case in cases if gate(case)
    ]


def from_its_release(case):
    return ">=" + case.since


MIXIN_CASES = [case for case in CASES if case.slug not in NATIVE_ASYNC]
REMOTE_USER_CASES = [case for case in CASES if case.slug in NATIVE_ASYNC]


@pytest.mark.parametrize("case", per_case(from_its_release, lambda case: {"confirms": [capable(case)]}))
async def test_each_bundled_middleware_runs_in_an_async_stack_without_being_adapted(case, asgi, observe):
    """Every bundled middleware class has ``sync_capable`` and ``async_capable`` set. Under ASGI,
    in a stack of bundled middleware only, in front of an async view, Django builds the chain
    without one adapter: each instance got an async ``get_response`` and is itself a coroutine
    function (to Django's own test), the view runs on the event loop, and the middleware does its
    job (its header, redirect, cookie, cached response...). 3.1+ (LoginRequiredMiddleware 5.1+,
    ContentSecurityPolicyMiddleware 6.0+)."""
    from django.utils.module_loading import import_string

    cls = import_string(shapes.builtin_path(case.name))
    assert (cls.sync_capable, cls.async_capable) == (True, True)
    client, handler = asgi(case.middleware(shapes.builtin_path(case.name)), **case.settings)
    async with client:
        response = await client.get(case.url)
        assert response.status_code == 200 and response.json()["thread"] == threading.get_ident()
        effect = await case.effect(client)
    chain = middleware_chain(handler)
    assert [type(layer).__name__ for layer in chain] == [name.strip("*") or case.name for name in case.stack]
    assert all(shapes.django_iscoroutinefunction(layer) for layer in chain)
    assert all(shapes.django_iscoroutinefunction(layer.get_response) for layer in chain)
    observe(flags="sync_capable, async_capable", adapters=0, view="event loop", effect=effect)


@pytest.mark.parametrize("case", per_case(from_its_release, lambda case: {"confirms": [hooks_claim(case)]},
                                          cases=MIXIN_CASES))
async def test_each_bundled_middleware_runs_its_hooks_in_a_worker_thread(case, asgi, observe):
    """The same stacks, with the middleware replaced by a subclass that records the thread of
    each of its hooks (``process_request``, ``process_view``, ``process_response``, whichever
    the class has). All of them run off the loop, in a worker thread (``MiddlewareMixin.__acall__``
    and the handler wrap them in ``sync_to_async``), while the async view runs on the loop: an
    async-capable middleware still hops to a thread and back on every request. 3.1+."""
    from django.utils.module_loading import import_string

    cls = import_string(shapes.builtin_path(case.name))
    expected = {hook for hook in ("process_request", "process_view", "process_response") if hasattr(cls, hook)}
    client, _ = asgi(case.middleware(shapes.recording_path(case.name)), **case.settings)
    async with client:
        response = await client.get(case.url)
    assert response.status_code == 200 and response.json()["thread"] == threading.get_ident()
    assert {what for what, _, _ in shapes.EVENTS} == expected
    threads = threads_of(*expected)
    assert threading.get_ident() not in threads
    observe(hooks=", ".join(sorted(expected)), hook_thread="worker thread", view="event loop")


@pytest.mark.parametrize("case", per_case(lambda case: ">=5.2", lambda case: {"confirms": [hooks_claim(case)]},
                                          cases=REMOTE_USER_CASES))
async def test_remote_user_middleware_authenticates_on_the_loop_from_5_2(case, asgi, observe):
    """From 5.2 ``RemoteUserMiddleware`` (and ``PersistentRemoteUserMiddleware``) has its own
    ``__acall__``: in an async stack Django calls ``aprocess_request`` on the event loop, and the
    sync ``process_request`` not at all. 5.2+."""
    client, _ = asgi(case.middleware(shapes.recording_path(case.name)), **case.settings)
    async with client:
        response = await client.get(case.url, headers={"Remote-User": "ann"})
    assert response.status_code == 200
    assert [what for what, _, _ in shapes.EVENTS] == ["aprocess_request"]
    assert threads_of("aprocess_request") == {threading.get_ident()}
    observe(hook="aprocess_request", hook_thread="event loop")


@pytest.mark.parametrize("case", per_case(lambda case: ">=3.1,<5.2", lambda case: {"refutes": [hooks_claim(case)]},
                                          cases=REMOTE_USER_CASES))
async def test_remote_user_middleware_authenticates_in_a_worker_thread_before_5_2(case, asgi, observe):
    """Before 5.2 ``RemoteUserMiddleware`` is a plain ``MiddlewareMixin``: its ``process_request``
    runs in a worker thread, like every other bundled middleware. 3.1–5.1."""
    client, _ = asgi(case.middleware(shapes.recording_path(case.name)), **case.settings)
    async with client:
        response = await client.get(case.url, headers={"Remote-User": "ann"})
    assert response.status_code == 200
    assert [what for what, _, _ in shapes.EVENTS] == ["process_request"]
    assert threading.get_ident() not in threads_of("process_request")
    observe(hook="process_request", hook_thread="worker thread")


def on_3_0(case):
    if case.slug in NATIVE_ASYNC:
        return {"refutes": [capable(case), hooks_claim(case)]}
    return {"refutes": [capable(case)], "confirms": [hooks_claim(case)]}


@pytest.mark.parametrize("case", per_case(lambda case: "<3.1" if case.since == "3.1" else None, on_3_0))
async def test_on_3_0_bundled_middleware_has_no_flags_and_runs_in_the_handlers_thread(case, asgi, observe):
    """Django 3.0 has no async middleware path: the classes carry no ``async_capable`` flag, and
    its ASGI handler runs the whole (sync) stack and the view in a worker thread, so every hook
    runs there too. 3.0."""
    from django.utils.module_loading import import_string

    cls = import_string(shapes.builtin_path(case.name))
    assert not hasattr(cls, "async_capable") and not hasattr(cls, "sync_capable")
    expected = {hook for hook in ("process_request", "process_view", "process_response") if hasattr(cls, hook)}
    client, _ = asgi(case.middleware(shapes.recording_path(case.name)), **case.settings)
    async with client:
        response = await client.get(P + "where-sync/")
    assert response.status_code == 200 and response.json()["thread"] != threading.get_ident()
    assert {what for what, _, _ in shapes.EVENTS} == expected
    assert threading.get_ident() not in threads_of(*expected)
    observe(flags="none", hooks=", ".join(sorted(expected)), hook_thread="worker thread")


@pytest.mark.no_database
@pytest.mark.parametrize("case", [
    pytest.param(case, id=case.slug, marks=[pytest.mark.django("<%s" % case.since),
                                            pytest.mark.claims(refutes=[capable(case)])])
    for case in CASES if case.since != "3.1"
])
def test_middleware_added_later_is_missing_before_its_release(case, observe):
    """``LoginRequiredMiddleware`` is new in 5.1 and ``ContentSecurityPolicyMiddleware`` in 6.0:
    before, importing them fails. Before 5.1 / 6.0."""
    from django.utils.module_loading import import_string

    with pytest.raises(ImportError) as excinfo:
        import_string(shapes.builtin_path(case.name))
    observe(raised="ImportError: %s" % excinfo.value)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.docs-bundled-middleware-all-sync-and-async"],
                    refutes=["middleware-surface.docs-only-some-bundled-middleware-async"])
def test_every_bundled_middleware_class_declares_both_modes(observe):
    """Every middleware class Django ships (django.middleware and contrib, 20 classes in 3.1–5.0,
    21 with LoginRequiredMiddleware from 5.1, 22 with ContentSecurityPolicyMiddleware from 6.0)
    has ``sync_capable = True`` and ``async_capable = True``: all of them, not "some". 3.1+."""
    from django.utils.module_loading import import_string

    flags = {}
    for name in shapes.BUILTIN:
        try:
            cls = import_string(shapes.builtin_path(name))
        except ImportError:  # not in this release yet
            continue
        flags[name] = (getattr(cls, "sync_capable", None), getattr(cls, "async_capable", None))
    assert len(flags) >= 20 and set(flags.values()) == {(True, True)}
    observe(classes=len(flags), both_flags=len(flags))


# ----------------------------------------------------------------------------- shapes: the flags


def factory_record():
    [(_, _, details)] = shapes.recorded("factory")
    return details


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.parametrize("middleware, event", [
    pytest.param("no_flags", "no-flags", id="no flags",
                 marks=pytest.mark.claims(confirms=["middleware-surface.shape-no-flags-adapted-to-worker-thread"])),
    pytest.param("sync_only_decorated", "sync-only", id="@sync_only_middleware",
                 marks=pytest.mark.claims(confirms=["middleware-surface.shape-sync-only-decorated-adapted"])),
])
async def test_a_sync_only_middleware_is_adapted_and_runs_in_a_worker_thread(middleware, event, asgi, observe):
    """A function factory without flags is sync-only by default, and ``@sync_only_middleware``
    says so explicitly: either way, under ASGI Django hands it ``async_to_sync(get_response)``
    and wraps it in ``sync_to_async``, so it runs in a worker thread while the async view behind
    it runs on the loop. 3.1+."""
    client, handler = asgi([SHAPES + middleware])
    async with client:
        response = await client.get(P + "where/")
    assert response.status_code == 200 and response.json()["thread"] == threading.get_ident()
    assert factory_record() == {"get_response": "AsyncToSync", "get_response_is_async": False}
    assert middleware_chain(handler)[0] == "SyncToAsync"
    assert threading.get_ident() not in threads_of(event)
    observe(get_response="AsyncToSync", middleware="worker thread", view="event loop")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-async-inner-without-flags-fails-at-startup"])
def test_a_factory_returning_an_async_function_without_flags_stops_the_asgi_app_from_starting(asgi, observe):
    """A factory that returns an ``async def`` function but sets no flags is sync-only to Django:
    it gets ``async_to_sync(get_response)``, and building the ASGI handler then fails, because
    Django tries to wrap the (async) middleware in ``sync_to_async``: TypeError "sync_to_async
    can only be applied to sync functions". 3.1+."""
    with pytest.raises(TypeError, match="sync_to_async can only be applied to sync functions") as excinfo:
        asgi([SHAPES + "async_inner_no_flags"])
    assert factory_record()["get_response"] == "AsyncToSync"
    observe(raised="TypeError: %s" % excinfo.value, get_response="AsyncToSync")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-async-call-without-flags-fails-per-request"])
async def test_a_class_with_async_call_and_no_flags_fails_on_every_request(asgi, observe):
    """A class with ``__init__(get_response)`` and ``async def __call__`` but no flags is
    sync-only to Django: it gets ``async_to_sync(get_response)`` and is called from a worker
    thread, where calling it only creates a coroutine; that coroutine comes back as the
    "response" and the handler fails on it (AttributeError "'coroutine' object has no attribute
    ..."): no response at all, the ASGI app raises. 3.1+."""
    client, handler = asgi([SHAPES + "AsyncCallNoFlags"])
    assert factory_record()["get_response"] == "AsyncToSync"
    async with client:
        with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
            await client.get(P + "where/")
    assert shapes.recorded("async-call") == []  # its body never ran
    close_coroutines_in_traceback(excinfo.tb)
    close_unawaited("AsyncCallNoFlags.__call__")
    observe(raised="AttributeError: %s" % excinfo.value, body_ran=False)


# ----------------------------------------------------------------------------- shapes: the marker


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-docs-async-class-runs-on-loop"])
async def test_the_docs_async_class_runs_on_the_loop_and_keeps_the_mixin_above_async(asgi, observe):
    """The docs' ``AsyncMiddleware`` (async-only flags; ``markcoroutinefunction(self)`` when
    get_response is async) behind ``XFrameOptionsMiddleware``: no adapter anywhere, both layers
    are coroutine functions to Django, the class runs on the loop, and the mixin above still sets
    its header. 3.1+ (the docs show the class from 4.2; asgiref's marker works on every env)."""
    client, handler = asgi([shapes.builtin_path("XFrameOptionsMiddleware"), SHAPES + "DocsAsyncMiddleware"])
    async with client:
        response = await client.get(P + "where/")
    assert response.status_code == 200 and response.headers["x-frame-options"] == "DENY"
    chain = middleware_chain(handler)
    assert [type(layer).__name__ for layer in chain] == ["XFrameOptionsMiddleware", "DocsAsyncMiddleware"]
    assert all(shapes.django_iscoroutinefunction(layer) for layer in chain)
    assert threads_of("DocsAsyncMiddleware") == {threading.get_ident()}
    observe(adapters=0, middleware="event loop", x_frame_options="DENY")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-unmarked-async-class-runs-alone"])
async def test_an_unmarked_async_class_alone_still_runs_on_the_loop(asgi, observe):
    """The same class without the marker, alone in MIDDLEWARE: Django does not see it as a
    coroutine function, yet the request works and the middleware runs on the loop (its flags
    decide its mode; the handler awaits whatever it returns). 3.1+."""
    client, handler = asgi([SHAPES + "UnmarkedAsyncMiddleware"])
    async with client:
        response = await client.get(P + "where/")
    assert response.status_code == 200 and response.json()["thread"] == threading.get_ident()
    [instance] = middleware_chain(handler)
    assert not shapes.django_iscoroutinefunction(instance)
    assert threads_of("UnmarkedAsyncMiddleware") == {threading.get_ident()}
    observe(coroutine_function=False, middleware="event loop", status=200)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-unmarked-async-class-breaks-mixin-above"])
async def test_an_unmarked_async_class_breaks_the_mixin_middleware_above_it(asgi, observe):
    """Behind ``XFrameOptionsMiddleware``, the unmarked class makes Django build the mixin in
    sync mode (its get_response is not a coroutine function): the mixin gets a coroutine where
    it expects a response, and the request fails: TypeError "object HttpResponseServerError
    can't be used in 'await' expression". 3.1+."""
    client, handler = asgi([shapes.builtin_path("XFrameOptionsMiddleware"), SHAPES + "UnmarkedAsyncMiddleware"])
    mixin = middleware_chain(handler)[0]
    assert not shapes.django_iscoroutinefunction(mixin.get_response)
    async with client:
        with pytest.raises(TypeError, match="can't be used in 'await' expression") as excinfo:
            await client.get(P + "where/")
    close_unawaited("DocsAsyncMiddleware.__call__")  # the inherited __call__
    observe(raised="TypeError: %s" % excinfo.value, mixin_mode="sync")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-unmarked-async-class-exception-escapes"])
async def test_an_exception_from_an_unmarked_async_class_escapes_the_500_conversion(asgi, observe):
    """Django wraps each middleware so that an exception becomes a response (a 500); the wrapper
    it picks for an unmarked async class is the sync one, which returns the coroutine before it
    runs. The exception then escapes the handler: the ASGI app raises it, there is no Django
    500 response. 3.1+."""
    client, _ = asgi([SHAPES + "UnmarkedAsyncMiddlewareThatRaises"])
    async with client:
        with pytest.raises(ValueError, match="raised by an unmarked async middleware"):
            await client.get(P + "where/")
    observe(raised="ValueError out of the ASGI app", response=None)


@pytest.mark.parametrize("relation", [
    side("confirms", "3.1-4.1", ">=3.1,<4.2", "middleware-surface.shape-pre-4-2-marker-recognised"),
    side("refutes", "4.2+", ">=4.2", "middleware-surface.shape-pre-4-2-marker-recognised"),
])
@pytest.mark.no_database
async def test_the_pre_4_2_coroutine_marker_idiom(relation, asgi, observe):
    """A class that marks itself the way Django did before 4.2 (``self._is_coroutine =
    asyncio.coroutines._is_coroutine``) behind ``XFrameOptionsMiddleware``. 3.1–4.1, where
    Django tests with ``asyncio.iscoroutinefunction``: recognised, the request works. 4.2+
    (Python 3.12+ here), where Django's test is ``inspect.iscoroutinefunction`` (directly, or
    as asgiref's alias of it): not recognised, the mixin above is built sync and the request
    fails (TypeError)."""
    client, handler = asgi([shapes.builtin_path("XFrameOptionsMiddleware"), SHAPES + "OldMarkerAsyncMiddleware"])
    recognised = shapes.django_iscoroutinefunction(middleware_chain(handler)[1])
    async with client:
        if relation == "confirms":
            response = await client.get(P + "where/")
            assert recognised and response.headers["x-frame-options"] == "DENY"
            observe(recognised=True, status=response.status_code)
        else:
            with pytest.raises(TypeError, match="can't be used in 'await' expression") as excinfo:
                await client.get(P + "where/")
            assert not recognised
            close_unawaited("DocsAsyncMiddleware.__call__")
            observe(recognised=False, raised="TypeError: %s" % excinfo.value)


@pytest.mark.parametrize("relation", [
    side("confirms", "4.2+ (Python 3.12+)", ">=4.2", "middleware-surface.shape-inspect-marker-form-works"),
    side("refutes", "3.1-4.1 (Python < 3.12)", ">=3.1,<4.2", "middleware-surface.shape-inspect-marker-form-works"),
])
@pytest.mark.no_database
async def test_the_6_1_docs_class_marked_with_inspect(relation, asgi, observe):
    """The 6.1 docs' form (``inspect.markcoroutinefunction(self)``) behind
    ``XFrameOptionsMiddleware``. 4.2+ (on Python 3.12+): recognised, the request works. 3.1–4.1
    (Python 3.9–3.11 here): ``inspect`` has no ``markcoroutinefunction``, so building the stack
    fails (AttributeError)."""
    stack = [shapes.builtin_path("XFrameOptionsMiddleware"), SHAPES + "InspectMarkedAsyncMiddleware"]
    if relation == "confirms":
        client, handler = asgi(stack)
        async with client:
            response = await client.get(P + "where/")
        assert response.headers["x-frame-options"] == "DENY"
        assert all(shapes.django_iscoroutinefunction(layer) for layer in middleware_chain(handler))
        observe(status=response.status_code, recognised=True)
    else:
        with pytest.raises(AttributeError, match="markcoroutinefunction") as excinfo:
            asgi(stack)
        observe(raised="AttributeError: %s" % excinfo.value)


@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.docs-named-coroutine-test-is-djangos"])
@pytest.mark.parametrize("named", [
    pytest.param("asyncio", id="3.1-4.1 docs: asyncio", marks=pytest.mark.django(">=3.1,<4.2")),
    pytest.param("asgiref", id="4.2-6.0 docs: asgiref", marks=pytest.mark.django(">=4.2,<6.1")),
    pytest.param("inspect", id="6.1 docs: inspect", marks=pytest.mark.django(">=6.1")),
])
def test_the_coroutine_test_the_docs_name_is_the_one_django_applies(named, observe):
    """Each release's docs tell a sync-and-async middleware to test get_response with one
    function: ``asyncio.iscoroutinefunction`` (3.1–4.1), ``asgiref.sync.iscoroutinefunction``
    (4.2–6.0), ``inspect.iscoroutinefunction`` (6.1). It is the function Django's handler itself
    uses to tell async middleware apart (on Python 3.12+ asgiref's is inspect's)."""
    import inspect

    import asgiref.sync
    from django.core.handlers import base, exception

    used = {module: getattr(module, "iscoroutinefunction", None) for module in (base, exception)}
    if named == "asyncio":  # both modules call asyncio.iscoroutinefunction, imported nothing else
        assert set(used.values()) == {None}
        assert "asyncio.iscoroutinefunction(get_response)" in inspect.getsource(exception.convert_exception_to_response)
    else:
        expected = asgiref.sync.iscoroutinefunction if named == "asgiref" else inspect.iscoroutinefunction
        assert set(used.values()) == {expected}
    observe(django_uses="%s.iscoroutinefunction" % named)


# ----------------------------------------------------------------------------- shapes: sync and async


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-decorators-set-flags"])
def test_the_three_decorators_set_the_two_flags(observe):
    """``sync_only_middleware`` gives (sync_capable, async_capable) = (True, False),
    ``async_only_middleware`` (False, True), ``sync_and_async_middleware`` (True, True). 3.1+."""
    from django.utils import decorators

    def flags(decorator):
        def factory(get_response):
            return get_response
        marked = getattr(decorators, decorator)(factory)
        return marked.sync_capable, marked.async_capable

    seen = {name: flags(name) for name in ("sync_only_middleware", "async_only_middleware", "sync_and_async_middleware")}
    assert seen == {"sync_only_middleware": (True, False), "async_only_middleware": (False, True),
                    "sync_and_async_middleware": (True, True)}
    observe(**{name: "sync=%s async=%s" % value for name, value in seen.items()})


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-dual-gets-the-request-mode"])
async def test_a_sync_and_async_middleware_is_called_async_under_asgi(asgi, observe):
    """The docs' ``@sync_and_async_middleware`` function, alone, in front of an async view under
    ASGI: its get_response is a coroutine function (to ``asyncio``, ``asgiref`` and ``inspect``
    alike), it takes its async branch and runs on the loop. 3.1+."""
    client, handler = asgi([SHAPES + "docs_dual"])
    async with client:
        response = await client.get(P + "where/")
    assert response.status_code == 200
    assert factory_record() == {"asyncio": True, "asgiref": True, "inspect": True}
    assert threads_of("dual-async") == {threading.get_ident()} and shapes.recorded("dual-sync") == []
    observe(branch="async", thread="event loop")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-dual-gets-the-request-mode"])
def test_a_sync_and_async_middleware_is_called_sync_under_wsgi(observe):
    """The same middleware under WSGI (Django's test Client): get_response is a plain function,
    the middleware takes its sync branch; no conversion either way. 3.1+."""
    from django.test import Client

    with override_settings(MIDDLEWARE=[SHAPES + "docs_dual"]):
        response = Client().get(P + "plain/")
    assert response.status_code == 200
    assert factory_record() == {"asyncio": False, "asgiref": False, "inspect": False}
    assert len(shapes.recorded("dual-sync")) == 1 and shapes.recorded("dual-async") == []
    observe(branch="sync")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-dual-called-sync-behind-sync-only"])
async def test_a_sync_and_async_middleware_above_a_sync_only_one_is_called_sync(asgi, observe):
    """``[docs_dual, a sync-only middleware]`` in front of an async view under ASGI: Django keeps
    the dual middleware in sync mode (one switch for both), so it gets a sync get_response and
    runs in the worker thread, though the view is async and runs on the loop. 3.1+."""
    client, _ = asgi([SHAPES + "docs_dual", SHAPES + "sync_only_decorated"])
    async with client:
        response = await client.get(P + "where/")
    assert response.status_code == 200 and response.json()["thread"] == threading.get_ident()
    dual_factory = [details for _, _, details in shapes.recorded("factory") if "asyncio" in details]
    assert dual_factory == [{"asyncio": False, "asgiref": False, "inspect": False}]
    assert shapes.recorded("dual-async") == [] and threading.get_ident() not in threads_of("dual-sync")
    observe(branch="sync", thread="worker thread", view="event loop")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-dual-returning-sync-function-breaks"])
async def test_a_dual_middleware_returning_a_sync_function_for_an_async_get_response_breaks(asgi, observe):
    """A ``@sync_and_async_middleware`` factory that always returns a sync function: Django does
    not check; the function runs on the loop and gets a coroutine from get_response where it
    expects a response, so setting a header on it fails, and so does the request (TypeError
    "... can't be used in 'await' expression"). 3.1+."""
    client, _ = asgi([SHAPES + "dual_always_sync"])
    async with client:
        with pytest.raises(TypeError, match="can't be used in 'await' expression") as excinfo:
            await client.get(P + "where/")
    assert threads_of("always-sync") == {threading.get_ident()}
    close_unawaited("BaseHandler._get_response_async")
    observe(middleware="event loop", raised="TypeError: %s" % excinfo.value)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-async-only-runs-under-wsgi"])
def test_an_async_only_middleware_still_runs_under_wsgi(observe):
    """``@async_only_middleware`` under WSGI (Django's test Client): Django hands it an async
    get_response and runs it through ``async_to_sync`` (an event loop for the call); it sets its
    header. 3.1+."""
    from django.test import Client

    with override_settings(MIDDLEWARE=[SHAPES + "async_only_decorated"]):
        response = Client().get(P + "plain/")
    assert response.status_code == 200 and response["X-Async-Only"] == "1"
    assert factory_record()["get_response_is_async"] is True
    observe(get_response="coroutine function", header="X-Async-Only: 1")


# ----------------------------------------------------------------------------- shapes: hooks, exceptions


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-sync-hooks-of-async-middleware-in-worker-thread"])
async def test_sync_hooks_of_an_async_middleware_run_in_a_worker_thread(asgi, observe):
    """An async middleware with sync ``process_view`` and ``process_exception``: Django adapts
    each hook by itself, so both run in a worker thread while the middleware's ``__call__`` and
    the view run on the loop. 3.1+."""
    client, _ = asgi([SHAPES + "SyncHooks"])
    async with client:
        ok = await client.get(P + "where/")
        failed = await client.get(P + "boom/")
    assert ok.status_code == 200 and ok.json()["thread"] == threading.get_ident()
    assert failed.status_code == 500 and len(shapes.recorded("process_exception")) == 1
    assert threads_of("SyncHooks") == {threading.get_ident()}
    assert threading.get_ident() not in threads_of("process_view", "process_exception")
    observe(process_view="worker thread", process_exception="worker thread", call="event loop")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-async-hooks-run-on-loop"])
async def test_async_hooks_of_an_async_middleware_run_on_the_loop(asgi, observe):
    """The same with ``async def process_view`` and ``async def process_exception``: both run on
    the loop, and the response the async ``process_exception`` returns (a 418) is what the client
    gets. 3.1+."""
    client, _ = asgi([SHAPES + "AsyncHooks"])
    async with client:
        response = await client.get(P + "boom/")
    assert response.status_code == 418 and response.text == "handled by an async process_exception"
    assert threads_of("process_view", "process_exception") == {threading.get_ident()}
    observe(process_view="event loop", process_exception="event loop", status=418)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-middleware-exception-becomes-response"])
@pytest.mark.parametrize("raiser, status", [
    pytest.param("raises_http404", 404, id="Http404"),
    pytest.param("raises_value_error", 500, id="ValueError"),
    pytest.param("MarkedAsyncMiddlewareThatRaises", 500, id="marked class, ValueError"),
])
async def test_an_exception_from_an_async_middleware_reaches_the_one_above_as_a_response(raiser, status, asgi, observe):
    """An async middleware (a decorated function, or a marked class) that raises: Django turns
    the exception into the matching response (Http404 -> 404, anything else -> 500) right there,
    and the async middleware above it receives that response, never the exception. 3.1+."""
    client, _ = asgi([SHAPES + "sees_response", SHAPES + raiser])
    async with client:
        response = await client.get(P + "where/")
    assert response.status_code == status
    assert [details for _, _, details in shapes.recorded("saw-response")] == [{"status": status}]
    assert shapes.recorded("saw-exception") == []
    observe(status=status, above_saw="a %d response" % status)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-process-exception-skips-middleware-exceptions"])
async def test_process_exception_sees_the_views_exceptions_but_not_a_middlewares(asgi, observe):
    """``process_exception`` of a middleware in the stack runs for an exception the async view
    raises, but not for one an async middleware further in raises: that one is already a 500
    response. 3.1+."""
    client, _ = asgi([SHAPES + "SyncHooks", SHAPES + "raises_value_error"])
    async with client:
        from_middleware = await client.get(P + "where/")
    assert from_middleware.status_code == 500 and shapes.recorded("process_exception") == []
    client, _ = asgi([SHAPES + "SyncHooks"])
    async with client:
        from_view = await client.get(P + "boom/")
    assert from_view.status_code == 500 and len(shapes.recorded("process_exception")) == 1
    observe(middleware_exception="not seen", view_exception="seen")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-middleware-not-used-in-async-stack"])
async def test_an_async_middleware_raising_middleware_not_used_is_left_out(asgi, observe):
    """An async-only factory that raises ``MiddlewareNotUsed`` at startup is simply left out of
    the async stack: the handler builds without it and requests are served. 3.1+ (the crash
    this used to cause was fixed in 3.1.5)."""
    client, handler = asgi([SHAPES + "not_used", SHAPES + "DocsAsyncMiddleware"])
    async with client:
        response = await client.get(P + "where/")
    assert response.status_code == 200 and len(shapes.recorded("factory")) == 1
    assert [type(layer).__name__ for layer in middleware_chain(handler)] == ["DocsAsyncMiddleware"]
    observe(stack="DocsAsyncMiddleware only", status=200)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.shape-neither-mode-rejected"])
def test_a_middleware_that_can_run_neither_way_is_rejected_at_startup(asgi, observe):
    """``sync_capable = False`` and ``async_capable = False``: Django refuses to build the stack
    (RuntimeError naming the middleware). 3.1+."""
    with pytest.raises(RuntimeError, match="must have at least one of sync_capable/async_capable set to True") as excinfo:
        asgi([SHAPES + "neither_mode"])
    observe(raised="RuntimeError: %s" % excinfo.value)


# ----------------------------------------------------------------------------- seeing what is adapted


def adaptation_messages(caplog):
    return [record.getMessage() for record in caplog.records
            if record.name == "django.request" and "adapted" in record.getMessage()]


OUTER, INNER = SHAPES + "async_only_decorated", SHAPES + "sync_only_decorated"


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["middleware-surface.debug-log-says-synchronous-middleware-adapted"])
def test_the_debug_message_naming_an_adapted_sync_middleware_is_not_synchronous_middleware_adapted(asgi, caplog, observe):
    """The 3.1–4.0 docs: look for "Synchronous middleware ... adapted" to see which middleware
    Django adapts. With DEBUG on and [an async middleware, a sync-only one] under ASGI, the
    message that names the sync-only middleware reads "Asynchronous middleware <it> adapted."
    (3.1–4.0) or "Asynchronous handler adapted for middleware <it>." (4.1+); a "Synchronous ..."
    message names the async middleware above it instead (3.1–4.0), so the docs' search finds
    the wrong one. 3.1+."""
    caplog.set_level(logging.DEBUG, logger="django.request")
    asgi([OUTER, INNER], DEBUG=True)
    messages = adaptation_messages(caplog)
    if django.VERSION < (4, 1):
        assert messages == ["Asynchronous middleware %s adapted." % INNER, "Synchronous middleware %s adapted." % OUTER]
    else:
        assert messages == ["Asynchronous handler adapted for middleware %s." % INNER,
                            "Synchronous handler adapted for middleware %s." % OUTER]
    assert not any(m.startswith("Synchronous") and INNER in m for m in messages)
    observe(messages=" | ".join(messages))


@pytest.mark.parametrize("relation", [
    side("confirms", "4.1+", ">=4.1", "middleware-surface.debug-log-says-asynchronous-handler-adapted"),
    side("refutes", "3.1-4.0", ">=3.1,<4.1", "middleware-surface.debug-log-says-asynchronous-handler-adapted"),
])
@pytest.mark.no_database
def test_the_debug_message_naming_an_adapted_sync_middleware(relation, asgi, caplog, observe):
    """The 4.1+ docs: look for "Asynchronous handler adapted for middleware ...". With DEBUG on,
    a sync-only middleware in an async stack is named in exactly that message from 4.1; in
    3.1–4.0 the message reads "Asynchronous middleware ... adapted." A stack of bundled
    middleware only logs no such message."""
    caplog.set_level(logging.DEBUG, logger="django.request")
    asgi([OUTER, INNER], DEBUG=True)
    named = [m for m in adaptation_messages(caplog) if INNER in m]
    if relation == "confirms":
        assert named == ["Asynchronous handler adapted for middleware %s." % INNER]
    else:
        assert named == ["Asynchronous middleware %s adapted." % INNER]
    caplog.clear()
    asgi([shapes.builtin_path(name) for name in ("SecurityMiddleware", "CommonMiddleware", "XFrameOptionsMiddleware")],
         DEBUG=True)
    assert adaptation_messages(caplog) == []
    observe(message=named[0], bundled_stack_messages=0)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["middleware-surface.mixin-hooks-share-thread-with-sync-view"])
async def test_mixin_hooks_run_in_the_same_worker_thread_as_the_sync_view(asgi, observe):
    """``MiddlewareMixin`` runs its hooks thread-sensitively: in front of a *sync* view under
    ASGI, ``process_request``, the view and ``process_response`` all run in the same worker
    thread (not on the loop). 3.1+ (fixed in 3.1.1)."""
    client, _ = asgi([shapes.recording_path("SecurityMiddleware")])
    async with client:
        response = await client.get(P + "where-sync/")
    view_thread = response.json()["thread"]
    assert threads_of("process_request", "process_response") == {view_thread} != {threading.get_ident()}
    observe(hooks_and_view="one worker thread")


# ----------------------------------------------------------------------------- RemoteUserMiddleware under ASGI


async def remote_user_of(asgi, middleware, headers):
    """The user the whoami view sees ("" for anonymous) after one GET with ``headers`` under ASGI,
    through [SessionMiddleware, AuthenticationMiddleware, ``middleware``] with Django's
    RemoteUserBackend."""
    stack = [shapes.builtin_path("SessionMiddleware"), shapes.builtin_path("AuthenticationMiddleware"), middleware]
    client, _ = asgi(stack, AUTHENTICATION_BACKENDS=[REMOTE_USER_BACKEND])
    async with client:
        response = await client.get(P + "whoami/", headers=headers)
    return response.json()["user"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("relation", [
    side("confirms", "5.2+", ">=5.2", "middleware-surface.remote-user-reads-header-under-asgi"),
    side("refutes", "3.1-5.1", ">=3.1,<5.2", "middleware-surface.remote-user-reads-header-under-asgi"),
])
async def test_remote_user_middleware_and_the_remote_user_header_under_asgi(relation, asgi, observe):
    """ASGI has no environ: a ``Remote-User: bob`` request header lands in
    ``request.META["HTTP_REMOTE_USER"]``, never in ``REMOTE_USER``. From 5.2 the default
    ``RemoteUserMiddleware`` reads it there under ASGI and logs bob in; before (3.1–5.1) it looks
    only at ``REMOTE_USER`` and the request stays anonymous."""
    user = await remote_user_of(asgi, shapes.builtin_path("RemoteUserMiddleware"), {"Remote-User": "bob"})
    assert user == ("bob" if relation == "confirms" else "")
    observe(user=user or "anonymous")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("relation", [
    side("confirms", "3.1-5.1", ">=3.1,<5.2", "middleware-surface.remote-user-custom-header-under-asgi"),
    side("refutes", "5.2-6.0", ">=5.2,<6.1", "middleware-surface.remote-user-custom-header-under-asgi"),
    side("confirms", "6.1+", ">=6.1", "middleware-surface.remote-user-custom-header-under-asgi"),
])
async def test_remote_user_middleware_with_the_howtos_custom_header_under_asgi(relation, asgi, observe):
    """The how-to's subclass with ``header = "HTTP_AUTHUSER"`` and a request header
    ``AuthUser: carol`` under ASGI. 3.1–5.1 and 6.1+: carol is logged in. 5.2–6.0: the async
    path puts another ``HTTP_`` in front (it looks up ``HTTP_HTTP_AUTHUSER``) and the request stays
    anonymous; 6.1 restored the old lookup for custom headers."""
    user = await remote_user_of(asgi, SHAPES + "CustomHeaderRemoteUserMiddleware", {"AuthUser": "carol"})
    assert user == ("carol" if relation == "confirms" else "")
    observe(user=user or "anonymous")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("relation", [
    side("confirms", "3.1-5.1", ">=3.1,<5.2", "middleware-surface.remote-user-process-request-override-used-under-asgi"),
    side("confirms", "5.2-6.0 (deprecated)", ">=5.2,<6.1",
         "middleware-surface.remote-user-process-request-override-used-under-asgi"),
    side("refutes", "6.1+", ">=6.1", "middleware-surface.remote-user-process-request-override-used-under-asgi"),
])
async def test_a_remote_user_subclass_overriding_only_process_request_under_asgi(relation, asgi, observe):
    """A subclass that overrides ``process_request`` only. 3.1–5.1: that is the hook, run in a
    worker thread. 5.2–6.0: Django still calls the override (in a worker thread) with a
    RemovedInDjango61Warning, and the sync lookup of ``REMOTE_USER`` finds nothing under ASGI, so
    bob is not logged in. 6.1+: the override is ignored under ASGI; the async path logs bob in."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:  # the warning comes with each request
        warnings.simplefilter("always")
        user = await remote_user_of(asgi, SHAPES + "RemoteUserOverridingProcessRequest", {"Remote-User": "bob"})
    deprecations = [str(w.message) for w in caught if "override process_request() without" in str(w.message)]
    if relation == "confirms":
        assert len(shapes.recorded("overridden process_request")) == 1
        assert threading.get_ident() not in threads_of("overridden process_request") and user == ""
        assert len(deprecations) == (1 if django.VERSION >= (5, 2) else 0)
    else:
        assert shapes.recorded("overridden process_request") == [] and user == "bob" and deprecations == []
    observe(override_called=relation == "confirms", user=user or "anonymous", deprecation_warning=bool(deprecations))


@pytest.mark.django(">=5.2")
@pytest.mark.django_db(transaction=True)
@pytest.mark.claims(confirms=["middleware-surface.remote-user-async-path-queries-in-worker-thread"])
async def test_remote_user_middlewares_async_path_still_queries_in_a_worker_thread(asgi, sql_log, observe):
    """From 5.2 ``aprocess_request`` runs on the loop, but what it awaits (``aauthenticate``,
    ``alogin``, the session's a-methods) wraps the sync ORM: every SQL statement of the request
    runs in a worker thread. 5.2+."""
    assert await remote_user_of(asgi, shapes.recording_path("RemoteUserMiddleware"), {"Remote-User": "bob"}) == "bob"
    assert threads_of("aprocess_request") == {threading.get_ident()}
    assert len(sql_log) > 0 and threading.get_ident() not in sql_log.threads()
    observe(hook="event loop", sql_statements=len(sql_log), sql_thread="worker thread")
