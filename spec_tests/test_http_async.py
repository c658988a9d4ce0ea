"""Async HTTP in Django: responses under ASGI, the request's user and session, cache, auth,
signals, client disconnects, the async shortcuts and AsyncPaginator.

**Responses.** Under WSGI a ``StreamingHttpResponse`` wants a sync iterator, under ASGI an async
one (4.2+). Give the ASGI handler a sync iterator and from 4.2 it warns and reads the *whole*
iterator in a worker thread before sending anything (before 4.2 it iterated it on the event
loop, blocking it); ``FileResponse`` is such a sync iterator, so under ASGI a file is read to the
end first. An async iterator's chunks go out one by one while other requests are served. Django
calls the response's ``close()`` after the last chunk, and fires ``request_started`` /
``request_finished`` around each ASGI request; from 5.0 ``request_started`` is sent with
``asend()``, so an ``async def`` receiver is awaited. From 5.0 a client that disconnects gets its
view, or its streaming generator, cancelled (``asyncio.CancelledError``).

**The async helpers are thin.** ``request.auser()`` (5.0), the session's a-methods (5.1), the
cache's a-methods (4.0) and the auth a-functions (5.0; user and backend methods 5.2) let async
code avoid SynchronousOnlyOperation, which ``request.user``, ``request.session[...]`` or a
database cache raise on the event loop. Under the hood they run the same sync code in a worker
thread: no built-in cache backend is natively async. Auth backends may add a native
``aauthenticate()`` (used from 5.2); one with only sync methods still works.

**Signals** (5.0+): receivers may be ``async def``. ``asend()`` awaits them concurrently and
runs sync receivers through ``sync_to_async``; ``send()`` runs async receivers through
``async_to_sync`` (before 5.0 it returned their coroutine unawaited). Sync receivers come first.
6.1 switched ``asyncio.gather`` for a ``TaskGroup``: the sync group now finishes before the async
one starts, and several failures arrive as an ExceptionGroup.

Requests go through Django's ASGI application as a server would call it (``serve`` below, a
hand-rolled ASGI server loop that records every message), or the WSGI test Client. Views and
backends are in fixture_app/views/http_async.py, under /http-async/.
"""
import asyncio
import builtins
import importlib
import os
import sys
import threading
import warnings

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.test import Client, override_settings

from fixture_app.models import Post
from fixture_app.views import http_async as v
from spec_tests.unawaited import close_coroutines

DB = pytest.mark.django_db(transaction=True)
SYNC_ITERATOR_WARNING = "must consume synchronous iterators"
AUTH_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


# ============================================================================ serving over ASGI


class Served:
    """What an ASGI server saw: the messages Django sent, the status, headers and body."""

    def __init__(self, messages, loop_thread):
        self.messages, self.loop_thread = messages, loop_thread
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        self.status = start["status"] if start else None
        self.headers = {k.decode().lower(): val.decode() for k, val in start["headers"]} if start else {}
        self.body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")


async def serve(app, path, method="GET", headers=(), disconnect=None, raise_view_exception=True):
    """Call Django's ASGI application once, as a server does. ``receive`` hands over the request,
    then waits until ``disconnect`` (an asyncio.Event) is set before it reports
    ``http.disconnect`` (never, without one). Every message Django sends is recorded in v.EVENTS
    too, so the test sees the order of sends and of the view's own events. An exception raised
    in the view (which Django turns into a 500) is raised here, as Django's test client does."""
    from django.core.signals import got_request_exception

    path, _, query = path.partition("?")
    messages, raised, delivered = [], [], []

    async def receive():
        if not delivered:
            delivered.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await (disconnect or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    async def send(message):
        v.record("send", type=message["type"], body=message.get("body", b""))
        messages.append(message)

    def store(sender, **kwargs):
        raised.append(sys.exc_info()[1])

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver")] + [(k.encode(), val.encode()) for k, val in headers],
    }
    got_request_exception.connect(store)
    try:
        await app(scope, receive, send)
    finally:
        got_request_exception.disconnect(store)
    if raise_view_exception and raised and raised[0] is not None:
        raise raised[0]
    return Served(messages, threading.get_ident())


def asgi_app():
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def serve_blocking(path, **kwargs):
    """``serve`` from sync code: on a new event loop (async_to_sync), with a new application
    (so the MIDDLEWARE setting in force is used)."""
    async def go():
        return await serve(asgi_app(), path, **kwargs)

    return async_to_sync(go)()


def sends(events):
    return [e for e in events if e["what"] == "send"]


def positions(what):
    """The indexes in v.EVENTS of the events called ``what``."""
    return [i for i, e in enumerate(v.EVENTS) if e["what"] == what]


def first_body_send(events):
    return next(i for i, e in enumerate(events) if e["what"] == "send" and e["type"] == "http.response.body")


@pytest.fixture(autouse=True)
def fresh_events():
    v.EVENTS.clear()
    v.STATE.clear()
    yield
    v.STATE.clear()


@pytest.fixture
def big_file(tmp_path):
    """A 200 KB file: more than three of the ASGI handler's 64 KB blocks."""
    path = tmp_path / "big.bin"
    data = os.urandom(200 * 1024)
    path.write_bytes(data)
    v.STATE["path"] = str(path)
    return data


async def wait_until_sent(body):
    """Poll v.EVENTS (every 10 ms, for 5 s at most) until a body message ``body`` has been sent."""
    for _ in range(500):
        await asyncio.sleep(0.01)
        if any(e["what"] == "send" and e["body"] == body for e in v.EVENTS):
            return


async def serve_and_disconnect(path, ready):
    """Serve ``path`` to a client that disconnects as soon as ``ready`` (an awaitable) is done;
    returns what the client got."""
    disconnect = asyncio.Event()
    request = asyncio.ensure_future(serve(asgi_app(), path, disconnect=disconnect))
    await ready
    disconnect.set()
    return await asyncio.wait_for(request, 10)


def is_missing(expression):
    """True when evaluating ``expression`` (a callable) raises ImportError or AttributeError."""
    try:
        expression()
    except (ImportError, AttributeError):
        return True
    return False


# ================================================================================= streaming


@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.streaming-sync-iterator-wsgi"])
def test_under_wsgi_a_sync_generator_is_produced_as_the_response_is_iterated(observe):
    """A WSGI server iterates the response: nothing is produced when the view returns, then one
    chunk per step. Every release."""
    response = Client().get("/http-async/stream-sync/")
    assert response.streaming and not [e for e in v.EVENTS if e["what"] == "produce"]
    chunks = iter(response.streaming_content)
    assert next(chunks) == b"s0;" and len([e for e in v.EVENTS if e["what"] == "produce"]) == 1
    assert b"".join(chunks) == b"s1;s2;"
    response.close()
    observe(produced="one chunk per iteration step")


@pytest.mark.django(">=4.2")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.streaming-sync-iterator-asgi-adapted"])
def test_under_asgi_a_sync_generator_is_consumed_whole_in_a_thread_with_a_warning(observe):
    """4.2+: the ASGI handler warns, then reads the whole generator in a worker thread before its
    first body message."""
    with pytest.warns(Warning, match=SYNC_ITERATOR_WARNING) as warned:
        served = serve_blocking("/http-async/stream-sync/")
    assert served.body == b"s0;s1;s2;"
    produced = positions("produce")
    assert len(produced) == 3 and max(produced) < first_body_send(v.EVENTS)
    assert all(v.EVENTS[i]["thread"] != served.loop_thread and not v.EVENTS[i]["loop"] for i in produced)
    observe(warning=str(warned[0].message)[:100], order="all chunks produced, then sent", producer="worker thread")


@pytest.mark.django("<4.2")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.streaming-sync-iterator-asgi-adapted"])
def test_before_4_2_the_asgi_handler_iterates_a_sync_generator_on_the_loop(observe):
    """3.0–4.1: no warning; each chunk is produced on the event loop's thread right before it is
    sent."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        served = serve_blocking("/http-async/stream-sync/")
    assert served.body == b"s0;s1;s2;"
    assert not [w for w in caught if SYNC_ITERATOR_WARNING in str(w.message)]
    kinds = [e["what"] for e in v.EVENTS if e["what"] in ("produce", "send")]
    assert kinds[1:7] == ["produce", "send"] * 3  # after http.response.start
    assert all(e["thread"] == served.loop_thread for e in v.EVENTS if e["what"] == "produce")
    observe(order="produce, send, produce, send ...", producer="event loop thread")


@pytest.mark.django(">=4.2")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.streaming-async-iterator-asgi-incremental"])
async def test_under_asgi_an_async_generator_streams_chunk_by_chunk_while_other_requests_are_served(observe):
    """4.2+: the first chunk is sent while the generator waits; a second request is answered in
    the meantime; the rest follows once the generator resumes. All on the loop's thread."""
    app = asgi_app()
    v.STATE["release"] = asyncio.Event()
    streaming = asyncio.ensure_future(serve(app, "/http-async/stream-gated/"))
    await wait_until_sent(b"first;")
    assert any(e["what"] == "send" and e["body"] == b"first;" for e in v.EVENTS) and not streaming.done()
    other = await asyncio.wait_for(serve(app, "/http-async/hello/"), 10)
    assert other.body == b"hello" and not streaming.done()
    v.STATE["release"].set()
    served = await asyncio.wait_for(streaming, 10)
    assert served.body == b"first;second;"
    assert all(e["thread"] == threading.get_ident() for e in v.EVENTS if e["what"] == "produce")
    observe(first_chunk="sent before the generator resumed", other_request="answered meanwhile")


@pytest.mark.django(">=3.1,<4.2")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.streaming-async-iterator-asgi-incremental"])
def test_before_4_2_the_asgi_handler_cannot_stream_an_async_generator(observe):
    """3.1–4.1: StreamingHttpResponse calls ``iter()`` on the async generator: TypeError, a 500."""
    with pytest.raises(TypeError, match="not iterable") as excinfo:
        serve_blocking("/http-async/stream-async/")
    observe(raised=f"TypeError: {excinfo.value}")


@pytest.mark.django(">=4.2")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.streaming-is-async-attribute"])
def test_is_async_tells_an_async_streaming_response_from_a_sync_one(observe):
    from django.http import StreamingHttpResponse

    async def chunks():
        yield b"x"

    assert StreamingHttpResponse(chunks()).is_async is True
    assert StreamingHttpResponse(iter([b"x"])).is_async is False
    observe(async_iterator=True, sync_iterator=False)


@pytest.mark.django("<4.2")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.streaming-is-async-attribute"])
def test_before_4_2_a_streaming_response_has_no_is_async(observe):
    from django.http import StreamingHttpResponse

    assert not hasattr(StreamingHttpResponse(iter([b"x"])), "is_async")
    observe(is_async="missing")


# ===================================================================== files and close()


@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.fileresponse-asgi-served-and-closed"])
@pytest.mark.filterwarnings(f"ignore:.*{SYNC_ITERATOR_WARNING}")
def test_under_asgi_a_file_response_sends_the_whole_file_and_closes_it(big_file, observe):
    """The body is the file, Content-Length its size, and the file is closed after the last
    body message. Every release."""
    served = serve_blocking("/http-async/file/")
    assert served.status == 200 and served.body == big_file
    assert served.headers["content-length"] == str(len(big_file))
    closed = positions("file-closed")
    last_send = max(positions("send"))
    assert len(closed) == 1 and closed[0] > last_send
    observe(size=len(big_file), closed="after the last body message")


@pytest.mark.django(">=4.2")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.fileresponse-asgi-consumed-fully"])
def test_under_asgi_a_file_is_read_to_the_end_before_the_first_chunk_is_sent(big_file, observe):
    """4.2+: every read (in a worker thread) comes before the first body message, with the
    sync-iterator warning."""
    with pytest.warns(Warning, match=SYNC_ITERATOR_WARNING):
        served = serve_blocking("/http-async/file/")
    reads = positions("read")
    assert served.body == big_file and len(reads) >= 4 and max(reads) < first_body_send(v.EVENTS)
    assert all(v.EVENTS[i]["thread"] != served.loop_thread for i in reads)
    observe(reads=len(reads), order="all reads, then the sends", reader="worker thread")


@pytest.mark.django("<4.2")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.fileresponse-asgi-consumed-fully"])
def test_before_4_2_a_file_is_read_and_sent_block_by_block_on_the_loop(big_file, observe):
    """3.0–4.1: read a block, send it, read the next, on the event loop's thread."""
    served = serve_blocking("/http-async/file/")
    reads = positions("read")
    assert served.body == big_file and len(reads) >= 4 and reads[1] > first_body_send(v.EVENTS)
    assert all(v.EVENTS[i]["thread"] == served.loop_thread for i in reads)
    observe(reads=len(reads), order="read, send, read, send ...", reader="event loop thread")


@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.response-close-called-under-asgi"])
def test_under_asgi_the_response_is_closed_after_it_is_sent(observe):
    """``close()`` runs once, after the final body message. Every release (the thread it runs on
    is recorded)."""
    served = serve_blocking("/http-async/closing/")
    closed = positions("response-closed")
    last_send = max(positions("send"))
    assert served.body == b"closing" and len(closed) == 1 and closed[0] > last_send
    observe(close_ran_on="event loop thread" if v.EVENTS[closed[0]]["thread"] == served.loop_thread else "worker thread")


# ============================================================================ request signals


@pytest.fixture
def request_signal_receivers():
    """Sync receivers on request_started and request_finished that record their thread."""
    from django.core import signals

    def started(sender, **kwargs):
        v.record("request_started")

    def finished(sender, **kwargs):
        v.record("request_finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def _signal_order(events):
    return [e["what"] for e in events if e["what"] in ("request_started", "request_finished", "send")]


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.request-signals-fire-under-asgi"])
def test_under_asgi_request_signals_fire_once_around_the_request_off_the_loop(request_signal_receivers, observe):
    """request_started before anything is sent, request_finished after the last message; both
    sync receivers in a worker thread. 3.1+."""
    served = serve_blocking("/http-async/hello/")
    assert _signal_order(v.EVENTS) == ["request_started", "send", "send", "request_finished"]
    signal_events = [e for e in v.EVENTS if e["what"].startswith("request_")]
    assert all(e["thread"] != served.loop_thread and not e["loop"] for e in signal_events)
    observe(order=" > ".join(_signal_order(v.EVENTS)), receivers="worker thread")


@pytest.mark.django("<3.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.request-signals-fire-under-asgi"])
def test_in_3_0_request_finished_receivers_run_on_the_loop(request_signal_receivers, observe):
    """3.0: both signals fire once, but the handler calls ``response.close()``, which sends
    request_finished, directly on the event loop's thread."""
    served = serve_blocking("/http-async/hello/")
    assert _signal_order(v.EVENTS) == ["request_started", "send", "send", "request_finished"]
    finished = next(e for e in v.EVENTS if e["what"] == "request_finished")
    assert finished["thread"] == served.loop_thread
    observe(request_finished_receiver="event loop thread")


@pytest.fixture
def async_request_started_receiver():
    from django.core import signals

    async def started(sender, **kwargs):
        await asyncio.sleep(0)
        v.record("async-receiver")

    signals.request_started.connect(started)
    yield
    signals.request_started.disconnect(started)


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.request-started-awaits-async-receivers"])
def test_under_asgi_an_async_request_started_receiver_is_awaited_on_the_loop(async_request_started_receiver, observe):
    """5.0+: ``asend`` awaits the receiver on the loop's thread, before the response starts."""
    served = serve_blocking("/http-async/hello/")
    ran = positions("async-receiver")
    assert len(ran) == 1 and ran[0] < first_body_send(v.EVENTS)
    assert v.EVENTS[ran[0]]["thread"] == served.loop_thread
    observe(receiver="awaited on the event loop thread")


@pytest.mark.django("<5.0")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.request-started-awaits-async-receivers"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_before_5_0_an_async_request_started_receiver_never_runs(async_request_started_receiver, observe):
    """3.0–4.2: ``send()`` calls the receiver and drops its coroutine: the body never runs."""
    served = serve_blocking("/http-async/hello/")
    assert served.body == b"hello" and not [e for e in v.EVENTS if e["what"] == "async-receiver"]
    observe(receiver="never ran (coroutine not awaited)")


# ============================================================================ disconnects


async def _disconnect_while_the_view_waits(wait):
    """The view sleeps ``wait`` seconds; the client disconnects once it has started."""
    v.STATE.update(started=asyncio.Event(), wait=wait)
    started = asyncio.wait_for(v.STATE["started"].wait(), 10)
    return await serve_and_disconnect("/http-async/wait-for-disconnect/", started)


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.disconnect-cancels-view"])
async def test_a_client_disconnect_cancels_the_running_async_view(request_signal_receivers, observe):
    """5.0+: the disconnect arrives while the view sleeps; the view sees CancelledError, nothing
    is sent, request_finished still fires."""
    served = await _disconnect_while_the_view_waits(wait=30)
    whats = [e["what"] for e in v.EVENTS]
    assert "cancelled" in whats and "view-finished" not in whats
    assert served.messages == [] and "request_finished" in whats
    observe(view="CancelledError", sent="nothing")


@pytest.mark.django(">=3.1,<5.0")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.disconnect-cancels-view"])
async def test_before_5_0_a_client_disconnect_does_not_stop_the_view(observe):
    """3.1–4.2: nobody reads the disconnect; the view finishes and its response is sent."""
    served = await _disconnect_while_the_view_waits(wait=0.3)
    whats = [e["what"] for e in v.EVENTS]
    assert "view-finished" in whats and "cancelled" not in whats
    assert served.status == 200 and served.body == b"finished"
    observe(view="ran to the end", status=served.status)


async def _disconnect_after_first_chunk(wait):
    """The generator waits ``wait`` seconds after its first chunk; the client disconnects once
    that chunk is sent."""
    v.STATE["wait"] = wait
    return await serve_and_disconnect("/http-async/stream-long/", wait_until_sent(b"first;"))


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.disconnect-cancels-streaming"])
async def test_a_client_disconnect_cancels_a_streaming_response(observe):
    """5.0+: after the first chunk the client leaves; the generator gets CancelledError at its
    await and yields nothing more."""
    served = await _disconnect_after_first_chunk(wait=30)
    whats = [e["what"] for e in v.EVENTS]
    assert "cancelled" in whats and served.body == b"first;"
    observe(generator="CancelledError", sent=served.body.decode())


@pytest.mark.django("==4.2")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.disconnect-cancels-streaming"])
async def test_in_4_2_a_client_disconnect_does_not_stop_a_streaming_response(observe):
    """4.2: the generator runs to its end and every chunk is sent."""
    served = await _disconnect_after_first_chunk(wait=0.3)
    assert "cancelled" not in [e["what"] for e in v.EVENTS] and served.body == b"first;second;"
    observe(generator="ran to the end", sent=served.body.decode())


# ===================================================================== the request's user


@pytest.fixture
def alice(transactional_db):
    from django.contrib.auth.models import User

    return User.objects.create_user("alice", password="wonderland")


@pytest.fixture
def auth_middleware(settings):
    """The session and authentication middleware in force."""
    settings.MIDDLEWARE = AUTH_MIDDLEWARE


@pytest.fixture
def session_middleware(settings):
    """The session middleware in force."""
    settings.MIDDLEWARE = AUTH_MIDDLEWARE[:1]


def session_cookie(user):
    """A database session logged in as ``user`` (through the test Client), as a Cookie header."""
    client = Client()
    client.force_login(user)
    return ("cookie", f"sessionid={client.cookies['sessionid'].value}")


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.auser-anonymous"])
def test_auser_gives_an_anonymous_user_without_a_session(auth_middleware, observe):
    served = serve_blocking("/http-async/auser/")
    assert served.status == 200 and served.body == b'{"authenticated": false, "username": ""}'
    observe(user="AnonymousUser")


@pytest.mark.django(">=5.0")
@pytest.mark.claims(confirms=["http-async.auser-logged-in"])
def test_auser_gives_the_logged_in_user(auth_middleware, alice, observe):
    served = serve_blocking("/http-async/auser/", headers=[session_cookie(alice)])
    assert served.status == 200 and served.body == b'{"authenticated": true, "username": "alice"}'
    observe(user="alice")


@pytest.mark.django(">=3.1,<5.0")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.auser-anonymous", "http-async.auser-logged-in"])
def test_before_5_0_the_request_has_no_auser(auth_middleware, observe):
    with pytest.raises(AttributeError, match="auser") as excinfo:
        serve_blocking("/http-async/auser/")
    observe(raised=str(excinfo.value))


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["http-async.request-user-raises-soo-in-async-view"])
def test_request_user_in_an_async_view_raises_for_a_logged_in_session(auth_middleware, alice, observe):
    """3.1+: the lazy ``request.user`` loads the session on the event loop."""
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        serve_blocking("/http-async/request-user/", headers=[session_cookie(alice)])
    observe(raised=str(excinfo.value)[:100])


# ===================================================================== the session


@pytest.mark.django(">=5.1")
@pytest.mark.claims(confirms=["http-async.session-aset-aget-across-requests"])
def test_session_aset_in_one_request_and_aget_in_the_next(session_middleware, transactional_db, observe):
    stored = serve_blocking("/http-async/session-aset/?colour=blue")
    cookie = stored.headers["set-cookie"].split(";")[0]
    assert stored.body == b"stored" and cookie.startswith("sessionid=")
    read = serve_blocking("/http-async/session-aget/", headers=[("cookie", cookie)])
    assert read.body == b'{"colour": "blue"}'
    observe(colour="blue")


@pytest.mark.django(">=3.1,<5.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.session-aset-aget-across-requests"])
def test_before_5_1_the_session_has_no_aset(session_middleware, observe):
    with pytest.raises(AttributeError, match="aset") as excinfo:
        serve_blocking("/http-async/session-aset/")
    observe(raised=str(excinfo.value))


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["http-async.session-sync-access-raises-soo"])
def test_sync_session_access_in_an_async_view_raises(session_middleware, transactional_db, observe):
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["colour"] = "red"
    session.save()
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        serve_blocking("/http-async/session-sync-read/", headers=[("cookie", f"sessionid={session.session_key}")])
    observe(raised=str(excinfo.value)[:100])


async def _saved_red_session(store_class):
    """A new session of the engine ``store_class`` holding colour = "red", saved."""
    session = store_class()
    await session.aset("colour", "red")
    await session.asave()
    return session


@pytest.mark.django(">=5.1")
@DB
@pytest.mark.claims(confirms=["http-async.session-aflush"])
async def test_session_aflush_empties_and_deletes_the_session(observe):
    from django.contrib.sessions.backends.db import SessionStore

    session = await _saved_red_session(SessionStore)
    key = session.session_key
    assert await SessionStore().aexists(key)
    await session.aflush()
    assert session.session_key is None and await session.aget("colour") is None
    assert not await SessionStore().aexists(key)
    observe(after="no key, no data, row deleted")


@pytest.mark.django(">=5.1")
@DB
@pytest.mark.claims(confirms=["http-async.session-acycle-key"])
async def test_session_acycle_key_changes_the_key_and_keeps_the_data(observe):
    from django.contrib.sessions.backends.db import SessionStore

    session = await _saved_red_session(SessionStore)
    old = session.session_key
    await session.acycle_key()
    new = session.session_key
    assert new and new != old and await session.aget("colour") == "red"
    assert not await SessionStore().aexists(old) and await SessionStore().aexists(new)
    assert await SessionStore(new).aget("colour") == "red"
    observe(key="changed", data="kept", old_row="deleted")


def _dict_session_store():
    from django.contrib.sessions.backends.base import CreateError, SessionBase

    class DictSessionStore(SessionBase):
        """A session engine with only the sync storage methods, kept in a dict."""

        rows = {}

        def exists(self, session_key):
            v.record("exists")
            return session_key in self.rows

        def create(self):
            v.record("create")
            while True:
                self._session_key = self._get_new_session_key()
                try:
                    self.save(must_create=True)
                except CreateError:
                    continue
                self.modified = True
                return

        def save(self, must_create=False):
            v.record("save")
            if self.session_key is None:
                return self.create()
            if must_create and self.session_key in self.rows:
                raise CreateError
            self.rows[self.session_key] = dict(self._get_session(no_load=must_create))

        def delete(self, session_key=None):
            v.record("delete")
            self.rows.pop(session_key or self.session_key, None)

        def load(self):
            v.record("load")
            return dict(self.rows.get(self.session_key, {}))

    return DictSessionStore


@pytest.mark.django(">=5.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.session-store-async-defaults-wrap-sync"])
async def test_a_session_store_with_only_sync_methods_gets_working_async_ones(observe):
    """asave/aload/aexists/adelete of a custom engine call its sync methods, in a worker thread."""
    store_class = _dict_session_store()
    session = await _saved_red_session(store_class)
    assert await store_class().aexists(session.session_key)
    assert await store_class(session.session_key).aload() == {"colour": "red"}
    await session.adelete()
    assert not await store_class().aexists(session.session_key)
    calls = [e for e in v.EVENTS if e["what"] in ("exists", "create", "save", "delete", "load")]
    assert {e["what"] for e in calls} == {"exists", "create", "save", "delete", "load"}
    assert all(e["thread"] != threading.get_ident() and not e["loop"] for e in calls)
    observe(sync_methods_ran_in="worker thread")


# ============================================================================ cache

CACHE_OPERATIONS = [  # (method, args): each runs sync on one cache and async on another
    ("set", ("a", 1)), ("get", ("a",)), ("get", ("missing", "default")), ("add", ("a", 2)),
    ("add", ("b", 2)), ("get_or_set", ("c", 3)), ("incr", ("a",)), ("decr", ("a",)),
    ("has_key", ("a",)), ("set_many", ({"x": 1, "y": 2},)), ("get_many", (["x", "y", "z"],)),
    ("delete_many", (["x"],)), ("has_key", ("x",)), ("touch", ("y", 10)), ("delete", ("y",)),
    ("clear", ()), ("has_key", ("a",)),
]


@pytest.mark.django(">=4.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.cache-async-methods-behave-like-sync"])
async def test_the_cache_a_methods_return_what_the_sync_methods_return(observe):
    from django.core.cache.backends.locmem import LocMemCache

    sync_cache, async_cache = LocMemCache("sync-side", {}), LocMemCache("async-side", {})
    sync_results = [getattr(sync_cache, name)(*args) for name, args in CACHE_OPERATIONS]
    async_results = [await getattr(async_cache, "a" + name)(*args) for name, args in CACHE_OPERATIONS]
    assert async_results == sync_results
    assert async_results[1] == 1 and async_results[3] is False and async_results[10] == {"x": 1, "y": 2}
    observe(operations=len(CACHE_OPERATIONS), results="equal to the sync ones")


@pytest.mark.django("<4.0")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.cache-async-methods-behave-like-sync"])
def test_before_4_0_the_cache_has_no_a_methods(observe):
    from django.core.cache.backends.locmem import LocMemCache

    assert not hasattr(LocMemCache("x", {}), "aset")
    observe(aset="missing")


CACHE_BACKENDS = [
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
]


@pytest.mark.django(">=4.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.cache-async-methods-run-sync-in-thread"])
async def test_no_cache_backend_is_natively_async(observe):
    """No built-in backend overrides an a-method, and ``aset``/``aget`` run the backend's sync
    ``set``/``get`` in a worker thread. 4.0+."""
    from django.core.cache.backends.base import BaseCache
    from django.utils.module_loading import import_string

    a_methods = [name for name in vars(BaseCache) if name.startswith("a") and asyncio.iscoroutinefunction(getattr(BaseCache, name))]
    for path in CACHE_BACKENDS:
        backend = import_string(path)
        overridden = [name for name in a_methods if getattr(backend, name) is not getattr(BaseCache, name)]
        assert overridden == [], (path, overridden)
    cache = v.SpyCache("spy", {})
    await cache.aset("k", "value")
    assert await cache.aget("k") == "value"
    calls = [e for e in v.EVENTS if e["what"] in ("cache-set", "cache-get")]
    assert [e["what"] for e in calls] == ["cache-set", "cache-get"]
    assert all(e["thread"] != threading.get_ident() and not e["loop"] for e in calls)
    observe(a_methods=len(a_methods), overridden_by_a_builtin_backend=0, sync_get_set_ran_in="worker thread")


@pytest.fixture
def database_cache(transactional_db):
    """A database cache ('dbcache') with its table, dropped afterwards."""
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection

    table = "djspec_http_async_cache"
    cache_settings = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "dbcache": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table},
    }
    with override_settings(CACHES=cache_settings):
        call_command("createcachetable", table, verbosity=0)
        yield caches["dbcache"]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")


@pytest.mark.django(">=4.0")
@pytest.mark.claims(confirms=["http-async.db-cache-sync-call-raises-soo"])
async def test_the_database_cache_raises_when_called_sync_and_works_through_a_methods(database_cache, observe):
    with pytest.raises(SynchronousOnlyOperation):
        database_cache.get("k")
    await database_cache.aset("k", "value")
    assert await database_cache.aget("k") == "value"
    observe(get="SynchronousOnlyOperation", aget="value")


@pytest.mark.django("<4.0")
@pytest.mark.claims(refutes=["http-async.db-cache-sync-call-raises-soo"])
async def test_before_4_0_the_database_cache_raises_and_has_no_aget(database_cache, observe):
    with pytest.raises(SynchronousOnlyOperation):
        database_cache.get("k")
    assert not hasattr(database_cache, "aget")
    observe(get="SynchronousOnlyOperation", aget="missing")


# ============================================================================ authentication


def _request_with_session(session_key=None):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = SessionStore(session_key)
    request.user = AnonymousUser()

    async def auser():  # what AuthenticationMiddleware adds (5.0+); 6.0's aupdate_session_auth_hash awaits it
        return request.user

    request.auser = auser
    return request


async def _logged_in_session(user):
    """A saved database session logged in as ``user`` with alogin; returns its request."""
    from django.contrib.auth import alogin

    request = _request_with_session()
    await alogin(request, user)
    await sync_to_async(request.session.save)()
    return request


@pytest.mark.django(">=5.0")
@DB
@pytest.mark.claims(confirms=["http-async.aauthenticate"])
async def test_aauthenticate_checks_the_credentials(alice, observe):
    from django.contrib.auth import aauthenticate

    assert (await aauthenticate(username="alice", password="wonderland")).pk == alice.pk
    assert await aauthenticate(username="alice", password="looking-glass") is None
    observe(valid="alice", wrong_password=None)


@pytest.mark.django(">=5.0")
@DB
@pytest.mark.claims(confirms=["http-async.alogin-alogout"])
async def test_alogin_puts_the_user_in_the_session_and_alogout_flushes_it(alice, observe):
    from django.contrib.auth import SESSION_KEY, alogin, alogout

    request = _request_with_session()
    await alogin(request, alice)
    assert request.user == alice and request.session.session_key
    assert await sync_to_async(request.session.get)(SESSION_KEY) == str(alice.pk)
    await alogout(request)
    assert request.user.is_anonymous and request.session.session_key is None
    assert await sync_to_async(lambda: dict(request.session.items()))() == {}
    observe(login="user id in the session", logout="session flushed, AnonymousUser")


@pytest.mark.django(">=5.0")
@DB
@pytest.mark.claims(confirms=["http-async.aget-user"])
async def test_aget_user_reads_the_user_from_the_session(alice, observe):
    from django.contrib.auth import aget_user

    logged_in = await _logged_in_session(alice)
    assert (await aget_user(_request_with_session(logged_in.session.session_key))) == alice
    assert (await aget_user(_request_with_session())).is_anonymous
    observe(logged_in_session="alice", empty_session="AnonymousUser")


@pytest.mark.django(">=5.0")
@DB
@pytest.mark.claims(confirms=["http-async.aupdate-session-auth-hash"])
async def test_aupdate_session_auth_hash_keeps_the_session_valid_after_a_password_change(alice, observe):
    from django.contrib.auth import aget_user, aupdate_session_auth_hash

    kept, dropped = await _logged_in_session(alice), await _logged_in_session(alice)

    def change_password():
        alice.set_password("new password")
        alice.save()

    await sync_to_async(change_password)()
    kept.user = alice
    await aupdate_session_auth_hash(kept, alice)
    await sync_to_async(kept.session.save)()
    assert (await aget_user(_request_with_session(kept.session.session_key))) == alice
    assert (await aget_user(_request_with_session(dropped.session.session_key))).is_anonymous
    observe(updated_session="still alice", other_session="AnonymousUser")


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.acheck-password"])
async def test_acheck_password_accepts_only_the_password(observe):
    from django.contrib.auth.models import User

    user = User(username="bob")
    await sync_to_async(user.set_password)("secret")  # hashing is CPU work: off the loop
    assert await user.acheck_password("secret") is True
    assert await user.acheck_password("guess") is False
    observe(right=True, wrong=False)


@pytest.fixture
def editor(alice):
    """alice, in a group that may add posts."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Post)
    permission, _ = Permission.objects.get_or_create(codename="add_post", content_type=content_type,
                                                     defaults={"name": "Can add post"})
    group = Group.objects.create(name="editors")
    group.permissions.add(permission)
    alice.groups.add(group)
    return alice


@pytest.mark.django(">=5.2")
@DB
@pytest.mark.claims(confirms=["http-async.user-async-permission-methods"])
async def test_the_async_permission_methods_agree_with_the_sync_ones(editor, observe):
    from django.contrib.auth.models import AnonymousUser, User

    def sync_answers():
        user = User.objects.get(pk=editor.pk)
        return [user.has_perm("fixture_app.add_post"), user.has_perm("fixture_app.delete_post"),
                user.has_perms(["fixture_app.add_post"]), user.has_module_perms("fixture_app"),
                user.get_all_permissions()]

    user = await User.objects.aget(pk=editor.pk)
    async_answers = [await user.ahas_perm("fixture_app.add_post"), await user.ahas_perm("fixture_app.delete_post"),
                     await user.ahas_perms(["fixture_app.add_post"]), await user.ahas_module_perms("fixture_app"),
                     await user.aget_all_permissions()]
    assert async_answers == await sync_to_async(sync_answers)()
    assert async_answers == [True, False, True, True, {"fixture_app.add_post"}]
    assert await AnonymousUser().ahas_perm("fixture_app.add_post") is False
    observe(answers=str(async_answers))


@pytest.mark.django(">=5.2")
@DB
@pytest.mark.claims(confirms=["http-async.acreate-user"])
async def test_acreate_user_saves_a_user_with_a_hashed_password(observe):
    from django.contrib.auth.models import User

    user = await User.objects.acreate_user("carol", password="s3cret")
    found = await User.objects.aget_by_natural_key("carol")
    assert found.pk == user.pk and found.password != "s3cret" and await found.acheck_password("s3cret")
    observe(password_stored_as=found.password.split("$")[0])


def only_backend(name):
    """Settings with fixture_app's auth backend ``name`` (fixture_app/views/http_async.py) as
    the only one."""
    return override_settings(AUTHENTICATION_BACKENDS=["fixture_app.views.http_async." + name])


async def _aauthenticate_alice_through(backend):
    """``aauthenticate(token="alice")`` with ``backend`` alone: the user it gives and the
    backend's recorded (a)authenticate calls."""
    from django.contrib.auth import aauthenticate

    with only_backend(backend):
        user = await aauthenticate(token="alice")
    return user, [e for e in v.EVENTS if e["what"].endswith("authenticate")]


@pytest.mark.django(">=5.0")
@DB
@pytest.mark.claims(confirms=["http-async.sync-only-backend-works-with-aauthenticate"])
async def test_a_backend_with_only_sync_authenticate_works_with_aauthenticate(alice, observe):
    user, calls = await _aauthenticate_alice_through("SyncOnlyBackend")
    assert user.pk == alice.pk and [e["what"] for e in calls] == ["sync-authenticate"]
    assert calls[0]["thread"] != threading.get_ident() and not calls[0]["loop"]
    observe(sync_authenticate_ran_in="worker thread")


@pytest.mark.django(">=5.2")
@DB
@pytest.mark.claims(confirms=["http-async.aauthenticate-uses-native-backend-method"])
async def test_aauthenticate_calls_the_backends_own_aauthenticate(alice, observe):
    user, calls = await _aauthenticate_alice_through("BothInterfacesBackend")
    assert user.pk == alice.pk and [e["what"] for e in calls] == ["async-authenticate"]
    assert calls[0]["thread"] == threading.get_ident()
    observe(called="the backend's aauthenticate, on the loop")


@pytest.mark.django(">=5.0,<5.2")
@DB
@pytest.mark.claims(refutes=["http-async.aauthenticate-uses-native-backend-method"])
async def test_in_5_0_and_5_1_aauthenticate_calls_the_sync_authenticate(alice, observe):
    user, calls = await _aauthenticate_alice_through("BothInterfacesBackend")
    assert user.pk == alice.pk and [e["what"] for e in calls] == ["sync-authenticate"]
    observe(called="the backend's sync authenticate (in a thread)")


@pytest.mark.django(">=5.2")
@DB
@pytest.mark.claims(confirms=["http-async.no-sync-synthesis-from-async-backend"])
async def test_an_async_only_backend_serves_aauthenticate_but_not_authenticate(alice, observe):
    from django.contrib.auth import aauthenticate, authenticate

    with only_backend("AsyncOnlyBackend"):
        assert await sync_to_async(authenticate)(token="alice") is None
        assert not v.EVENTS
        assert (await aauthenticate(token="alice")).pk == alice.pk
    observe(authenticate=None, aauthenticate="alice")


@pytest.mark.django(">=5.0,<5.2")
@DB
@pytest.mark.claims(refutes=["http-async.no-sync-synthesis-from-async-backend"])
async def test_in_5_0_and_5_1_an_async_only_backend_is_never_used(alice, observe):
    from django.contrib.auth import aauthenticate, authenticate

    with only_backend("AsyncOnlyBackend"):
        assert await sync_to_async(authenticate)(token="alice") is None
        assert await aauthenticate(token="alice") is None
    assert not v.EVENTS
    observe(authenticate=None, aauthenticate=None)


# ============================================================================ signals


def _signal(*receivers):
    from django.dispatch import Signal

    signal = Signal()
    for receiver in receivers:
        signal.connect(receiver, weak=False)
    return signal


async def async_receiver(sender, **kwargs):
    await asyncio.sleep(0)
    v.record("async-receiver")
    return "from async"


def sync_receiver(sender, **kwargs):
    v.record("sync-receiver")
    return "from sync"


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.asend-awaits-async-receivers"])
async def test_asend_awaits_an_async_receiver_on_the_loop(observe):
    responses = await _signal(async_receiver).asend(sender=None)
    assert responses == [(async_receiver, "from async")]
    assert v.EVENTS[0]["thread"] == threading.get_ident()
    observe(responses=str([r for _, r in responses]), ran_on="the calling loop's thread")


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.asend-runs-sync-receivers-in-thread"])
async def test_asend_runs_a_sync_receiver_in_a_worker_thread(observe):
    responses = await _signal(sync_receiver).asend(sender=None)
    assert responses == [(sync_receiver, "from sync")]
    assert v.EVENTS[0]["thread"] != threading.get_ident() and not v.EVENTS[0]["loop"]
    observe(ran_on="worker thread")


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.send-runs-async-receivers"])
def test_send_runs_an_async_receiver_to_completion(observe):
    responses = _signal(async_receiver).send(sender=None)
    assert responses == [(async_receiver, "from async")] and v.EVENTS[0]["loop"]
    observe(response="from async", ran_in="an event loop (async_to_sync)")


@pytest.mark.django("<5.0")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.send-runs-async-receivers"])
def test_before_5_0_send_returns_the_async_receivers_coroutine(observe):
    import inspect

    [(receiver, response)] = _signal(async_receiver).send(sender=None)
    assert inspect.iscoroutine(response) and not v.EVENTS
    observe(response=type(response).__name__)
    close_coroutines(response)


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.send-groups-sync-before-async"])
def test_sync_receivers_run_first_whatever_the_connection_order(observe):
    signal = _signal(async_receiver, sync_receiver)  # the async one connected first
    responses = signal.send(sender=None)
    assert [e["what"] for e in v.EVENTS] == ["sync-receiver", "async-receiver"]
    assert [r for _, r in responses] == ["from sync", "from async"]
    assert [r for _, r in async_to_sync(signal.asend)(sender=None)] == ["from sync", "from async"]
    observe(send_order="sync, then async", results="sync first")


def _overlap_probe():
    """A sync receiver that waits (2 s at most) for an async receiver to have started."""
    started = threading.Event()

    def sync_waits(sender, **kwargs):
        return started.wait(timeout=2)

    async def async_starts(sender, **kwargs):
        started.set()
        return "started"

    return _signal(sync_waits, async_starts)


@pytest.mark.django(">=6.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.asend-sync-group-before-async-group"])
async def test_asend_finishes_the_sync_receivers_before_starting_the_async_ones(observe):
    """6.1: the sync receiver waits in vain: no async receiver starts until it returns."""
    responses = await _overlap_probe().asend(sender=None)
    assert [r for _, r in responses] == [False, "started"]
    observe(async_receiver_started_during_sync_group=False)


@pytest.mark.django(">=5.0,<6.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.asend-sync-group-before-async-group"])
async def test_before_6_1_asend_runs_the_async_receivers_while_the_sync_ones_run(observe):
    """5.0–6.0: ``gather(sync group, async group)``: the async receiver starts while the sync one
    is still waiting in its thread."""
    responses = await _overlap_probe().asend(sender=None)
    assert [r for _, r in responses] == [True, "started"]
    observe(async_receiver_started_during_sync_group=True)


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.async-receivers-run-concurrently"])
async def test_async_receivers_of_one_asend_run_concurrently(observe):
    """Each receiver waits for the other's event: only concurrent execution can finish."""
    first, second = asyncio.Event(), asyncio.Event()

    async def one(sender, **kwargs):
        first.set()
        await second.wait()
        return 1

    async def two(sender, **kwargs):
        second.set()
        await first.wait()
        return 2

    responses = await asyncio.wait_for(_signal(one, two).asend(sender=None), 10)
    assert [r for _, r in responses] == [1, 2]
    observe(receivers="both finished (each waited for the other)")


@pytest.mark.django(">=5.0")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.asend-robust-returns-exceptions"])
async def test_asend_robust_returns_the_receivers_exceptions(observe):
    def sync_fails(sender, **kwargs):
        raise KeyError("sync")

    async def async_fails(sender, **kwargs):
        raise ValueError("async")

    responses = dict(await _signal(sync_fails, async_fails, async_receiver).asend_robust(sender=None))
    assert isinstance(responses[sync_fails], KeyError) and isinstance(responses[async_fails], ValueError)
    assert responses[async_receiver] == "from async"
    with pytest.raises(KeyError):
        await _signal(sync_fails, async_receiver).asend(sender=None)
    observe(robust="exceptions returned, other receivers called", asend="raises")


def _two_failing_receivers():
    async def fails_first(sender, **kwargs):
        raise ValueError("first")

    async def fails_second(sender, **kwargs):
        raise KeyError("second")

    return _signal(fails_first, fails_second)


@pytest.mark.django(">=6.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["http-async.asend-several-failures-exception-group"])
async def test_asend_raises_an_exception_group_when_several_async_receivers_fail(observe):
    exception_group = getattr(builtins, "ExceptionGroup")
    with pytest.raises(exception_group) as excinfo:
        await _two_failing_receivers().asend(sender=None)
    assert sorted(type(e).__name__ for e in excinfo.value.exceptions) == ["KeyError", "ValueError"]
    observe(raised=repr(excinfo.value)[:120])


@pytest.mark.django(">=5.0,<6.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["http-async.asend-several-failures-exception-group"])
async def test_before_6_1_asend_raises_only_the_first_failure(observe):
    with pytest.raises(ValueError, match="first") as excinfo:
        await _two_failing_receivers().asend(sender=None)
    observe(raised=repr(excinfo.value))


# ============================================================================ shortcuts, paginator


@pytest.fixture
def five_posts(transactional_db):
    return [Post.objects.create(title=f"post {i}", published=i % 2 == 0) for i in range(5)]


@pytest.mark.django(">=5.0")
@pytest.mark.claims(confirms=["http-async.aget-object-or-404"])
def test_aget_object_or_404_finds_the_object_or_answers_404(five_posts, observe):
    from django.http import Http404
    from django.shortcuts import aget_object_or_404

    found = serve_blocking(f"/http-async/post/{five_posts[1].pk}/")
    missing = serve_blocking("/http-async/post/999999/")
    assert found.status == 200 and found.body == b'{"title": "post 1"}' and missing.status == 404

    async def direct():
        by_manager = await aget_object_or_404(Post.objects, pk=five_posts[0].pk)
        by_queryset = await aget_object_or_404(Post.objects.filter(published=True), pk=five_posts[2].pk)
        with pytest.raises(Http404):
            await aget_object_or_404(Post.objects.filter(published=True), pk=five_posts[1].pk)
        return by_manager.title, by_queryset.title

    assert async_to_sync(direct)() == ("post 0", "post 2")
    observe(found=200, missing=404)


@pytest.mark.django(">=5.0")
@pytest.mark.claims(confirms=["http-async.aget-list-or-404"])
def test_aget_list_or_404_returns_a_list_or_answers_404(five_posts, observe):
    found = serve_blocking("/http-async/published/")
    assert found.status == 200 and found.body == b'{"titles": ["post 0", "post 2", "post 4"]}'
    Post.objects.update(published=False)
    assert serve_blocking("/http-async/published/").status == 404
    observe(found=200, none_published=404)


@pytest.mark.django(">=6.0")
@pytest.mark.claims(confirms=["http-async.async-paginator-pages"])
def test_async_paginator_serves_pages_from_an_async_view(five_posts, observe):
    first = serve_blocking("/http-async/page/1/")
    assert first.body == b'{"number": 1, "num_pages": 3, "titles": ["post 0", "post 1"], "has_next": true}'
    beyond = serve_blocking("/http-async/page/99/")
    assert beyond.body == b'{"number": 3, "num_pages": 3, "titles": ["post 4"], "has_next": false}'
    observe(pages=3, out_of_range="last page")


@pytest.mark.django(">=6.0")
@DB
@pytest.mark.claims(confirms=["http-async.async-page-needs-aget-object-list"])
async def test_an_async_page_is_a_sequence_only_after_aget_object_list(five_posts, observe):
    from django.core.paginator import AsyncPaginator

    page = await AsyncPaginator(Post.objects.order_by("pk"), 2).aget_page(1)
    with pytest.raises(TypeError, match=r"aget_object_list\(\) must be awaited before calling len\(\)") as excinfo:
        len(page)
    await page.aget_object_list()
    assert len(page) == 2 and page[0].title == "post 0"
    observe(raised=str(excinfo.value))


# ============================================================================ before the API existed


def api_at(module, *names):
    """A callable that imports ``module`` and looks up ``names`` in it, one inside the other
    (when called: some modules need the apps loaded)."""
    def look_up():
        found = importlib.import_module(module)
        for name in names:
            found = getattr(found, name)
        return found

    return look_up


AUTH = "django.contrib.auth"
USER = ("django.contrib.auth.models", "User")
SESSION = ("django.contrib.sessions.backends.base", "SessionBase")
MISSING_BEFORE = [
    # (claim, first release, the API it needs)
    ("http-async.aauthenticate", "5.0", api_at(AUTH, "aauthenticate")),
    ("http-async.alogin-alogout", "5.0", api_at(AUTH, "alogin")),
    ("http-async.aget-user", "5.0", api_at(AUTH, "aget_user")),
    ("http-async.aupdate-session-auth-hash", "5.0", api_at(AUTH, "aupdate_session_auth_hash")),
    ("http-async.sync-only-backend-works-with-aauthenticate", "5.0", api_at(AUTH, "aauthenticate")),
    ("http-async.aauthenticate-uses-native-backend-method", "5.0", api_at(AUTH, "aauthenticate")),
    ("http-async.no-sync-synthesis-from-async-backend", "5.0", api_at(AUTH, "aauthenticate")),
    ("http-async.acheck-password", "5.0", api_at(*USER, "acheck_password")),
    ("http-async.user-async-permission-methods", "5.2", api_at(*USER, "ahas_perm")),
    ("http-async.acreate-user", "5.2", api_at(*USER, "objects", "acreate_user")),
    ("http-async.session-aflush", "5.1", api_at(*SESSION, "aflush")),
    ("http-async.session-acycle-key", "5.1", api_at(*SESSION, "acycle_key")),
    ("http-async.session-store-async-defaults-wrap-sync", "5.1", api_at(*SESSION, "asave")),
    ("http-async.cache-async-methods-run-sync-in-thread", "4.0",
     api_at("django.core.cache.backends.base", "BaseCache", "aget")),
    ("http-async.asend-awaits-async-receivers", "5.0", api_at("django.dispatch", "Signal", "asend")),
    ("http-async.asend-runs-sync-receivers-in-thread", "5.0", api_at("django.dispatch", "Signal", "asend")),
    ("http-async.send-groups-sync-before-async", "5.0", api_at("django.dispatch", "Signal", "asend")),
    ("http-async.async-receivers-run-concurrently", "5.0", api_at("django.dispatch", "Signal", "asend")),
    ("http-async.asend-robust-returns-exceptions", "5.0", api_at("django.dispatch", "Signal", "asend_robust")),
    ("http-async.aget-object-or-404", "5.0", api_at("django.shortcuts", "aget_object_or_404")),
    ("http-async.aget-list-or-404", "5.0", api_at("django.shortcuts", "aget_list_or_404")),
    ("http-async.async-paginator-pages", "6.0", api_at("django.core.paginator", "AsyncPaginator")),
    ("http-async.async-page-needs-aget-object-list", "6.0", api_at("django.core.paginator", "AsyncPage")),
]


@pytest.mark.no_database
@pytest.mark.parametrize("claim, first, api", [
    pytest.param(claim, first, api, id=claim.split(".", 1)[1],
                 marks=[pytest.mark.django(f"<{first}"), pytest.mark.claims(refutes=[claim])])
    for claim, first, api in MISSING_BEFORE
])
def test_before_its_release_the_async_api_is_missing(claim, first, api, observe):
    """Before the release that added it, the API the claim is about does not exist (ImportError
    or AttributeError), so the behaviour cannot be had."""
    assert is_missing(api)
    observe(missing_before=first)
