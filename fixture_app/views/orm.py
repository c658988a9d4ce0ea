"""The articles' async-ORM samples, as written (same shape, our models) and as they work.

Models: the articles' ``User`` with a ``name`` is our ``Author``; their ``Product`` and ``Post``
are our ``Post``. Each view names the claim (claims/orm.toml) that its test links.
"""
from asgiref.sync import sync_to_async
from django.http import HttpResponse, JsonResponse

from fixture_app.models import Author, Post


# orm.sample-a0-async-for-view: async for over a sliced queryset, ids and titles as JSON
async def first_ten_posts(request):
    posts = []
    async for post in Post.objects.all()[:10]:
        posts.append({"id": post.id, "title": post.title})
    return JsonResponse({"posts": posts})


# orm.sample-a1-async-author-view, as written: awaits the QuerySet itself
async def author_names_awaiting_queryset(request):
    authors = await Author.objects.all()
    return JsonResponse({"authors": [author.name for author in authors]})


# ... and as it works: a list comprehension with async for (Django 4.1+)
async def author_names(request):
    return JsonResponse({"authors": [author.name async for author in Author.objects.all()]})


# orm.sample-a2-sync-view-get: the sync comparison view
def hello_sync(request, pk):
    author = Author.objects.get(id=pk)
    return HttpResponse(f"Hello {author.name}")


# orm.sample-a2-async-view-aget: the same with aget
async def hello_async(request, pk):
    author = await Author.objects.aget(id=pk)
    return HttpResponse(f"Hello {author.name}")


# concurrency.sample-q3-single-query-views: one aget in an async view, the user's name as JSON
async def q3_async_user(request, pk):
    author = await Author.objects.aget(id=pk)
    return JsonResponse({"user": author.name})


# ... and its sync twin with get
def q3_sync_user(request, pk):
    author = Author.objects.get(id=pk)
    return JsonResponse({"user": author.name})


# orm.sample-a2-user-detail: aget, then async for over a filter on the fetched object
async def author_detail(request, pk):
    author = await Author.objects.aget(id=pk)
    posts = []
    async for post in Post.objects.filter(author=author):
        posts.append({"title": post.title, "created_at": post.created_at})
    return JsonResponse({"author": {"id": author.id, "name": author.name}, "posts": posts})


# orm.sample-a2-good-view-async-for: collect with async for, return the count
async def count_authors_async_for(request):
    authors = []
    async for author in Author.objects.all():
        authors.append(author)
    return JsonResponse({"count": len(authors)})


# orm.sample-a2-good-view-sync-to-async-list: evaluate with sync_to_async(list)
async def count_authors_sync_to_async_list(request):
    authors = await sync_to_async(list)(Author.objects.all())
    return JsonResponse({"count": len(authors)})


# orm.sample-a2-q4-async-view2, as written: the sample loads the rows and stops there
async def load_authors_without_response(request):
    authors = await sync_to_async(list)(Author.objects.all())  # noqa: F841 - as written


@sync_to_async
def _all_authors():
    return list(Author.objects.all())


# orm.sample-a2-get-users-decorated: a decorated helper that returns a list
async def count_authors_decorated_helper(request):
    authors = await _all_authors()
    return JsonResponse({"count": len(authors)})


# orm.sample-a2-missing-await-bad-view, as written: aget without await
async def hello_missing_await(request, pk):
    author = Author.objects.aget(id=pk)
    print(author.name)
    return HttpResponse("Bad!")


# orm.sample-a2-missing-await-good-view: the same with await
async def hello_with_await(request, pk):
    author = await Author.objects.aget(id=pk)
    print(author.name)
    return HttpResponse("Good!")


# orm.sample-a3-product-list, as written: QuerySet.alist()
async def post_list_alist(request):
    posts = await Post.objects.all().alist()
    return JsonResponse({"posts": list(posts)})
