"""Middleware for the middleware spec (spec_tests/test_middleware.py): the articles' shapes as
written, and the forms Django documents. Each records what ran, and on which thread, in
``EVENTS`` so a test can read the order of events and the threads."""
import threading

from django.utils.deprecation import MiddlewareMixin

EVENTS = []


def record(what):
    EVENTS.append((what, threading.get_ident()))


# middleware.sample-a1-simple-async-middleware, as written: no __init__, and get_response is an
# argument of __call__
class SimpleAsyncMiddleware:
    async def __call__(self, request, get_response):
        record("before")
        response = await get_response(request)
        record("after")
        return response


def recording_middleware(get_response):
    """The middleware both factories below return: records before and after the view."""
    async def middleware(request):
        record("before")
        response = await get_response(request)
        record("after")
        return response
    return middleware


# middleware.sample-a3-async-middleware-factory, as written: the *factory* is async def
async def async_middleware(get_response):
    return recording_middleware(get_response)


def async_only(get_response):
    """The documented async form: a sync factory returning a coroutine function, flagged
    async-only (django.utils.decorators.async_only_middleware, Django 3.1+)."""
    return recording_middleware(get_response)


async_only.sync_capable = False
async_only.async_capable = True


def async_only_decorated(get_response):
    """The same middleware, flagged by Django's own ``@async_only_middleware`` (3.1+) rather
    than by hand."""
    return recording_middleware(get_response)


try:  # Django 3.1+
    from django.utils.decorators import async_only_middleware
except ImportError:  # Django 3.0 has no async middleware
    pass
else:
    async_only_decorated = async_only_middleware(async_only_decorated)


def sync_only(get_response):
    """A classic sync middleware that cannot run async (sync_capable only)."""
    def middleware(request):
        record("sync middleware")
        return get_response(request)
    return middleware


sync_only.sync_capable = True
sync_only.async_capable = False


class OldStyleMiddleware(MiddlewareMixin):
    """A MiddlewareMixin middleware with sync hooks, as most third-party middleware is."""

    def process_request(self, request):
        record("process_request")

    def process_response(self, request, response):
        record("process_response")
        return response
