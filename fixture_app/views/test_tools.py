"""Views for the test tools spec (spec_tests/test_test_tools.py): what a view sees when Django's
test clients (Client, AsyncClient) and request factories call it.

Claims: claims/test_tools.toml.
"""
import threading

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse


def _seen(request):
    """What the request looks like to the view: its class, the X-Test header, every META key
    mentioning TEST (to show where a misnamed header lands), the query string and one custom
    ASGI scope key."""
    return {
        "request_class": type(request).__name__,
        "x_test": request.headers.get("X-Test"),
        "accept": request.headers.get("Accept"),
        "test_meta": {key: value for key, value in request.META.items() if "TEST" in key.upper()},
        "GET": {key: request.GET.getlist(key) for key in request.GET},
        "scope_custom": getattr(request, "scope", {}).get("custom"),
        "thread": threading.get_ident(),
    }


def echo_sync(request):
    return JsonResponse(_seen(request))


async def echo_async(request):
    return JsonResponse(_seen(request))


def redirect_to_echo(request):
    return HttpResponseRedirect("/test-tools/echo-async/")


async def raises(request):
    raise ValueError("raised by the view")


async def whoami(request):
    """The user the auth middleware attached, read the async way (``request.auser()``, 5.0+)."""
    user = await request.auser()
    return JsonResponse({"authenticated": user.is_authenticated, "username": user.get_username()})


def post_ok(request):
    return HttpResponse("posted" if request.method == "POST" else "not a POST")
