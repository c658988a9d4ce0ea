"""Which Django release brought what: the articles' version tables, checked on each release.

Each test looks at the installed Django only: does an ``async def`` view answer, does the ORM
have its async methods, is there an ASGI entry point. A claim about one row of a table is
checked on the releases that row names and is n/a on the others. Across the matrix the answers
read: ASGI from 3.0, async views from 3.1 (3.0 has none, not even experimental ones), the async
ORM API from 4.1 (nothing "partial" before it), and still no async transactions, so "complete
from 4.1" is wrong on every release.
"""
import pytest

from spec_tests.orm_surface import awaitable_orm_interface

pytestmark = pytest.mark.django_db(transaction=True)


def async_views_work():
    """Does an ``async def`` view answer through Django's test client (WSGI path)?"""
    import warnings

    from django.test import Client

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 3.0: "coroutine ... was never awaited"
        try:
            return Client().get("/hello/").content == b"Hello Async World!"
        except AttributeError:  # 3.0 takes the coroutine for a response
            return False


@pytest.mark.no_database
@pytest.mark.claims(confirms=["versions.asgi-from-3-0"])
def test_every_release_ships_an_asgi_application_entry_point():
    """A2 1.2: ASGI arrived in 3.0. Every release of the matrix, 3.0 included, has
    ``django.core.asgi.get_asgi_application`` returning an ASGI handler."""
    from django.core.asgi import get_asgi_application
    from django.core.handlers.asgi import ASGIHandler

    assert isinstance(get_asgi_application(), ASGIHandler)


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["versions.async-views-from-3-1"])
def test_async_function_views_answer_from_3_1():
    """A1, A2 1.2, A4: async views start with 3.1. They answer here. 3.1+."""
    assert async_views_work()


@pytest.mark.no_database
@pytest.mark.django("<3.1")
@pytest.mark.claims(confirms=["versions.async-views-from-3-1"], refutes=["versions.async-views-from-3-0", "versions.table-row-3-0"])
def test_django_3_0_has_no_async_views_not_even_experimental_ones():
    """A2's table puts experimental async views in 3.0; another article says 3.0 supports them.
    In 3.0 an ``async def`` view fails every request (see test_views), which is what "from 3.1"
    says. 3.0."""
    assert not async_views_work()


@pytest.mark.no_database
@pytest.mark.django("==3.1")
@pytest.mark.claims(confirms=["versions.table-row-3-1"])
def test_django_3_1_has_async_views_and_no_async_orm():
    """A2's 3.1 row: stable async views, no async ORM. 3.1."""
    assert async_views_work() and awaitable_orm_interface() == []


@pytest.mark.no_database
@pytest.mark.django(">=3.2,<4.1")
@pytest.mark.claims(refutes=["versions.table-row-3-2-to-4-0"])
def test_django_3_2_to_4_0_have_no_partial_async_orm(observe):
    """A2's row for 3.2–4.0 says the ORM is partly async. It has no async method at all; an
    async view has to wrap every query in ``sync_to_async``. 3.2–4.0."""
    found = awaitable_orm_interface()
    observe(async_orm_methods=len(found))
    assert async_views_work() and found == []


@pytest.mark.django("==4.0")
@pytest.mark.claims(refutes=["versions.async-db-queries-from-4-0"])
def test_django_4_0_has_no_awaitable_queries():
    """A1 dates awaitable queries to 4.0 (on PostgreSQL and the like). 4.0 has none, on any
    database; they arrive in 4.1. 4.0."""
    assert awaitable_orm_interface() == []


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["versions.async-db-queries-from-4-0"])
def test_awaitable_queries_exist_from_4_1_on_every_database(observe):
    """From 4.1 the QuerySet has its async methods, on SQLite as on PostgreSQL (the claim's
    "from 4.0" is refuted on 4.0 itself). 4.1+."""
    found = awaitable_orm_interface()
    observe(async_queryset_methods=sum(name.startswith("QuerySet.") for name in found))
    assert {f"QuerySet.{name}" for name in ("aget", "acreate", "acount", "aexists", "aiterator", "__aiter__")} <= set(found)


@pytest.mark.no_database
@pytest.mark.django(">=4.1")
@pytest.mark.claims(refutes=["versions.table-row-4-1-plus"])
def test_the_async_orm_is_not_complete_on_any_release_from_4_1(observe):
    """A2's last row: the async ORM is complete from 4.1. Transactions have no async API on any
    release (no ``aatomic``, and ``atomic`` refuses to run on the loop: see test_transactions),
    and in 4.1 models also lack ``asave``/``adelete`` (4.2). 4.1+."""
    from django.db import models, transaction

    missing = [name for name, owner in (("aatomic", transaction), ("asave", models.Model), ("adelete", models.Model))
               if not hasattr(owner, name)]
    observe(missing=", ".join(missing))
    assert "aatomic" in missing


@pytest.mark.no_database
@pytest.mark.claims(refutes=["versions.python-3-7-required"])
@pytest.mark.django(">=3.1,<4.0")
def test_django_3_1_and_3_2_declare_python_3_6_support(observe):
    """A1 and A4: async views need Python 3.7+. Django 3.1 and 3.2, which have async views,
    declare Python 3.6 support in their package metadata and put no Python floor on async views.
    (From 4.0 Django needs 3.8, so the claim no longer applies.) 3.1–3.2; Python 3.6 itself
    cannot run here."""
    from importlib.metadata import metadata

    from packaging.specifiers import SpecifierSet

    requires = metadata("django")["Requires-Python"]
    observe(requires_python=requires)
    assert "3.6" in SpecifierSet(requires)
