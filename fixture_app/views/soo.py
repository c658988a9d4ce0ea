"""Async views that touch the ORM: the articles' patterns as written, and as they work.

Each "as written" view keeps the shape of an article's sample (see the claim it is linked to in
claims/soo.toml); each "as it works" view is the smallest change that makes it correct.
"""
from asgiref.sync import sync_to_async
from django.http import JsonResponse

from fixture_app.models import Post


# seed 002 §6.1 (pitfall 1), as written: the sync ORM evaluated inside an async view
async def count_posts_sync_orm(request):
    posts = Post.objects.all()
    return JsonResponse({"count": len(posts)})


# seed 002 §6.1, solution 2, and seed 004 "Common Pitfalls #1": evaluate in a worker thread
async def count_posts_sync_to_async(request):
    posts = await sync_to_async(list)(Post.objects.all())
    return JsonResponse({"count": len(posts)})


def _all_posts():
    return Post.objects.all()  # returns a lazy QuerySet: nothing has run yet


# seed 002 §4.3 and Q4, as written: the helper returns the QuerySet itself, and the async view
# evaluates it (len) after sync_to_async has returned
async def count_posts_lazy_queryset(request):
    posts = await sync_to_async(_all_posts)()
    return JsonResponse({"count": len(posts)})


# seed 003, as written: a decorated helper that returns a number, not a QuerySet
@sync_to_async
def _count_posts():
    return Post.objects.count()


async def count_posts_decorated_helper(request):
    return JsonResponse({"count": await _count_posts()})
