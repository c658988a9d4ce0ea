"""A blocking face for Django's AsyncClient, so one test body can drive either test client."""
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
