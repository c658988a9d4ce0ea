"""The async ORM: what it offers, what it really does, and the articles' ORM samples.

From Django 4.1 every QuerySet method that runs a query has an ``a``-prefixed twin (``aget``,
``acreate``, ``acount`` ...) and ``async for`` iterates a QuerySet; ``Model.asave()`` and
``adelete()`` follow in 4.2. The twins are thin: each runs the ordinary synchronous ORM code in
a worker thread through ``sync_to_async``, so the query never runs on the event loop's thread,
and it raises what the sync method raises. Before 4.1 none of it exists. There is no
``AsyncQuerySet`` type, a QuerySet cannot be awaited, and there is no ``alist()``.

Harness: ``async def`` tests run on pytest-asyncio's loop on the main thread; ``sql_log``
records every statement with its thread. The sample tests request the fixture app's views
(fixture_app/views/orm.py) through the WSGI and the ASGI test client (``get``); on 3.0, which
has neither async views nor the AsyncClient, through the WSGI client, to show what a sample
labelled "3.0+" does there.
"""
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import NotSupportedError, connection
from django.db.models import Count
from django.db.models.query import QuerySet
from django.db.models.signals import post_save

from fixture_app.models import Post, Tag
from spec_tests.orm_surface import awaitable_orm_interface
from spec_tests.unawaited import close_coroutines_in_traceback

pytestmark = pytest.mark.django_db(transaction=True)


# --------------------------------------------------------------------- the a-methods


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.aget", "orm.async-methods-match-sync", "orm.django-provides-async-queries",
                              "versions.async-orm-api-from-4-1"],
                    refutes=["orm.orm-does-not-support-await"])
async def test_aget_returns_the_object_and_raises_what_get_raises(three_posts):
    """``await qs.aget(...)`` returns the one matching row, and raises ``DoesNotExist`` or
    ``MultipleObjectsReturned`` exactly where ``get()`` would. 4.1+."""
    post = await Post.objects.aget(pk=three_posts[0].pk)
    assert post == three_posts[0]
    with pytest.raises(Post.DoesNotExist):
        await Post.objects.aget(title="no such post")
    with pytest.raises(Post.MultipleObjectsReturned):
        await Post.objects.aget(author=three_posts[0].author)


@pytest.mark.django("<4.1")
@pytest.mark.claims(refutes=["orm.django-provides-async-queries"],
                    confirms=["versions.async-orm-api-from-4-1", "orm.orm-does-not-support-await"])
def test_there_are_no_async_query_methods_before_4_1(observe):
    """Before 4.1 the ORM has nothing async code can await: no coroutine method on QuerySet,
    Manager or Model, no ``__aiter__``, no ``__await__``. Async code must wrap the sync ORM in
    ``sync_to_async``. 3.0–4.0 (from 4.1 ``aget`` and its kin are awaitable: see above)."""
    found = awaitable_orm_interface()
    observe(awaitable=", ".join(found) or "none")
    assert found == []


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.acreate"])
async def test_acreate_inserts_a_row_and_returns_the_saved_instance():
    """``await Model.objects.acreate(...)`` saves and returns the instance, pk set. 4.1+."""
    post = await Post.objects.acreate(title="new")
    assert post.pk is not None
    assert await Post.objects.filter(pk=post.pk, title="new").aexists()


@pytest.mark.django(">=4.2")
@pytest.mark.claims(confirms=["orm.asave"])
async def test_model_asave_writes_the_instance(three_posts):
    """``await instance.asave()`` writes the changed fields. 4.2+ (not 4.1)."""
    post = three_posts[0]
    post.title = "renamed"
    await post.asave()
    assert await Post.objects.filter(title="renamed").acount() == 1


@pytest.mark.django("==4.1")
@pytest.mark.claims(refutes=["orm.asave"])
def test_model_asave_does_not_exist_in_4_1():
    """A2 lists ``asave()`` with the 4.1 async ORM; 4.1 has QuerySet methods only. ``Model.asave``
    arrives in 4.2. Django 4.1."""
    assert not hasattr(Post, "asave")


@pytest.mark.parametrize("relation", [
    pytest.param("confirms", id="4.2+", marks=[pytest.mark.django(">=4.2"), pytest.mark.claims(confirms=["orm.adelete"])]),
    pytest.param("refutes", id="4.1", marks=[pytest.mark.django("==4.1"), pytest.mark.claims(refutes=["orm.adelete"])]),
])
async def test_model_instance_adelete_deletes_its_row_from_4_2(relation, three_posts, observe):
    """``delete()`` exists on QuerySets and on instances. ``await post.adelete()`` deletes the row
    from 4.2; in 4.1 an instance has no ``adelete`` (only the QuerySet has, below)."""
    post = three_posts[0]
    if relation == "refutes":
        assert not hasattr(post, "adelete")
        observe(instance_adelete="missing")
        return
    await post.adelete()
    assert not await Post.objects.filter(pk=three_posts[0].pk).aexists()
    assert await Post.objects.acount() == 2


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.adelete"])
async def test_queryset_adelete_deletes_the_rows(three_posts):
    """``await qs.adelete()`` deletes the rows and returns what ``delete()`` returns. 4.1+."""
    deleted, per_model = await Post.objects.filter(published=True).adelete()
    assert deleted == 2 and per_model["fixture_app.Post"] == 2
    assert await Post.objects.acount() == 1


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.acount", "orm.async-methods-run-sql-in-a-worker-thread"])
async def test_acount_runs_exactly_one_query_and_counts(three_posts, sql_log, observe):
    """``await qs.acount()`` is one ``SELECT COUNT(*)``, like ``count()``. 4.1+."""
    assert await Post.objects.filter(published=True).acount() == 2
    assert len(sql_log) == 1 and "COUNT(" in sql_log[0][0].upper()
    assert sql_log[0][1] != threading.get_ident()  # the worker thread, not the loop's
    observe(sql=sql_log[0][0][:80], thread="worker")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.aexists", "orm.async-methods-match-sync"])
async def test_aexists_afirst_alast_answer_for_no_rows_and_for_rows():
    """On no rows: ``aexists()`` is False, ``afirst()``/``alast()`` are None, ``acount()`` 0, as
    the sync methods answer. Once a row matches: True, that row, 1. 4.1+."""
    matching = Post.objects.filter(title="something").order_by("pk")
    assert await matching.aexists() is False
    assert await matching.afirst() is None and await matching.alast() is None
    assert await matching.acount() == 0
    post = await Post.objects.acreate(title="something")
    assert await matching.aexists() is True
    assert await matching.afirst() == post and await matching.alast() == post
    assert await matching.acount() == 1


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.aget-or-create", "orm.async-methods-match-sync"])
async def test_aget_or_create_and_aupdate_or_create_return_the_object_and_a_created_flag():
    """``aget_or_create`` / ``aupdate_or_create`` return ``(obj, created)``; defaults apply on
    create, and ``aupdate_or_create`` writes them on update. 4.1+."""
    post, created = await Post.objects.aget_or_create(title="t", defaults={"published": True})
    assert created and post.published
    again, created = await Post.objects.aget_or_create(title="t", defaults={"published": False})
    assert not created and again.pk == post.pk and again.published
    updated, created = await Post.objects.aupdate_or_create(title="t", defaults={"published": False})
    assert not created and updated.pk == post.pk
    assert await Post.objects.filter(title="t", published=False).aexists()


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.abulk-create-sets-primary-keys"])
async def test_abulk_create_sets_the_primary_keys(observe):
    """``abulk_create`` returns the objects with their pks set on PostgreSQL and on SQLite 3.35+
    (Django uses RETURNING on both). 4.1+."""
    posts = await Post.objects.abulk_create([Post(title=f"b{i}") for i in range(3)])
    assert all(p.pk is not None for p in posts)
    saved = {title: pk async for title, pk in Post.objects.values_list("title", "pk")}
    assert {p.title: p.pk for p in posts} == saved  # the rows' real keys, each on its object
    observe(pks_set=True, vendor=connection.vendor)


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.async-methods-run-sql-in-a-worker-thread", "orm.orm-core-synchronous"])
async def test_async_orm_queries_run_on_a_worker_thread_not_the_event_loop(three_posts, sql_log, monkeypatch, observe):
    """``aget``/``acount``/``async for`` each run one query, on a worker thread, and they get
    there by calling the synchronous ORM (``get``, ``count``, ``_fetch_all``) in that thread:
    the ORM itself is synchronous, the a-methods wrap it in ``sync_to_async``. 4.1+."""
    sync_calls = []
    for name in ("get", "count", "_fetch_all"):
        def spy(self, *args, _original=getattr(QuerySet, name), _name=name, **kwargs):
            sync_calls.append((_name, threading.get_ident()))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(QuerySet, name, spy)
    loop_thread = threading.get_ident()
    await Post.objects.aget(pk=three_posts[0].pk)
    await Post.objects.acount()
    [p async for p in Post.objects.all()]
    assert len(sql_log) == 3
    assert loop_thread not in sql_log.threads()
    assert {"get", "count", "_fetch_all"} <= {name for name, _ in sync_calls}
    assert {thread for _, thread in sync_calls} == sql_log.threads()  # the sync code ran the SQL
    observe(query_threads=len(sql_log.threads()), loop_thread_ran_sql=False,
            sync_methods_called=", ".join(sorted({name for name, _ in sync_calls})))


@pytest.mark.django(">=4.1")
@pytest.mark.claims(refutes=["orm.signals-not-supported"])
async def test_async_orm_writes_send_the_usual_signals(observe):
    """``acreate()`` sends ``post_save`` like ``create()``: the sync receivers run (in the
    worker thread). 4.1+."""
    received = []

    def receiver(sender, instance, created, **kwargs):
        received.append((instance.title, created))

    post_save.connect(receiver, sender=Post)
    try:
        await Post.objects.acreate(title="signalled")
    finally:
        post_save.disconnect(receiver, sender=Post)
    assert received == [("signalled", True)]
    observe(post_save_received=True)


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.missing-await-gives-coroutine", "orm.missing-await-attribute-error"])
async def test_an_a_method_called_without_await_gives_a_coroutine(three_posts, observe):
    """Forgetting ``await``: ``aget(...)`` returns a coroutine, and reading a field from it is
    an AttributeError naming 'coroutine'. 4.1+."""
    result = Post.objects.aget(pk=three_posts[0].pk)
    try:
        assert type(result).__name__ == "coroutine"
        with pytest.raises(AttributeError, match="'coroutine' object has no attribute 'title'") as excinfo:
            result.title
    finally:
        result.close()  # never awaited: close it so Python does not warn
    observe(raised=str(excinfo.value))


@pytest.mark.django(">=4.1")
@pytest.mark.claims(refutes=["orm.async-queries-depend-on-backend"])
async def test_the_async_orm_runs_on_sqlite_as_on_postgresql(three_posts, observe):
    """The a-methods work on every backend Django ships: they run the backend's sync code in a
    thread, so SQLite is as 'async' as PostgreSQL. 4.1+, both databases."""
    assert await Post.objects.acount() == 3
    observe(vendor=connection.vendor)


# --------------------------------------------------------------------- async iteration


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.async-for-over-queryset"])
async def test_async_for_fetches_all_rows_in_one_query_and_caches_them(three_posts, sql_log):
    """``async for obj in qs`` runs the query once, in a worker thread, fills the QuerySet's cache
    and yields the instances; iterating again runs no new query. 4.1+."""
    posts = Post.objects.all()
    assert [p async for p in posts] == three_posts
    assert [p async for p in posts] == three_posts
    assert len(sql_log.selects()) == 1


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.async-for-over-sliced-queryset"])
async def test_async_for_over_a_sliced_queryset_yields_at_most_the_slice(three_posts):
    """``async for`` over ``qs[:2]`` yields two rows (LIMIT in SQL). 4.1+."""
    assert [p async for p in Post.objects.all()[:2]] == three_posts[:2]


@pytest.mark.django("<4.1")
@pytest.mark.claims(refutes=["orm.async-for-over-queryset"])
async def test_async_for_over_a_queryset_is_a_type_error_before_4_1(observe):
    """Before 4.1 a QuerySet has no ``__aiter__``: ``async for`` raises TypeError. 3.0–4.0."""
    with pytest.raises(TypeError) as excinfo:
        async for _post in Post.objects.all():
            pass  # pragma: no cover - never reached
    observe(raised=f"TypeError: {excinfo.value}")


@pytest.mark.django(">=4.1,<5.0")
@pytest.mark.claims(refutes=["orm.aiterator-prefetch-related"])
async def test_aiterator_after_prefetch_related_raises_not_supported_before_5_0(observe):
    """4.1 and 4.2 refuse ``prefetch_related(...).aiterator()`` with NotSupportedError."""
    with pytest.raises(NotSupportedError) as excinfo:
        [p async for p in Post.objects.prefetch_related("tags").aiterator()]
    observe(raised=str(excinfo.value))


@pytest.mark.django(">=5.0")
@pytest.mark.claims(confirms=["orm.aiterator-prefetch-related"])
async def test_aiterator_prefetches_related_objects_from_5_0(three_posts, sql_log):
    """From 5.0 ``aiterator()`` runs the prefetch per chunk: two queries in all (posts, then
    their tags), not one per post. 5.0+."""
    tag = await sync_to_async(Tag.objects.create)(name="t")
    await sync_to_async(lambda: [p.tags.add(tag) for p in three_posts])()
    sql_log.clear()
    posts = [p async for p in Post.objects.prefetch_related("tags").aiterator()]
    assert [[t.name for t in p.tags.all()] for p in posts] == [["t"]] * 3  # from the prefetch cache
    assert len(sql_log.selects()) == 2


@pytest.mark.parametrize("relation", [
    pytest.param("refutes", marks=[pytest.mark.django(">=4.1,<5.0"),
                                   pytest.mark.claims(refutes=["orm.aggregate-async-only-from-5-0"])], id="4.1-4.2"),
    pytest.param("confirms", marks=[pytest.mark.django(">=5.0"),
                                    pytest.mark.claims(confirms=["orm.aggregate-async-only-from-5-0"])], id="5.0+"),
])
async def test_aaggregate_computes_aggregates_from_4_1(relation, three_posts):
    """``await qs.aaggregate(...)`` works from 4.1 (A2 dates async aggregation to 5.0: wrong for
    4.1 and 4.2, right from 5.0). 4.1+."""
    assert await Post.objects.aaggregate(n=Count("id")) == {"n": 3}


# --------------------------------------------------------------------- types, wrapping


@pytest.mark.claims(refutes=["orm.filter-returns-asyncqueryset", "orm.all-returns-asyncqueryset",
                             "orm.exclude-order-by-return-asyncqueryset"])
async def test_filter_all_exclude_order_by_return_an_ordinary_queryset_in_async_code(observe):
    """There is no AsyncQuerySet: in async code ``filter()``, ``all()``, ``exclude()`` and
    ``order_by()`` return the same ``QuerySet`` type as anywhere else. All versions."""
    chained = [Post.objects.filter(published=True), Post.objects.all(),
               Post.objects.exclude(published=True), Post.objects.order_by("title")]
    assert {type(qs) for qs in chained} == {QuerySet}
    import django.db.models.query as query_module
    assert not hasattr(query_module, "AsyncQuerySet")
    observe(type="django.db.models.query.QuerySet")


@pytest.mark.claims(confirms=["orm.sync-to-async-list-queryset"])
async def test_sync_to_async_list_evaluates_a_queryset_off_the_loop(three_posts, sql_log):
    """``await sync_to_async(list)(qs)`` runs the query in a worker thread and returns a list of
    instances. All versions, 3.0+."""
    posts = await sync_to_async(list)(Post.objects.all())
    assert posts == three_posts
    assert threading.get_ident() not in sql_log.threads()


# --------------------------------------------------------------------- the articles' samples


@pytest.fixture
def author_pk(three_posts):
    return three_posts[0].author_id


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.sample-a0-async-for-view"])
def test_sample_async_for_over_sliced_posts_returns_them_as_json(get, three_posts):
    """A0's view: ``async for`` over ``Post.objects.all()[:10]``, ids and titles as JSON. 4.1+."""
    assert get("/orm/first-ten-posts/").json()["posts"] == [{"id": p.pk, "title": p.title} for p in three_posts]


@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.parametrize("url", [
    pytest.param("/orm/first-ten-posts/", marks=pytest.mark.claims(refutes=["orm.sample-a0-async-for-view"])),
    pytest.param("/orm/count-authors-async-for/",
                 marks=pytest.mark.claims(refutes=["orm.sample-a2-good-view-async-for"])),
    pytest.param("/orm/author-detail/1/", marks=pytest.mark.claims(refutes=["orm.sample-a2-user-detail"])),
])
def test_samples_using_async_for_or_aget_fail_before_4_1(get, url, three_posts, observe):
    """Before 4.1 the samples' ``async for`` is a TypeError and ``aget`` an AttributeError. 3.1–4.0."""
    with pytest.raises((TypeError, AttributeError)) as excinfo:
        get(url)
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}")


@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["orm.sample-a1-async-author-view"])
def test_sample_awaiting_a_queryset_fails_with_type_error(get, three_posts, observe):
    """A1's ``await Author.objects.all()`` is a TypeError on every version (3.1+ for the view)."""
    with pytest.raises(TypeError) as excinfo:
        get("/orm/author-names-awaiting-queryset/")
    observe(raised=f"TypeError: {excinfo.value}")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.async-for-over-queryset"])
def test_sample_awaiting_a_queryset_works_as_an_async_comprehension(get, three_posts):
    """The working form of A1's view: ``[a.name async for a in Author.objects.all()]``. 4.1+."""
    assert get("/orm/author-names/").json() == {"authors": ["Ada"]}


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["orm.sample-a2-sync-view-get"])
def test_sample_sync_view_with_get_says_hello(get, author_pk):
    """A2's sync comparison view works as written, under WSGI and ASGI. 3.1+ (the versions with
    both test clients)."""
    assert get(f"/orm/hello-sync/{author_pk}/").content == b"Hello Ada"


@pytest.mark.django(">=4.1")
@pytest.mark.parametrize("url, body", [
    pytest.param("/orm/hello-async/{}/", b"Hello Ada", id="A2 1.1",
                 marks=pytest.mark.claims(confirms=["orm.sample-a2-async-view-aget"])),
    pytest.param("/orm/hello-with-await/{}/", b"Good!", id="A2 6.3 fixed",
                 marks=pytest.mark.claims(confirms=["orm.sample-a2-missing-await-good-view"])),
])
def test_samples_awaiting_aget_respond(get, author_pk, url, body):
    """A2's ``await User.objects.aget(id=...)`` views respond as written. 4.1+ (A2's comment
    says 3.0+: see the 3.0 test below)."""
    assert get(url.format(author_pk)).content == body


@pytest.mark.django("<3.1")
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.parametrize("url", [
    pytest.param("/orm/hello-async/{}/", id="A2 1.1",
                 marks=pytest.mark.claims(refutes=["orm.sample-a2-async-view-aget"])),
    pytest.param("/orm/hello-with-await/{}/", id="A2 6.3 fixed",
                 marks=pytest.mark.claims(refutes=["orm.sample-a2-missing-await-good-view"])),
    pytest.param("/orm/hello-missing-await/{}/", id="A2 6.3 as written",
                 marks=pytest.mark.claims(refutes=["orm.sample-a2-missing-await-bad-view"])),
    pytest.param("/orm/q3-async/{}/", id="A2 Q3 async",
                 marks=pytest.mark.claims(refutes=["concurrency.sample-q3-single-query-views"])),
])
def test_samples_calling_aget_never_run_on_3_0(author_pk, url, sql_log, observe):
    """A2 labels its ``aget`` view "Django 3.0+". On 3.0 the view never runs: 3.0 has no async
    views, so Django calls the ``async def`` like a sync view and takes the coroutine it gets for
    a response (AttributeError from Django, not from the view's ``user.name``). No query runs,
    and 3.0 has no ``aget`` either. 3.0."""
    from django.test import Client

    with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
        Client().get(url.format(author_pk))
    close_coroutines_in_traceback(excinfo.tb)
    observe(raised=f"AttributeError: {excinfo.value}"[:160])
    assert "'name'" not in str(excinfo.value)
    assert sql_log.selects() == []
    assert not hasattr(QuerySet, "aget")


@pytest.mark.parametrize("relation", [
    pytest.param("confirms", id="4.1+", marks=[
        pytest.mark.django(">=4.1"), pytest.mark.claims(confirms=["concurrency.sample-q3-single-query-views"])]),
    pytest.param("refutes", id="3.1-4.0", marks=[
        pytest.mark.django(">=3.1,<4.1"), pytest.mark.claims(refutes=["concurrency.sample-q3-single-query-views"])]),
])
def test_sample_q3_pair_returns_the_name_as_json_from_both_views(relation, get, author_pk, observe):
    """A2 Q3's single-query pair (``aget`` in an async view, ``get`` in a sync one), both giving
    the user's name as JSON. The sync half works on every version; the async half from 4.1 (the
    manager has no ``aget`` before). 3.1+; 3.0 is in the test above."""
    assert get(f"/orm/q3-sync/{author_pk}/").json() == {"user": "Ada"}
    if relation == "confirms":
        assert get(f"/orm/q3-async/{author_pk}/").json() == {"user": "Ada"}
        return
    with pytest.raises(AttributeError, match="no attribute 'aget'") as excinfo:
        get(f"/orm/q3-async/{author_pk}/")
    observe(raised=f"AttributeError: {excinfo.value}")


@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.parametrize("url", [
    pytest.param("/orm/hello-async/{}/", marks=pytest.mark.claims(refutes=["orm.sample-a2-async-view-aget"])),
    pytest.param("/orm/hello-with-await/{}/", marks=pytest.mark.claims(refutes=["orm.sample-a2-missing-await-good-view"])),
    pytest.param("/orm/hello-missing-await/{}/", marks=pytest.mark.claims(refutes=["orm.sample-a2-missing-await-bad-view"])),
])
def test_samples_calling_aget_fail_before_4_1_with_or_without_await(get, author_pk, url, observe):
    """Before 4.1 the manager has no ``aget``: each of A2's ``aget`` samples fails at that call,
    with an AttributeError naming ``aget``, await or not. 3.1–4.0."""
    with pytest.raises(AttributeError, match="no attribute 'aget'") as excinfo:
        get(url.format(author_pk))
    observe(raised=f"AttributeError: {excinfo.value}")


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.sample-a2-user-detail"])
def test_sample_user_detail_returns_the_author_and_their_posts(get, author_pk):
    """A2's detail view: ``aget`` then ``async for`` over a filter on the object. 4.1+."""
    data = get(f"/orm/author-detail/{author_pk}/").json()
    assert data["author"] == {"id": author_pk, "name": "Ada"}
    assert [p["title"] for p in data["posts"]] == ["post 0", "post 1", "post 2"]
    assert all(isinstance(p["created_at"], str) and p["created_at"][:2] == "20" for p in data["posts"])


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.sample-a2-good-view-async-for"])
def test_sample_counting_with_async_for_returns_the_count(get, three_posts):
    """A2's pitfall-1 solution 1: collect with ``async for``, return the count. 4.1+."""
    assert get("/orm/count-authors-async-for/").json() == {"count": 1}


@pytest.mark.django(">=3.1")
@pytest.mark.parametrize("url", [
    pytest.param("/orm/count-authors-sync-to-async-list/",
                 marks=pytest.mark.claims(confirms=["orm.sample-a2-good-view-sync-to-async-list"])),
    pytest.param("/orm/count-authors-decorated-helper/",
                 marks=pytest.mark.claims(confirms=["orm.sample-a2-get-users-decorated"])),
])
def test_samples_listing_through_sync_to_async_return_the_count(get, three_posts, url):
    """A2's ``sync_to_async(list)(qs)`` and ``@sync_to_async`` helper returning a list work on
    every version with async views (3.1+)."""
    assert get(url).json() == {"count": 1}


@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["orm.sample-a2-q4-async-view2"])
def test_sample_that_returns_nothing_is_an_error(get, three_posts, observe):
    """A2's Q4 ``async_view2`` loads the rows and returns nothing: Django raises ValueError
    ("didn't return an HttpResponse object"). 3.1+."""
    with pytest.raises(ValueError, match="didn't return an HttpResponse object") as excinfo:
        get("/orm/load-authors-without-response/")
    observe(raised=str(excinfo.value))


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["orm.sample-a2-missing-await-bad-view"])
def test_sample_missing_await_fails_with_attribute_error(get, author_pk, observe):
    """A2's pitfall 3 as written: ``aget`` without ``await``, then ``user.name``: AttributeError
    on the coroutine. 4.1+."""
    with pytest.raises(AttributeError, match="'coroutine' object has no attribute 'name'") as excinfo:
        get(f"/orm/hello-missing-await/{author_pk}/")
    observe(raised=str(excinfo.value))
    close_coroutines_in_traceback(excinfo.tb)



@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["orm.sample-a3-product-list"])
def test_sample_calling_alist_fails_with_attribute_error(get, three_posts, observe):
    """A3's ``await Product.objects.all().alist()``: there is no ``alist``. 3.1+."""
    with pytest.raises(AttributeError, match="alist") as excinfo:
        get("/orm/post-list-alist/")
    observe(raised=str(excinfo.value))
