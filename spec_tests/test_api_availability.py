"""Which async APIs each Django release has, like a browser-compat table.

Django added its async API piece by piece: async views and the AsyncClient in 3.1, the async
cache API in 4.0, async QuerySet methods in 4.1, ``Model.asave()`` and friends in 4.2, async
auth, signals and shortcuts in 5.0, async sessions in 5.1, async user and permission methods in
5.2, ``AsyncPaginator`` in 6.0. ``ASYNC_API`` lists each API with the first release whose
release notes announce it (claims/api.toml says where). Two tests per API look at the
installed Django: on the versions that should have it, it must be there (a pass confirms the
claim "Django has X"); on older ones it must be missing (a pass refutes it). The report then
reads "refuted 3.0–4.0; holds 4.1–6.1". If a release drops an API, or a backport adds one, a
test fails and names the API's claim.

The second half checks what the articles use that is not in that table: awaiting a QuerySet,
``QuerySet.alist()`` and ``async with transaction.atomic()`` (never existed), and the old
``postgresql_psycopg2`` engine name (still accepted, as an alias).
"""
import importlib
import inspect
import sys

import pytest
from django.db import transaction
from django.db.utils import load_backend

from fixture_app.models import Post

# (claim id after "api.", first Django release that has it, "module:attribute.path")
ASYNC_API = [
    ("queryset-aget", "4.1", "django.db.models.query:QuerySet.aget"),
    ("queryset-acreate", "4.1", "django.db.models.query:QuerySet.acreate"),
    ("queryset-aget-or-create", "4.1", "django.db.models.query:QuerySet.aget_or_create"),
    ("queryset-aupdate-or-create", "4.1", "django.db.models.query:QuerySet.aupdate_or_create"),
    ("queryset-abulk-create", "4.1", "django.db.models.query:QuerySet.abulk_create"),
    ("queryset-abulk-update", "4.1", "django.db.models.query:QuerySet.abulk_update"),
    ("queryset-acount", "4.1", "django.db.models.query:QuerySet.acount"),
    ("queryset-ain-bulk", "4.1", "django.db.models.query:QuerySet.ain_bulk"),
    ("queryset-aiterator", "4.1", "django.db.models.query:QuerySet.aiterator"),
    ("queryset-alatest", "4.1", "django.db.models.query:QuerySet.alatest"),
    ("queryset-aearliest", "4.1", "django.db.models.query:QuerySet.aearliest"),
    ("queryset-afirst", "4.1", "django.db.models.query:QuerySet.afirst"),
    ("queryset-alast", "4.1", "django.db.models.query:QuerySet.alast"),
    ("queryset-aaggregate", "4.1", "django.db.models.query:QuerySet.aaggregate"),
    ("queryset-aexists", "4.1", "django.db.models.query:QuerySet.aexists"),
    ("queryset-acontains", "4.1", "django.db.models.query:QuerySet.acontains"),
    ("queryset-aupdate", "4.1", "django.db.models.query:QuerySet.aupdate"),
    ("queryset-adelete", "4.1", "django.db.models.query:QuerySet.adelete"),
    ("queryset-aexplain", "4.1", "django.db.models.query:QuerySet.aexplain"),
    ("queryset-async-for", "4.1", "django.db.models.query:QuerySet.__aiter__"),
    ("model-asave", "4.2", "django.db.models:Model.asave"),
    ("model-adelete", "4.2", "django.db.models:Model.adelete"),
    ("model-arefresh-from-db", "4.2", "django.db.models:Model.arefresh_from_db"),
    ("m2m-manager-acreate", "4.1", "fixture_app.models:Post.tags.related_manager_cls.acreate"),
    ("m2m-manager-aget-or-create", "4.1", "fixture_app.models:Post.tags.related_manager_cls.aget_or_create"),
    ("m2m-manager-aupdate-or-create", "4.1", "fixture_app.models:Post.tags.related_manager_cls.aupdate_or_create"),
    ("m2m-manager-aadd", "4.2", "fixture_app.models:Post.tags.related_manager_cls.aadd"),
    ("m2m-manager-aremove", "4.2", "fixture_app.models:Post.tags.related_manager_cls.aremove"),
    ("m2m-manager-aclear", "4.2", "fixture_app.models:Post.tags.related_manager_cls.aclear"),
    ("m2m-manager-aset", "4.2", "fixture_app.models:Post.tags.related_manager_cls.aset"),
    ("reverse-fk-manager-aadd", "4.2", "fixture_app.models:Author.posts.related_manager_cls.aadd"),
    ("reverse-fk-manager-aremove", "4.2", "fixture_app.models:Author.posts.related_manager_cls.aremove"),
    ("reverse-fk-manager-aclear", "4.2", "fixture_app.models:Author.posts.related_manager_cls.aclear"),
    ("reverse-fk-manager-aset", "4.2", "fixture_app.models:Author.posts.related_manager_cls.aset"),
    ("aprefetch-related-objects", "5.0", "django.db.models.query:aprefetch_related_objects"),
    ("aget-object-or-404", "5.0", "django.shortcuts:aget_object_or_404"),
    ("aget-list-or-404", "5.0", "django.shortcuts:aget_list_or_404"),
    ("async-paginator", "6.0", "django.core.paginator:AsyncPaginator"),
    ("async-page", "6.0", "django.core.paginator:AsyncPage"),
    ("cache-aget", "4.0", "django.core.cache.backends.base:BaseCache.aget"),
    ("cache-aset", "4.0", "django.core.cache.backends.base:BaseCache.aset"),
    ("cache-aadd", "4.0", "django.core.cache.backends.base:BaseCache.aadd"),
    ("cache-adelete", "4.0", "django.core.cache.backends.base:BaseCache.adelete"),
    ("cache-aget-many", "4.0", "django.core.cache.backends.base:BaseCache.aget_many"),
    ("cache-aset-many", "4.0", "django.core.cache.backends.base:BaseCache.aset_many"),
    ("cache-adelete-many", "4.0", "django.core.cache.backends.base:BaseCache.adelete_many"),
    ("cache-aget-or-set", "4.0", "django.core.cache.backends.base:BaseCache.aget_or_set"),
    ("cache-ahas-key", "4.0", "django.core.cache.backends.base:BaseCache.ahas_key"),
    ("cache-aincr", "4.0", "django.core.cache.backends.base:BaseCache.aincr"),
    ("cache-adecr", "4.0", "django.core.cache.backends.base:BaseCache.adecr"),
    ("cache-atouch", "4.0", "django.core.cache.backends.base:BaseCache.atouch"),
    ("cache-aclear", "4.0", "django.core.cache.backends.base:BaseCache.aclear"),
    ("cache-aincr-version", "4.0", "django.core.cache.backends.base:BaseCache.aincr_version"),
    ("cache-adecr-version", "4.0", "django.core.cache.backends.base:BaseCache.adecr_version"),
    ("cache-aclose", "4.0", "django.core.cache.backends.base:BaseCache.aclose"),
    ("auth-aauthenticate", "5.0", "django.contrib.auth:aauthenticate"),
    ("auth-alogin", "5.0", "django.contrib.auth:alogin"),
    ("auth-alogout", "5.0", "django.contrib.auth:alogout"),
    ("auth-aget-user", "5.0", "django.contrib.auth:aget_user"),
    ("auth-aupdate-session-auth-hash", "5.0", "django.contrib.auth:aupdate_session_auth_hash"),
    ("auth-acheck-password", "5.0", "django.contrib.auth.base_user:AbstractBaseUser.acheck_password"),
    ("auth-acreate-user", "5.2", "django.contrib.auth.models:UserManager.acreate_user"),
    ("auth-acreate-superuser", "5.2", "django.contrib.auth.models:UserManager.acreate_superuser"),
    ("auth-aget-by-natural-key", "5.2", "django.contrib.auth.base_user:BaseUserManager.aget_by_natural_key"),
    ("auth-user-aget-user-permissions", "5.2", "django.contrib.auth.models:PermissionsMixin.aget_user_permissions"),
    ("auth-user-aget-group-permissions", "5.2", "django.contrib.auth.models:PermissionsMixin.aget_group_permissions"),
    ("auth-user-aget-all-permissions", "5.2", "django.contrib.auth.models:PermissionsMixin.aget_all_permissions"),
    ("auth-user-ahas-perm", "5.2", "django.contrib.auth.models:PermissionsMixin.ahas_perm"),
    ("auth-user-ahas-perms", "5.2", "django.contrib.auth.models:PermissionsMixin.ahas_perms"),
    ("auth-user-ahas-module-perms", "5.2", "django.contrib.auth.models:PermissionsMixin.ahas_module_perms"),
    ("auth-model-backend-aauthenticate", "5.2", "django.contrib.auth.backends:ModelBackend.aauthenticate"),
    ("session-aget", "5.1", "django.contrib.sessions.backends.base:SessionBase.aget"),
    ("session-aset", "5.1", "django.contrib.sessions.backends.base:SessionBase.aset"),
    ("session-aupdate", "5.1", "django.contrib.sessions.backends.base:SessionBase.aupdate"),
    ("session-apop", "5.1", "django.contrib.sessions.backends.base:SessionBase.apop"),
    ("session-akeys", "5.1", "django.contrib.sessions.backends.base:SessionBase.akeys"),
    ("session-avalues", "5.1", "django.contrib.sessions.backends.base:SessionBase.avalues"),
    ("session-aitems", "5.1", "django.contrib.sessions.backends.base:SessionBase.aitems"),
    ("session-ahas-key", "5.1", "django.contrib.sessions.backends.base:SessionBase.ahas_key"),
    ("session-asetdefault", "5.1", "django.contrib.sessions.backends.base:SessionBase.asetdefault"),
    ("session-aflush", "5.1", "django.contrib.sessions.backends.base:SessionBase.aflush"),
    ("session-acycle-key", "5.1", "django.contrib.sessions.backends.base:SessionBase.acycle_key"),
    ("session-aset-expiry", "5.1", "django.contrib.sessions.backends.base:SessionBase.aset_expiry"),
    ("session-aget-expiry-age", "5.1", "django.contrib.sessions.backends.base:SessionBase.aget_expiry_age"),
    ("session-aexists", "5.1", "django.contrib.sessions.backends.base:SessionBase.aexists"),
    ("session-acreate", "5.1", "django.contrib.sessions.backends.base:SessionBase.acreate"),
    ("session-asave", "5.1", "django.contrib.sessions.backends.base:SessionBase.asave"),
    ("signal-asend", "5.0", "django.dispatch:Signal.asend"),
    ("signal-asend-robust", "5.0", "django.dispatch:Signal.asend_robust"),
    ("async-client", "3.1", "django.test:AsyncClient"),
    ("async-request-factory", "3.1", "django.test:AsyncRequestFactory"),
    ("async-client-alogin", "5.0", "django.test:AsyncClient.alogin"),
    ("async-client-aforce-login", "5.0", "django.test:AsyncClient.aforce_login"),
    ("async-client-alogout", "5.0", "django.test:AsyncClient.alogout"),
    ("sync-and-async-middleware", "3.1", "django.utils.decorators:sync_and_async_middleware"),
]


def resolve(target):
    """The object at "module:attr.path", or AttributeError at the first missing step."""
    module, _, path = target.partition(":")
    obj = importlib.import_module(module)
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def gated(expectation):
    """One pytest.param per API: the gate is the API's first release (``>=`` where it should exist,
    ``<`` where it should not), and the pass confirms or refutes the claim "Django has X"."""
    params = []
    for slug, first, target in ASYNC_API:
        gate = f">={first}" if expectation == "confirms" else f"<{first}"
        marks = [pytest.mark.django(gate), pytest.mark.claims(**{expectation: [f"api.{slug}"]})]
        params.append(pytest.param(target, id=slug, marks=marks))
    return params


def async_form(obj):
    """What makes ``obj`` the async form the claim names: "class" (AsyncClient, AsyncPaginator:
    a class), "coroutine function" (``await x.aget()``), "async generator" (``aiterator``),
    "async iterator" (``__aiter__`` returns one), "decorator" (sync_and_async_middleware marks a
    middleware as able to run async), or None when it is none of these (a plain sync callable)."""
    from asgiref.sync import iscoroutinefunction

    function = getattr(obj, "__func__", obj)
    if inspect.isclass(obj):
        return "class"
    if iscoroutinefunction(function) or inspect.iscoroutinefunction(function):
        return "coroutine function"
    if inspect.isasyncgenfunction(function):
        return "async generator"
    if getattr(function, "__name__", "") == "__aiter__":  # builds the iterator; runs no query
        return "async iterator" if hasattr(function(Post.objects.all()), "__anext__") else None
    if getattr(function, "__name__", "") == "sync_and_async_middleware":
        marked = function(lambda get_response: get_response)
        return "decorator" if marked.async_capable and marked.sync_capable else None
    return None


@pytest.mark.no_database
@pytest.mark.parametrize("target", gated("confirms"))
def test_async_api_exists_from_its_first_release(target, observe):
    """The API is there on every Django from the release that introduced it, and it is an async
    form: a coroutine function to await (or an async generator, an async iterator, an async
    class), not merely a callable of that name."""
    obj = resolve(target)
    form = async_form(obj)
    observe(found=target, form=form)
    assert form is not None, f"{target} is {obj!r}, not an async form"


@pytest.mark.no_database
@pytest.mark.parametrize("target", gated("refutes"))
def test_async_api_is_missing_before_its_first_release(target):
    """The API does not exist on the releases before the one that introduced it."""
    with pytest.raises((AttributeError, ImportError)):
        resolve(target)


# ----------------------------------------------------------------------- what the articles use


@pytest.mark.no_database
@pytest.mark.django_db
@pytest.mark.claims(refutes=["orm.await-queryset-all", "orm.await-queryset-non-blocking"],
                    confirms=["orm.orm-does-not-support-await"])
async def test_a_queryset_cannot_be_awaited(observe):
    """``await Model.objects.all()`` is a TypeError on every version: a QuerySet is not
    awaitable (use ``async for``, or an a-method from 4.1). All versions, 3.0+."""
    with pytest.raises(TypeError) as excinfo:
        await Post.objects.all()
    observe(raised=f"TypeError: {excinfo.value}")


@pytest.mark.no_database
@pytest.mark.claims(refutes=["orm.alist"])
def test_querysets_have_no_alist_method(observe):
    """There is no ``QuerySet.alist()``; build a list with ``[x async for x in qs]``. All versions."""
    with pytest.raises(AttributeError) as excinfo:
        Post.objects.all().alist
    observe(raised=f"AttributeError: {excinfo.value}")


@pytest.mark.no_database
@pytest.mark.claims(refutes=["transactions.atomic-async-context-manager"])
async def test_transaction_atomic_is_not_an_async_context_manager(observe):
    """``async with transaction.atomic():`` fails before any SQL runs: ``Atomic`` has no
    ``__aenter__``. The error depends on Python: AttributeError up to 3.10, TypeError from
    3.11. All Django versions."""
    expected = TypeError if sys.version_info >= (3, 11) else AttributeError
    with pytest.raises(expected) as excinfo:
        async with transaction.atomic():
            pass  # pragma: no cover - never reached
    observe(raised=f"{type(excinfo.value).__name__}: {excinfo.value}",
            python="%d.%d" % sys.version_info[:2])


@pytest.mark.database("pg")
@pytest.mark.claims(confirms=["deployment.postgresql-psycopg2-engine-name"])
def test_the_postgresql_psycopg2_engine_name_still_loads_the_postgresql_backend(observe):
    """The ``postgresql_psycopg2`` backend package is long gone, but ``load_backend`` still maps
    that ENGINE name to ``django.db.backends.postgresql`` (whichever driver is installed).
    Every version, on PostgreSQL (elsewhere the driver it needs is not installed)."""
    alias = load_backend("django.db.backends.postgresql_psycopg2")
    assert alias is load_backend("django.db.backends.postgresql")
    observe(loads=alias.__name__)
