"""ASGI applications of the channels specs: A3's asgi.py as written, and the same router with a
WebSocket entry added where the sample's comment says further protocols go.

``application`` keeps the sample's order (imports, then DJANGO_SETTINGS_MODULE, then the router),
so loading this module in a fresh interpreter checks the sample as a server would load it.
"""
import os

from django.core.asgi import get_asgi_application
from channels.routing import ProtocolTypeRouter

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'fixture_app.settings')

# channels.a3-asgi-router-sample, as written
application = ProtocolTypeRouter({
    "http": get_asgi_application(),
    # further protocols (WebSocket) are added here
})


# channels.router-add-websocket-protocol: the same router with a 'websocket' entry; the
# consumers are mounted with as_asgi() in a URLRouter, not in the project's urlpatterns.
from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from fixture_app.consumers import ChatConsumer, SyncEchoConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
    path("ws/sync-echo/", SyncEchoConsumer.as_asgi()),
]

application_with_websocket = ProtocolTypeRouter({
    "http": get_asgi_application(),
    "websocket": URLRouter(websocket_urlpatterns),
})


class ConsumerInUrlpatterns:
    """channels.consumer-not-a-view: a ROOT_URLCONF that puts the consumer where a view goes."""

    urlpatterns = [path("chat/", ChatConsumer.as_asgi())]
