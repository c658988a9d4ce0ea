"""Async views as the articles write them: function views, class-based views, generic views.

An ``async def`` function is a view from 3.1, routed like any other and returning an ordinary
response. Class-based views may define ``async def`` handlers only from 4.1: before that
``View`` calls the handler and gets a coroutine back, which Django rejects. Generic views
(ListView, DetailView) call their hooks synchronously on every version, so an ``async def
get_queryset`` hands a coroutine to the template machinery and fails.
"""
import asyncio
import inspect
import threading

import httpx
import pytest

from fixture_app.models import Author, Post
from spec_tests.clients import AsgiTestClient
from spec_tests.timing import assert_claimed
from spec_tests.unawaited import close_coroutines, close_coroutines_in_traceback

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a2-hello-async", "views.sample-a2-hello-urls", "views.routing-same-as-sync",
                              "views.async-def-function-is-view", "views.async-view-returns-plain-response"])
def test_an_async_function_routed_with_path_is_a_view(get):
    """A2 2.1: ``async def hello_async`` routed with ``path('hello/', ...)`` answers, under WSGI
    and ASGI. 3.1+."""
    response = get("/hello/")
    assert response.status_code == 200 and response.content == b"Hello Async World!"


@pytest.mark.no_database
@pytest.mark.django("<3.1")
@pytest.mark.claims(refutes=["views.async-def-function-is-view"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_django_3_0_rejects_an_async_function_view(observe):
    """Django 3.0 calls the async function like a sync view and then treats the coroutine it
    got as a response: AttributeError ("'coroutine' object has no attribute ..."). 3.0."""
    from django.test import Client

    with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
        Client().get("/hello/")
    observe(raised=str(excinfo.value)[:160])
    close_coroutines_in_traceback(excinfo.tb)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database  # the views wait and answer; the 2 s need not be repeated per database
@pytest.mark.claims(confirms=["views.sample-a1-async-view", "views.await-inside-async-view"])
async def test_sample_async_view_waits_two_seconds_without_holding_up_another_request(asgi_http, observe):
    """A1's ``async_view`` as written, through Django's ASGI application: it answers its JSON
    after its 2 s ``asyncio.sleep`` (the view paused at the await and resumed), and a second
    request sent while it sleeps is answered before it: the wait does not hold up the server.
    3.1+."""
    import time

    async with asgi_http:
        start = time.perf_counter()
        sleeping = asyncio.ensure_future(asgi_http.get("/views/async-view/"))  # the sample's 2 s
        await asyncio.sleep(0.1)
        other = await asgi_http.get("/hello/")
        answered_during_the_sleep = not sleeping.done()
        response = await sleeping
        elapsed = time.perf_counter() - start
    assert response.json() == {"message": "This is an async view!"}
    assert other.text == "Hello Async World!" and answered_during_the_sleep
    # asyncio.sleep(2) never returns early; a loaded machine only makes it later
    assert_claimed(observe, "response time", elapsed, claimed=2, accept=(2.0, None), unit=" s")


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a4-await-print-wrong", "views.await-on-sync-call-is-error"])
def test_awaiting_print_in_an_async_view_is_a_type_error(get, capsys, observe):
    """A4 pitfall 2: ``await print(...)`` prints, then fails at the await: TypeError (print
    returned None, which is not awaitable), so the view never answers. 3.1+."""
    with pytest.raises(TypeError, match="can't be used in 'await' expression") as excinfo:
        get("/views/await-print/")
    assert capsys.readouterr().out == "Hello\n"
    observe(raised=f"TypeError: {excinfo.value}", printed_first="Hello")


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a4-await-print-correct", "views.sync-call-without-await-fine"])
def test_calling_print_without_await_in_an_async_view_is_fine(get, capsys):
    """A4 pitfall 2, fixed: a plain sync call needs no await: the view prints and answers
    "Done". 3.1+."""
    assert get("/views/call-print/").content == b"Done"
    assert capsys.readouterr().out == "Hello\n"


@pytest.fixture
def ada(transactional_db):
    return Author.objects.create(name="Ada")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["views.cbv-async-handlers", "views.sample-a2-cbv-urls"])
def test_class_based_view_with_an_async_get_works_from_4_1(get, ada):
    """A2 3.1's ``AsyncUserView`` routed with ``as_view()`` as the routing sample writes it: the
    function ``as_view()`` returns is itself a coroutine function (Django awaits it as an async
    view), and the URL's ``user_id`` reaches the async ``get``, which answers, under WSGI and
    ASGI. The article says 3.1+; async handlers work from 4.1."""
    from fixture_app.views.views import AsyncUserView

    assert AsyncUserView.view_is_async and asyncio.iscoroutinefunction(AsyncUserView.as_view())
    assert get(f"/users/{ada.pk}/").json() == {"user": "Ada"}


@pytest.mark.django(">=4.2")
@pytest.mark.claims(confirms=["views.sample-a2-async-user-view"])
def test_sample_class_based_view_gets_and_renames_the_user_from_4_2(ada):
    """The whole sample (async ``get``, and ``post`` that calls ``user.asave()``) works from 4.2,
    the release that added ``Model.asave``."""
    from django.test import Client

    client = Client()
    assert client.get(f"/users/{ada.pk}/").json() == {"user": "Ada"}
    assert client.post(f"/users/{ada.pk}/", {"name": "Grace"}).json() == {"success": True}
    assert Author.objects.get(pk=ada.pk).name == "Grace"


@pytest.mark.django("==4.1")
@pytest.mark.claims(refutes=["views.sample-a2-async-user-view"])
def test_sample_class_based_view_post_fails_in_4_1_without_asave(ada, observe):
    """In 4.1 the sample's ``post`` fails: ``Model.asave`` does not exist yet (AttributeError)."""
    from django.test import Client

    with pytest.raises(AttributeError, match="asave") as excinfo:
        Client().post(f"/users/{ada.pk}/", {"name": "Grace"})
    observe(raised=str(excinfo.value))


@pytest.mark.no_database
@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.claims(refutes=["views.sample-a2-async-user-view", "views.cbv-async-handlers", "views.sample-a2-cbv-urls"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_class_based_view_with_async_handlers_fails_before_4_1(ada, observe):
    """3.1–4.0, the releases the article dates the sample and its routing to: ``as_view()``
    returns a plain function, and ``View`` calls the async ``get`` like a sync method and
    returns its coroutine: ValueError ("didn't return an HttpResponse object"). The route
    resolves, but no request through it is ever answered."""
    from django.test import Client

    from fixture_app.views.views import AsyncUserView

    assert not asyncio.iscoroutinefunction(AsyncUserView.as_view())
    with pytest.raises(ValueError, match="didn't return an HttpResponse object") as excinfo:
        Client().get(f"/users/{ada.pk}/")
    observe(raised=str(excinfo.value)[:160])
    close_coroutines_in_traceback(excinfo.tb)


@pytest.mark.django(">=4.1")
@pytest.mark.claims(refutes=["views.sample-a2-async-post-list-view", "views.generic-views-async"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_list_view_with_an_async_get_queryset_fails(get, observe):
    """A2 3.2's ListView with ``async def get_queryset``: ListView calls it without awaiting and
    gets a coroutine where it needs a list or QuerySet: an exception. 4.1+, where the article
    dates it."""
    Post.objects.create(title="p", published=True)
    with pytest.raises((AttributeError, TypeError)) as excinfo:
        get("/views/posts/")
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}"[:160])
    close_coroutines_in_traceback(excinfo.tb)  # the view (``self`` in a frame) holds it


@pytest.mark.django(">=4.1")
@pytest.mark.claims(refutes=["views.sample-a2-async-post-detail-view", "views.generic-views-async"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_detail_view_with_an_async_get_object_renders_without_the_object(get, observe):
    """A2 3.2's DetailView with ``async def get_object``: the view gets a coroutine instead of the
    post and the template renders it silently as nothing: a 200 page without the post's title.
    4.1+."""
    post = Post.objects.create(title="the title", published=True)
    response = get(f"/views/posts/{post.pk}/")
    assert response.status_code == 200 and b"the title" not in response.content
    observe(status=200, rendered=repr(response.content[:40]))
    close_coroutines(*(response.context or {}).get("view", None).__dict__.values())



# ------------------------------------------------------------------- what an async view is


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.execution-model-thread-vs-event-loop"])
def test_a_sync_view_runs_off_the_loop_and_an_async_view_on_it(get_asgi, observe):
    """A2 1.1 / Q1: under ASGI a sync view runs in a thread with no running event loop, which it
    holds until it returns; an async view runs on the event loop's own thread. 3.1+."""
    sync, async_ = get_asgi("/views/where-sync/").json(), get_asgi("/views/where-async/").json()
    assert sync["running_loop"] is False and async_["running_loop"] is True
    assert sync["thread_id"] != async_["thread_id"]
    observe(sync_view_thread=sync["thread"], async_view_thread=async_["thread"])


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.view-takes-request-returns-response"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_view_that_returns_no_response_fails(get, kind, observe):
    """A4 step 1: a view takes the request and returns a response. A view (sync or async) that
    returns a dict fails the request. Django checks only for None and for a coroutine, so the
    dict fails later, where the handler first treats it as a response: the error names
    whatever attribute it missed. 3.1+."""
    with pytest.raises((AttributeError, TypeError, ValueError)) as excinfo:
        get(f"/views/returns-a-dict-{kind}/")
    assert "dict" in str(excinfo.value)
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}"[:160])


@pytest.mark.no_database
@pytest.mark.claims(confirms=["views.python-async-await-basics"])
def test_two_coroutines_awaiting_sleeps_interleave_on_one_loop():
    """A4 step 2, plain Python: while one coroutine waits at ``await``, the other runs. The order
    of events shows it, no clock needed. Every version (no Django involved)."""
    events = []

    async def task(name):
        events.append(f"{name} starts")
        await asyncio.sleep(0.01)
        events.append(f"{name} ends")

    async def both():
        await asyncio.gather(task("a"), task("b"))

    asyncio.run(both())
    assert events == ["a starts", "b starts", "a ends", "b ends"]


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.async-call-requires-await"])
def test_an_async_function_called_without_await_runs_none_of_its_body(get):
    """A4 step 4: called without ``await``, an async function hands back a coroutine object and
    its body has not run; awaited, it runs and returns its value. 3.1+."""
    assert get("/views/call-without-await/").json() == {"returned": "coroutine", "body_ran": False}
    assert get("/views/call-with-await/").json() == {"returned": "result", "body_ran": True}


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.render-in-async-view"])
def test_render_in_an_async_view_works_when_the_objects_are_already_fetched(get, three_posts):
    """A2 6.4: ``render()`` called without await from an async view, with a list the view
    already fetched (here with ``sync_to_async(list)``, which every release with async views
    has), returns the page. 3.1+."""
    assert get("/views/render-fetched-posts/").content == b"post 0\npost 1\npost 2\n"


@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["views.render-in-async-view"])
def test_render_in_an_async_view_fails_when_the_template_runs_the_query(get, three_posts, observe):
    """A2 preface: the context holds an unevaluated QuerySet, so the template runs the query on
    the event loop's thread: SynchronousOnlyOperation. 3.1+."""
    from django.core.exceptions import SynchronousOnlyOperation

    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        get("/views/render-lazy-queryset/")
    observe(raised=f"SynchronousOnlyOperation: {excinfo.value}"[:160])


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.async-to-sync-in-sync-view", "views.sample-a2-async-to-sync-view"])
def test_async_to_sync_in_a_sync_view_returns_the_coroutines_result(get, slow_server):
    """A2 4.3: a sync view calls ``async_to_sync(async_fetch_data)()`` (aiohttp, here against a
    local server) and returns the JSON it got: under WSGI (no loop anywhere) and under ASGI (the
    sync view runs in a thread while the server's loop runs elsewhere). 3.1+."""
    response = get(f"/views/sync-view-async-to-sync/?url={slow_server}/delay/0")
    assert response.json() == {"path": "/delay/0", "delay_ms": 0}


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.error-handling-like-sync"])
def test_an_async_view_catches_the_not_found_error_of_an_awaited_lookup_like_a_sync_view(get, observe):
    """A2 4.4: error handling works as in sync views. The DoesNotExist that an awaited lookup
    raises (``sync_to_async(Author.objects.get)``, on every release with async views) is caught
    with try/except and becomes a 404 "no such author", exactly as the same lookup caught in a
    sync view; an existing row answers normally. An uncaught ``Http404`` from either kind of
    view gives the same 404 page too. (A2's own sample, with ``aget``: test_view_samples.) 3.1+."""
    ada = Author.objects.create(name="Ada")
    for kind in ("sync", "async"):
        assert get(f"/views/lookup-author-{kind}/{ada.pk}/").json() == {"name": "Ada"}
    sync, async_ = get(f"/views/lookup-author-sync/{ada.pk + 1000}/"), get(f"/views/lookup-author-async/{ada.pk + 1000}/")
    assert (async_.status_code, async_.content) == (sync.status_code, sync.content) == (404, b"no such author")
    sync, async_ = get("/views/raise-404-sync/"), get("/views/raise-404-async/")
    assert sync.status_code == async_.status_code == 404 and sync.content == async_.content
    observe(caught=f"{async_.status_code}: no such author")


# ------------------------------------------------------------------- uploads and CSRF


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.request-files-in-async-view"])
async def test_an_async_view_reads_an_upload_from_request_files(asgi_http):
    """A2 7.3: ``request.FILES`` works in an async view (a multipart POST through Django's ASGI
    application). 3.1+."""
    async with asgi_http:
        response = await asgi_http.post("/views/upload-parsed-where/", files={"file": ("a.txt", b"x" * 1000)})
    assert response.json()["size"] == 1000


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["views.request-files-in-async-view"])
async def test_an_async_view_parses_the_upload_synchronously_on_the_loop_thread(asgi_http, observe):
    """A2 7.3's comment calls reading the upload asynchronous. It is not: ``request.FILES`` is a
    plain attribute, and the multipart body is parsed when the view first touches it, on the
    event loop's thread (a running loop, no await). 3.1+."""
    async with asgi_http:
        response = await asgi_http.post("/views/upload-parsed-where/", files={"file": ("a.txt", b"x" * 1000)})
    assert response.json()["running_loop"] is True
    observe(parsed_on=response.json()["thread"])


@pytest.fixture
def csrf_checked(settings):
    """CSRF protection as in a real project: the middleware, and clients that do not skip it."""
    settings.MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
    return {"enforce_csrf_checks": True}


@pytest.mark.no_database
@pytest.mark.django(">=5.0")
@pytest.mark.claims(confirms=["views.csrf-exempt-on-async-view"])
def test_csrf_exempt_keeps_an_async_view_async_from_5_0(csrf_checked, observe):
    """A2 7.3 decorates its async upload view with ``@csrf_exempt``. From 5.0 the decorator
    keeps the view a coroutine function, and a POST without a token reaches it (here: 400, no
    file), while an undecorated view answers 403."""
    from fixture_app.views import views

    client = AsgiTestClient(**csrf_checked)
    assert inspect.iscoroutinefunction(views.async_file_upload)
    assert client.post("/views/upload-parsed-where/").status_code == 403
    assert client.post("/views/upload/").status_code == 400


@pytest.mark.no_database
@pytest.mark.django(">=3.1,<5.0")
@pytest.mark.claims(refutes=["views.csrf-exempt-on-async-view"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_csrf_exempt_turns_an_async_view_into_a_sync_one_before_5_0(csrf_checked, observe):
    """3.1–4.2: ``csrf_exempt`` wraps the view in a plain ``def`` that returns the coroutine.
    Django then takes the view for a sync one and gets a coroutine back: ValueError."""
    from fixture_app.views import views

    from django.test import Client

    assert not inspect.iscoroutinefunction(views.async_file_upload)
    with pytest.raises(ValueError, match="didn't return an HttpResponse object") as excinfo:
        Client(**csrf_checked).post("/views/upload/")
    observe(raised=str(excinfo.value)[:200])
    close_coroutines_in_traceback(excinfo.tb)


@pytest.fixture
def file_writes(tmp_path, monkeypatch):
    """Uploads go to a fresh temp dir; every write to a file that aiofiles opens is logged with
    the thread that made it. (aiofiles opens files through ``aiofiles.threadpool.sync_open``.)"""
    import aiofiles.threadpool

    from fixture_app.views import views

    monkeypatch.setattr(views, "UPLOAD_DIR", str(tmp_path))
    writes, sync_open = [], aiofiles.threadpool.sync_open

    def logging_open(*args, **kwargs):
        file = sync_open(*args, **kwargs)
        real_write = file.write

        def write(data):
            writes.append((len(data), threading.get_ident()))
            return real_write(data)

        file.write = write
        return file

    monkeypatch.setattr(aiofiles.threadpool, "sync_open", logging_open)
    return writes


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.aiofiles-write-in-async-view"])
async def test_an_async_view_writes_the_upload_with_aiofiles_off_the_event_loop(asgi_http, file_writes, tmp_path, settings, observe):
    """A2 7.3 writes the upload's chunks with ``aiofiles.open(path, 'wb')`` and ``await
    f.write(chunk)``. In an async view (the sample's loop, without its ``@csrf_exempt``) served
    by Django's ASGI application, the file on disk equals the upload, and each chunk's write ran
    in a thread of the loop's executor, never on the loop's thread, which runs the view: the loop
    stays free during the writes. 3.1+."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # to a temporary file, where a large upload goes
    content = bytes(range(256)) * 1024  # 256 KiB, read back in four chunks of Django's default 64 KiB
    async with asgi_http:
        data = (await asgi_http.post("/views/aiofiles-upload/", files={"file": ("up.bin", content)})).json()
    assert (tmp_path / "up.bin").read_bytes() == content
    assert data["running_loop"] is True and len(file_writes) == 4
    assert [size for size, _ in file_writes] == [64 * 1024] * 4
    assert data["thread_id"] not in {thread for _, thread in file_writes}
    observe(writes=len(file_writes), view_thread=data["thread"], writes_on_the_view_thread=0)


# ------------------------------------------------------------------- what a view can return


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.jsonresponse-needs-plain-data"])
def test_jsonresponse_serialises_values_but_not_model_instances(get, observe):
    """JsonResponse takes rows from ``values()``; model instances are a TypeError ("Object of
    type Author is not JSON serializable"). 3.1+."""
    ada = Author.objects.create(name="Ada")
    assert get("/views/json-of-values/").json() == {"authors": [{"id": ada.pk, "name": "Ada"}]}
    with pytest.raises(TypeError, match="not JSON serializable") as excinfo:
        get("/views/json-of-instances/")
    observe(raised=f"TypeError: {excinfo.value}")


@pytest.mark.no_database
@pytest.mark.django(">=4.2")
@pytest.mark.claims(confirms=["views.streaming-response-async-iterator"])
async def test_a_streaming_response_streams_an_async_generator_under_asgi(transactional_db):
    """From 4.2 an async generator can feed a StreamingHttpResponse; Django's ASGI application
    sends its chunks (read here through httpx, as a server's client would)."""
    from django.core.asgi import get_asgi_application

    transport = httpx.ASGITransport(app=get_asgi_application())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/views/stream-async-iterator/")
    assert response.status_code == 200 and response.text == "chunk 0\nchunk 1\nchunk 2\n"


@pytest.mark.no_database
@pytest.mark.django(">=4.2")
@pytest.mark.claims(confirms=["views.streaming-response-async-iterator"])
def test_a_streaming_response_consumes_an_async_generator_with_a_warning_under_wsgi(transactional_db, observe):
    """4.2+: under WSGI the same response is consumed synchronously, with a warning saying so."""
    from django.test import Client

    response = Client().get("/views/stream-async-iterator/")
    with pytest.warns(Warning, match="must consume asynchronous iterators") as warned:
        body = b"".join(response)  # what a WSGI server does with the response
    assert body == b"chunk 0\nchunk 1\nchunk 2\n"
    observe(warning=str(warned[0].message)[:160])


@pytest.mark.no_database
@pytest.mark.django(">=3.1,<4.2")
@pytest.mark.claims(refutes=["views.streaming-response-async-iterator"])
def test_a_streaming_response_rejects_an_async_generator_before_4_2(get, observe):
    """3.1–4.1: StreamingHttpResponse iterates its content with ``iter()``, which an async
    generator does not support: TypeError in the view."""
    with pytest.raises(TypeError, match="not iterable") as excinfo:
        get("/views/stream-async-iterator/")
    observe(raised=f"TypeError: {excinfo.value}")
