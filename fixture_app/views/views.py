"""The articles' view samples (claims/views.toml), as written with our models (their User with a
``name`` is our Author), next to the working form where the written one fails."""
import asyncio
import os
import tempfile
import threading

import aiofiles
import httpx
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import render
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, ListView

from fixture_app.models import Author, Comment, Notification, Order, Post


# views.sample-a2-hello-async
async def hello_async(request):
    return HttpResponse("Hello Async World!")


# views.sample-a1-async-view: waits with asyncio.sleep (2 s in the article; ?s= here)
async def async_view(request):
    await asyncio.sleep(float(request.GET.get("s", "2")))
    return JsonResponse({"message": "This is an async view!"})


# views.sample-a4-await-print-wrong, as written
async def await_print(request):
    await print("Hello")
    return HttpResponse("Done")


# views.sample-a4-await-print-correct
async def call_print(request):
    print("Hello")
    return HttpResponse("Done")


# views.sample-a2-async-user-view: a View with async get and post
class AsyncUserView(View):
    async def get(self, request, user_id):
        user = await Author.objects.aget(id=user_id)
        return JsonResponse({"user": user.name})

    async def post(self, request, user_id):
        user = await Author.objects.aget(id=user_id)
        user.name = request.POST.get("name")
        await user.asave()
        return JsonResponse({"success": True})


# views.sample-a2-async-post-list-view, as written: an async get_queryset on a ListView
class AsyncPostListView(ListView):
    model = Post
    template_name = "posts/list.html"

    async def get_queryset(self):
        posts = []
        async for post in Post.objects.filter(published=True):
            posts.append(post)
        return posts


# views.sample-a2-async-post-detail-view, as written: an async get_object on a DetailView
class AsyncPostDetailView(DetailView):
    model = Post
    template_name = "posts/detail.html"

    async def get_object(self, queryset=None):
        post_id = self.kwargs.get("pk")
        return await Post.objects.aget(id=post_id)


# ----------------------------------------------------------------- which thread runs a view


def _where():
    try:
        asyncio.get_running_loop()
        loop = True
    except RuntimeError:
        loop = False
    return {"thread": threading.current_thread().name, "thread_id": threading.get_ident(), "running_loop": loop}


def where_sync(request):
    return JsonResponse(_where())


async def where_async(request):
    return JsonResponse(_where())


# views.view-takes-request-returns-response: a view returning something else than a response
def returns_a_dict_sync(request):
    return {"not": "a response"}


async def returns_a_dict_async(request):
    return {"not": "a response"}


# views.async-call-requires-await: a helper coroutine called with and without await
async def _mark_done(box):
    box.append("ran")
    return "result"


async def call_without_await(request):
    box = []
    returned = _mark_done(box)
    kind = type(returned).__name__
    returned.close()  # never awaited: close it so Python does not warn
    return JsonResponse({"returned": kind, "body_ran": bool(box)})


async def call_with_await(request):
    box = []
    returned = await _mark_done(box)
    return JsonResponse({"returned": returned, "body_ran": bool(box)})


# views.render-in-async-view: render() with fetched objects (A2 6.4) or a lazy QuerySet (preface).
# The rows are fetched off the loop with sync_to_async, which every release with async views has
# (A2 6.4's own ``async for`` needs 4.1: see views.sample-a2-overuse-bad-list-view).
async def render_fetched_posts(request):
    posts = await sync_to_async(list)(Post.objects.all())
    return render(request, "posts/plain_list.html", {"posts": posts})


async def render_lazy_queryset(request):
    return render(request, "posts/plain_list.html", {"posts": Post.objects.all()})


# views.sample-a2-async-to-sync-view, as written (the URL comes from ?url=, a local server)
async def async_fetch_data(url):
    import aiohttp  # here, not at the top: see fixture_app/views/concurrency.py's docstring

    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            return await response.json()


def sync_view(request):
    data = async_to_sync(async_fetch_data)(request.GET["url"])
    return JsonResponse(data)


# views.sample-a2-async-user-detail-errors, as written (Post's author is their post's user)
async def async_user_detail(request, user_id):
    try:
        user = await Author.objects.aget(id=user_id)
        posts, comments = await asyncio.gather(
            Post.objects.filter(author=user).acount(),
            Comment.objects.filter(user=user).acount(),
            return_exceptions=True,
        )
        if isinstance(posts, Exception):
            posts = 0
        if isinstance(comments, Exception):
            comments = 0
        return JsonResponse({"user": user.name, "posts": posts, "comments": comments})
    except ObjectDoesNotExist:
        return HttpResponseNotFound("User not found")
    except Exception as e:
        return JsonResponse({"error": str(e)}, status=500)


# views.error-handling-like-sync: the not-found error of an awaited lookup caught with try/except,
# in an async view, next to the same lookup caught in a sync view; and an uncaught Http404 from both
def lookup_author_sync(request, pk):
    try:
        author = Author.objects.get(pk=pk)
    except ObjectDoesNotExist:
        return HttpResponseNotFound("no such author")
    return JsonResponse({"name": author.name})


async def lookup_author_async(request, pk):
    try:
        author = await sync_to_async(Author.objects.get)(pk=pk)
    except ObjectDoesNotExist:
        return HttpResponseNotFound("no such author")
    return JsonResponse({"name": author.name})


def raise_404_sync(request):
    raise Http404("no such thing")


async def raise_404_async(request):
    raise Http404("no such thing")


# views.sample-a2-overuse-bad-list-view, as written
async def bad_list_view(request):
    posts = []
    async for post in Post.objects.all():
        posts.append(post)
    return render(request, "posts/plain_list.html", {"posts": posts})


# views.sample-a2-overuse-good-list-view, as written
def good_list_view(request):
    posts = Post.objects.all()
    return render(request, "posts/plain_list.html", {"posts": posts})


# views.sample-a2-dashboard-api, as written: the user comes from request.user
async def user_dashboard_api(request):
    return await _dashboard(request.user.id)


# ... and as it works: request.user loaded off the event loop (request.auser() from 5.0)
async def user_dashboard_api_working(request):
    user_id = await sync_to_async(lambda: request.user.id)()
    return await _dashboard(user_id)


async def _dashboard(user_id):
    results = await asyncio.gather(
        Author.objects.aget(id=user_id),
        Order.objects.filter(user_id=user_id).acount(),
        Order.objects.filter(user_id=user_id, status="pending").acount(),
        Notification.objects.filter(user_id=user_id, read=False).acount(),
        get_recent_orders(user_id),
    )
    user, total_orders, pending_orders, unread_notifications, recent_orders = results
    return JsonResponse({
        "user": {"id": user.id, "name": user.name, "email": user.email},
        "stats": {"total_orders": total_orders, "pending_orders": pending_orders,
                  "unread_notifications": unread_notifications},
        "recent_orders": recent_orders,
    })


async def get_recent_orders(user_id, limit=5):
    orders = []
    async for order in Order.objects.filter(user_id=user_id).order_by("-created_at")[:limit]:
        orders.append({"id": order.id, "total": float(order.total), "status": order.status,
                       "created_at": order.created_at.isoformat()})
    return orders


# views.sample-a2-file-upload, as written, but the file goes to UPLOAD_DIR instead of /tmp
UPLOAD_DIR = os.path.join(tempfile.gettempdir(), "djspec-uploads")


@csrf_exempt
async def async_file_upload(request):
    if request.method != "POST":
        return JsonResponse({"error": "Method not allowed"}, status=405)
    file = request.FILES.get("file")
    if not file:
        return JsonResponse({"error": "No file provided"}, status=400)
    os.makedirs(UPLOAD_DIR, exist_ok=True)
    file_path = os.path.join(UPLOAD_DIR, file.name)
    async with aiofiles.open(file_path, "wb") as f:
        for chunk in file.chunks():
            await f.write(chunk)
    results = await asyncio.gather(
        analyze_file(file_path), generate_thumbnail(file_path), upload_to_s3(file_path),
    )
    analysis, thumbnail, s3_url = results
    return JsonResponse({"success": True, "file_path": file_path, "analysis": analysis,
                         "thumbnail": thumbnail, "s3_url": s3_url})


async def analyze_file(file_path):
    await asyncio.sleep(0.05)  # 0.5 s in the article: the waits belong to the concurrency topic
    return {"type": "image", "size": 1024}


async def generate_thumbnail(file_path):
    await asyncio.sleep(0.03)
    return "/thumbnails/thumb.jpg"


async def upload_to_s3(file_path):
    await asyncio.sleep(0.04)
    return "https://s3.amazonaws.com/bucket/file.jpg"


# views.aiofiles-write-in-async-view: A2 7.3's aiofiles write of the upload's chunks, in an async
# view without the sample's @csrf_exempt (which breaks async views before 5.0)
async def aiofiles_upload(request):
    file = request.FILES["file"]
    file_path = os.path.join(UPLOAD_DIR, file.name)
    async with aiofiles.open(file_path, "wb") as f:
        for chunk in file.chunks():
            await f.write(chunk)
    return JsonResponse({"file_path": file_path, **_where()})


# views.request-files-in-async-view: where Django parses the upload of an async view
async def upload_parsed_where(request):
    file = request.FILES["file"]
    return JsonResponse({"size": file.size, **_where()})


# views.sample-a3-httpx-async-view, as written (the URL comes from ?url=, a local server)
async def httpx_async_view(request):
    async with httpx.AsyncClient() as client:
        response = await client.get(request.GET["url"])
        data = response.json()
    return JsonResponse(data)


# views.sample-a3-user-count-view, as written
@sync_to_async
def get_users_count():
    return User.objects.count()


async def user_count_view(request):
    count = await get_users_count()
    return JsonResponse({"count": count})


# views.sample-a4-my-view: the sample laid out on three lines, with a stand-in task
async def some_async_task():
    await asyncio.sleep(0)


async def my_view(request):
    await some_async_task()
    return HttpResponse("Done")


# views.jsonresponse-needs-plain-data: model instances vs values (sync views: the rule is the
# serialiser's, the same for both kinds)
def json_of_instances(request):
    return JsonResponse({"authors": list(Author.objects.all())})


def json_of_values(request):
    return JsonResponse({"authors": list(Author.objects.values("id", "name"))})


# views.streaming-response-async-iterator: a StreamingHttpResponse fed by an async generator
async def _chunks():
    for i in range(3):
        await asyncio.sleep(0)
        yield f"chunk {i}\n"


async def stream_async_iterator(request):
    from django.http import StreamingHttpResponse

    return StreamingHttpResponse(_chunks())
