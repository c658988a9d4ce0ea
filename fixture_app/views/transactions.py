"""A3's create-in-a-transaction sample, as written and as it works (claims/transactions.toml)."""
from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.http import JsonResponse

from fixture_app.models import Post


# transactions.sample-a3-create-product, as written: atomic() as an async context manager
async def create_post_async_with_atomic(request):
    async with transaction.atomic():
        post = await Post.objects.acreate(title="New post")
    return JsonResponse({"id": post.id})


@sync_to_async
def _create_post_atomically(fail=False):
    with transaction.atomic():
        post = Post.objects.create(title="New post")
        if fail:  # ?fail=1: the block raises after the create, so the create must roll back
            raise ValueError("roll back")
        return post


# ... as it works: the transaction is one sync function, run through sync_to_async
async def create_post_atomic_in_sync_to_async(request):
    post = await _create_post_atomically(fail="fail" in request.GET)
    return JsonResponse({"id": post.id})


# a sync view that reports whether it runs inside a transaction (ATOMIC_REQUESTS wraps it)
def sync_in_atomic_block(request):
    return JsonResponse({"in_atomic_block": connection.in_atomic_block})
