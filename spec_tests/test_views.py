"""Async views as the articles write them: function views, class-based views, generic views.

An ``async def`` function is a view from 3.1, routed like any other and returning an ordinary
response. Class-based views may define ``async def`` handlers only from 4.1: before that
``View`` calls the handler and gets a coroutine back, which Django rejects. Generic views
(ListView, DetailView) call their hooks synchronously on every version, so an ``async def
get_queryset`` hands a coroutine to the template machinery and fails.
"""
import inspect

import pytest

from fixture_app.models import Author, Post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a2-hello-async", "views.sample-a2-hello-urls", "views.routing-same-as-sync",
                              "views.async-def-function-is-view", "views.async-view-returns-plain-response"])
def test_an_async_function_routed_with_path_is_a_view(get):
    """A2 2.1: ``async def hello_async`` routed with ``path('hello/', ...)`` answers, under WSGI
    and ASGI. 3.1+."""
    response = get("/hello/")
    assert response.status_code == 200 and response.content == b"Hello Async World!"


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
@pytest.mark.claims(confirms=["views.sample-a1-async-view", "views.await-inside-async-view"])
def test_sample_async_view_sleeping_two_seconds_returns_its_message(get_asgi, observe):
    """A1's ``async_view`` as written: awaits ``asyncio.sleep(2)`` and returns its JSON. 3.1+."""
    assert get_asgi("/views/async-view/").json() == {"message": "This is an async view!"}


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a4-await-print-wrong", "views.await-on-sync-call-is-error"])
def test_awaiting_print_in_an_async_view_is_a_type_error(get, observe):
    """A4 pitfall 2: ``await print(...)`` raises TypeError (None is not awaitable). 3.1+."""
    with pytest.raises(TypeError, match="can't be used in 'await' expression") as excinfo:
        get("/views/await-print/")
    observe(raised=f"TypeError: {excinfo.value}")


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a4-await-print-correct", "views.sync-call-without-await-fine"])
def test_calling_print_without_await_in_an_async_view_is_fine(get):
    """A4 pitfall 2, fixed: a plain sync call needs no await. 3.1+."""
    assert get("/views/call-print/").content == b"Done"


@pytest.fixture
def ada(transactional_db):
    return Author.objects.create(name="Ada")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["views.cbv-async-handlers", "views.sample-a2-cbv-urls"])
def test_class_based_view_with_an_async_get_works_from_4_1(ada):
    """A2 3.1's ``AsyncUserView`` routed with ``as_view()``: its async ``get`` answers. The
    article says 3.1+; async handlers work from 4.1."""
    from django.test import Client

    assert Client().get(f"/users/{ada.pk}/").json() == {"user": "Ada"}


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


@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.claims(refutes=["views.sample-a2-async-user-view", "views.cbv-async-handlers"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_class_based_view_with_async_handlers_fails_before_4_1(ada, observe):
    """3.1–4.0: ``View`` calls the async ``get`` like a sync method and returns its coroutine:
    ValueError ("didn't return an HttpResponse object")."""
    from django.test import Client

    with pytest.raises(ValueError, match="didn't return an HttpResponse object") as excinfo:
        Client().get(f"/users/{ada.pk}/")
    observe(raised=str(excinfo.value)[:160])


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


def close_coroutines(*values):
    """Close the never-awaited coroutines among ``values`` and their attributes, so Python does
    not warn about them later, during some other test."""
    for value in values:
        for candidate in [value, *getattr(value, "__dict__", {}).values()]:
            if inspect.iscoroutine(candidate):
                candidate.close()


def close_coroutines_in_traceback(tb):
    while tb is not None:
        close_coroutines(*tb.tb_frame.f_locals.values())
        tb = tb.tb_next
