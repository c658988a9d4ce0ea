"""View decorators on ``async def`` views: which ones keep the view async, and still do their job.

A decorator wraps a view in a new function. Django decides how to call a view by asking whether
that function is a coroutine function, so a decorator that wraps an ``async def`` view in a
plain ``def`` turns it into a sync view that returns an unawaited coroutine. Until 5.0 every
decorator of ``django.views.decorators`` did that, and two things went wrong:

* a decorator that only passes the call through (``require_GET``, ``csrf_exempt``,
  ``sensitive_variables``, ...) hands the coroutine to Django, which rejects it: ValueError,
  "didn't return an HttpResponse object. It returned an unawaited coroutine";
* a decorator that works on the response (``never_cache``, ``gzip_page``, ``etag``, ...) treats
  the coroutine as one: AttributeError, "'coroutine' object has no attribute 'has_header'".

(Django 3.0 has no async views at all: the same views fail there with an AttributeError.) From
5.0 each of them checks for a coroutine function and wraps it in an ``async def`` wrapper. The
auth decorators (``login_required``, ``permission_required``, ``user_passes_test``) followed in
5.1, and ``method_decorator`` on an ``async def`` method of a class-based view in 5.2. Before
5.1 the auth decorators still redirect anonymous users (the view is never called), so the
failure shows only for a user who passes the check. ``no_append_slash`` exists from 3.2, the CSP
decorators from 6.0 and ``login_not_required`` from 5.1; elsewhere their rows are n/a.

Each claim of this module is one decorator: applied to an ``async def`` view it leaves a
coroutine function (``inspect`` and asgiref agree), the view is served by Django's ASGI
application (httpx's ASGITransport, as a server sends requests) and the decorator's effect is
there (the header, the 405, the 304, the 403, the redirect). Before the release that made it
async-aware, the complementary test asserts the failure. Three more claims: the docs' list as a
whole (one decorator serves a ``def`` and an ``async def`` view alike), ``user_passes_test``
with an ``async def`` test function (5.1+; before, its coroutine counts as a pass), and the 6.1
docs' advice to decorate an ``async def dispatch`` override rather than the inherited ``dispatch``
(which works from 5.0). The views are in fixture_app/views/decorators.py, under /decorators/.
"""
import inspect

import pytest
from asgiref.sync import iscoroutinefunction as asgiref_iscoroutinefunction
from django import VERSION as DJANGO_VERSION
from django.test import Client, override_settings

from fixture_app.views import decorators as views
from spec_tests.clients import asgi_request
from spec_tests.unawaited import close_coroutines_in_traceback

NEVER_AWAITED = "ignore:coroutine .* was never awaited:RuntimeWarning"
DEFAULT_LOGIN_URL = "/accounts/login/"  # settings.LOGIN_URL: fixture_app does not set it
CSRF_SECRET = "abcdefghijklmnopqrstuvwxyz012345"  # 32 characters, as a CSRF cookie holds


# ----------------------------------------------------------------------------- serving a request


def serve(method, path, headers=None, cookies=None, data=None):
    """One request to ``/decorators/<path>`` through Django's ASGI application, as an ASGI server
    sends it (``asgi_request``: httpx's ASGITransport on a ``get_asgi_application()`` built with
    the settings of the moment). Like Django's test clients, it raises the exception that Django
    turned into a 500 response; an exception that escapes the application (Django 3.0) reaches
    the caller anyway."""
    return asgi_request(method, "/decorators/" + path, headers=headers, cookies=cookies, data=data)


def is_async(function):
    """Is ``function`` a coroutine function for Django's handler: asgiref's check (3.1–6.0) and
    inspect's (6.1 and any Python from 3.12)? Both must agree."""
    found = asgiref_iscoroutinefunction(function), inspect.iscoroutinefunction(function)
    assert found[0] == found[1], found
    return found[0]


def failure_of_a_sync_wrapper(kind):
    """What serving an async view behind a sync wrapper raises: (exception type, message) for a
    wrapper that passes the coroutine on ("unawaited") or that treats it as a response ("attr").
    Django 3.0 has no check for a coroutine: its handler fails on it like a response-minded one."""
    if kind == "unawaited" and DJANGO_VERSION >= (3, 1):
        return ValueError, "didn't return an HttpResponse object. It returned an unawaited coroutine"
    return AttributeError, "'coroutine' object has no attribute"


def assert_fails_like_a_sync_wrapper(kind, method, path, observe, **request):
    error, message = failure_of_a_sync_wrapper(kind)
    with pytest.raises(error, match=message) as excinfo:
        serve(method, path, **request)
    close_coroutines_in_traceback(excinfo.tb)
    observe(raised=f"{error.__name__}: {excinfo.value}"[:200])


def directives(response, header="Cache-Control"):
    return {part.strip() for part in response.headers.get(header, "").split(",") if part.strip()}


# ----------------------------------------------------------------------------- each decorator's job
# Each check takes nothing, runs its requests against the decorated async view and returns what
# the report cell shows. The settings it needs (a middleware, a CSP policy) are its own.


def check_cache_control():
    response = serve("GET", "cache_control/")
    assert response.status_code == 200 and {"max-age=60", "private"} <= directives(response)
    return {"Cache-Control": response.headers["Cache-Control"]}


def check_never_cache():
    response = serve("GET", "never_cache/")
    assert {"max-age=0", "no-cache", "no-store", "must-revalidate"} <= directives(response)
    assert "Expires" in response.headers
    return {"Cache-Control": response.headers["Cache-Control"]}


def check_cache_page():
    from django.core.cache import cache

    cache.clear()
    first, second = serve("GET", "cache_page/"), serve("GET", "cache_page/")
    assert first.text.startswith("run ") and second.text == first.text  # the view ran once
    assert "max-age=60" in directives(first)
    cache.clear()
    return {"first": first.text, "second": second.text + " (from the cache)"}


def check_xframe_options_deny():
    assert serve("GET", "xframe_options_deny/").headers["X-Frame-Options"] == "DENY"
    return {"X-Frame-Options": "DENY"}


def check_xframe_options_sameorigin():
    assert serve("GET", "xframe_options_sameorigin/").headers["X-Frame-Options"] == "SAMEORIGIN"
    return {"X-Frame-Options": "SAMEORIGIN"}


def check_xframe_options_exempt():
    with override_settings(MIDDLEWARE=["django.middleware.clickjacking.XFrameOptionsMiddleware"]):
        plain, exempt = serve("GET", "plain/"), serve("GET", "xframe_options_exempt/")
    assert plain.headers["X-Frame-Options"] == "DENY"
    assert exempt.status_code == 200 and "X-Frame-Options" not in exempt.headers
    return {"undecorated": "X-Frame-Options: DENY", "exempt": "no X-Frame-Options"}


def check_no_append_slash():
    assert views.ASYNC_VIEWS["no_append_slash"].should_append_slash is False
    with override_settings(MIDDLEWARE=["django.middleware.common.CommonMiddleware"], APPEND_SLASH=True):
        plain = serve("GET", "plain")
        unslashed, slashed = serve("GET", "no_append_slash"), serve("GET", "no_append_slash/")
    assert plain.status_code == 301 and plain.headers["Location"].endswith("/decorators/plain/")
    assert unslashed.status_code == 404 and slashed.status_code == 200
    return {"undecorated without slash": "301", "no_append_slash without slash": "404"}


def check_csrf_protect():
    without = serve("POST", "csrf_protect/")
    with_token = serve("POST", "csrf_protect/", cookies={"csrftoken": CSRF_SECRET}, headers={"X-CSRFToken": CSRF_SECRET})
    assert without.status_code == 403 and with_token.status_code == 200
    return {"POST without token": 403, "POST with token": 200}


def check_csrf_exempt():
    with override_settings(MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"]):
        plain, exempt = serve("POST", "plain/"), serve("POST", "csrf_exempt/")
    assert plain.status_code == 403 and exempt.status_code == 200
    return {"undecorated POST without token": 403, "csrf_exempt POST without token": 200}


def check_requires_csrf_token():
    response = serve("POST", "requires_csrf_token/")  # no token, and still served
    assert response.status_code == 200 and "csrftoken" in response.cookies
    token, cookie = response.text, response.cookies["csrftoken"]
    protected = serve("POST", "csrf_protect/", cookies={"csrftoken": cookie}, headers={"X-CSRFToken": token})
    assert protected.status_code == 200  # the token the view handed out is a valid one
    return {"POST without token": 200, "token it handed out": "accepted by csrf_protect"}


def check_ensure_csrf_cookie():
    response = serve("GET", "ensure_csrf_cookie/")
    assert response.status_code == 200 and response.cookies.get("csrftoken")
    return {"Set-Cookie": "csrftoken=..."}


def check_sensitive_variables():
    from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

    with pytest.raises(ValueError, match="the view failed for ada") as excinfo:
        serve("GET", "sensitive_variables/?username=ada&password=s3cret")
    frames = ExceptionReporter(None, excinfo.type, excinfo.value, excinfo.tb).get_traceback_frames()
    shown = dict(next(f for f in frames if f["function"] == "raises_with_a_password")["vars"])
    assert shown["password"] == SafeExceptionReporterFilter.cleansed_substitute  # not "s3cret"
    assert shown["username"] == "ada"  # an unlisted variable is shown as it is
    return {"password in the error report": shown["password"], "username": shown["username"]}


def check_sensitive_post_parameters():
    from django.views.debug import SafeExceptionReporterFilter

    response = serve("POST", "sensitive_post_parameters/", data={"username": "ada", "password": "s3cret"})
    seen = response.json()
    assert seen["marked"] == ["password"]  # request.sensitive_post_parameters
    assert seen["reported"] == {"username": "ada", "password": SafeExceptionReporterFilter.cleansed_substitute}
    return {"password in the error report": seen["reported"]["password"]}


def check_gzip_page():
    response = serve("GET", "gzip_page/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and response.text == views.BODY
    assert int(response.headers["Content-Length"]) < len(views.BODY)
    # not the compressed length: from 4.2 Django pads gzip output with random bytes (BREACH mitigation)
    return {"Content-Encoding": "gzip", "decompressed": f"the {len(views.BODY)}-byte page"}


def _check_methods(name, allowed, refused):
    statuses = {method: serve(method, name + "/").status_code for method in allowed + [refused]}
    assert all(statuses[method] == 200 for method in allowed) and statuses[refused] == 405
    allow = serve(refused, name + "/").headers["Allow"]
    assert allow == ", ".join(allowed)
    return {"statuses": ", ".join(f"{m} {s}" for m, s in statuses.items()), "Allow": allow}


def check_require_http_methods():
    return _check_methods("require_http_methods", ["GET", "PUT"], "POST")


def check_require_GET():
    return _check_methods("require_GET", ["GET"], "POST")


def check_require_POST():
    return _check_methods("require_POST", ["POST"], "GET")


def check_require_safe():
    return _check_methods("require_safe", ["GET", "HEAD"], "POST")


def check_condition():
    response = serve("GET", "condition/")
    assert response.headers["ETag"] == views.ETAG and response.headers["Last-Modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert serve("GET", "condition/", headers={"If-None-Match": views.ETAG}).status_code == 304
    assert serve("GET", "condition/", headers={"If-None-Match": '"v0"'}).status_code == 200
    return {"ETag": views.ETAG, "If-None-Match the same": 304}


def check_etag():
    assert serve("GET", "etag/").headers["ETag"] == views.ETAG
    assert serve("GET", "etag/", headers={"If-None-Match": views.ETAG}).status_code == 304
    return {"ETag": views.ETAG, "If-None-Match the same": 304}


def check_last_modified():
    stamp = serve("GET", "last_modified/").headers["Last-Modified"]
    assert stamp == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert serve("GET", "last_modified/", headers={"If-Modified-Since": stamp}).status_code == 304
    return {"Last-Modified": stamp, "If-Modified-Since the same": 304}


def check_conditional_page():
    etag = serve("GET", "conditional_page/").headers["ETag"]  # computed from the content
    assert serve("GET", "conditional_page/", headers={"If-None-Match": etag}).status_code == 304
    return {"ETag": etag, "If-None-Match the same": 304}


def check_vary_on_headers():
    response = serve("GET", "vary_on_headers/")
    assert {"Accept-Language", "X-Variant"} <= directives(response, "Vary")
    return {"Vary": response.headers["Vary"]}


def check_vary_on_cookie():
    response = serve("GET", "vary_on_cookie/")
    assert "Cookie" in directives(response, "Vary")
    return {"Vary": response.headers["Vary"]}


def _check_csp(name, header, setting):
    with override_settings(MIDDLEWARE=["django.middleware.csp.ContentSecurityPolicyMiddleware"],
                           **{setting: {"default-src": ["'none'"]}}):
        plain, decorated = serve("GET", "plain/"), serve("GET", name + "/")
    assert plain.headers[header] == "default-src 'none'"
    assert decorated.status_code == 200 and decorated.headers[header] == "default-src 'self'"
    return {"undecorated": plain.headers[header], "decorated": decorated.headers[header]}


def check_csp_override():
    return _check_csp("csp_override", "Content-Security-Policy", "SECURE_CSP")


def check_csp_report_only_override():
    return _check_csp("csp_report_only_override", "Content-Security-Policy-Report-Only", "SECURE_CSP_REPORT_ONLY")


# One row per decorator: its view's name (and claim's), the release whose decorator keeps async
# views async, how its sync wrapper fails before that ("attr": it handles the coroutine as a
# response; "unawaited": it hands it to Django), the method of a request that reaches the view,
# the first release that has the decorator, and the check of its effect.
ROWS = [
    ("cache_control", "5.0", "attr", "GET", "3.0", check_cache_control),
    ("never_cache", "5.0", "attr", "GET", "3.0", check_never_cache),
    ("cache_page", "5.0", "attr", "GET", "3.0", check_cache_page),
    ("xframe_options_deny", "5.0", "attr", "GET", "3.0", check_xframe_options_deny),
    ("xframe_options_sameorigin", "5.0", "attr", "GET", "3.0", check_xframe_options_sameorigin),
    ("xframe_options_exempt", "5.0", "attr", "GET", "3.0", check_xframe_options_exempt),
    ("no_append_slash", "5.0", "unawaited", "GET", "3.2", check_no_append_slash),
    ("csrf_protect", "5.0", "unawaited", "GET", "3.0", check_csrf_protect),
    ("csrf_exempt", "5.0", "unawaited", "POST", "3.0", check_csrf_exempt),
    ("requires_csrf_token", "5.0", "unawaited", "GET", "3.0", check_requires_csrf_token),
    ("ensure_csrf_cookie", "5.0", "attr", "GET", "3.0", check_ensure_csrf_cookie),
    ("sensitive_variables", "5.0", "unawaited", "GET", "3.0", check_sensitive_variables),
    ("sensitive_post_parameters", "5.0", "unawaited", "POST", "3.0", check_sensitive_post_parameters),
    ("gzip_page", "5.0", "attr", "GET", "3.0", check_gzip_page),
    ("require_http_methods", "5.0", "unawaited", "GET", "3.0", check_require_http_methods),
    ("require_GET", "5.0", "unawaited", "GET", "3.0", check_require_GET),
    ("require_POST", "5.0", "unawaited", "POST", "3.0", check_require_POST),
    ("require_safe", "5.0", "unawaited", "GET", "3.0", check_require_safe),
    ("condition", "5.0", "attr", "GET", "3.0", check_condition),
    ("etag", "5.0", "attr", "GET", "3.0", check_etag),
    ("last_modified", "5.0", "attr", "GET", "3.0", check_last_modified),
    ("conditional_page", "5.0", "attr", "GET", "3.0", check_conditional_page),
    ("vary_on_headers", "5.0", "attr", "GET", "3.0", check_vary_on_headers),
    ("vary_on_cookie", "5.0", "attr", "GET", "3.0", check_vary_on_cookie),
    ("csp_override", "6.0", None, "GET", "6.0", check_csp_override),
    ("csp_report_only_override", "6.0", None, "GET", "6.0", check_csp_report_only_override),
]
BY_NAME = {row[0]: row for row in ROWS}
# the 5.0 docs' list of the decorators that take sync and async views (topics/async, "Decorators"):
# every row but cache_page, which the docs never name for async views, and the CSP decorators,
# which join the list in the 6.0 docs (their own rows say what they do on async views)
DOCS_LIST = [name for name in BY_NAME if name != "cache_page" and not name.startswith("csp")]


def claim_of(name):
    """The claim of a decorator's row. csrf_exempt's is the views topic's: an article says it."""
    if name == "csrf_exempt":
        return "views.csrf-exempt-on-async-view"
    return "decorators." + name.replace("_", "-").lower() + "-on-async-view"


def gates_before(since, exists):
    """The versions that have the decorator but not its async support."""
    return [pytest.mark.django(f"<{since}")] + ([pytest.mark.django(f">={exists}")] if exists != "3.0" else [])


def _works_params(names):
    for name in names:
        _, since, _, _, _, check = BY_NAME[name]
        yield pytest.param(name, check, id=name, marks=[
            pytest.mark.django(f">={since}"), pytest.mark.claims(confirms=[claim_of(name)])])


def _fails_params(names):
    for name in names:
        _, since, kind, method, exists, _ = BY_NAME[name]
        if since == exists:
            continue  # async-aware from the start: nothing fails
        if name == "csrf_exempt":
            # its claim also has the views topic's tests, which cover 3.1+ only: 3.0 is its own
            # param, so that each param stands for a range the views tests do or do not cover
            for split, suffix in (("<3.1", "-3.0"), (">=3.1", "")):
                yield pytest.param(name, kind, method, id=name + suffix, marks=gates_before(since, exists) + [
                    pytest.mark.django(split), pytest.mark.claims(refutes=[claim_of(name)])])
            continue
        yield pytest.param(name, kind, method, id=name, marks=gates_before(since, exists) + [
            pytest.mark.claims(refutes=[claim_of(name)])])


@pytest.mark.no_database
@pytest.mark.parametrize("name, check", list(_works_params(BY_NAME)))
def test_the_decorator_keeps_an_async_view_async_and_does_its_job(name, check, observe):
    """Applied to an ``async def`` view, the decorator returns a coroutine function, Django's
    ASGI application serves the view, and the decorator's effect is in the responses (the row's
    ``check_<name>``). 5.0+ (the CSP decorators: 6.0+, where they first exist)."""
    assert is_async(views.ASYNC_VIEWS[name])
    observe(**check())


@pytest.mark.no_database
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.parametrize("name, kind, method", list(_fails_params(BY_NAME)))
def test_before_5_0_the_decorator_turns_an_async_view_into_a_broken_sync_one(name, kind, method, observe):
    """3.0–4.2 (``no_append_slash``: 3.2–4.2): the decorator wraps the async view in a plain
    ``def``, so Django takes it for a sync view; a request that reaches the view fails with a
    ValueError (an unawaited coroutine) or an AttributeError (the coroutine handled as a
    response)."""
    assert not is_async(views.ASYNC_VIEWS[name])
    assert_fails_like_a_sync_wrapper(kind, method, name + "/", observe)


# ----------------------------------------------------------------------------- sync and async alike


def outcome(method, path):
    """What a request gets: its status and the names of its headers and cookies, or the
    exception Django caught (the sensitive_variables views raise their own on purpose)."""
    try:
        response = serve(method, path)
    except ValueError as exc:
        return f"ValueError: {exc}"
    headers = sorted(h for h in response.headers if h.lower() not in ("date", "expires", "content-length"))
    return f"{response.status_code}; headers {', '.join(headers)}; cookies {', '.join(sorted(response.cookies))}"


def _both_params(claim_relation):
    for name in DOCS_LIST:
        _, since, kind, method, exists, _ = BY_NAME[name]
        if claim_relation == "confirms":
            yield pytest.param(name, method, id=name, marks=[
                pytest.mark.django(f">={since}"), pytest.mark.claims(confirms=["decorators.docs-list-sync-and-async"])])
        elif since != exists:
            yield pytest.param(name, kind, method, id=name, marks=gates_before(since, exists) + [
                pytest.mark.claims(refutes=["decorators.docs-list-sync-and-async"])])


@pytest.mark.no_database
@pytest.mark.parametrize("name, method", list(_both_params("confirms")))
def test_one_decorator_serves_a_sync_and_an_async_view_alike(name, method, observe):
    """The 5.0 docs' list (topics/async, "Decorators"): each decorator there takes a ``def`` view
    and an ``async def`` view. The sync view stays a plain function, the async one a coroutine
    function, and the same request to each gets the same status, headers and cookies. 5.0+."""
    assert not is_async(views.SYNC_VIEWS[name]) and is_async(views.ASYNC_VIEWS[name])
    sync, async_ = outcome(method, f"sync/{name}/"), outcome(method, f"{name}/")
    assert async_ == sync
    observe(both=sync[:200])


@pytest.mark.no_database
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.parametrize("name, kind, method", list(_both_params("refutes")))
def test_before_5_0_a_decorator_serves_the_sync_view_but_not_the_async_one(name, kind, method, observe):
    """3.0–4.2: the same decorator serves the ``def`` view, while the ``async def`` one behind
    it fails as an async view behind a sync wrapper does."""
    sync = outcome(method, f"sync/{name}/")
    assert sync.startswith("200") or sync.startswith("ValueError: the view failed")
    assert_fails_like_a_sync_wrapper(kind, method, name + "/", observe)
    observe(sync_view=sync[:120])


@pytest.mark.django("<3.2")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["decorators.docs-list-sync-and-async"])
def test_before_3_2_one_decorator_of_the_list_does_not_exist(observe):
    """3.0–3.1: ``no_append_slash``, one of the list, is not there yet (its module,
    ``django.views.decorators.common``, arrives in 3.2)."""
    with pytest.raises(ImportError) as excinfo:
        from django.views.decorators.common import no_append_slash  # noqa: F401
    observe(raised=f"ImportError: {excinfo.value}")


# ----------------------------------------------------------------------------- auth decorators


AUTH_MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
                   "django.contrib.auth.middleware.AuthenticationMiddleware"]


@pytest.fixture
def users(transactional_db, settings):
    """ada, who has the spec's permission, and bob, who has none: ``users["ada"]`` is the
    session cookie of a logged-in ada (the test client's ``force_login``). The session and
    authentication middleware are in force, so that a request with the cookie has its user."""
    from django.contrib.auth.models import Permission, User
    from django.contrib.contenttypes.models import ContentType

    settings.MIDDLEWARE = AUTH_MIDDLEWARE
    app_label, codename = views.PERMISSION.split(".")
    permission, _ = Permission.objects.get_or_create(
        codename=codename, content_type=ContentType.objects.get_for_model(User),
        defaults={"name": "Can use the decorated view"})
    cookies = {}
    for name in ("ada", "bob"):
        user = User.objects.create_user(name, password="pw")
        if name == "ada":
            user.user_permissions.add(permission)
        client = Client()
        client.force_login(user)
        cookies[name] = {"sessionid": client.cookies["sessionid"].value}
    return cookies


def login_redirect(response, path):
    return response.status_code == 302 and response.headers["Location"] == f"{DEFAULT_LOGIN_URL}?next=/decorators/{path}"


@pytest.mark.django(">=5.1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.claims(confirms=["decorators.login-required-on-async-view"])
def test_login_required_keeps_an_async_view_async_redirects_anonymous_and_serves_users(users, observe):
    """5.1+: ``@login_required`` on an async view gives a coroutine function; an anonymous
    request is redirected to settings.LOGIN_URL with ``next``, a logged-in user gets the page."""
    assert is_async(views.ASYNC_VIEWS["login_required"])
    assert login_redirect(serve("GET", "login_required/"), "login_required/")
    response = serve("GET", "login_required/", cookies=users["bob"])
    assert response.status_code == 200 and response.text == "hello bob"
    observe(anonymous="302 to " + DEFAULT_LOGIN_URL, logged_in="200 hello bob")


@pytest.mark.django(">=5.1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.claims(confirms=["decorators.permission-required-on-async-view"])
def test_permission_required_keeps_an_async_view_async_and_checks_the_permission(users, observe):
    """5.1+: ``@permission_required`` on an async view gives a coroutine function. Without the
    permission, an anonymous user or bob is redirected to the login page, or gets 403 with
    ``raise_exception=True``; ada, who has it, gets the page from both views."""
    assert is_async(views.ASYNC_VIEWS["permission_required"]) and is_async(views.ASYNC_VIEWS["permission_required_raise"])
    assert login_redirect(serve("GET", "permission_required/"), "permission_required/")
    assert login_redirect(serve("GET", "permission_required/", cookies=users["bob"]), "permission_required/")
    assert serve("GET", "permission_required_raise/", cookies=users["bob"]).status_code == 403
    for path in ("permission_required/", "permission_required_raise/"):
        response = serve("GET", path, cookies=users["ada"])
        assert response.status_code == 200 and response.text == "hello ada"
    observe(without_permission="302 to the login page / 403 (raise_exception)", with_permission="200")


@pytest.mark.django(">=5.1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.claims(confirms=["decorators.user-passes-test-on-async-view"])
def test_user_passes_test_keeps_an_async_view_async_and_applies_the_test(users, observe):
    """5.1+: ``@user_passes_test(is_ada)`` on an async view gives a coroutine function; bob and
    anonymous users are redirected to the login page, ada gets the page."""
    assert is_async(views.ASYNC_VIEWS["user_passes_test"])
    assert login_redirect(serve("GET", "user_passes_test/"), "user_passes_test/")
    assert login_redirect(serve("GET", "user_passes_test/", cookies=users["bob"]), "user_passes_test/")
    assert serve("GET", "user_passes_test/", cookies=users["ada"]).text == "hello ada"
    observe(bob="302 to the login page", ada="200")


@pytest.mark.django(">=5.1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.claims(confirms=["decorators.user-passes-test-async-test-function"])
def test_user_passes_test_awaits_an_async_test_function(users, observe):
    """5.1+: the test function may itself be ``async def``: the decorator awaits it, so bob
    (for whom it returns False) is redirected and ada gets the page."""
    assert is_async(views.ASYNC_VIEWS["user_passes_test_async_check"])
    assert login_redirect(serve("GET", "user_passes_test_async_check/", cookies=users["bob"]), "user_passes_test_async_check/")
    assert serve("GET", "user_passes_test_async_check/", cookies=users["ada"]).text == "hello ada"
    observe(bob="302 to the login page", ada="200")


AUTH_BEFORE_5_1 = [
    pytest.param("login_required", "bob", id="login_required",
                 marks=pytest.mark.claims(refutes=["decorators.login-required-on-async-view"])),
    pytest.param("permission_required", "ada", id="permission_required",
                 marks=pytest.mark.claims(refutes=["decorators.permission-required-on-async-view"])),
    pytest.param("user_passes_test", "ada", id="user_passes_test",
                 marks=pytest.mark.claims(refutes=["decorators.user-passes-test-on-async-view"])),
]


@pytest.mark.django("<5.1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.parametrize("name, passing_user", AUTH_BEFORE_5_1)
def test_before_5_1_an_auth_decorator_redirects_anonymous_users_but_fails_the_others(name, passing_user, users, observe):
    """3.0–5.0: the auth decorators wrap an async view in a plain ``def``. An anonymous request
    is still redirected to the login page (the view is never called), but a user who passes the
    check reaches the view, and its coroutine comes back unawaited: the request fails."""
    assert not is_async(views.ASYNC_VIEWS[name])
    assert login_redirect(serve("GET", name + "/"), name + "/")
    assert_fails_like_a_sync_wrapper("unawaited", "GET", name + "/", observe, cookies=users[passing_user])


@pytest.mark.django("<5.1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.claims(refutes=["decorators.user-passes-test-async-test-function"])
def test_before_5_1_an_async_test_function_lets_everyone_through(users, observe):
    """3.0–5.0: ``user_passes_test`` calls the async test function without awaiting it, and the
    coroutine it gets back is truthy: bob, for whom the test says False, is let through to the
    view (which then fails, as an async view behind a sync wrapper does) instead of redirected."""
    assert_fails_like_a_sync_wrapper("unawaited", "GET", "user_passes_test_async_check/", observe, cookies=users["bob"])


@pytest.mark.django(">=5.1")
@pytest.mark.no_database  # anonymous requests only: no session, no user to load
@pytest.mark.claims(confirms=["decorators.login-not-required-on-async-view"])
@override_settings(MIDDLEWARE=AUTH_MIDDLEWARE + ["django.contrib.auth.middleware.LoginRequiredMiddleware"])
def test_login_not_required_lets_anonymous_users_reach_an_async_view(observe):
    """5.1+: ``@login_not_required`` marks the async view itself (``login_required = False``,
    still a coroutine function): behind LoginRequiredMiddleware an anonymous request to an
    undecorated async view is redirected to the login page, and to the marked one served."""
    view = views.ASYNC_VIEWS["login_not_required"]
    assert is_async(view) and view.login_required is False
    assert login_redirect(serve("GET", "plain/"), "plain/")
    assert serve("GET", "login_not_required/").status_code == 200
    observe(undecorated="302 to the login page", login_not_required="200")


# ----------------------------------------------------------------------------- method_decorator


@pytest.mark.django(">=5.2")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["decorators.method-decorator-on-async-method"])
def test_method_decorator_keeps_an_async_handler_async(observe):
    """5.2+: ``@method_decorator(never_cache)`` on ``async def get`` leaves ``get`` a coroutine
    function, so the view class is async (``view_is_async``) and its view function a coroutine
    function; the ASGI application serves it with never_cache's headers."""
    cls = views.NeverCachedGet
    assert is_async(cls.get) and cls.view_is_async and is_async(cls.as_view())
    response = serve("GET", "cbv/never-cached-get/")
    assert response.status_code == 200 and {"no-cache", "max-age=0"} <= directives(response)
    observe(**{"Cache-Control": response.headers["Cache-Control"]})


@pytest.mark.django("<5.2")
@pytest.mark.no_database
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.claims(refutes=["decorators.method-decorator-on-async-method"])
def test_before_5_2_method_decorator_turns_an_async_handler_into_a_sync_one(observe):
    """3.0–5.1: ``method_decorator`` wraps the method in a plain ``def``. On 5.0–5.1 the async-
    aware never_cache inside still returns a coroutine, which the now sync view hands to Django
    (ValueError); before 5.0 never_cache itself treats the coroutine as a response
    (AttributeError)."""
    assert not is_async(views.NeverCachedGet.get)
    kind = "unawaited" if DJANGO_VERSION >= (5, 0) else "attr"
    assert_fails_like_a_sync_wrapper(kind, "GET", "cbv/never-cached-get/", observe)


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.claims(confirms=["decorators.method-decorator-dispatch-must-be-async"])
def test_decorating_dispatch_of_an_async_view_needs_an_async_dispatch(observe):
    """The 6.1 docs: to decorate ``dispatch`` of a view with async handlers, override it as
    ``async def``. That form is served with never_cache's headers (from 5.0, where never_cache
    knows async functions); decorating the inherited sync ``dispatch`` instead makes never_cache
    wrap it in a sync wrapper, which gets the handler's coroutine: AttributeError."""
    assert is_async(views.NeverCachedAsyncDispatch.as_view())
    response = serve("GET", "cbv/never-cached-async-dispatch/")
    assert response.status_code == 200 and {"no-cache", "max-age=0"} <= directives(response)
    with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
        serve("GET", "cbv/never-cached-inherited-dispatch/")
    close_coroutines_in_traceback(excinfo.tb)
    observe(async_dispatch=response.headers["Cache-Control"], inherited_dispatch=str(excinfo.value))


@pytest.mark.django("<5.0")
@pytest.mark.no_database
@pytest.mark.filterwarnings(NEVER_AWAITED)
@pytest.mark.claims(refutes=["decorators.method-decorator-dispatch-must-be-async"])
def test_before_5_0_even_an_async_dispatch_cannot_be_decorated(observe):
    """3.0–4.2: never_cache does not know async functions, so decorating an ``async def
    dispatch`` fails like the inherited one: never_cache treats the coroutine as a response."""
    assert_fails_like_a_sync_wrapper("attr", "GET", "cbv/never-cached-async-dispatch/", observe)
