"""URLs of the class views spec (spec_tests/test_class_views.py), under /class-views/.

Only views whose handlers are all sync or all async are routed here: from 4.1, ``as_view()`` of
a class that mixes them raises ImproperlyConfigured, which would break the whole URLconf.
"""
from django.http import HttpResponse
from django.urls import path

from fixture_app.views import class_views as cv

urlpatterns = [
    path("view/", cv.AsyncGetView.as_view()),
    path("sync-view/", cv.SyncGetView.as_view()),
    path("template/", cv.AsyncTemplateView.as_view()),
    path("template-async-context/", cv.AsyncContextTemplateView.as_view()),
    path("redirect/", cv.AsyncRedirectView.as_view()),
    path("list/", cv.AsyncListView.as_view()),
    path("list-paginated/", cv.AsyncPaginatedListView.as_view()),
    path("detail/<int:pk>/", cv.AsyncDetailView.as_view()),
    path("detail-get-object/<int:pk>/", cv.AsyncDetailViewCallingGetObject.as_view()),
    path("form/", cv.AsyncFormView.as_view()),
    path("form-async-form-valid/", cv.AsyncFormValidFormView.as_view()),
    path("create/", cv.AsyncCreateView.as_view()),
    path("create-form-valid/", cv.AsyncCreateViewCallingFormValid.as_view()),
    path("update/<int:pk>/", cv.AsyncUpdateView.as_view()),
    path("delete/<int:pk>/", cv.AsyncDeleteView.as_view()),
    path("login/", cv.async_login_view_class().as_view()),
    path("done/", lambda request: HttpResponse("done")),
]
