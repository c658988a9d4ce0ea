from django.urls import path

from fixture_app.views import soo

urlpatterns = [
    path("soo/sync-orm/", soo.count_posts_sync_orm),
    path("soo/sync-to-async/", soo.count_posts_sync_to_async),
    path("soo/lazy-queryset/", soo.count_posts_lazy_queryset),
    path("soo/decorated-helper/", soo.count_posts_decorated_helper),
]
