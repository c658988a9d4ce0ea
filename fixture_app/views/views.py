"""The articles' view samples (claims/views.toml), as written with our models (their User with a
``name`` is our Author), next to the working form where the written one fails."""
import asyncio

from django.http import HttpResponse, JsonResponse
from django.views import View
from django.views.generic import DetailView, ListView

from fixture_app.models import Author, Post


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
