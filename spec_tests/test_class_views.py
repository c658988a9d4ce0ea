"""Async class-based views, class by class: View, TemplateView, RedirectView, ListView,
DetailView, FormView, CreateView, UpdateView, DeleteView and LoginView.

From Django 4.1 a ``View`` subclass may write its HTTP handlers (``get``, ``post``, ...) as
``async def``. ``as_view()`` then marks the function it returns as a coroutine function, so
Django awaits it, under ASGI and under WSGI alike (there in a one-off event loop). The rule is
all or nothing: every handler the class *has* must be async, including the ones it inherits.
``FormView`` inherits ``post`` and ``put``, ``DeleteView`` ``post`` and ``delete``,
``RedirectView`` six of them: override only ``get`` there and ``as_view()`` raises
ImproperlyConfigured. ``View.view_is_async`` is the class property behind that check, and
``options()`` and ``http_method_not_allowed()`` wrap their response in a coroutine for an async
class.

Before 4.1 nothing of this exists: ``as_view()`` returns a plain function, ``View.dispatch``
returns the handler's coroutine, and Django refuses it ("returned an unawaited coroutine"; in
3.0 an AttributeError on the coroutine).

What async handlers do not change: the generic views' *hooks* (``get_queryset``,
``get_context_data``, ``get_object``, ``get_form``, ``form_valid``) are ordinary methods that
Django calls without ``await`` on every release. An ``async def`` hook hands back a coroutine
where a value is needed and fails; a sync hook that runs a query (``get_object``, a paginated
``get_context_data``, ``form_valid`` saving the form) raises SynchronousOnlyOperation when an
async handler calls it on the event loop, and works through ``sync_to_async``. A hook that
builds a lazy QuerySet is fine: the template evaluates it when Django renders the
TemplateResponse, which the ASGI handler does in a worker thread.

``LoginView`` cannot be made async by overriding its handlers: its ``dispatch`` is wrapped in
sync decorators that treat the coroutine as a response.

The views are in fixture_app/views/class_views.py, routed under /class-views/.
"""
import asyncio
import inspect

import django
import pytest
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.test import Client, RequestFactory

from fixture_app.models import Post
from fixture_app.views import class_views as cv
from spec_tests.clients import asgi_request
from spec_tests.unawaited import close_coroutines, close_coroutines_in_traceback

NEVER_AWAITED = pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")


class Answer:
    """An httpx response read like a Django test response: status_code, content, ["Header"]."""

    def __init__(self, response):
        self.status_code, self.content, self.headers = response.status_code, response.content, response.headers

    def __getitem__(self, header):
        return self.headers[header]


class AsgiServer:
    """Django's ASGI application called the way a server calls it (``asgi_request``: httpx's ASGI
    transport), with blocking methods. An exception raised in the view, which Django turns into a
    500, is raised into the test, as the WSGI test Client does."""

    def __init__(self):
        from django.core.asgi import get_asgi_application

        self.app = get_asgi_application()

    def request(self, method, url, data=None):
        return Answer(asgi_request(method, url, app=self.app, data=data))

    def get(self, url):
        return self.request("GET", url)

    def post(self, url, data=None):
        return self.request("POST", url, data)

    def head(self, url):
        return self.request("HEAD", url)

    def options(self, url):
        return self.request("OPTIONS", url)


@pytest.fixture(params=["wsgi", "asgi"])
def server(request):
    """Django's WSGI test Client, or Django's ASGI application served as a server would. Both
    raise the view's exception into the test."""
    return Client() if request.param == "wsgi" else AsgiServer()


@pytest.fixture
def post(transactional_db):
    return Post.objects.create(title="first post", published=True)


def unawaited_failure():
    """What Django does with a view that hands back a coroutine, per release: 3.1+ rejects it
    with ValueError; 3.0 treats it as a response and fails on a missing attribute."""
    if django.VERSION >= (3, 1):
        return ValueError, "returned an unawaited coroutine"
    return AttributeError, "'coroutine' object has no attribute"


# =============================================================================== class by class


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.templateview-async-get"])
def test_template_view_with_an_async_get_renders_its_template(server, observe):
    """TemplateView's only handler is ``get``: made async, it renders the page under WSGI and
    ASGI. 4.1+."""
    response = server.get("/class-views/template/")
    assert response.status_code == 200 and response.content == b"page async"
    observe(status=200, body=response.content.decode())


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.redirectview-async-handlers"])
def test_redirect_view_with_all_its_handlers_async_redirects(server, observe):
    """RedirectView has seven handlers; all async, GET and POST redirect. 4.1+."""
    for method in ("get", "post"):
        response = getattr(server, method)("/class-views/redirect/")
        assert response.status_code == 302 and response["Location"] == cv.SUCCESS_URL, method
    observe(get_and_post=f"302 to {cv.SUCCESS_URL}")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.listview-async-get"])
def test_list_view_with_an_async_get_lists_the_rows(server, transactional_db, observe):
    """ListView with ``async def get`` calling the inherited hooks as they are. 4.1+."""
    Post.objects.create(title="a")
    Post.objects.create(title="b")
    response = server.get("/class-views/list/")
    assert response.status_code == 200 and response.content == b"a;b;"
    observe(status=200, body=response.content.decode())


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.detailview-async-get"])
def test_detail_view_with_an_async_get_renders_the_object(server, post, observe):
    """DetailView with ``async def get`` and ``await sync_to_async(self.get_object)()``. 4.1+."""
    response = server.get(f"/class-views/detail/{post.pk}/")
    assert response.status_code == 200 and response.content == b"detail first post"
    observe(status=200, body=response.content.decode())


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.formview-async-handlers"])
def test_form_view_with_async_handlers_shows_validates_and_redirects(server, observe):
    """FormView with async get, post and put: the form page, a valid POST redirected to
    success_url, an invalid one re-rendered (200). 4.1+."""
    assert server.get("/class-views/form/").content == b"form title"
    valid = server.post("/class-views/form/", {"title": "hello"})
    assert valid.status_code == 302 and valid["Location"] == cv.SUCCESS_URL
    invalid = server.post("/class-views/form/", {})
    assert invalid.status_code == 200 and invalid.content == b"form title"
    observe(get=200, valid_post=302, invalid_post=200)


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.createview-async-handlers"])
def test_create_view_with_async_handlers_creates_the_row(server, transactional_db, observe):
    """CreateView with async get, post and put; ``form_valid`` (which saves) awaited through
    ``sync_to_async``. 4.1+."""
    assert server.get("/class-views/create/").content == b"form title"
    response = server.post("/class-views/create/", {"title": "created"})
    assert response.status_code == 302 and response["Location"] == cv.SUCCESS_URL
    assert list(Post.objects.values_list("title", flat=True)) == ["created"]
    observe(post=302, created="created")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.updateview-async-handlers"])
def test_update_view_with_async_handlers_saves_the_change(server, post, observe):
    """UpdateView with async get, post and put. 4.1+."""
    assert server.get(f"/class-views/update/{post.pk}/").content == b"form title"
    response = server.post(f"/class-views/update/{post.pk}/", {"title": "renamed"})
    assert response.status_code == 302 and response["Location"] == cv.SUCCESS_URL
    assert Post.objects.get(pk=post.pk).title == "renamed"
    observe(post=302, title="renamed")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.deleteview-async-handlers"])
def test_delete_view_with_async_handlers_deletes_the_row(server, post, observe):
    """DeleteView with async get, post and delete: the confirmation page, then the row deleted
    by POST. 4.1+."""
    assert server.get(f"/class-views/delete/{post.pk}/").content == b"delete first post?"
    response = server.post(f"/class-views/delete/{post.pk}/")
    assert response.status_code == 302 and response["Location"] == cv.SUCCESS_URL
    assert not Post.objects.filter(pk=post.pk).exists()
    observe(post=302, row="deleted")


BEFORE_4_1 = [
    pytest.param("get", "/class-views/template/", id="TemplateView",
                 marks=[pytest.mark.no_database, pytest.mark.claims(refutes=["class-views.templateview-async-get"])]),
    pytest.param("get", "/class-views/redirect/", id="RedirectView",
                 marks=[pytest.mark.no_database, pytest.mark.claims(refutes=["class-views.redirectview-async-handlers"])]),
    pytest.param("get", "/class-views/list/", id="ListView",
                 marks=[pytest.mark.no_database, pytest.mark.claims(refutes=["class-views.listview-async-get"])]),
    pytest.param("get", "/class-views/detail/1/", id="DetailView",
                 marks=[pytest.mark.no_database, pytest.mark.claims(refutes=["class-views.detailview-async-get"])]),
    pytest.param("post", "/class-views/form/", id="FormView",
                 marks=[pytest.mark.no_database, pytest.mark.claims(refutes=["class-views.formview-async-handlers"])]),
]


@pytest.mark.django("<4.1")
@pytest.mark.parametrize("method, url", BEFORE_4_1)
@NEVER_AWAITED
def test_before_4_1_a_generic_view_with_async_handlers_fails(method, url, observe):
    """3.0–4.0: ``as_view()`` returns a plain function and ``dispatch`` returns the handler's
    coroutine, which Django refuses (3.1–4.0: ValueError; 3.0: AttributeError). No query runs:
    the handler's body never starts."""
    error, text = unawaited_failure()
    with pytest.raises(error, match=text) as excinfo:
        getattr(Client(), method)(url, {"title": "x"} if method == "post" else None)
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}"[:160])
    close_coroutines_in_traceback(excinfo.tb)


BEFORE_4_1_WRITES = [
    pytest.param("/class-views/create/", "created", id="CreateView",
                 marks=pytest.mark.claims(refutes=["class-views.createview-async-handlers"])),
    pytest.param("/class-views/update/{pk}/", "renamed", id="UpdateView",
                 marks=pytest.mark.claims(refutes=["class-views.updateview-async-handlers"])),
    pytest.param("/class-views/delete/{pk}/", "", id="DeleteView",
                 marks=pytest.mark.claims(refutes=["class-views.deleteview-async-handlers"])),
]


@pytest.mark.django("<4.1")
@pytest.mark.parametrize("url, title", BEFORE_4_1_WRITES)
@NEVER_AWAITED
def test_before_4_1_an_editing_view_with_async_handlers_fails_and_writes_nothing(url, title, post, observe):
    """3.0–4.0: the POST fails on the unawaited coroutine and the database is unchanged."""
    error, text = unawaited_failure()
    with pytest.raises(error, match=text) as excinfo:
        Client().post(url.format(pk=post.pk), {"title": title})
    assert list(Post.objects.values_list("title", flat=True)) == ["first post"]
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}"[:160])
    close_coroutines_in_traceback(excinfo.tb)


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.loginview-async-handlers-crash"])
@NEVER_AWAITED
def test_login_view_with_async_handlers_is_marked_async_but_crashes(server, observe):
    """4.1+: ``as_view()`` marks the LoginView subclass as a coroutine function, yet its
    ``dispatch`` keeps ``never_cache`` (a sync decorator), which calls ``has_header`` on the
    handler's coroutine: AttributeError, under WSGI and ASGI."""
    assert asyncio.iscoroutinefunction(cv.async_login_view_class().as_view())
    with pytest.raises(AttributeError, match="'coroutine' object has no attribute 'has_header'") as excinfo:
        server.get("/class-views/login/")
    observe(raised=str(excinfo.value))
    close_coroutines_in_traceback(excinfo.tb)


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.loginview-async-handlers-crash"])
@NEVER_AWAITED
def test_login_view_with_async_handlers_crashes_before_4_1_too(observe):
    """3.0–4.0: the same AttributeError (here ``as_view()`` is a plain function as well)."""
    assert not asyncio.iscoroutinefunction(cv.async_login_view_class().as_view())
    with pytest.raises(AttributeError, match="'coroutine' object has no attribute 'has_header'") as excinfo:
        Client().get("/class-views/login/")
    observe(raised=str(excinfo.value))
    close_coroutines_in_traceback(excinfo.tb)


# =============================================================== the all-sync-or-all-async check


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.mixed-handlers-improperly-configured"])
def test_as_view_of_a_class_mixing_sync_and_async_handlers_raises(observe):
    """``async def get`` beside ``def post``: ``as_view()`` raises ImproperlyConfigured. 4.1+."""
    with pytest.raises(ImproperlyConfigured, match="HTTP handlers must either be all sync or all async") as excinfo:
        cv.MixedView.as_view()
    observe(raised=str(excinfo.value))


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["class-views.mixed-handlers-improperly-configured"])
@NEVER_AWAITED
def test_before_4_1_a_class_mixing_handlers_is_accepted_and_half_works(observe):
    """3.0–4.0: no check. The view's sync ``post`` answers; its async ``get`` hands back a
    coroutine."""
    view = cv.MixedView.as_view()
    factory = RequestFactory()
    assert view(factory.post("/")).content == b"sync post"
    returned = view(factory.get("/"))
    assert inspect.iscoroutine(returned)
    observe(get_returned=type(returned).__name__)
    close_coroutines(returned)


GET_ONLY = [
    ("GetOnlyFormView", True), ("GetOnlyCreateView", True), ("GetOnlyUpdateView", True),
    ("GetOnlyDeleteView", True), ("GetOnlyRedirectView", True),
    ("GetOnlyTemplateView", False), ("GetOnlyListView", False), ("GetOnlyDetailView", False),
    ("AsyncGetView", False),  # View itself: its own sync options() is not counted
]


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.inherited-sync-handlers-count"])
@pytest.mark.parametrize("name, refused", GET_ONLY, ids=[name for name, _ in GET_ONLY])
def test_an_async_get_beside_inherited_sync_handlers_is_a_mixed_class(name, refused, observe):
    """Only ``get`` overridden with ``async def``: the classes that inherit other (sync)
    handlers are refused; those whose only handler is ``get`` become async views. 4.1+."""
    view_class = getattr(cv, name)
    if refused:
        with pytest.raises(ImproperlyConfigured, match="all sync or all async") as excinfo:
            view_class.as_view()
        inherited = sorted(m for m in view_class.http_method_names if m not in ("get", "options") and hasattr(view_class, m))
        observe(raised=str(excinfo.value), inherited_sync_handlers=", ".join(inherited))
    else:
        assert asyncio.iscoroutinefunction(view_class.as_view())
        observe(as_view="coroutine function")


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["class-views.inherited-sync-handlers-count"])
def test_before_4_1_a_get_only_override_is_accepted_as_a_plain_view(observe):
    """3.0–4.0: every get-only subclass gives a plain (sync) view function; nothing is checked."""
    for name, _ in GET_ONLY:
        view = getattr(cv, name).as_view()
        assert not asyncio.iscoroutinefunction(view), name
    observe(as_view="plain function for all")


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.view-is-async-property"])
def test_view_is_async_says_whether_the_handlers_are_async(observe):
    """``view_is_async``: True (async get), False (sync get), False (no handler), and
    ImproperlyConfigured for a mixed class. 4.1+."""
    assert cv.AsyncGetView.view_is_async is True
    assert cv.SyncGetView.view_is_async is False
    assert cv.NoHandlerView.view_is_async is False
    with pytest.raises(ImproperlyConfigured):
        cv.MixedView.view_is_async
    observe(async_view=True, sync_view=False, no_handler=False, mixed="ImproperlyConfigured")


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["class-views.view-is-async-property"])
def test_before_4_1_view_has_no_view_is_async(observe):
    from django.views import View

    assert not hasattr(View, "view_is_async") and not hasattr(cv.AsyncGetView, "view_is_async")
    observe(view_is_async="missing")


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.as-view-marks-coroutine-function"])
def test_as_view_of_an_async_class_is_marked_as_a_coroutine_function(observe):
    """``as_view()`` is a ``def`` returning a ``def``; for an async class it is marked so that
    ``asyncio.iscoroutinefunction`` and asgiref's say True. 4.1+. (``inspect`` sees the mark from
    4.2 on Python 3.12+; 4.1 sets asyncio's own marker, which ``inspect`` ignores.)"""
    from asgiref.sync import iscoroutinefunction

    async_view, sync_view = cv.AsyncGetView.as_view(), cv.SyncGetView.as_view()
    assert asyncio.iscoroutinefunction(async_view) and iscoroutinefunction(async_view)
    assert not asyncio.iscoroutinefunction(sync_view) and not iscoroutinefunction(sync_view)
    observe(inspect_iscoroutinefunction=inspect.iscoroutinefunction(async_view))


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["class-views.as-view-marks-coroutine-function"])
def test_before_4_1_as_view_of_an_async_class_is_a_plain_function(observe):
    assert not asyncio.iscoroutinefunction(cv.AsyncGetView.as_view())
    observe(as_view="plain function")


# =================================================================== options, 405 and HEAD


def returned_by(handler, method):
    """What ``handler`` (``options`` or ``http_method_not_allowed``) of an AsyncGetView returns
    for a ``method`` request, called directly."""
    request = getattr(RequestFactory(), method)("/")
    view = cv.AsyncGetView()
    view.setup(request)
    return getattr(view, handler)(request)


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.options-returns-coroutine"])
def test_options_of_an_async_view_is_a_coroutine_and_is_answered(server, observe):
    """``options()`` returns a coroutine resolving to the response with the Allow header; an
    OPTIONS request gets 200 under WSGI and ASGI. 4.1+."""
    returned = returned_by("options", "options")
    assert inspect.iscoroutine(returned)
    assert asyncio.run(returned)["Allow"] == "GET, HEAD, OPTIONS"
    response = server.options("/class-views/view/")
    assert response.status_code == 200 and response["Allow"] == "GET, HEAD, OPTIONS"
    observe(options_returned="coroutine", allow=response["Allow"])


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["class-views.options-returns-coroutine"])
def test_before_4_1_options_of_an_async_view_returns_the_response_itself(observe):
    """3.0–4.0: ``options()`` returns the response; the OPTIONS request is answered by the
    plain (sync) view function even though ``get`` is async."""
    returned = returned_by("options", "options")
    assert not inspect.iscoroutine(returned) and {"GET", "OPTIONS"} <= set(returned["Allow"].split(", "))
    assert Client().options("/class-views/view/").status_code == 200
    observe(options_returned=type(returned).__name__)


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.http-method-not-allowed-async"])
def test_a_method_an_async_view_lacks_gets_405(server, observe):
    """POST to a view with only ``async def get``: ``http_method_not_allowed()`` returns a
    coroutine; the request gets 405 with ``Allow: GET, HEAD, OPTIONS``. 4.1+."""
    returned = returned_by("http_method_not_allowed", "post")
    assert inspect.iscoroutine(returned)
    assert asyncio.run(returned).status_code == 405
    response = server.post("/class-views/view/")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD, OPTIONS"
    observe(returned="coroutine", status=405)


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["class-views.http-method-not-allowed-async"])
def test_before_4_1_the_405_of_an_async_view_is_a_plain_response(observe):
    returned = returned_by("http_method_not_allowed", "post")
    assert not inspect.iscoroutine(returned) and returned.status_code == 405
    assert Client().post("/class-views/view/").status_code == 405
    observe(returned=type(returned).__name__)


@pytest.mark.django(">=4.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.head-uses-async-get"])
def test_head_is_served_by_the_async_get(server, observe):
    """HEAD falls back to ``get``, async or not: 200 with an empty body. 4.1+."""
    response = server.head("/class-views/view/")
    assert response.status_code == 200 and response.content == b""
    observe(status=200, body="empty")


@pytest.mark.django("<4.1")
@pytest.mark.no_database
@pytest.mark.claims(refutes=["class-views.head-uses-async-get"])
@NEVER_AWAITED
def test_before_4_1_head_fails_like_get(observe):
    error, text = unawaited_failure()
    with pytest.raises(error, match=text) as excinfo:
        Client().head("/class-views/view/")
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}"[:160])
    close_coroutines_in_traceback(excinfo.tb)


# ==================================================================== the hooks stay synchronous


@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.async-get-context-data-not-awaited"])
@NEVER_AWAITED
def test_an_async_get_context_data_is_not_awaited(observe):
    """TemplateView's sync ``get`` calls ``async def get_context_data`` and passes the
    coroutine to the template: TypeError. Every release."""
    with pytest.raises(TypeError, match="context must be a dict rather than coroutine") as excinfo:
        Client().get("/class-views/template-async-context/")
    observe(raised=str(excinfo.value))
    close_coroutines_in_traceback(excinfo.tb)


@pytest.mark.no_database
@pytest.mark.claims(confirms=["class-views.async-form-valid-not-awaited"])
@NEVER_AWAITED
def test_an_async_form_valid_is_not_awaited(observe):
    """FormView's sync ``post`` returns ``form_valid``'s coroutine as the response: refused
    (3.1+: ValueError; 3.0: AttributeError). Every release."""
    error, text = unawaited_failure()
    with pytest.raises(error, match=text) as excinfo:
        Client().post("/class-views/form-async-form-valid/", {"title": "x"})
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}"[:160])
    close_coroutines_in_traceback(excinfo.tb)


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.lazy-queryset-rendered-off-loop"])
def test_the_lazy_queryset_of_an_async_list_view_is_evaluated_off_the_loop(transactional_db, sql_log, observe):
    """Under ASGI, the async ``get`` runs on the event loop's thread and only builds the QuerySet;
    the SELECT runs when the TemplateResponse is rendered, in another thread. 4.1+."""
    Post.objects.create(title="a")
    cv.SEEN.clear()
    del sql_log[:]
    response = AsgiServer().get("/class-views/list/")
    assert response.status_code == 200 and response.content == b"a;"
    select_threads = {thread for sql, thread in sql_log if "fixture_app_post" in sql}
    assert select_threads and cv.SEEN["handler_thread"] not in select_threads
    observe(handler_thread=cv.SEEN["handler_thread"], select_threads=sorted(select_threads))


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.paginated-list-context-raises-soo"])
def test_a_paginated_list_context_counts_on_the_loop_and_raises(server, transactional_db, observe):
    """``paginate_by = 2``: ``get_context_data`` paginates, and the paginator's count is a query
    on the event loop: SynchronousOnlyOperation, under WSGI and ASGI. 4.1+."""
    Post.objects.create(title="a")
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        server.get("/class-views/list-paginated/")
    observe(raised=str(excinfo.value)[:100])


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.get-object-in-async-get-raises-soo"])
def test_get_object_called_directly_in_an_async_get_raises(server, post, observe):
    """``self.get_object()`` in the async ``get``: SynchronousOnlyOperation; the same hook through
    ``sync_to_async`` renders the object. WSGI and ASGI, 4.1+."""
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        server.get(f"/class-views/detail-get-object/{post.pk}/")
    assert server.get(f"/class-views/detail/{post.pk}/").content == b"detail first post"
    observe(raised=str(excinfo.value)[:100])


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["class-views.form-valid-in-async-post-raises-soo"])
def test_form_valid_called_directly_in_an_async_post_raises_and_creates_nothing(server, transactional_db, observe):
    """``return self.form_valid(form)`` in the async ``post``: the save raises
    SynchronousOnlyOperation and no row exists; through ``sync_to_async`` the row is created.
    WSGI and ASGI, 4.1+."""
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        server.post("/class-views/create-form-valid/", {"title": "direct"})
    assert not Post.objects.exists()
    assert server.post("/class-views/create/", {"title": "wrapped"}).status_code == 302
    assert list(Post.objects.values_list("title", flat=True)) == ["wrapped"]
    observe(raised=str(excinfo.value)[:100])
