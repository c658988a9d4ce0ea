"""The articles' view samples, run as written (our Author stands in for their User). A2 6.3's
forgotten-await pair is an ORM sample: see test_orm_api.

Most samples use the async ORM methods (``aget``, ``acount``, ``async for``), so they work from
4.1 and fail before it with the error each test records. Two fail on every version for other
reasons: A2 7.1 reads ``request.user`` on the event loop, and A2 7.3's ``@csrf_exempt`` breaks
async views before 5.0. Next to each failing sample, the working form is tested too.
"""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fixture_app.models import Author, Comment, Notification, Order, Post
from spec_tests.unawaited import close_coroutines_in_traceback

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ada(transactional_db):
    """Ada, with two posts and one comment."""
    ada = Author.objects.create(name="Ada", email="ada@example.com")
    Post.objects.create(author=ada, title="first")
    Post.objects.create(author=ada, title="second")
    Comment.objects.create(user=ada)
    return ada


# ------------------------------------------------------------------- A2 4.4: errors


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["views.sample-a2-async-user-detail-errors"])
def test_sample_user_detail_answers_with_counts_or_catches_does_not_exist(get, ada):
    """A2 4.4 as written: the counts for an existing user; for a missing one, ``aget``'s
    DoesNotExist is caught like in a sync view and becomes a 404 "User not found". 4.1+. (The
    general claim, error handling as in sync views, is test_views' on every release with async
    views.)"""
    assert get(f"/views/user-detail/{ada.pk}/").json() == {"user": "Ada", "posts": 2, "comments": 1}
    missing = get(f"/views/user-detail/{ada.pk + 1000}/")
    assert missing.status_code == 404 and missing.content == b"User not found"


@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.claims(refutes=["views.sample-a2-async-user-detail-errors"])
def test_sample_user_detail_answers_500_for_every_user_before_4_1(get, ada, observe):
    """3.1–4.0: there is no ``aget``; the sample's catch-all turns the AttributeError into a 500
    JSON error, for existing and missing users alike."""
    response = get(f"/views/user-detail/{ada.pk}/")
    assert response.status_code == 500 and "aget" in response.json()["error"]
    observe(status=500, body=response.json())


# ------------------------------------------------------------------- A2 6.4: async for one query


@pytest.mark.django(">=4.1")
@pytest.mark.claims(confirms=["views.sample-a2-overuse-bad-list-view", "views.sample-a2-overuse-good-list-view"])
def test_sample_async_and_sync_list_views_render_the_same_page(get, ada):
    """A2 6.4: the async ``bad_list_view`` (``async for``, then render) and the sync
    ``good_list_view`` render the same posts page. 4.1+."""
    page = get("/views/bad-list-view/").content
    assert page == get("/views/good-list-view/").content == b"first\nsecond\n"


@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.claims(refutes=["views.sample-a2-overuse-bad-list-view"])
def test_sample_async_for_over_a_queryset_is_a_type_error_before_4_1(get, ada, observe):
    """3.1–4.0: a QuerySet cannot be iterated with ``async for``: TypeError."""
    with pytest.raises(TypeError, match="__aiter__") as excinfo:
        get("/views/bad-list-view/")
    observe(raised=f"TypeError: {excinfo.value}")


@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.claims(confirms=["views.sample-a2-overuse-good-list-view"])
def test_sample_sync_list_view_renders_the_posts(get, ada):
    """The sync ``good_list_view`` works on every version with async views. 3.1–4.0 here."""
    assert get("/views/good-list-view/").content == b"first\nsecond\n"


# ------------------------------------------------------------------- A2 7.1: the dashboard API


@pytest.fixture
def logged_in(either_client, settings, ada):
    """A logged-in user whose id is Ada's id (their User is our Author), with a few orders and
    notifications. Sessions live in signed cookies: no session table needed."""
    from django.contrib.auth.models import User

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
                           "django.contrib.auth.middleware.AuthenticationMiddleware"]
    user = User.objects.create(id=ada.pk, username="ada")
    for status in ["pending", "shipped", "pending"]:
        Order.objects.create(user=ada, total="9.50", status=status)
    Notification.objects.create(user=ada, read=False)
    Notification.objects.create(user=ada, read=True)
    either_client.force_login(user)
    return either_client


def dashboard_as_written_fails(client, observe):
    """The sample as written reads ``request.user.id`` first thing in the async view: loading the
    user from the session is a sync query on the event loop's thread: SynchronousOnlyOperation."""
    from django.core.exceptions import SynchronousOnlyOperation

    with pytest.raises(SynchronousOnlyOperation) as excinfo:
        client.get("/views/dashboard-api/")
    observe(raised=f"SynchronousOnlyOperation: {excinfo.value}"[:160])


@pytest.mark.django(">=4.1")
@pytest.mark.claims(refutes=["views.sample-a2-dashboard-api"])
def test_sample_dashboard_api_fails_only_by_reading_request_user_on_the_loop(logged_in, ada, observe):
    """A2 7.1 as written fails on every request: it reads ``request.user.id`` on the event loop
    (SynchronousOnlyOperation). That line is its only defect: with the user id read through
    ``sync_to_async`` instead (``request.auser()`` from 5.0 does the same), the five gathered
    queries give the JSON the article describes. 4.1+, where its ``aget``/``acount`` exist."""
    dashboard_as_written_fails(logged_in, observe)
    data = logged_in.get("/views/dashboard-api-working/").json()
    assert data["user"] == {"id": ada.pk, "name": "Ada", "email": "ada@example.com"}
    assert data["stats"] == {"total_orders": 3, "pending_orders": 2, "unread_notifications": 1}
    assert [order["total"] for order in data["recent_orders"]] == [9.5, 9.5, 9.5]
    assert {order["status"] for order in data["recent_orders"]} == {"pending", "shipped"}
    observe(with_the_user_read_off_the_loop="the article's JSON")


@pytest.mark.django(">=3.1,<4.1")
@pytest.mark.claims(refutes=["views.sample-a2-dashboard-api"])
def test_sample_dashboard_api_fails_reading_request_user_on_the_loop_before_4_1(logged_in, observe):
    """3.1–4.0: the sample as written fails the same way, at ``request.user.id``, before it
    reaches the ``aget``/``acount`` calls these releases lack."""
    dashboard_as_written_fails(logged_in, observe)


# ------------------------------------------------------------------- A2 7.3: the file upload


@pytest.fixture
def upload_dir(tmp_path, monkeypatch):
    """The sample writes to /tmp/<name>; ours writes to a fresh temporary folder."""
    from fixture_app.views import views

    monkeypatch.setattr(views, "UPLOAD_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.no_database
@pytest.mark.django(">=5.0")
@pytest.mark.claims(confirms=["views.sample-a2-file-upload"])
def test_sample_file_upload_answers_each_case_and_stores_the_file(either_client, upload_dir):
    """A2 7.3 as written: 405 for GET, 400 without a file, and with a file: stored on disk (with
    aiofiles) and the three simulated results gathered. 5.0+ (see the csrf_exempt tests). Where
    aiofiles writes, in any async view: test_views."""
    get, no_file = either_client.get("/views/upload/"), either_client.post("/views/upload/")
    assert (get.status_code, get.json()) == (405, {"error": "Method not allowed"})
    assert (no_file.status_code, no_file.json()) == (400, {"error": "No file provided"})
    data = either_client.post("/views/upload/", {"file": SimpleUploadedFile("a.txt", b"abc" * 100)}).json()
    assert data == {"success": True, "file_path": str(upload_dir / "a.txt"),
                    "analysis": {"type": "image", "size": 1024}, "thumbnail": "/thumbnails/thumb.jpg",
                    "s3_url": "https://s3.amazonaws.com/bucket/file.jpg"}
    assert (upload_dir / "a.txt").read_bytes() == b"abc" * 100


@pytest.mark.no_database
@pytest.mark.django(">=3.1,<5.0")
@pytest.mark.claims(refutes=["views.sample-a2-file-upload"])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_sample_file_upload_fails_for_every_request_before_5_0(either_client, upload_dir, observe):
    """3.1–4.2: ``@csrf_exempt`` makes the async view a sync one that returns a coroutine, so
    even the GET fails: ValueError, and nothing is written."""
    with pytest.raises(ValueError, match="didn't return an HttpResponse object") as excinfo:
        either_client.get("/views/upload/")
    assert list(upload_dir.iterdir()) == []
    observe(raised=str(excinfo.value)[:200])
    close_coroutines_in_traceback(excinfo.tb)


# ------------------------------------------------------------------- A3 and A4


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a3-httpx-async-view"])
def test_sample_httpx_view_returns_the_fetched_json(get, slow_server):
    """A3's async view fetches JSON with ``httpx.AsyncClient`` (a local server here) and returns
    it. 3.1+."""
    response = get(f"/views/httpx-async-view/?url={slow_server}/delay/0")
    assert response.json() == {"path": "/delay/0", "delay_ms": 0}


@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a3-user-count-view"])
def test_sample_user_count_view_counts_users_through_sync_to_async(get):
    """A3: ``User.objects.count()`` in a ``@sync_to_async`` function, awaited. 3.1+."""
    from django.contrib.auth.models import User

    User.objects.create(username="a")
    User.objects.create(username="b")
    assert get("/views/user-count/").json() == {"count": 2}


@pytest.mark.no_database
@pytest.mark.django(">=3.1")
@pytest.mark.claims(confirms=["views.sample-a4-my-view"])
def test_sample_my_view_awaits_a_task_and_answers_done(get):
    """A4 step 3, laid out on three lines (the article prints it on one, which is not valid
    Python), with a stand-in ``some_async_task``. 3.1+."""
    assert get("/views/my-view/").content == b"Done"
