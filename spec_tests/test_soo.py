"""SynchronousOnlyOperation: the synchronous ORM inside async code.

Django (3.0+) marks the parts of the ORM that talk to the database as *async-unsafe*: run on a
thread where an event loop is running, they raise ``SynchronousOnlyOperation`` instead of doing
I/O that would stall every other task on that loop. The check looks at the *thread*, not at the
syntax: building a QuerySet is fine anywhere (it runs nothing); evaluating it on the loop's
thread is not; moving the evaluation to another thread with ``sync_to_async`` is the fix.

Harness: ``async def`` tests run in pytest-asyncio's event loop on the main thread, which is
what an ASGI server gives an async view. The view tests go through Django's test clients: WSGI
(``Client``: Django runs the async view in a one-off event loop) and ASGI (``AsyncClient``).
"""
import threading

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection
from django.db.models.query import QuerySet

from fixture_app.models import Post
from spec_tests.unawaited import close_coroutines_in_traceback

DJANGO_MESSAGE = "You cannot call this from an async context - use a thread or sync_to_async."

pytestmark = pytest.mark.django_db(transaction=True)

# Every way the articles (and users) run a query; each touches the database.
SYNC_ORM_CALLS = {
    "list(qs)": lambda: list(Post.objects.all()),
    "len(qs)": lambda: len(Post.objects.all()),
    "for-loop over filter(...)": lambda: [p for p in Post.objects.filter(published=True)],
    "repr(qs)": lambda: repr(Post.objects.all()),
    "get()": lambda: Post.objects.get(pk=1),
    "count()": lambda: Post.objects.count(),
    "exists()": lambda: Post.objects.exists(),
    "first()": lambda: Post.objects.first(),
    "create()": lambda: Post.objects.create(title="new"),
    "save()": lambda: Post(title="new").save(),
    "update()": lambda: Post.objects.filter(pk=1).update(title="x"),
}


class QueryThreads:
    """An execute wrapper that records the thread every SQL statement runs on."""

    def __init__(self):
        self.threads = []

    def __call__(self, execute, sql, params, many, context):
        self.threads.append(threading.get_ident())
        return execute(sql, params, many, context)


def _sync_orm_call_params():
    """One param per call; only the one that evaluates a ``filter(...)`` QuerySet bears on the
    claim that calling ``filter`` is what raises (the others run no filter at all)."""
    for name, call in SYNC_ORM_CALLS.items():
        claims = ["soo.error-message"] + (["soo.filter-call-raises"] if "filter" in name else [])
        yield pytest.param(call, id=name, marks=pytest.mark.claims(confirms=claims))


@pytest.mark.parametrize("call", list(_sync_orm_call_params()))
async def test_sync_orm_query_on_event_loop_thread_raises_soo(call, observe):
    """Every ORM call that runs SQL raises SynchronousOnlyOperation, with Django's exact message,
    when the event loop's thread makes it. All versions (3.0+)."""
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        call()
    observe(raised=f"SynchronousOnlyOperation: {excinfo.value}")
    assert str(excinfo.value) == DJANGO_MESSAGE


@pytest.mark.claims(refutes=["soo.filter-call-raises"])
async def test_building_a_queryset_in_async_code_raises_nothing_and_runs_no_query():
    """QuerySets are lazy: filter/exclude/order_by/select_related/slicing build a query without
    touching the database, so they are safe on the loop's thread. All versions."""
    spy = QueryThreads()
    with connection.execute_wrapper(spy):
        qs = Post.objects.filter(published=True).exclude(title="").order_by("-id").select_related("author")[:10]
    assert isinstance(qs, QuerySet)
    assert spy.threads == []


@pytest.mark.claims(refutes=["soo.sync-orm-blocks-event-loop"])
async def test_sync_orm_call_on_event_loop_fails_before_any_sql_runs(three_posts, observe):
    """The sync ORM in async code does not block the loop while a query runs: it raises before
    any SQL is sent, so there is nothing to wait for. All versions."""
    spy = QueryThreads()
    with connection.execute_wrapper(spy), pytest.raises(SynchronousOnlyOperation):
        Post.objects.count()
    observe(statements_run=len(spy.threads))
    assert spy.threads == []


@pytest.mark.claims(confirms=["soo.raises-in-sync-helper-called-from-async"])
async def test_plain_sync_helper_called_from_async_code_raises_soo():
    """A def (not async def) function that queries, called directly from a coroutine, raises too:
    it runs on the loop's thread. All versions."""

    def titles():
        return [p.title for p in Post.objects.all()]

    with pytest.raises(SynchronousOnlyOperation):
        titles()


def _list_all_posts():
    return list(Post.objects.all())


@sync_to_async
def _decorated_list_all_posts():
    return list(Post.objects.all())


SYNC_TO_ASYNC_FORMS = {
    "sync_to_async(list)(qs)": lambda: sync_to_async(list)(Post.objects.all()),
    "@sync_to_async helper": lambda: _decorated_list_all_posts(),
    "sync_to_async(lambda: list(qs))()": lambda: sync_to_async(lambda: list(Post.objects.all()))(),
    "sync_to_async(helper)()": lambda: sync_to_async(_list_all_posts)(),
    "sync_to_async(Model.objects.count)()": lambda: sync_to_async(Post.objects.count)(),
}


@pytest.mark.claims(confirms=["soo.sync-to-async-wrap-works"])
@pytest.mark.parametrize("form", SYNC_TO_ASYNC_FORMS.values(), ids=SYNC_TO_ASYNC_FORMS.keys())
async def test_orm_work_wrapped_in_sync_to_async_returns_the_rows(form, three_posts):
    """Each way the articles wrap ORM work in sync_to_async returns the real result. All versions."""
    result = await form()
    assert (result if isinstance(result, int) else len(result)) == len(three_posts)


@pytest.mark.claims(confirms=["soo.sync-to-async-runs-off-loop"])
async def test_sync_to_async_runs_the_query_on_another_thread(three_posts, observe):
    """The SQL of a sync_to_async-wrapped call runs on a worker thread, not on the loop's thread.
    All versions."""
    spy = QueryThreads()

    def count_with_spy():
        with connection.execute_wrapper(spy):
            return Post.objects.count()

    assert await sync_to_async(count_with_spy)() == 3
    loop_thread = threading.get_ident()
    observe(query_thread="worker" if spy.threads and spy.threads[0] != loop_thread else "event loop")
    assert spy.threads and loop_thread not in spy.threads


@pytest.mark.claims(confirms=["soo.allow-async-unsafe-disables-check"])
async def test_django_allow_async_unsafe_lets_the_query_run_on_the_loop_thread(three_posts, monkeypatch, observe):
    """With DJANGO_ALLOW_ASYNC_UNSAFE set, the check is off: the sync call succeeds and its SQL
    runs on the event loop's own thread (blocking the loop while it runs). All versions."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    spy = QueryThreads()
    with connection.execute_wrapper(spy):
        assert Post.objects.count() == 3
    observe(query_thread="event loop" if spy.threads == [threading.get_ident()] else "other")
    assert spy.threads == [threading.get_ident()]


# ---- the articles' async views, served by Django ---------------------------------------------


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["soo.sync-orm-in-async-view-raises", "soo.error-message"])
def test_async_view_evaluating_a_queryset_raises_soo(get, three_posts, observe):
    """An async view that evaluates Post.objects.all() (seed 002 §6.1 as written) raises under both
    WSGI and ASGI. Async views exist from Django 3.1."""
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        get("/soo/sync-orm/")
    observe(raised=f"SynchronousOnlyOperation: {excinfo.value}")
    assert str(excinfo.value) == DJANGO_MESSAGE


@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["soo.lazy-queryset-helper-sample"])
def test_async_view_evaluating_a_queryset_returned_by_sync_to_async_raises_soo(get, three_posts, observe):
    """sync_to_async returns the helper's QuerySet unevaluated; len() in the view then queries on
    the loop's thread and raises (seed 002 §4.3 as written). Django 3.1+."""
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        get("/soo/lazy-queryset/")
    observe(raised=f"SynchronousOnlyOperation: {excinfo.value}")


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["soo.sync-to-async-wrap-works"])
@pytest.mark.parametrize("url", ["/soo/sync-to-async/", "/soo/decorated-helper/"])
def test_async_view_with_orm_work_in_sync_to_async_responds(get, url, three_posts):
    """The working forms (seed 002 §6.1 solution 2, seed 003's decorated helper) answer 200 with
    the right count under WSGI and ASGI. Django 3.1+."""
    response = get(url)
    assert response.status_code == 200
    assert response.json() == {"count": 3}


@pytest.mark.no_database
@pytest.mark.django("<3.1")
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.parametrize("url", [
    pytest.param("/soo/sync-orm/", id="sync ORM in the view (A2 6.1)",
                 marks=pytest.mark.claims(refutes=["soo.error-message"])),
    pytest.param("/soo/sync-to-async/", id="sync_to_async(list) (A2 6.1 solution 2)",
                 marks=pytest.mark.claims(refutes=["soo.sync-to-async-wrap-works"])),
    pytest.param("/soo/decorated-helper/", id="decorated helper (A3)",
                 marks=pytest.mark.claims(refutes=["soo.sync-to-async-wrap-works"])),
    pytest.param("/soo/lazy-queryset/", id="helper returning the QuerySet (A2 4.3)",
                 marks=pytest.mark.claims(refutes=["soo.lazy-queryset-helper-sample"])),
])
def test_django_3_0_never_runs_the_articles_async_views(url, three_posts, sql_log, observe):
    """The same views on 3.0, which has no async views: Django calls the ``async def`` like a sync
    view and takes the coroutine it gets for a response (AttributeError). The body never runs:
    no SQL, no SynchronousOnlyOperation, and the wrapped forms return no count. So the articles'
    error message and their sync_to_async fix both need 3.1; on 3.0 the wrap works only from
    other async code (the tests above). 3.0."""
    from django.test import Client

    with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
        Client().get(url)
    close_coroutines_in_traceback(excinfo.tb)
    observe(raised=f"AttributeError: {excinfo.value}"[:160])
    assert sql_log.selects() == []
