"""Transactions in async code: what works and what the articles claim.

``transaction.atomic`` is synchronous on every version: it has no ``async with`` form (see
test_api_availability), and entering it on the event loop's thread raises
SynchronousOnlyOperation, because opening a transaction talks to the database. What works is
Django's documented pattern: put the whole transaction in one sync function and call it with
``sync_to_async``. Async views also cannot use ``ATOMIC_REQUESTS``.
"""
import sys

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection, transaction

from fixture_app.models import Post
from spec_tests.unawaited import close_coroutines_in_traceback

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("relation", [
    pytest.param("confirms", id="4.1", marks=[
        pytest.mark.django("==4.1"),
        pytest.mark.claims(confirms=["transactions.atomic-unsupported-in-async-orm-4-1"])]),
    pytest.param("refutes", id="4.2+", marks=[
        pytest.mark.django(">=4.2"),
        pytest.mark.claims(refutes=["transactions.atomic-partial-from-4-2"])]),
])
async def test_entering_atomic_on_the_event_loop_thread_raises_soo(relation, observe):
    """``with transaction.atomic():`` in async code raises SynchronousOnlyOperation before the
    block runs: there is no transaction for async ORM calls to join, in 4.1 as in every later
    release (A2 says "partly supported from 4.2"). Nor is there an async form to use instead:
    no ``aatomic``, and ``atomic()`` is no async context manager. 4.1 and 4.2+ alike."""
    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        with transaction.atomic():
            pass  # pragma: no cover - never reached
    observe(raised=str(excinfo.value))
    assert not hasattr(transaction, "aatomic")
    assert not hasattr(transaction.atomic(), "__aenter__")
    assert not connection.in_atomic_block


def create_two_posts(fail):
    with transaction.atomic():
        Post.objects.create(title="one")
        Post.objects.create(title="two")
        if fail:
            raise ValueError("roll back")


@pytest.mark.claims(confirms=["transactions.atomic-works-inside-sync-to-async"])
async def test_a_sync_function_with_atomic_called_through_sync_to_async_commits_or_rolls_back():
    """The documented way: the transaction is one sync function run by ``sync_to_async``. It
    commits both rows, or none when the block raises. All versions (3.0+)."""
    with pytest.raises(ValueError):
        await sync_to_async(create_two_posts)(fail=True)
    assert await sync_to_async(Post.objects.count)() == 0
    await sync_to_async(create_two_posts)(fail=False)
    assert await sync_to_async(Post.objects.count)() == 2


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["transactions.async-views-change-transaction-handling"])
def test_atomic_requests_is_refused_for_async_views(get, monkeypatch, observe):
    """With ``ATOMIC_REQUESTS = True`` a sync view runs inside a transaction; an async view is an
    error: RuntimeError "You cannot use ATOMIC_REQUESTS with async views." Same setting, same
    client, two behaviours. 3.1+."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    assert get("/transactions/sync-in-atomic-block/").json() == {"in_atomic_block": True}
    with pytest.raises(RuntimeError, match="ATOMIC_REQUESTS") as excinfo:
        get("/transactions/atomic-in-sync-to-async/")
    observe(sync_view="runs in a transaction", raised=str(excinfo.value))


@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["transactions.sample-a3-create-product"])
def test_sample_async_with_atomic_fails_before_creating_anything(get, observe):
    """A3's ``async with transaction.atomic():`` view fails at the ``async with`` (AttributeError
    up to Python 3.10, TypeError from 3.11) and creates nothing. 3.1+."""
    expected = TypeError if sys.version_info >= (3, 11) else AttributeError
    with pytest.raises(expected) as excinfo:
        get("/transactions/async-with-atomic/")
    assert Post.objects.count() == 0
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}")


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["transactions.atomic-works-inside-sync-to-async"])
def test_sample_with_the_transaction_in_sync_to_async_creates_the_post(get):
    """The working form of A3's view: the atomic block in a ``@sync_to_async`` function. It
    commits the post; with the block raising after the create, nothing is left. 3.1+."""
    post_id = get("/transactions/atomic-in-sync-to-async/").json()["id"]
    assert Post.objects.filter(pk=post_id).exists()
    with pytest.raises(ValueError, match="roll back"):
        get("/transactions/atomic-in-sync-to-async/?fail=1")
    assert list(Post.objects.values_list("pk", flat=True)) == [post_id]


@pytest.mark.django("<3.1")
@pytest.mark.claims(refutes=["transactions.atomic-works-inside-sync-to-async"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_django_3_0_never_runs_the_async_view_with_the_transaction(observe):
    """The same view on 3.0, which has no async views: Django takes the coroutine for a
    response (AttributeError) and the body never runs, so nothing is created. The pattern works
    on 3.0 only from other async code (the coroutine test above). 3.0."""
    from django.test import Client

    with pytest.raises(AttributeError, match="'coroutine' object has no attribute") as excinfo:
        Client().get("/transactions/atomic-in-sync-to-async/")
    close_coroutines_in_traceback(excinfo.tb)
    observe(raised=f"AttributeError: {excinfo.value}"[:160])
    assert not Post.objects.exists()
