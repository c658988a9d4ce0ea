"""Async QuerySet methods return what their sync twins return, for generated data and queries.

Hypothesis generates a table of posts and a query (a filter, an ordering, maybe a slice); each
test runs one sync method and its a-twin on the same rows and the same query and compares the
outcomes: the same value, or the same exception type. The sync side runs in a worker thread
through ``sync_to_async`` (the ORM is sync-only on the loop's thread). Examples per test: 20 in
CI, reproducible (profile "ci"); ``DJSPEC_HYPOTHESIS_PROFILE=deep`` runs 300 random ones.
Django 4.1+ (the a-methods), on SQLite and PostgreSQL.
"""
import pytest
from asgiref.sync import sync_to_async
from django.db.models import Count, Max
from hypothesis import given
from hypothesis import strategies as st

from fixture_app.models import Post

pytestmark = [
    pytest.mark.django(">=4.1"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.claims(confirms=["orm.async-methods-match-sync"]),
]

ROWS = st.lists(st.tuples(st.sampled_from(["apple", "avocado", "banana", "cherry"]), st.booleans()), max_size=8)
QUERIES = st.fixed_dictionaries({
    "published": st.sampled_from([None, True, False]),
    "prefix": st.sampled_from(["", "a", "b", "z"]),
    "order": st.sampled_from([("id",), ("-id",), ("title", "id"), ("-title", "-id"), ("published", "id")]),
    "slice": st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(0, 6))),
})


def queryset(query):
    qs = Post.objects.all()
    if query["published"] is not None:
        qs = qs.filter(published=query["published"])
    if query["prefix"]:
        qs = qs.filter(title__startswith=query["prefix"])
    qs = qs.order_by(*query["order"])
    if query["slice"]:
        start, stop = query["slice"]
        qs = qs[start:max(start, stop)]
    return qs


def plain(value):
    """Instances as their pk, containers element-wise: comparable across the two calls."""
    if isinstance(value, Post):
        return ("Post", value.pk)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def reset(rows):
    Post.objects.all().delete()
    Post.objects.bulk_create([Post(title=title, published=published) for title, published in rows])


async def outcome(call):
    try:
        return ("value", plain(await call()))
    except Exception as exc:  # the same exception type on both sides is equivalence too
        return ("raised", type(exc).__name__)


async def async_list(qs):
    return [obj async for obj in qs]


async def async_titles(qs):
    return [title async for title in qs.values_list("title", flat=True)]


# name: (sync call, async call) on a QuerySet
METHODS = {
    "iterate": (list, async_list),
    "values_list": (lambda qs: list(qs.values_list("title", flat=True)), async_titles),
    "count": (lambda qs: qs.count(), lambda qs: qs.acount()),
    "exists": (lambda qs: qs.exists(), lambda qs: qs.aexists()),
    "first": (lambda qs: qs.first(), lambda qs: qs.afirst()),
    "last": (lambda qs: qs.last(), lambda qs: qs.alast()),
    "get": (lambda qs: qs.get(), lambda qs: qs.aget()),
    "aggregate": (lambda qs: qs.aggregate(n=Count("id"), top=Max("title")),
                  lambda qs: qs.aaggregate(n=Count("id"), top=Max("title"))),
    "in_bulk": (lambda qs: qs.in_bulk(), lambda qs: qs.ain_bulk()),
    "latest": (lambda qs: qs.latest("id"), lambda qs: qs.alatest("id")),
}


@pytest.mark.parametrize("sync_call, async_call", METHODS.values(), ids=METHODS.keys())
@given(rows=ROWS, query=QUERIES)
async def test_async_read_method_returns_what_the_sync_method_returns(sync_call, async_call, rows, query):
    """For any rows and any query: ``await qs.aX()`` gives ``qs.X()``'s value, or raises the same
    exception type (``DoesNotExist`` from ``aget`` on no rows, TypeError on a sliced ``alast``)."""
    await sync_to_async(reset)(rows)
    expected = await outcome(sync_to_async(lambda: sync_call(queryset(query))))
    assert await outcome(lambda: async_call(queryset(query))) == expected


@given(rows=ROWS, query=QUERIES, published=st.booleans())
async def test_aupdate_changes_the_rows_update_would_change(rows, query, published):
    """``aupdate`` returns the number of rows changed and changes the same rows as ``update``:
    run each on a fresh copy of the same table and compare the tables afterwards."""
    query = dict(query, slice=None)  # update() refuses sliced querysets (both forms)

    def table():
        return sorted(Post.objects.values_list("title", "published"))

    await sync_to_async(reset)(rows)
    expected_count = await sync_to_async(lambda: queryset(query).update(published=published))()
    expected_table = await sync_to_async(table)()
    await sync_to_async(reset)(rows)
    assert await queryset(query).aupdate(published=published) == expected_count
    assert await sync_to_async(table)() == expected_table
