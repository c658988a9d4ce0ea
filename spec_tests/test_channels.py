"""Django Channels: A1's chat consumer, channel-layer groups, A3's ProtocolTypeRouter asgi.py,
and what 'channels' in INSTALLED_APPS and ASGI_APPLICATION do.

Everything runs in-process through Channels' testing communicators (no server, no network).
fixture_app/consumers.py holds A1's ``ChatConsumer`` as written; fixture_app/routing.py holds
A3's asgi.py as written (``application``) and the same router with a 'websocket' entry
(``application_with_websocket``). The channel layer, where a test needs one, is Channels'
in-memory layer set for that test: the project's settings name none.

The Channels release depends on the env (the resolver picks it): 3.0.5 with Daphne 3.0.2 for
Django 3.0–3.1, 4.x for 3.2+ (4.0.0 up to 4.1, 4.3.x from 4.2). Channels 4 moved runserver out
of Channels into Daphne: the settings-sample test is gated at 3.2 (and checks the Channels
major it expects); the ASGI_APPLICATION test installs whichever app provides runserver.

The last section is about Channels itself per Django release: which Channels the resolver
installs next to each Django (and the Django requirement it declares), that Daphne is a hard
requirement of Channels 3 but only an extra of Channels 4, that ``channels.testing`` cannot be
imported without Daphne (checked in a fresh interpreter that cannot import it), what the three
communicators do on every release.
"""
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
from importlib import metadata

import pytest
from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import ApplicationCommunicator, HttpCommunicator, WebsocketCommunicator

from fixture_app import routing
from fixture_app.consumers import ChatConsumer, ChatConsumerTextOrBytes, GatedEchoConsumer
from spec_tests.sides import side
from spec_tests.unawaited import close_coroutines_in_traceback

IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
SYNC_VIEW = "/concurrency/sync-sleep/?s=0"  # a plain Django view, on every version
ASYNC_VIEW = "/hello/"  # A2's async def hello_async (3.1+)
TIMEOUT = 10  # generous: a loaded machine must never fail a test by slowness alone
RUNSERVER_OPTIONS = {"use_static_handler": False, "insecure_serving": False}

pytestmark = [
    # Channels' consumers and routers here use no database: once per Django version (in the
    # SQLite env), and the outcome stands for every database column of that version.
    pytest.mark.no_database,
    # Django's handler and Channels' consumers close stale database connections around each
    # request or message (Channels 4.2+ on every dispatch; its sync consumers on every version),
    # which touches the connections that earlier tests left open: the database must be allowed.
    # No test here writes, so the cheap rollback form is enough.
    pytest.mark.django_db,
    # importing Daphne (Twisted's TLS support) on Python 3.8 warns that cryptography drops 3.8
    pytest.mark.filterwarnings("ignore:Python 3.8 is no longer supported"),
]


def channels_version():
    return metadata.version("channels")


def channels_major():
    return int(channels_version().split(".")[0])


@pytest.fixture
def channel_layer(settings):
    """Channels' in-memory layer as CHANNEL_LAYERS['default'] for this test; returns it."""
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    return get_channel_layer()


async def close(*communicators):
    """Disconnect (WebSocket) or finish (other) every communicator; never raises, so the test's
    own failure is the one reported and no application task outlives the test."""
    for communicator in communicators:
        try:
            if isinstance(communicator, WebsocketCommunicator):
                await communicator.disconnect(timeout=TIMEOUT)
            else:
                await communicator.wait(timeout=TIMEOUT)
        except (Exception, asyncio.CancelledError):
            communicator.stop(exceptions=False)


@contextlib.asynccontextmanager
async def sockets(app, path, n):
    """``n`` WebSocket communicators on ``app`` at ``path``; all closed on exit."""
    communicators = [WebsocketCommunicator(app, path) for _ in range(n)]
    try:
        yield communicators
    finally:
        await close(*communicators)


async def http_get(app, path):
    communicator = HttpCommunicator(app, "GET", path)
    try:
        return await communicator.get_response(timeout=TIMEOUT)
    finally:
        await close(communicator)


async def connect_all(communicators):
    for communicator in communicators:
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected


# ------------------------------------------------------------------------ A1's ChatConsumer


@pytest.mark.claims(confirms=["channels.chat-consumer-sample"])
async def test_sample_chat_consumer_delivers_a_text_to_every_connected_client(channel_layer, observe):
    """A1 section 4's ChatConsumer as written, with the in-memory channel layer: two clients
    connect, the text one sends reaches both. All versions."""
    async with sockets(routing.application_with_websocket, "/ws/chat/", 2) as (alice, bob):
        await connect_all([alice, bob])
        await alice.send_to(text_data="hello")
        assert await alice.receive_from(timeout=TIMEOUT) == "hello"
        assert await bob.receive_from(timeout=TIMEOUT) == "hello"
    observe(channels=channels_version(), delivered_to="sender and other client")


@pytest.mark.claims(refutes=["channels.chat-consumer-sample"])
async def test_sample_chat_consumer_without_channel_layers_fails_when_a_client_connects(settings, observe):
    """Without CHANNEL_LAYERS (neither article configures one) ``self.channel_layer`` is None and
    connect() raises AttributeError before accepting: the handshake never completes. All
    versions."""
    del settings.CHANNEL_LAYERS  # whatever the project's settings say
    client = WebsocketCommunicator(routing.application_with_websocket, "/ws/chat/")
    try:
        await client.send_input({"type": "websocket.connect"})
        with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'group_add'") as excinfo:
            await client.wait(timeout=TIMEOUT)
        assert client.output_queue.empty()  # no websocket.accept was sent
    finally:
        await close(client)
    observe(raised=f"AttributeError: {excinfo.value}", channels=channels_version())


@pytest.mark.claims(refutes=["channels.chat-consumer-sample"])
async def test_sample_chat_consumer_crashes_on_a_binary_frame(channel_layer, observe):
    """The sample's ``receive(self, text_data)``: for a binary frame Channels calls
    ``receive(bytes_data=...)``, a TypeError that ends the consumer (its disconnect() never runs).
    Taking ``text_data=None, bytes_data=None`` fixes it. All versions."""
    async with sockets(routing.application_with_websocket, "/ws/chat/", 1) as (client,):
        await connect_all([client])
        await client.send_to(bytes_data=b"hello")
        with pytest.raises(TypeError, match="unexpected keyword argument 'bytes_data'") as excinfo:
            await client.wait(timeout=TIMEOUT)
    observe(raised=f"TypeError: {excinfo.value}", channels=channels_version())

    async with sockets(ChatConsumerTextOrBytes.as_asgi(), "/ws/chat/", 1) as (client,):  # as it works
        await connect_all([client])
        await client.send_to(bytes_data=b"hello")
        assert await client.receive_from(timeout=TIMEOUT) == "hello"


@pytest.mark.claims(confirms=["channels.accept-and-send"])
async def test_accept_and_send_produce_the_asgi_accept_and_text_messages(channel_layer):
    """At the ASGI level: ``await self.accept()`` in connect() sends ``websocket.accept``;
    ``await self.send(text_data=...)`` sends ``websocket.send`` with that text. All versions."""
    scope = {"type": "websocket", "path": "/ws/chat/", "query_string": b"", "headers": [], "subprotocols": []}
    communicator = ApplicationCommunicator(ChatConsumer.as_asgi(), scope)
    try:
        await communicator.send_input({"type": "websocket.connect"})
        assert (await communicator.receive_output(timeout=TIMEOUT))["type"] == "websocket.accept"
        await communicator.send_input({"type": "websocket.receive", "text": "hi"})
        sent = await communicator.receive_output(timeout=TIMEOUT)
        assert (sent["type"], sent.get("text"), sent.get("bytes")) == ("websocket.send", "hi", None)
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    finally:
        await close(communicator)


@pytest.mark.claims(confirms=["channels.async-consumer-handles-async"])
async def test_async_consumer_handlers_run_as_coroutines_on_the_event_loop(observe):
    """An AsyncWebsocketConsumer's receive() suspended on an await does not hold up another
    connection: while one client's handler waits, another client is answered; both handlers
    run on the event loop's thread. All versions."""
    gate = asyncio.Event()
    app = GatedEchoConsumer.as_asgi(gate=gate)
    async with sockets(app, "/ws/gated/", 2) as (waiting, other):
        await connect_all([waiting, other])
        await waiting.send_to(text_data="wait")
        assert (await waiting.receive_from(timeout=TIMEOUT)).split()[0] == "waiting"  # inside its handler
        await other.send_to(text_data="hello")
        answer = await other.receive_from(timeout=TIMEOUT)
        assert answer.split()[0] == "hello"
        assert await waiting.receive_nothing(timeout=0.05)  # still suspended: the gate is closed
        gate.set()
        released = await waiting.receive_from(timeout=TIMEOUT)
        assert released.split()[0] == "wait"
    threads = {int(answer.split()[1]), int(released.split()[1])}
    assert threads == {threading.get_ident()}
    observe(handler_thread="event loop", answered_while_other_handler_suspended=True)


# ------------------------------------------------------------------------ groups


@pytest.mark.claims(confirms=["channels.group-add-discard"])
async def test_connect_joins_the_group_and_disconnect_leaves_it(channel_layer, observe):
    """The sample's connect() (group_add) puts each consumer's channel in 'chat_room'; its
    disconnect() (group_discard) takes it out, and later group messages no longer reach that
    channel. All versions."""
    async with sockets(routing.application_with_websocket, "/ws/chat/", 2) as (alice, bob):
        await connect_all([alice, bob])
        members = set(channel_layer.groups.get("chat_room", {}))
        assert len(members) == 2
        await bob.disconnect(timeout=TIMEOUT)
        left = members - set(channel_layer.groups.get("chat_room", {}))
        assert len(left) == 1
        await alice.send_to(text_data="after bob left")
        assert await alice.receive_from(timeout=TIMEOUT) == "after bob left"
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(channel_layer.receive(left.pop()), timeout=0.2)
    assert not channel_layer.groups.get("chat_room")
    observe(members_after_connect=2, members_after_one_disconnect=1)


@pytest.mark.claims(confirms=["channels.group-send-dispatches-by-type"])
async def test_group_send_runs_the_method_named_by_the_event_type_in_every_member(channel_layer, observe):
    """A ``group_send`` of ``{'type': 'chat_message', ...}`` runs ``chat_message`` in every member
    consumer, which sends the text to its own client; a client's text reaches the sender too.
    ('chat.message' names the same method: dots become underscores.) All versions."""
    async with sockets(routing.application_with_websocket, "/ws/chat/", 2) as (alice, bob):
        await connect_all([alice, bob])
        await channel_layer.group_send("chat_room", {"type": "chat_message", "message": "from the layer"})
        assert [await c.receive_from(timeout=TIMEOUT) for c in (alice, bob)] == ["from the layer"] * 2
        await channel_layer.group_send("chat_room", {"type": "chat.message", "message": "dotted"})
        assert [await c.receive_from(timeout=TIMEOUT) for c in (alice, bob)] == ["dotted"] * 2
        await bob.send_to(text_data="from bob")
        assert [await c.receive_from(timeout=TIMEOUT) for c in (alice, bob)] == ["from bob"] * 2
    observe(dispatched_to="chat_message in both members")


# ------------------------------------------------------------------------ what serves WebSockets


@pytest.mark.claims(confirms=["channels.handles-websockets"])
async def test_djangos_own_asgi_handler_refuses_a_websocket_connection(observe):
    """Django's get_asgi_application() serves HTTP only: a WebSocket connection raises
    ValueError. WebSockets need Channels' router and consumers. All versions (3.0+)."""
    from django.core.asgi import get_asgi_application

    client = WebsocketCommunicator(get_asgi_application(), "/ws/chat/")
    try:
        await client.send_input({"type": "websocket.connect"})
        with pytest.raises(ValueError, match="can only handle ASGI/HTTP connections, not websocket") as excinfo:
            await client.wait(timeout=TIMEOUT)
    finally:
        await close(client)
    observe(raised=f"ValueError: {excinfo.value}")


@pytest.mark.claims(confirms=["channels.handles-websockets", "channels.router-add-websocket-protocol"])
@pytest.mark.parametrize("views", [
    pytest.param([SYNC_VIEW], id="3.0", marks=pytest.mark.django("<3.1")),  # no async views yet
    pytest.param([SYNC_VIEW, ASYNC_VIEW], id="3.1+", marks=pytest.mark.django(">=3.1")),
])
async def test_one_router_serves_django_views_and_websocket_consumers(views, channel_layer, observe):
    """A3's router with a 'websocket' entry (a URLRouter of consumers) next to 'http': HTTP
    requests reach Django's views (a sync view, and from 3.1 the async one) while the async chat
    consumer accepts a WebSocket and echoes its text through the group. The sample as written (no
    'websocket' entry) raises ValueError for a WebSocket. All versions."""
    app = routing.application_with_websocket
    async with sockets(app, "/ws/chat/", 1) as (client,):
        await connect_all([client])
        for view in views:
            response = await http_get(app, view)
            assert response["status"] == 200
            if view == ASYNC_VIEW:
                assert response["body"] == b"Hello Async World!"
        await client.send_to(text_data="over the socket")
        assert await client.receive_from(timeout=TIMEOUT) == "over the socket"

    as_written = WebsocketCommunicator(routing.application, "/ws/chat/")
    try:
        await as_written.send_input({"type": "websocket.connect"})
        with pytest.raises(ValueError, match="No application configured for scope type 'websocket'") as excinfo:
            await as_written.wait(timeout=TIMEOUT)
    finally:
        await close(as_written)
    observe(http=", ".join(f"{v}: 200" for v in views), websocket="accepted, echoed", as_written=f"ValueError: {excinfo.value}")


@pytest.mark.claims(confirms=["channels.long-lived-connections-dont-block"])
async def test_open_websockets_do_not_hold_up_http_requests_or_new_connections(channel_layer, observe):
    """Five chat connections stay open on the router; meanwhile an HTTP request to a Django
    view is answered and a sixth client's handshake is accepted, and afterwards all six still
    receive a group message. In-process (the router and consumers, not a server); bounds are
    only the generous communicator timeouts. All versions."""
    app = routing.application_with_websocket
    async with sockets(app, "/ws/chat/", 6) as clients:
        held, late = clients[:5], clients[5]
        await connect_all(held)
        response, (connected, _) = await asyncio.gather(http_get(app, SYNC_VIEW), late.connect(timeout=TIMEOUT))
        assert response["status"] == 200 and connected
        await held[0].send_to(text_data="still open")
        assert [await c.receive_from(timeout=TIMEOUT) for c in clients] == ["still open"] * 6
    observe(open_connections=5, http=200, new_handshake="accepted")


@pytest.mark.claims(refutes=["channels.websocket-needs-async"])
async def test_a_sync_websocket_consumer_accepts_and_holds_connections(observe):
    """Channels' synchronous WebsocketConsumer (plain ``def`` handlers) accepts three connections,
    holds them open together and answers each of them, twice. Channels runs the handlers in a
    worker thread; the server side stays ASGI. All versions."""
    threads = set()
    async with sockets(routing.application_with_websocket, "/ws/sync-echo/", 3) as clients:
        await connect_all(clients)
        for round_ in range(2):
            for i, client in enumerate(clients):
                await client.send_to(text_data=f"m{round_}{i}")
                text, thread = (await client.receive_from(timeout=TIMEOUT)).split()
                assert text == f"m{round_}{i}"
                threads.add(int(thread))
    assert threading.get_ident() not in threads
    observe(open_connections=3, handler_thread="worker, not the loop", distinct_handler_threads=len(threads))


@pytest.mark.claims(confirms=["channels.websocket-needs-async"])
def test_django_under_wsgi_answers_a_websocket_handshake_with_an_ordinary_response(observe):
    """Under WSGI (Django's WSGIHandler, a synchronous setup) a WebSocket handshake is an
    ordinary request: it gets an ordinary HTTP response (here 404), never 101 Switching
    Protocols, and the exchange is over; WSGI has no way to keep the socket. In-process, through
    Django's WSGI handler (no server). All versions."""
    from django.test import Client

    response = Client().get(
        "/ws/chat/", HTTP_UPGRADE="websocket", HTTP_CONNECTION="Upgrade",
        HTTP_SEC_WEBSOCKET_KEY="dGhlIHNhbXBsZSBub25jZQ==", HTTP_SEC_WEBSOCKET_VERSION="13",
    )
    assert response.status_code == 404
    observe(status=response.status_code)


@pytest.mark.claims(confirms=["channels.consumer-not-a-view"])
def test_a_consumer_put_in_urlpatterns_fails_when_django_calls_it_as_a_view(settings, observe):
    """Routed with ``path('chat/', ChatConsumer.as_asgi())`` in urlpatterns, Django resolves the
    URL to the consumer's ASGI callable and calls it like a view, with the request only: a
    TypeError. Consumers are mounted in Channels' URLRouter (see the router tests). All
    versions."""
    from django.test import Client
    from django.urls import resolve

    settings.ROOT_URLCONF = routing.ConsumerInUrlpatterns
    assert resolve("/chat/").func.consumer_class is ChatConsumer
    with pytest.raises(TypeError, match="missing 2 required positional arguments: 'receive' and 'send'") as excinfo:
        Client().get("/chat/")
    observe(raised=f"TypeError: {excinfo.value}")


# ------------------------------------------------------------------------ A3's asgi.py


@pytest.mark.parametrize("relation", [
    side("refutes", "3.0", "<3.1", "channels.a3-asgi-router-sample"),
    side("confirms", "3.1+", ">=3.1", "channels.a3-asgi-router-sample"),
])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_sample_asgi_py_serves_the_projects_views_through_the_router(relation, observe):
    """A3's asgi.py as written (``ProtocolTypeRouter({'http': get_asgi_application()})``): a sync
    view answers on every version; the async view answers from 3.1. In 3.0 Django's handler
    fails on the async view's coroutine (AttributeError) before it sends any response."""
    assert (await http_get(routing.application, SYNC_VIEW))["status"] == 200
    if relation == "confirms":
        response = await http_get(routing.application, ASYNC_VIEW)
        assert (response["status"], response["body"]) == (200, b"Hello Async World!")
        observe(sync_view=200, async_view=200, channels=channels_version())
        return
    communicator = HttpCommunicator(routing.application, "GET", ASYNC_VIEW)
    try:
        await communicator.send_input({"type": "http.request", "body": b""})
        with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
            await communicator.wait(timeout=TIMEOUT)
        assert communicator.output_queue.empty()  # no response was started
    finally:
        await close(communicator)
    observe(sync_view=200, async_view=f"AttributeError: {excinfo.value}", channels=channels_version())
    close_coroutines_in_traceback(excinfo.tb)



# ------------------------------------------------------------------------ installing and settings


SUBPROCESS_SCRIPT = """
import asyncio, json, os
import fixture_app.routing as asgi_module  # A3's asgi.py, loaded as a server loads it
import channels, daphne, daphne.server, django
from channels.testing import HttpCommunicator

async def get():
    return (await HttpCommunicator(asgi_module.application, "GET", %r).get_response(timeout=30))["status"]

print(json.dumps({"status": asyncio.run(get()), "settings": os.environ["DJANGO_SETTINGS_MODULE"]}))
""" % SYNC_VIEW


@pytest.mark.claims(confirms=["deployment.pip-install-channels-daphne-sample"])
def test_django_channels_and_daphne_installed_together_load_the_asgi_setup(request, observe):
    """The env got Channels and Daphne unpinned from the resolver, as the sample's pip line does
    (Django is pinned by the matrix): every requirement of the two is met, and a fresh
    interpreter imports all three, loads A3's asgi.py as written and serves a request through
    it. All versions."""
    from packaging.requirements import Requirement

    unmet = []
    for dist in ("channels", "daphne"):
        for requirement in map(Requirement, metadata.requires(dist) or []):
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            try:
                installed = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                installed = None
            if installed is None or not requirement.specifier.contains(installed, prereleases=True):
                unmet.append(f"{dist}: {requirement} (installed {installed})")
    assert unmet == []

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}  # the sample sets it
    done = subprocess.run([sys.executable, "-c", SUBPROCESS_SCRIPT], cwd=str(request.config.rootpath),
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"status": 200, "settings": "fixture_app.settings"}
    observe(django=metadata.version("django"), channels=channels_version(), daphne=metadata.version("daphne"),
            twisted=metadata.version("twisted"), asgi_py="loads and serves in a fresh interpreter")


@pytest.fixture
def installed_apps(settings):
    """``installed_apps(first=[...], last=[...])`` puts apps around the project's INSTALLED_APPS
    for this test. Undoes the one global change Channels 3's app makes when it loads: it rebases
    staticfiles' runserver command on its own."""
    from django.contrib.staticfiles.management.commands import runserver as staticfiles_runserver

    base, bases = list(settings.INSTALLED_APPS), staticfiles_runserver.Command.__bases__

    def install(first=(), last=()):
        settings.INSTALLED_APPS = [*first, *base, *last]

    yield install
    staticfiles_runserver.Command.__bases__ = bases


def runserver():
    """(app providing the runserver command, an instance of that command)."""
    from django.core.management import get_commands, load_command_class

    app_name = get_commands()["runserver"]
    return app_name, load_command_class(app_name, "runserver")


def commands_of(app_name):
    from django.core.management import get_commands

    return sorted(name for name, app in get_commands().items() if app == app_name)


@pytest.mark.parametrize("relation", [
    side("confirms", "channels3", "<3.2", "deployment.a3-settings-sample", "channels.installed-apps-entry"),
    side("refutes", "channels4", ">=3.2", "deployment.a3-settings-sample", "channels.installed-apps-entry"),
])
def test_what_the_sample_settings_make_runserver_serve(relation, installed_apps, settings, observe):
    """A3's settings ('channels' added to INSTALLED_APPS, ASGI_APPLICATION naming the router).
    Channels 3 (Django 3.0–3.1 envs): the entry hands runserver to Channels, which serves the
    router. Channels 4 (3.2+ envs): Django loads the app but it only adds ``runworker``;
    runserver stays Django's WSGI one. 'daphne' first in INSTALLED_APPS is what works there.
    (Consumers and routers need no entry: this module runs without it.)"""
    from django.apps import apps
    from django.core.handlers.wsgi import WSGIHandler

    settings.ASGI_APPLICATION = "fixture_app.routing.application"
    installed_apps(last=["channels"])
    assert apps.is_installed("channels")
    app_name, command = runserver()
    observe(channels=channels_version(), runserver_from=app_name, channels_app_commands=", ".join(commands_of("channels")))
    if relation == "confirms":
        assert channels_major() == 3
        assert app_name == "channels" and commands_of("channels") == ["runserver", "runworker"]
        assert command.get_application(RUNSERVER_OPTIONS) is routing.application
    else:
        assert channels_major() == 4
        assert app_name == "django.core" and commands_of("channels") == ["runworker"]
        assert isinstance(command.get_handler(), WSGIHandler)
        installed_apps(first=["daphne"], last=["channels"])  # as it works with Channels 4
        app_name, command = runserver()
        assert app_name == "daphne" and command.get_application(RUNSERVER_OPTIONS) is routing.application


@pytest.mark.claims(confirms=["deployment.asgi-application-setting"])
def test_channels_and_daphne_runserver_serve_the_application_asgi_application_names(installed_apps, settings, observe):
    """With the app that provides the ASGI runserver installed ('channels' with Channels 3,
    'daphne' with Channels 4), runserver serves the object ASGI_APPLICATION names, and changing
    the setting changes it; Channels' ``get_default_application()`` reads it the same way. A
    path that does not import is ImproperlyConfigured. All versions."""
    from channels.routing import get_default_application
    from django.core.exceptions import ImproperlyConfigured

    provider = "channels" if channels_major() == 3 else "daphne"
    installed_apps(first=[provider])
    app_name, command = runserver()
    assert app_name == provider
    for name in ("application", "application_with_websocket"):
        settings.ASGI_APPLICATION = f"fixture_app.routing.{name}"
        assert command.get_application(RUNSERVER_OPTIONS) is getattr(routing, name)
        assert get_default_application() is getattr(routing, name)
    settings.ASGI_APPLICATION = "fixture_app.no_such_module.application"
    with pytest.raises(ImproperlyConfigured, match="Cannot import ASGI_APPLICATION module") as excinfo:
        command.get_application(RUNSERVER_OPTIONS)
    observe(runserver_from=app_name, channels=channels_version(), bad_path=f"ImproperlyConfigured: {excinfo.value}")


@pytest.mark.claims(refutes=["deployment.asgi-application-setting"])
async def test_django_and_the_daphne_command_ignore_asgi_application(settings, capsys, observe):
    """Django has no ASGI_APPLICATION setting: get_asgi_application() serves the project with the
    setting pointing nowhere. The daphne command takes the application on its command line and
    will not start without it. All versions."""
    from daphne.cli import CommandLineInterface
    from django.conf import global_settings
    from django.core.asgi import get_asgi_application

    assert not hasattr(global_settings, "ASGI_APPLICATION")
    settings.ASGI_APPLICATION = "fixture_app.no_such_module.application"
    assert (await http_get(get_asgi_application(), SYNC_VIEW))["status"] == 200

    parser = CommandLineInterface().parser
    assert parser.parse_args(["fixture_app.routing:application"]).application == "fixture_app.routing:application"
    with pytest.raises(SystemExit):
        parser.parse_args([])
    error = capsys.readouterr().err.strip().splitlines()[-1].partition("error: ")[2]
    assert error == "the following arguments are required: application"
    observe(django_global_settings="no ASGI_APPLICATION", daphne_without_app=error)


# ------------------------------------------------------------------------ Channels per Django release


def _declared_requirement(dist, name):
    """The requirement ``dist`` declares on ``name`` (packaging Requirement), or None."""
    from packaging.requirements import Requirement

    for requirement in map(Requirement, metadata.requires(dist) or []):
        if requirement.name.lower() == name:
            return requirement
    return None


def _minor(version):
    return tuple(int(part) for part in version.split(".")[:2])


@pytest.mark.parametrize("expected,django_floor", [
    pytest.param(((3, 0), (3, 0)), "2.2", id="3.0-3.1", marks=[pytest.mark.django("<3.2")]),
    pytest.param(((4, 0), (4, 0)), "3.2", id="3.2-4.1", marks=[pytest.mark.django(">=3.2,<4.2")]),
    pytest.param(((4, 2), (9, 9)), "4.2", id="4.2+", marks=[pytest.mark.django(">=4.2")]),
])
@pytest.mark.claims(confirms=["channels.release-installed-per-django"])
def test_the_channels_release_installed_next_to_each_django(expected, django_floor, observe):
    """The env's Channels (installed unpinned): 3.0.x next to Django 3.0–3.1, 4.0.x next to
    3.2–4.1, 4.2 or later from 4.2. Its declared Django requirement starts at 2.2, 3.2 and 4.2
    respectively, and the installed Django meets it."""
    django_version = metadata.version("django")
    requirement = _declared_requirement("channels", "django")
    observe(django=django_version, channels=channels_version(), channels_requires=str(requirement))
    low, high = expected
    assert low <= _minor(channels_version()) <= high
    assert requirement.specifier.contains(django_version, prereleases=True)
    assert [s.version for s in requirement.specifier if s.operator == ">="] == [django_floor]


@pytest.mark.parametrize("relation", [
    side("refutes", "channels3", "<3.2", "channels.daphne-is-an-extra-from-channels-4"),
    side("confirms", "channels4", ">=3.2", "channels.daphne-is-an-extra-from-channels-4"),
])
def test_daphne_is_a_requirement_of_channels_3_and_an_extra_of_channels_4(relation, observe):
    """Channels' metadata: Channels 3 (3.0–3.1 envs) requires daphne outright; Channels 4 (3.2+
    envs) lists it only under the 'daphne' extra."""
    requirement = _declared_requirement("channels", "daphne")
    marker = str(requirement.marker) if requirement.marker else None
    observe(channels=channels_version(), daphne_requirement=str(requirement))
    if relation == "confirms":
        assert channels_major() == 4 and marker is not None and "daphne" in marker
        assert not requirement.marker.evaluate({"extra": ""}) and requirement.marker.evaluate({"extra": "daphne"})
    else:
        assert channels_major() == 3 and marker is None


WITHOUT_DAPHNE = """
import importlib, json, sys

class NoDaphne:  # importing daphne fails as it does when Daphne is not installed
    def find_spec(self, name, path=None, target=None):
        if name == "daphne" or name.startswith("daphne."):
            raise ModuleNotFoundError("No module named %r" % name, name=name)

sys.meta_path.insert(0, NoDaphne())
out = {}
for module in ("channels.testing", "channels.testing.websocket", "channels.routing",
               "channels.generic.websocket", "channels.generic.http", "channels.layers"):
    try:
        importlib.import_module(module)
        out[module] = "ok"
    except ImportError as exc:
        out[module] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(out))
"""


@pytest.mark.claims(confirms=["channels.testing-needs-daphne"])
def test_channels_testing_cannot_be_imported_without_daphne(request, observe):
    """In a fresh interpreter where importing ``daphne`` fails (as when it is not installed):
    ``channels.testing`` and its ``websocket`` module raise ModuleNotFoundError for 'daphne';
    the router, the consumers and the layers import. Every Channels release here."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fixture_app.settings"}
    done = subprocess.run([sys.executable, "-c", WITHOUT_DAPHNE], cwd=str(request.config.rootpath), env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    imports = json.loads(done.stdout.strip().splitlines()[-1])
    observe(channels=channels_version(), channels_testing=imports["channels.testing"])
    for module in ("channels.testing", "channels.testing.websocket"):
        assert imports[module].startswith("ModuleNotFoundError: No module named 'daphne"), imports
    assert all(imports[m] == "ok" for m in ("channels.routing", "channels.generic.websocket",
                                            "channels.generic.http", "channels.layers")), imports


class EchoConsumer(AsyncWebsocketConsumer):
    """Accepts with the first subprotocol the client offers, echoes text and binary frames, and
    closes with code 4001 on the text 'close'."""

    async def connect(self):
        offered = self.scope.get("subprotocols") or [None]
        await self.accept(subprotocol=offered[0])

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "close":
            await self.close(code=4001)
        elif text_data is not None:
            await self.send(text_data=text_data)
        else:
            await self.send(bytes_data=bytes_data[::-1])


class ReverseBodyConsumer(AsyncHttpConsumer):
    """Answers a request with its body reversed and its X-Test header echoed."""

    async def handle(self, body):
        headers = dict(self.scope["headers"])
        await self.send_response(201, body[::-1], headers=[(b"X-Echo", headers.get(b"x-test", b""))])


@pytest.mark.claims(confirms=["channels.websocket-communicator-drives-a-consumer"])
async def test_websocket_communicator_connects_exchanges_frames_and_disconnects(observe):
    """WebsocketCommunicator on a consumer: connect() gives (True, 'chat'); a text frame, a binary
    frame and a JSON message come back; the consumer's close arrives as a websocket.close with
    code 4001; a second connection ends with disconnect(). Every Channels release here."""
    app = EchoConsumer.as_asgi()
    client = WebsocketCommunicator(app, "/ws/echo/", subprotocols=["chat", "other"])
    try:
        connected, subprotocol = await client.connect(timeout=TIMEOUT)
        assert (connected, subprotocol) == (True, "chat")
        await client.send_to(text_data="hello")
        assert await client.receive_from(timeout=TIMEOUT) == "hello"
        await client.send_to(bytes_data=b"abc")
        assert await client.receive_from(timeout=TIMEOUT) == b"cba"
        await client.send_json_to({"n": 1})
        assert await client.receive_json_from(timeout=TIMEOUT) == {"n": 1}
        await client.send_to(text_data="close")
        closed = await client.receive_output(timeout=TIMEOUT)
        assert (closed["type"], closed["code"]) == ("websocket.close", 4001)
    finally:
        await close(client)
    async with sockets(app, "/ws/echo/", 1) as (second,):
        await connect_all([second])
        await second.disconnect(timeout=TIMEOUT)
        assert await second.receive_nothing(timeout=0.05)
    observe(channels=channels_version(), subprotocol=subprotocol, close_code=closed["code"])


@pytest.mark.claims(confirms=["channels.http-communicator-gets-a-response"])
async def test_http_communicator_returns_status_headers_and_body(observe):
    """HttpCommunicator: a POST with a body and an X-Test header to an AsyncHttpConsumer returns
    201, the X-Echo header and the reversed body; a GET to Django's get_asgi_application() returns
    the view's 200 and body. Every Channels release here."""
    from django.core.asgi import get_asgi_application

    communicator = HttpCommunicator(ReverseBodyConsumer.as_asgi(), "POST", "/reverse/", body=b"abc",
                                    headers=[(b"x-test", b"1")])
    try:
        response = await communicator.get_response(timeout=TIMEOUT)
    finally:
        await close(communicator)
    assert (response["status"], response["body"]) == (201, b"cba")
    assert (b"X-Echo", b"1") in [tuple(h) for h in response["headers"]]
    django_response = await http_get(get_asgi_application(), SYNC_VIEW)
    assert django_response["status"] == 200 and django_response["body"]
    observe(consumer_status=response["status"], django_status=django_response["status"])


async def _raising_app(scope, receive, send):
    event = await receive()
    if event.get("text") == "boom":
        raise RuntimeError("raised by the app")
    await send({"type": "echo", "got": event})


@pytest.mark.claims(confirms=["channels.application-communicator-drives-any-asgi-app"])
async def test_application_communicator_drives_a_plain_asgi_app(observe):
    """ApplicationCommunicator on a bare ASGI callable: send_input() delivers an event,
    receive_output() returns what the app sent, receive_nothing() is True once it is silent; a
    second app instance that raises has wait() re-raise its RuntimeError. Records where the class
    comes from (asgiref's, or Channels' own subclass). Every Channels release here."""
    scope = {"type": "custom"}
    communicator = ApplicationCommunicator(_raising_app, scope)
    try:
        await communicator.send_input({"type": "msg", "text": "hi"})
        assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "echo", "got": {"type": "msg", "text": "hi"}}
        assert await communicator.receive_nothing(timeout=0.05)
    finally:
        await close(communicator)
    failing = ApplicationCommunicator(_raising_app, scope)
    await failing.send_input({"type": "msg", "text": "boom"})
    with pytest.raises(RuntimeError, match="raised by the app"):
        await failing.wait(timeout=TIMEOUT)
    observe(channels=channels_version(), class_from=ApplicationCommunicator.__module__)

