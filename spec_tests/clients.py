"""Client helpers shared by the spec modules: a blocking face for Django's AsyncClient, so one
test body can drive either test client, and one request through Django's ASGI application as a
server sends it."""
import sys

from asgiref.sync import async_to_sync


class AsgiTestClient:
    """Django's AsyncClient (3.1+) with plain, blocking methods, so one test body can use either
    test client: each call runs the request on an event loop (async_to_sync) and waits."""

    def __init__(self, **kwargs):
        from django.test import AsyncClient  # Django >= 3.1

        self.client = AsyncClient(**kwargs)
        self.force_login = self.client.force_login
        self.get, self.post = self._blocking("get"), self._blocking("post")

    def _blocking(self, method):
        async def call(*args, **kwargs):
            return await getattr(self.client, method)(*args, **kwargs)

        return async_to_sync(call)


def asgi_request(method, url, app=None, headers=None, cookies=None, data=None):
    """One request through Django's ASGI application, as an ASGI server sends it (httpx's
    ASGITransport), from sync code; returns the httpx response. ``app`` defaults to a new
    ``get_asgi_application()``, built with the settings of the moment. Like Django's test
    clients, it raises the exception that Django turned into a 500 response (caught with the
    ``got_request_exception`` signal); an exception that escapes the application (Django 3.0)
    reaches the caller anyway."""
    import httpx
    from django.core.asgi import get_asgi_application
    from django.core.signals import got_request_exception

    caught = []

    def keep(sender, **kwargs):
        caught.append(sys.exc_info()[1])

    async def send():
        transport = httpx.ASGITransport(app=app or get_asgi_application())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as client:
            return await client.request(method, url, headers=headers, data=data)

    got_request_exception.connect(keep)
    try:
        response = async_to_sync(send)()
    finally:
        got_request_exception.disconnect(keep)
    if caught and caught[0] is not None:
        raise caught[0]
    return response
