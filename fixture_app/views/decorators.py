"""Views of the decorators spec (spec_tests/test_decorators.py): Django's view decorators on
``async def`` views, routed under /decorators/ by fixture_app/urls_decorators.py.

``DECORATORS`` names each decorator with the arguments the spec applies it with. ``ASYNC_VIEWS``
holds each one applied to an async view: a plain one that answers ``BODY``, or one written for
what the decorator needs (a local variable to hide, a POST to filter, a CSRF token to read).
``SYNC_VIEWS`` holds the same decorators on a plain ``def`` view, for the docs' "sync and async"
statement. A decorator that the installed Django lacks (``no_append_slash`` before 3.2, the CSP
decorators before 6.0, ``login_not_required`` before 5.1) is left out, and so is its URL.

Decorating never fails, on any version: a decorator that does not know async views still wraps
one, in a plain function. What goes wrong happens only when a request reaches it.
"""
import importlib
import itertools
from datetime import datetime, timezone

from django.contrib.auth import decorators as auth
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views import View
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators import cache, clickjacking, csrf, debug, gzip, http, vary

BODY = "A page from an async view. " * 12  # over 200 bytes: gzip_page leaves shorter bodies alone
ETAG = '"v1"'  # what etag_func and condition's etag_func say the page's version is
LAST_MODIFIED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
PERMISSION = "auth.use_decorated_view"  # created by the tests (spec_tests/test_decorators.py)
CSP = {"default-src": ["'self'"]}  # what the CSP decorators put in place of SECURE_CSP*


def _module(name):
    """``django.views.decorators.<name>``, or None where the installed Django has no such module."""
    try:
        return importlib.import_module("django.views.decorators." + name)
    except ImportError:
        return None


common, csp = _module("common"), _module("csp")  # 3.2+, 6.0+


def etag_of(request, *args, **kwargs):
    return ETAG


def last_modified_of(request, *args, **kwargs):
    return LAST_MODIFIED


def is_ada(user):
    return user.username == "ada"


async def is_ada_async(user):
    return user.username == "ada"


DECORATORS = {
    "cache_control": cache.cache_control(max_age=60, private=True),
    "never_cache": cache.never_cache,
    "cache_page": cache.cache_page(60, key_prefix="decorators-spec"),
    "xframe_options_deny": clickjacking.xframe_options_deny,
    "xframe_options_sameorigin": clickjacking.xframe_options_sameorigin,
    "xframe_options_exempt": clickjacking.xframe_options_exempt,
    "csrf_protect": csrf.csrf_protect,
    "csrf_exempt": csrf.csrf_exempt,
    "requires_csrf_token": csrf.requires_csrf_token,
    "ensure_csrf_cookie": csrf.ensure_csrf_cookie,
    "sensitive_variables": debug.sensitive_variables("password"),
    "sensitive_post_parameters": debug.sensitive_post_parameters("password"),
    "gzip_page": gzip.gzip_page,
    "require_http_methods": http.require_http_methods(["GET", "PUT"]),
    "require_GET": http.require_GET,
    "require_POST": http.require_POST,
    "require_safe": http.require_safe,
    "condition": http.condition(etag_func=etag_of, last_modified_func=last_modified_of),
    "etag": http.etag(etag_of),
    "last_modified": http.last_modified(last_modified_of),
    "conditional_page": http.conditional_page,
    "vary_on_headers": vary.vary_on_headers("Accept-Language", "X-Variant"),
    "vary_on_cookie": vary.vary_on_cookie,
    "login_required": auth.login_required,
    "permission_required": auth.permission_required(PERMISSION),
    "permission_required_raise": auth.permission_required(PERMISSION, raise_exception=True),
    "user_passes_test": auth.user_passes_test(is_ada),
    "user_passes_test_async_check": auth.user_passes_test(is_ada_async),
}
if common is not None:
    DECORATORS["no_append_slash"] = common.no_append_slash
if csp is not None:
    DECORATORS["csp_override"] = csp.csp_override(CSP)
    DECORATORS["csp_report_only_override"] = csp.csp_report_only_override(CSP)
if hasattr(auth, "login_not_required"):
    DECORATORS["login_not_required"] = auth.login_not_required


# ------------------------------------------------------------------ the views before decorating


def _page(name):
    """A fresh async view (decorators that mark a view must not mark another one's function)."""
    async def page(request, *args, **kwargs):
        return HttpResponse(BODY)

    page.__name__ = page.__qualname__ = name
    return page


def _sync_page(name):
    def page(request, *args, **kwargs):
        return HttpResponse(BODY)

    page.__name__ = page.__qualname__ = name + "_sync"
    return page


async def plain(request):
    """The undecorated async view: what a middleware does to a view no decorator changed."""
    return HttpResponse(BODY)


# Views written for what a decorator needs, each in an async and a sync form.

_counter = itertools.count(1)


def counted_sync(request):
    """For cache_page: each run of the view answers the next number, so a cached page shows."""
    return HttpResponse("run %d" % next(_counter))


def raises_with_a_password_sync(request):
    """For sensitive_variables: a local ``password`` and a local ``username`` when it raises."""
    username, password = request.GET.get("username", ""), request.GET.get("password", "")
    raise ValueError("the view failed for %s" % username)


def filtered_post_sync(request):
    """For sensitive_post_parameters: the POST as an error report would show it."""
    return JsonResponse({
        "marked": list(getattr(request, "sensitive_post_parameters", [])),
        "reported": SafeExceptionReporterFilter().get_post_parameters(request).dict(),
    })


def reads_the_csrf_token_sync(request):
    """For requires_csrf_token: the view reads the token, as a template's {% csrf_token %} does."""
    return HttpResponse(get_token(request))


async def counted(request):
    return counted_sync(request)


async def raises_with_a_password(request):
    username, password = request.GET.get("username", ""), request.GET.get("password", "")
    raise ValueError("the view failed for %s" % username)


async def filtered_post(request):
    return filtered_post_sync(request)


async def reads_the_csrf_token(request):
    return reads_the_csrf_token_sync(request)


async def whoami(request):
    """For the auth decorators: the user the view was served to. (``request.auser()``, 5.0+:
    the view body only runs where the auth decorators support async views, 5.1+.)"""
    user = await request.auser()
    return HttpResponse("hello %s" % user.username)


SPECIAL = {  # name: (async view, sync view); the others get a plain page
    "cache_page": (counted, counted_sync),
    "sensitive_variables": (raises_with_a_password, raises_with_a_password_sync),
    "sensitive_post_parameters": (filtered_post, filtered_post_sync),
    "requires_csrf_token": (reads_the_csrf_token, reads_the_csrf_token_sync),
    "login_required": (whoami, None),
    "permission_required": (whoami, None),
    "permission_required_raise": (whoami, None),
    "user_passes_test": (whoami, None),
    "user_passes_test_async_check": (whoami, None),
}


def _decorated(name, decorator, is_async):
    special = SPECIAL.get(name, (None, None))[0 if is_async else 1]
    return decorator(special or (_page if is_async else _sync_page)(name))


ASYNC_VIEWS = {name: _decorated(name, decorator, True) for name, decorator in DECORATORS.items()}
SYNC_VIEWS = {name: _decorated(name, decorator, False) for name, decorator in DECORATORS.items()}


# ------------------------------------------------------------------ method_decorator on async CBVs


class NeverCachedGet(View):
    """``method_decorator`` on the async handler itself."""

    @method_decorator(cache.never_cache)
    async def get(self, request):
        return HttpResponse(BODY)


class NeverCachedAsyncDispatch(View):
    """The 6.1 docs' form for decorating ``dispatch`` of a view with async handlers: override it
    as ``async def`` and decorate that."""

    @method_decorator(cache.never_cache)
    async def dispatch(self, *args, **kwargs):
        return await super().dispatch(*args, **kwargs)

    async def get(self, request):
        return HttpResponse(BODY)


@method_decorator(cache.never_cache, name="dispatch")
class NeverCachedInheritedDispatch(View):
    """What the docs warn against: decorating the inherited (sync) ``dispatch`` of a view whose
    handlers are async."""

    async def get(self, request):
        return HttpResponse(BODY)
