"""Django's async test tools: what the testing docs promise, and what each release does.

**Async test methods.** From 3.1 an ``async def`` test method on SimpleTestCase,
TransactionTestCase or TestCase is wrapped in ``async_to_sync`` and runs in an event loop of its
own; in 3.0 the coroutine is never awaited and the test passes without running. Django's own
``override_settings`` wraps async functions correctly from 3.1; a decorator that is not
async-aware wraps only the creation of the coroutine, unless ``async_to_sync`` sits between it
and the method.

**The sync Client** runs async views on a loop of its own (3.1+). **AsyncClient** (3.1+, also
``self.async_client`` on every test): its request methods return awaitables; views get an
``ASGIRequest``; sync views work too. Headers go as extra keywords *without* the ``HTTP_``
prefix (``HTTP_X_TEST=`` arrives as ``META['HTTP_HTTP_X_TEST']``), or as ``headers=`` per
request from 4.2. ``headers=`` given to the *constructor* (4.2+ docs) never reaches the view as
that header on any release: lost in 4.2–5.1, ``HTTP_HTTP_X_TEST`` from 5.2. ``query_params=``
works per request from 5.1 and in the constructor from 5.2 (lost in 5.1). ``follow=True`` from
5.0 (NotImplementedError before). ``aforce_login``/``alogin``/``alogout``/``asession`` from 5.0.

**AsyncClient is not a server.** It sends ``request_started``/``request_finished`` but detaches
``close_old_connections`` from them, so a view's database connection stays open after the
request even with ``CONN_MAX_AGE = 0``; and from 4.0, where Django's ASGI handler gives each
request a thread of its own, AsyncClient still runs every request's sync code on one thread.
Tests of connection handling use the real handler (``get_asgi_application()`` through httpx;
spec_tests/test_connections.py).

**AsyncRequestFactory** builds ``ASGIRequest`` objects with plain synchronous calls.

Test classes are run with unittest inside a (sync) pytest test, as Django's runner would.
Claims: claims/test_tools.toml. Views: fixture_app/views/test_tools.py (/test-tools/...).
"""
import asyncio
import functools
import inspect
import os
import threading
import unittest

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import SimpleTestCase, TestCase, TransactionTestCase

from spec_tests.sides import side
from spec_tests.unawaited import close_coroutines_in_traceback

ECHO_ASYNC = "/test-tools/echo-async/"
ECHO_SYNC = "/test-tools/echo-sync/"
NEVER_AWAITED = "ignore:coroutine .* was never awaited:RuntimeWarning"
SESSION_AUTH = ["django.contrib.sessions.middleware.SessionMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware"]


def run(case):
    """Run every test of a TestCase class with unittest; return the result."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    with open(os.devnull, "w") as quiet:
        return unittest.TextTestRunner(stream=quiet, verbosity=0).run(suite)


def async_client(**kwargs):
    from django.test import AsyncClient  # 3.1+

    return AsyncClient(**kwargs)


def async_request_factory(**kwargs):
    from django.test import AsyncRequestFactory  # 3.1+

    return AsyncRequestFactory(**kwargs)


# ------------------------------------------------------------------------ async test methods


def case_with_async_methods(base):
    """A test case on ``base`` with two async test methods: one fails, one passes. Each records
    the loop and thread it ran on."""

    class Case(base):
        __test__ = False
        ran = []

        async def test_fails(self):
            await asyncio.sleep(0)
            Case.ran.append((asyncio.get_running_loop(), threading.current_thread()))
            self.assertEqual(1, 2)

        async def test_passes(self):
            await asyncio.sleep(0)
            Case.ran.append((asyncio.get_running_loop(), threading.current_thread()))

    return Case


BASES = [("SimpleTestCase", SimpleTestCase), ("TransactionTestCase", TransactionTestCase), ("TestCase", TestCase)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("relation", [
    side("refutes", "3.0", "<3.1", "test-tools.async-test-methods-run-in-their-own-loop",
         marks=[pytest.mark.filterwarnings(NEVER_AWAITED)]),
    side("confirms", "3.1+", ">=3.1", "test-tools.async-test-methods-run-in-their-own-loop"),
])
@pytest.mark.parametrize("name,base", BASES, ids=[name for name, _ in BASES])
def test_async_test_methods_on_django_test_classes_run_in_a_loop_of_their_own(name, base, relation, observe):
    """From 3.1 both async methods run, each on a running loop of its own (two different loops,
    not the test runner's thread), and the failing one fails. In 3.0 neither runs: both 'pass'."""
    case = case_with_async_methods(base)
    result = run(case)
    observe(tests_run=result.testsRun, failures=len(result.failures), bodies_ran=len(case.ran))
    assert result.testsRun == 2 and not result.errors
    if relation == "refutes":
        assert case.ran == [] and result.failures == []
        return
    assert len(result.failures) == 1 and "test_fails" in result.failures[0][0].id()
    (loop_a, thread_a), (loop_b, thread_b) = case.ran
    assert loop_a is not loop_b
    assert threading.current_thread() not in (thread_a, thread_b)


@pytest.mark.no_database
@pytest.mark.parametrize("relation", [
    side("refutes", "3.0", "<3.1", "test-tools.sync-client-runs-async-views",
         marks=[pytest.mark.filterwarnings(NEVER_AWAITED)]),
    side("confirms", "3.1+", ">=3.1", "test-tools.sync-client-runs-async-views"),
])
def test_the_sync_client_runs_an_async_view(relation, observe):
    """``Client().get()`` of an async view returns the view's response (a WSGIRequest reached it,
    on a thread other than the test's: the view ran on a loop of its own). 3.0 has no async
    views: the handler takes the coroutine for a response and fails (AttributeError)."""
    from django.test import Client

    if relation == "refutes":
        with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
            Client().get(ECHO_ASYNC)
        observe(raised=f"AttributeError: {excinfo.value}")
        close_coroutines_in_traceback(excinfo.tb)
        return
    response = Client().get(ECHO_ASYNC)
    assert response.status_code == 200
    seen = response.json()
    assert seen["request_class"] == "WSGIRequest" and seen["thread"] != threading.get_ident()
    observe(status=200, request_class=seen["request_class"], view_thread="not the test's")


class AsyncClientAttribute(SimpleTestCase):
    __test__ = False
    seen = {}

    def test_clients(self):
        from django.test import Client

        AsyncClientAttribute.seen = {"client": type(self.client).__name__ if isinstance(self.client, Client) else None,
                                     "async_client": type(getattr(self, "async_client", None)).__name__}


@pytest.mark.no_database
@pytest.mark.parametrize("relation", [
    side("refutes", "3.0", "<3.1", "test-tools.async-client-on-every-test"),
    side("confirms", "3.1+", ">=3.1", "test-tools.async-client-on-every-test"),
])
def test_every_test_case_has_self_async_client(relation, observe):
    """A SimpleTestCase's test method finds ``self.async_client``, an AsyncClient, beside
    ``self.client`` (3.1+); in 3.0 there is none."""
    result = run(AsyncClientAttribute)
    assert result.wasSuccessful()
    seen = AsyncClientAttribute.seen
    observe(**seen)
    assert seen["client"] == "Client"
    assert seen["async_client"] == ("AsyncClient" if relation == "confirms" else "NoneType")


# ------------------------------------------------------------------------ AsyncClient basics


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-requests-are-awaitables"])
async def test_an_async_client_request_happens_only_when_awaited(observe):
    """``client.get(url)`` returns an awaitable and no request has started; awaiting it makes the
    request (``request_started`` fires once) and gives the response. 3.1+."""
    from django.core.signals import request_started

    started = []

    def count(**kwargs):
        started.append(1)

    request_started.connect(count)
    try:
        pending = async_client().get(ECHO_ASYNC)
        assert inspect.isawaitable(pending) and started == []
        response = await pending
    finally:
        request_started.disconnect(count)
    assert response.status_code == 200 and started == [1]
    observe(returned=type(pending).__name__, requests_before_await=0, after_await=len(started))


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-gives-views-an-asgirequest"])
@pytest.mark.parametrize("url", [ECHO_ASYNC, ECHO_SYNC], ids=["async-view", "sync-view"])
async def test_views_called_through_async_client_get_an_asgirequest(url, observe):
    """Through AsyncClient the view's request is an ASGIRequest (async and sync views alike);
    through the sync Client the same view gets a WSGIRequest. 3.1+."""
    from django.test import Client

    through_async = (await async_client().get(url)).json()["request_class"]
    through_sync = (await sync_to_async(lambda: Client().get(url).json())())["request_class"]
    observe(async_client=through_async, client=through_sync)
    assert (through_async, through_sync) == ("ASGIRequest", "WSGIRequest")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-calls-sync-views"])
async def test_async_client_calls_a_sync_view_off_the_loop_thread(observe):
    """A sync view requested through AsyncClient answers; it ran on a thread other than the
    event loop's (Django's async path hands sync views to a thread). 3.1+."""
    response = await async_client().get(ECHO_SYNC)
    assert response.status_code == 200
    assert response.json()["thread"] != threading.get_ident()
    observe(status=200, view_thread="not the loop's")


# ------------------------------------------------------------------------ headers and query strings


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-extra-headers-without-http-prefix"])
async def test_async_client_takes_extra_headers_without_the_http_prefix(observe):
    """``get(url, ACCEPT='application/json', X_TEST='1')``: the view sees an Accept and an X-Test
    header. 3.1+."""
    seen = (await async_client().get(ECHO_ASYNC, ACCEPT="application/json", X_TEST="1")).json()
    observe(accept=seen["accept"], x_test=seen["x_test"])
    assert (seen["accept"], seen["x_test"]) == ("application/json", "1")


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-http-prefixed-extra-is-not-that-header"])
async def test_an_http_prefixed_extra_on_async_client_lands_as_http_http(observe):
    """``HTTP_X_TEST='1'`` (the sync client's spelling) on AsyncClient: no X-Test header; the
    value is in META under HTTP_HTTP_X_TEST. The sync Client with the same keyword delivers
    X-Test. 3.1+."""
    from django.test import Client

    seen = (await async_client().get(ECHO_ASYNC, HTTP_X_TEST="1")).json()
    sync_seen = await sync_to_async(lambda: Client().get(ECHO_ASYNC, HTTP_X_TEST="1").json())()
    observe(async_client_meta=seen["test_meta"], async_client_x_test=seen["x_test"], client_x_test=sync_seen["x_test"])
    assert seen["x_test"] is None and seen["test_meta"] == {"HTTP_HTTP_X_TEST": "1"}
    assert sync_seen["x_test"] == "1"


async def _asgi_request_with_headers(kind, **kwargs):
    """What the echo view saw (its JSON) for one GET made by an AsyncClient, or built by an
    AsyncRequestFactory and handed to the view."""
    import json

    from fixture_app.views import test_tools

    if kind == "AsyncClient":
        seen = (await async_client().get(ECHO_ASYNC, **kwargs)).json()
    else:
        seen = json.loads((await test_tools.echo_async(async_request_factory().get(ECHO_ASYNC, **kwargs))).content)
    return seen


@pytest.mark.no_database
@pytest.mark.parametrize("kind", ["AsyncClient", "AsyncRequestFactory"])
@pytest.mark.parametrize("relation", [
    side("refutes", "3.1-4.1", ">=3.1,<4.2", "test-tools.async-client-per-request-headers"),
    side("confirms", "4.2+", ">=4.2", "test-tools.async-client-per-request-headers"),
])
async def test_per_request_headers_reach_the_view(kind, relation, observe):
    """``get(url, headers={'X-Test': '1'})`` on AsyncClient and AsyncRequestFactory: the view sees
    X-Test (4.2+). Before 4.2 the dict falls into ``**extra`` and building the scope fails
    (AttributeError: 'dict' object has no attribute 'encode')."""
    if relation == "refutes":
        with pytest.raises(AttributeError, match="'dict' object has no attribute 'encode'") as excinfo:
            await _asgi_request_with_headers(kind, headers={"X-Test": "1"})
        observe(raised=f"AttributeError: {excinfo.value}")
        return
    seen = await _asgi_request_with_headers(kind, headers={"X-Test": "1"})
    observe(x_test=seen["x_test"])
    assert seen["x_test"] == "1"


@pytest.mark.no_database
@pytest.mark.parametrize("kind", ["AsyncClient", "AsyncRequestFactory"])
@pytest.mark.parametrize("landed", [
    pytest.param({}, id="3.1-5.1", marks=[pytest.mark.django(">=3.1,<5.2")]),
    pytest.param({"HTTP_HTTP_X_TEST": "1"}, id="5.2+", marks=[pytest.mark.django(">=5.2")]),
])
@pytest.mark.claims(refutes=["test-tools.async-client-constructor-headers"])
async def test_constructor_headers_never_reach_the_view_as_that_header(kind, landed, observe):
    """``AsyncClient(headers={'X-Test': '1'})`` (and AsyncRequestFactory's): the view has no
    X-Test header on any release. 3.1–5.1: the value is lost (4.2–5.1 keep it as HTTP_X_TEST in
    the scope dict, not in its headers); 5.2+: it arrives renamed, META['HTTP_HTTP_X_TEST'].
    The sync ``Client(headers=...)`` delivers X-Test from 4.2, as the docs describe."""
    import json

    import django
    from django.test import Client

    from fixture_app.views import test_tools

    if kind == "AsyncClient":
        seen = (await async_client(headers={"X-Test": "1"}).get(ECHO_ASYNC)).json()
    else:
        request = async_request_factory(headers={"X-Test": "1"}).get(ECHO_ASYNC)
        seen = json.loads((await test_tools.echo_async(request)).content)
    assert seen["x_test"] is None and seen["test_meta"] == landed
    sync_client = await sync_to_async(lambda: Client(headers={"X-Test": "1"}).get(ECHO_SYNC).json())()
    assert sync_client["x_test"] == ("1" if django.VERSION >= (4, 2) else None)
    observe(x_test=seen["x_test"], meta=seen["test_meta"], sync_client_x_test=sync_client["x_test"])


@pytest.mark.no_database
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("relation", [
    side("refutes", "3.1-5.0", ">=3.1,<5.1", "test-tools.async-client-query-params"),
    side("confirms", "5.1+", ">=5.1", "test-tools.async-client-query-params"),
])
async def test_per_request_query_params_reach_request_get(method, relation, observe):
    """``get/post(url, query_params={'q': '1'})`` on AsyncClient: the view's request.GET has q
    (5.1+). Before 5.1 the dict falls into ``**extra`` and the request fails (AttributeError)."""
    call = getattr(async_client(), method)
    if relation == "refutes":
        with pytest.raises(AttributeError, match="'dict' object has no attribute 'encode'") as excinfo:
            await call(ECHO_ASYNC, query_params={"q": "1"})
        observe(raised=f"AttributeError: {excinfo.value}")
        return
    seen = (await call(ECHO_ASYNC, query_params={"q": "1"})).json()
    observe(GET=seen["GET"])
    assert seen["GET"] == {"q": ["1"]}


@pytest.mark.no_database
@pytest.mark.parametrize("relation", [
    side("refutes", "3.1-5.1", ">=3.1,<5.2", "test-tools.async-client-constructor-query-params"),
    side("confirms", "5.2+", ">=5.2", "test-tools.async-client-constructor-query-params"),
])
async def test_constructor_query_params_reach_request_get(relation, observe):
    """``AsyncClient(query_params={'q': '1'}).get(url)``: request.GET has q from 5.2. In 5.1,
    where the docs introduce it, and before, the view's request.GET is empty."""
    seen = (await async_client(query_params={"q": "1"}).get(ECHO_ASYNC)).json()
    observe(GET=seen["GET"])
    assert seen["GET"] == ({"q": ["1"]} if relation == "confirms" else {})


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-constructor-defaults-go-into-scope"])
async def test_async_client_constructor_keywords_go_into_the_scope(observe):
    """``AsyncClient(custom='v')``: the view finds ``request.scope['custom'] == 'v'``. 3.1+."""
    seen = (await async_client(custom="v").get(ECHO_ASYNC)).json()
    observe(scope_custom=seen["scope_custom"])
    assert seen["scope_custom"] == "v"


@pytest.mark.no_database
@pytest.mark.parametrize("relation", [
    side("refutes", "3.1-4.2", ">=3.1,<5.0", "test-tools.async-client-follows-redirects"),
    side("confirms", "5.0+", ">=5.0", "test-tools.async-client-follows-redirects"),
])
async def test_async_client_follows_a_redirect(relation, observe):
    """``get('/test-tools/redirect/', follow=True)`` answers with the echo view's page and
    ``redirect_chain == [('/test-tools/echo-async/', 302)]`` from 5.0; 3.1–4.2 refuse the
    parameter (NotImplementedError)."""
    client = async_client()
    if relation == "refutes":
        with pytest.raises(NotImplementedError, match="do not accept the follow parameter") as excinfo:
            await client.get("/test-tools/redirect/", follow=True)
        observe(raised=f"NotImplementedError: {excinfo.value}")
        return
    response = await client.get("/test-tools/redirect/", follow=True)
    observe(status=response.status_code, redirect_chain=response.redirect_chain)
    assert response.status_code == 200 and response.json()["request_class"] == "ASGIRequest"
    assert response.redirect_chain == [("/test-tools/echo-async/", 302)]


# ------------------------------------------------------------------------ logging in


@pytest.fixture
def auth_stack(settings):
    settings.MIDDLEWARE = SESSION_AUTH


@pytest.fixture
def ada(transactional_db):
    from django.contrib.auth.models import User

    return User.objects.create_user("ada", password="lovelace")


async def whoami(client):
    return (await client.get("/test-tools/whoami/")).json()


def _missing(name):
    return side("refutes", "3.1-4.2", ">=3.1,<5.0", name)


def _present(name):
    return side("confirms", "5.0+", ">=5.0", name)


async def _refuted_missing(client, method, observe):
    with pytest.raises(AttributeError, match=f"object has no attribute '{method}'") as excinfo:
        getattr(client, method)
    observe(raised=f"AttributeError: {excinfo.value}")


@pytest.mark.parametrize("relation", [_missing("test-tools.aforce-login-logs-the-user-in"),
                                      _present("test-tools.aforce-login-logs-the-user-in")])
async def test_aforce_login_makes_later_requests_run_as_the_user(relation, auth_stack, ada, observe):
    """After ``await client.aforce_login(user)``, a view reading ``await request.auser()`` gets
    that user (5.0+). Before 5.0 the method does not exist."""
    client = async_client()
    if relation == "refutes":
        return await _refuted_missing(client, "aforce_login", observe)
    assert await whoami(client) == {"authenticated": False, "username": ""}
    await client.aforce_login(ada)
    seen = await whoami(client)
    observe(**seen)
    assert seen == {"authenticated": True, "username": "ada"}


@pytest.mark.parametrize("relation", [_missing("test-tools.alogin-checks-credentials"),
                                      _present("test-tools.alogin-checks-credentials")])
async def test_alogin_returns_whether_the_credentials_were_accepted(relation, auth_stack, ada, observe):
    """``await client.alogin(username='ada', password=...)``: False with a wrong password (and
    the next request is anonymous), True with the right one (and the next request is Ada's).
    5.0+; before, the method does not exist."""
    client = async_client()
    if relation == "refutes":
        return await _refuted_missing(client, "alogin", observe)
    wrong = await client.alogin(username="ada", password="babbage")
    anonymous = await whoami(client)
    right = await client.alogin(username="ada", password="lovelace")
    logged_in = await whoami(client)
    observe(wrong_password=wrong, right_password=right)
    assert (wrong, anonymous["authenticated"]) == (False, False)
    assert (right, logged_in) == (True, {"authenticated": True, "username": "ada"})


@pytest.mark.parametrize("relation", [_missing("test-tools.alogout-logs-the-user-out"),
                                      _present("test-tools.alogout-logs-the-user-out")])
async def test_alogout_makes_the_next_request_anonymous(relation, auth_stack, ada, observe):
    """Logged in with ``aforce_login``, then ``await client.alogout()``: the next request is
    anonymous. 5.0+; before, the method does not exist."""
    client = async_client()
    if relation == "refutes":
        return await _refuted_missing(client, "alogout", observe)
    await client.aforce_login(ada)
    before = await whoami(client)
    await client.alogout()
    after = await whoami(client)
    observe(before=before["username"], after=after)
    assert before["authenticated"] and after == {"authenticated": False, "username": ""}


@pytest.mark.parametrize("relation", [_missing("test-tools.asession-returns-the-session"),
                                      _present("test-tools.asession-returns-the-session")])
async def test_asession_returns_the_clients_session(relation, auth_stack, ada, observe):
    """``await client.asession()`` in async code returns a session object; after
    ``aforce_login`` it holds Ada's id under ``_auth_user_id``, and its key is the client's
    session cookie. 5.0+; before, the method does not exist."""
    from django.conf import settings
    from django.contrib.sessions.backends.base import SessionBase

    client = async_client()
    if relation == "refutes":
        return await _refuted_missing(client, "asession", observe)
    await client.aforce_login(ada)
    session = await client.asession()
    user_id = await sync_to_async(session.get)("_auth_user_id")
    observe(session_class=type(session).__name__, auth_user_id="Ada's pk" if user_id == str(ada.pk) else user_id)
    assert isinstance(session, SessionBase) and user_id == str(ada.pk)
    assert session.session_key == client.cookies[settings.SESSION_COOKIE_NAME].value


# ------------------------------------------------------------------------ options


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-raise-request-exception-false"])
async def test_async_client_without_raise_request_exception_returns_the_500(observe):
    """The view raises ValueError. A default AsyncClient re-raises it into the test;
    ``AsyncClient(raise_request_exception=False)`` returns the 500 response, whose ``exc_info``
    holds the ValueError. 3.1+."""
    with pytest.raises(ValueError, match="raised by the view"):
        await async_client().get("/test-tools/raises/")
    response = await async_client(raise_request_exception=False).get("/test-tools/raises/")
    observe(status=response.status_code, exc_info=repr(response.exc_info[1]))
    assert response.status_code == 500 and response.exc_info[0] is ValueError


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-enforce-csrf-checks"])
async def test_async_client_skips_csrf_checks_unless_told_to_enforce_them(settings, observe):
    """With CsrfViewMiddleware, a POST without a token: 200 through ``AsyncClient()``, 403
    through ``AsyncClient(enforce_csrf_checks=True)``. 3.1+."""
    settings.MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
    lenient = await async_client().post("/test-tools/post/")
    strict = await async_client(enforce_csrf_checks=True).post("/test-tools/post/")
    observe(default=lenient.status_code, enforce_csrf_checks=strict.status_code)
    assert (lenient.status_code, lenient.content) == (200, b"posted")
    assert strict.status_code == 403


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-fires-request-signals"])
async def test_async_client_sends_request_started_and_request_finished(observe):
    """One AsyncClient request: request_started once, with the request's ASGI scope, then
    request_finished once. 3.1+."""
    from django.core.signals import request_finished, request_started

    events = []

    def started(sender, **kwargs):
        events.append(("started", kwargs.get("scope", {}).get("path")))

    def finished(sender, **kwargs):
        events.append(("finished", None))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        await async_client().get(ECHO_ASYNC)
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    observe(events=events)
    assert events == [("started", ECHO_ASYNC), ("finished", None)]


# ------------------------------------------------------------------------ AsyncClient and connections


@pytest.fixture
def asgi_handler_client(transactional_db):
    """httpx on Django's real ASGI handler, in this process."""
    from django.core.asgi import get_asgi_application

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=get_asgi_application()), base_url="http://testserver")


@pytest.fixture
def seen_connections():
    """The connections the /connections/ views used during the test (fixture_app/views/connections.py)."""
    from fixture_app.views import connections as views

    views.SEEN.clear()
    yield views.SEEN
    views.SEEN.clear()


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["test-tools.async-client-leaves-db-connections-open"])
async def test_async_client_leaves_the_views_connection_open_where_the_handler_closes_it(
        asgi_handler_client, seen_connections, settings, observe):
    """With CONN_MAX_AGE = 0, an async view queries through sync_to_async. Requested through
    Django's ASGI handler, its connection is closed when the request ends; requested through
    AsyncClient, it is still open afterwards. 3.1+, SQLite and PostgreSQL."""
    from django.db import connections

    assert connections["default"].settings_dict["CONN_MAX_AGE"] == 0
    async with asgi_handler_client as http:
        assert (await http.get("/connections/async-query/")).status_code == 200
    handler_closed = seen_connections[-1]["wrapper"].connection is None
    assert (await async_client().get("/connections/async-query/")).status_code == 200
    client_closed = seen_connections[-1]["wrapper"].connection is None
    observe(handler_closed_it=handler_closed, async_client_closed_it=client_closed)
    assert handler_closed and not client_closed


@pytest.mark.parametrize("relation", [
    side("confirms", "3.1-3.2", ">=3.1,<4.0", "test-tools.async-client-threads-like-the-asgi-handler"),
    side("refutes", "4.0+", ">=4.0", "test-tools.async-client-threads-like-the-asgi-handler"),
])
async def test_successive_requests_share_a_thread_under_async_client_and_under_the_handler(
        relation, asgi_handler_client, seen_connections, observe):
    """Two requests to an async view that queries through sync_to_async, once through Django's
    ASGI handler and once through AsyncClient. AsyncClient runs both on one thread (and one
    connection) on every version. The handler does too in 3.1–3.2, and from 4.0 gives each
    request a thread (and connection) of its own. SQLite and PostgreSQL."""
    async with asgi_handler_client as http:
        for _ in range(2):
            assert (await http.get("/connections/async-query/")).status_code == 200
    client = async_client()
    for _ in range(2):
        assert (await client.get("/connections/async-query/")).status_code == 200
    handler_a, handler_b, client_a, client_b = seen_connections
    handler_shares = handler_a["thread"] is handler_b["thread"]
    client_shares = client_a["thread"] is client_b["thread"]
    observe(handler_one_thread=handler_shares, async_client_one_thread=client_shares)
    assert client_shares and client_a["raw"] is client_b["raw"]
    assert handler_shares == (relation == "confirms")


# ------------------------------------------------------------------------ AsyncRequestFactory


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-request-factory-builds-asgirequests"])
async def test_async_request_factory_returns_an_asgirequest_synchronously(observe):
    """``AsyncRequestFactory().get(url)`` is a plain call that returns an ASGIRequest, not an
    awaitable; an async view awaits it into a response, a sync view takes it too. 3.1+."""
    import json

    from django.core.handlers.asgi import ASGIRequest
    from fixture_app.views import test_tools

    request = async_request_factory().get(ECHO_ASYNC)
    assert isinstance(request, ASGIRequest) and not inspect.isawaitable(request)
    from_async = json.loads((await test_tools.echo_async(request)).content)
    from_sync = json.loads(test_tools.echo_sync(async_request_factory().get(ECHO_SYNC)).content)
    observe(returned=type(request).__name__, async_view_saw=from_async["request_class"])
    assert from_async["request_class"] == from_sync["request_class"] == "ASGIRequest"


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-request-factory-defaults-go-into-scope"])
def test_async_request_factory_constructor_keywords_go_into_the_scope(observe):
    """``AsyncRequestFactory(custom='v').get(url).scope['custom'] == 'v'``. 3.1+."""
    request = async_request_factory(custom="v").get(ECHO_ASYNC)
    observe(scope_custom=request.scope.get("custom"))
    assert request.scope["custom"] == "v"


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-request-factory-body-and-headers"])
def test_async_request_factory_sets_content_length_and_extra_headers(observe):
    """A POST of ``b'abc'`` as text/plain has CONTENT_LENGTH '3' and that body; a GET with
    ``X_TEST='1'`` has an X-Test header. 3.1+ (fixed in 3.1.4)."""
    factory = async_request_factory()
    post = factory.post("/", data=b"abc", content_type="text/plain")
    get = factory.get("/", X_TEST="1")
    observe(content_length=post.META.get("CONTENT_LENGTH"), x_test=get.headers.get("X-Test"))
    assert (post.META["CONTENT_LENGTH"], post.body, post.content_type) == ("3", b"abc", "text/plain")
    assert get.headers["X-Test"] == "1"


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.async-client-class-attribute"])
def test_async_client_class_chooses_the_class_of_self_async_client(observe):
    """A test case with ``async_client_class = MyAsyncClient`` gets an instance of it as
    ``self.async_client``. 3.1+ (documented in 6.1)."""
    from django.test import AsyncClient

    class MyAsyncClient(AsyncClient):
        pass

    class Case(SimpleTestCase):
        __test__ = False
        async_client_class = MyAsyncClient
        seen = []

        def test_it(self):
            Case.seen.append(type(self.async_client))

    assert run(Case).wasSuccessful()
    observe(async_client=Case.seen[0].__name__)
    assert Case.seen == [MyAsyncClient]


# ------------------------------------------------------------------------ decorators on async tests


SPEC_FLAG = "TEST_TOOLS_SPEC_FLAG"


def _flag():
    from django.conf import settings

    return getattr(settings, SPEC_FLAG, None)


@pytest.mark.no_database
@pytest.mark.parametrize("relation", [
    side("refutes", "3.0", "<3.1", "test-tools.override-settings-on-async-functions"),
    side("confirms", "3.1+", ">=3.1", "test-tools.override-settings-on-async-functions"),
])
def test_override_settings_on_an_async_function_holds_while_its_body_runs(relation, observe):
    """``@override_settings(FLAG='on')`` on an ``async def`` function: while the body runs (after
    an await), the setting reads 'on' from 3.1. In 3.0 the decorator's sync wrapper has already
    restored the settings when the coroutine starts: the body reads nothing."""
    from django.test import override_settings

    @override_settings(**{SPEC_FLAG: "on"})
    async def read_flag():
        await asyncio.sleep(0)
        return _flag()

    seen = asyncio.run(read_flag())
    observe(inside_body=seen, after=_flag())
    assert seen == ("on" if relation == "confirms" else None) and _flag() is None


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["test-tools.override-settings-on-async-functions"])
def test_override_settings_on_an_async_test_method_holds_while_it_runs(observe):
    """``@override_settings`` on an ``async def`` test method of a SimpleTestCase: the method
    reads the overridden value after an await. 3.1+ (3.0 does not run async test methods)."""
    from django.test import override_settings

    class Case(SimpleTestCase):
        __test__ = False
        seen = []

        @override_settings(**{SPEC_FLAG: "on"})
        async def test_reads_flag(self):
            await asyncio.sleep(0)
            Case.seen.append(_flag())

    assert run(Case).wasSuccessful()
    observe(inside_test=Case.seen)
    assert Case.seen == ["on"] and _flag() is None


EVENTS = []


def not_async_aware(func):
    """A test decorator written for sync tests: records entering and leaving around the call."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        EVENTS.append("enter")
        try:
            return func(*args, **kwargs)
        finally:
            EVENTS.append("exit")

    return wrapper


class DecoratedAsyncTests(SimpleTestCase):
    __test__ = False

    @not_async_aware
    async def test_1_decorated_directly(self):
        EVENTS.append("body")

    @not_async_aware
    @async_to_sync
    async def test_2_with_async_to_sync_below(self):
        EVENTS.append("body")


@pytest.mark.no_database
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.filterwarnings("ignore:It is deprecated to return a value that is not None:DeprecationWarning")
@pytest.mark.claims(confirms=["test-tools.sync-decorator-needs-async-to-sync-inside"])
def test_a_sync_decorator_on_an_async_test_needs_async_to_sync_below_it(observe):
    """A decorator that is not async-aware, directly on an async test method: it enters and
    leaves around the creation of the coroutine, and the body never runs (the test 'passes').
    With ``@async_to_sync`` between it and the method, the body runs inside it. All versions."""
    EVENTS.clear()
    suite = unittest.TestSuite([DecoratedAsyncTests("test_1_decorated_directly")])
    with open(os.devnull, "w") as quiet:
        first = unittest.TextTestRunner(stream=quiet, verbosity=0).run(suite)
    directly = list(EVENTS)
    EVENTS.clear()
    suite = unittest.TestSuite([DecoratedAsyncTests("test_2_with_async_to_sync_below")])
    with open(os.devnull, "w") as quiet:
        second = unittest.TextTestRunner(stream=quiet, verbosity=0).run(suite)
    with_async_to_sync = list(EVENTS)
    observe(decorated_directly=directly, with_async_to_sync=with_async_to_sync)
    assert first.wasSuccessful() and second.wasSuccessful()
    assert directly == ["enter", "exit"]
    assert with_async_to_sync == ["enter", "body", "exit"]
