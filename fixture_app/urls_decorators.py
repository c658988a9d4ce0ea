"""URLs of the decorators spec (spec_tests/test_decorators.py), under /decorators/.

``<name>/`` is the async view decorated with the decorator of that name, ``sync/<name>/`` the
same decorator on a sync view (fixture_app/views/decorators.py), ``plain/`` the undecorated
async view, and ``cbv/...`` the class-based views decorated with ``method_decorator``.
"""
from django.urls import path

from fixture_app.views import decorators as views

urlpatterns = [
    path("plain/", views.plain),
    path("cbv/never-cached-get/", views.NeverCachedGet.as_view()),
    path("cbv/never-cached-async-dispatch/", views.NeverCachedAsyncDispatch.as_view()),
    path("cbv/never-cached-inherited-dispatch/", views.NeverCachedInheritedDispatch.as_view()),
]
urlpatterns += [path(name + "/", view) for name, view in views.ASYNC_VIEWS.items()]
urlpatterns += [path("sync/" + name + "/", view) for name, view in views.SYNC_VIEWS.items()]
