"""Class-based views with async handlers, for spec_tests/test_class_views.py (/class-views/).

Each generic view is subclassed the way Django's docs say an async class-based view is written
(4.1+): every HTTP handler the class has, inherited ones included, becomes ``async def``. The
handlers call the generic hooks (get_queryset, get_context_data, get_object, get_form,
form_valid, render_to_response), which stay synchronous; the ones that run queries are called
through ``sync_to_async``.

The templates are inline (``InlineTemplateResponse``), so the views need no template files.
Classes that mix sync and async handlers are defined here but never routed: from 4.1
``as_view()`` raises ImproperlyConfigured for them, which would break the URLconf.
"""
import asyncio
import threading

from asgiref.sync import sync_to_async
from django import forms
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.views import View
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    FormView,
    ListView,
    RedirectView,
    TemplateView,
    UpdateView,
)

from fixture_app.models import Post

INLINE_TEMPLATES = {
    "cv/page.html": "page {{ name }}",
    "cv/list.html": "{% for post in object_list %}{{ post.title }};{% endfor %}",
    "cv/detail.html": "detail {{ object.title }}",
    "cv/form.html": "form {{ form.title.name }}",
    "cv/confirm_delete.html": "delete {{ object.title }}?",
}


class InlineTemplateResponse(TemplateResponse):
    """A TemplateResponse whose template names map to the sources above (rendered lazily, by the
    handler, like any TemplateResponse)."""

    def resolve_template(self, template):
        names = [template] if isinstance(template, str) else list(template)
        return engines["django"].from_string(INLINE_TEMPLATES[names[0]])


class Inline:
    response_class = InlineTemplateResponse


class TitleForm(forms.Form):
    title = forms.CharField(max_length=200)


SUCCESS_URL = "/class-views/done/"

# what the views saw (the tests clear it): e.g. the thread that ran an async handler
SEEN = {}


# ------------------------------------------------------------------------------- View itself


class AsyncGetView(View):
    """Only ``get`` is defined (``options`` is View's own and is not counted)."""

    async def get(self, request, *args, **kwargs):
        await asyncio.sleep(0)
        return HttpResponse("async get")


class SyncGetView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("sync get")


class NoHandlerView(View):
    pass


class MixedView(View):
    """async get, sync post: never routed (ImproperlyConfigured from 4.1)."""

    async def get(self, request, *args, **kwargs):
        return HttpResponse("async get")

    def post(self, request, *args, **kwargs):
        return HttpResponse("sync post")


# ------------------------------------------------------------------------------- TemplateView


class AsyncTemplateView(Inline, TemplateView):
    template_name = "cv/page.html"

    async def get(self, request, *args, **kwargs):
        await asyncio.sleep(0)
        return self.render_to_response(self.get_context_data(name="async"))


class AsyncContextTemplateView(Inline, TemplateView):
    """The hook, not the handler, is async: TemplateView.get calls it without await."""

    template_name = "cv/page.html"

    async def get_context_data(self, **kwargs):
        await asyncio.sleep(0)
        return {"name": "never awaited"}


# ------------------------------------------------------------------------------- RedirectView


class AsyncRedirectView(RedirectView):
    """RedirectView defines get, head, post, options, delete, put and patch: all async here."""

    url = SUCCESS_URL

    async def get(self, request, *args, **kwargs):
        await asyncio.sleep(0)
        return super().get(request, *args, **kwargs)

    # the other six: the same async handler (RedirectView's own ones all call get)
    head = post = options = delete = put = patch = get


# ------------------------------------------------------------------------------- ListView


class AsyncListView(Inline, ListView):
    """get_queryset and get_context_data are called as they are (sync, no query yet): the
    template evaluates the QuerySet when the handler renders the TemplateResponse."""

    model = Post
    template_name = "cv/list.html"

    async def get(self, request, *args, **kwargs):
        SEEN["handler_thread"] = threading.get_ident()
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data())


class AsyncPaginatedListView(AsyncListView):
    """The same, paginated: get_context_data now counts the rows (a query) on the loop."""

    paginate_by = 2


# ------------------------------------------------------------------------------- DetailView


class AsyncDetailView(Inline, DetailView):
    model = Post
    template_name = "cv/detail.html"

    async def get(self, request, *args, **kwargs):
        self.object = await sync_to_async(self.get_object)()  # the hook runs the query: in a thread
        return self.render_to_response(self.get_context_data(object=self.object))


class AsyncDetailViewCallingGetObject(AsyncDetailView):
    async def get(self, request, *args, **kwargs):
        self.object = self.get_object()  # a sync query on the event loop
        return self.render_to_response(self.get_context_data(object=self.object))


# ------------------------------------------------------------------------------- FormView


class AsyncFormView(Inline, FormView):
    """FormView defines get, post and put (ProcessFormView): all async."""

    form_class = TitleForm
    template_name = "cv/form.html"
    success_url = SUCCESS_URL

    async def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    async def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            return self.form_valid(form)
        return self.form_invalid(form)

    async def put(self, request, *args, **kwargs):
        return await self.post(request, *args, **kwargs)


class AsyncFormValidFormView(Inline, FormView):
    """The hook, not the handlers, is async: ProcessFormView.post returns form_valid's result."""

    form_class = TitleForm
    template_name = "cv/form.html"
    success_url = SUCCESS_URL

    async def form_valid(self, form):
        await asyncio.sleep(0)
        return HttpResponseRedirect(self.get_success_url())


# Only ``get`` overridden: the inherited post/put (and delete, and RedirectView's others) stay
# sync. Never routed.


async def _async_get(self, request, *args, **kwargs):
    return HttpResponse("async get")


def get_only(base, **attrs):
    """``GetOnly<base>``: a subclass of the generic view ``base`` whose one own handler is
    ``async def get``, with the class attributes ``attrs``."""
    return type("GetOnly" + base.__name__, (base,), dict(attrs, get=_async_get))


GetOnlyFormView = get_only(FormView, form_class=TitleForm)
GetOnlyCreateView = get_only(CreateView, model=Post, fields=["title"])
GetOnlyUpdateView = get_only(UpdateView, model=Post, fields=["title"])
GetOnlyDeleteView = get_only(DeleteView, model=Post)
GetOnlyRedirectView = get_only(RedirectView, url=SUCCESS_URL)
GetOnlyTemplateView = get_only(TemplateView)
GetOnlyListView = get_only(ListView, model=Post)
GetOnlyDetailView = get_only(DetailView, model=Post)


# ------------------------------------------------------------------------------- CreateView, UpdateView


class AsyncPostFormHandlers(Inline):
    """The async get, post and put of a Post form view (CreateView and UpdateView define these
    three). ``fetch_object`` gives the object the form edits (None: a new one); ``save_form`` runs
    ``form_valid``, which saves, in a thread."""

    model = Post
    fields = ["title"]
    template_name = "cv/form.html"
    success_url = SUCCESS_URL

    async def fetch_object(self):
        return None

    async def save_form(self, form):
        return await sync_to_async(self.form_valid)(form)

    async def get(self, request, *args, **kwargs):
        self.object = await self.fetch_object()
        return self.render_to_response(self.get_context_data())

    async def post(self, request, *args, **kwargs):
        self.object = await self.fetch_object()
        form = self.get_form()
        if form.is_valid():
            return await self.save_form(form)
        return self.form_invalid(form)

    async def put(self, request, *args, **kwargs):
        return await self.post(request, *args, **kwargs)


class AsyncCreateView(AsyncPostFormHandlers, CreateView):
    """CreateView with async get, post and put."""


class AsyncCreateViewCallingFormValid(AsyncCreateView):
    async def save_form(self, form):
        return self.form_valid(form)  # form.save() on the event loop


class AsyncUpdateView(AsyncPostFormHandlers, UpdateView):
    """UpdateView with async get, post and put: the object is fetched in a thread."""

    async def fetch_object(self):
        return await sync_to_async(self.get_object)()


# ------------------------------------------------------------------------------- DeleteView


class AsyncDeleteView(Inline, DeleteView):
    """DeleteView defines get, post and delete: all async."""

    model = Post
    template_name = "cv/confirm_delete.html"
    success_url = SUCCESS_URL

    async def get(self, request, *args, **kwargs):
        self.object = await sync_to_async(self.get_object)()
        return self.render_to_response(self.get_context_data(object=self.object))

    async def post(self, request, *args, **kwargs):
        self.object = await sync_to_async(self.get_object)()
        await sync_to_async(self.object.delete)()
        return HttpResponseRedirect(self.get_success_url())

    async def delete(self, request, *args, **kwargs):
        return await self.post(request, *args, **kwargs)


# ------------------------------------------------------------------------------- LoginView


def async_login_view_class():
    """A LoginView with async get, post and put (its dispatch keeps Django's sync decorators).
    Built on demand: importing contrib.auth.views needs the apps loaded."""
    from django.contrib.auth.views import LoginView

    class AsyncLoginView(LoginView):
        async def get(self, request, *args, **kwargs):
            return HttpResponse("async login get")

        async def post(self, request, *args, **kwargs):
            return HttpResponse("async login post")

        async def put(self, request, *args, **kwargs):
            return HttpResponse("async login put")

    return AsyncLoginView
