from django.urls import path

from fixture_app.views import orm, soo, transactions

urlpatterns = [
    path("soo/sync-orm/", soo.count_posts_sync_orm),
    path("soo/sync-to-async/", soo.count_posts_sync_to_async),
    path("soo/lazy-queryset/", soo.count_posts_lazy_queryset),
    path("soo/decorated-helper/", soo.count_posts_decorated_helper),
    path("orm/first-ten-posts/", orm.first_ten_posts),
    path("orm/author-names-awaiting-queryset/", orm.author_names_awaiting_queryset),
    path("orm/author-names/", orm.author_names),
    path("orm/hello-sync/<int:pk>/", orm.hello_sync),
    path("orm/hello-async/<int:pk>/", orm.hello_async),
    path("orm/author-detail/<int:pk>/", orm.author_detail),
    path("orm/count-authors-async-for/", orm.count_authors_async_for),
    path("orm/count-authors-sync-to-async-list/", orm.count_authors_sync_to_async_list),
    path("orm/load-authors-without-response/", orm.load_authors_without_response),
    path("orm/count-authors-decorated-helper/", orm.count_authors_decorated_helper),
    path("orm/hello-missing-await/<int:pk>/", orm.hello_missing_await),
    path("orm/hello-with-await/<int:pk>/", orm.hello_with_await),
    path("orm/post-list-alist/", orm.post_list_alist),
    path("transactions/async-with-atomic/", transactions.create_post_async_with_atomic),
    path("transactions/atomic-in-sync-to-async/", transactions.create_post_atomic_in_sync_to_async),
]
