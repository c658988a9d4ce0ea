"""Settings of the project under test. The database comes from DJSPEC_DB (see djspec/db.py).

For PostgreSQL, the connection comes from DJSPEC_PG_DSN when the user names a server; otherwise
the pytest plugin starts a throw-away cluster and fills the connection in before any test runs
(a child process the kit starts gets it as DJSPEC_CLUSTER_DSN). For SQLite the plugin puts a
file-backed test database in a temp dir; ":memory:" below is only what a process outside the
test run would get.
"""
from djspec import db as _db

SECRET_KEY = "django-async-spec: not a secret, this project only ever runs tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "fixture_app.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # Django >= 3.2; same field on every version
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    # for the async surface (spec_tests/test_middleware_surface.py, test_test_tools.py, ...): the
    # contrib apps whose middleware, sessions, messages and fallbacks the spec exercises
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.redirects",
    "fixture_app.apps.FixtureAppConfig",
]
SITE_ID = 1
# a fast hasher, as Django's testing docs advise: users are created in many tests, and no claim is
# about the cost of hashing (the checks themselves are the same with any hasher)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MIDDLEWARE = []
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,  # fixture_app/templates/
}]
ASGI_APPLICATION = "fixture_app.asgi.application"
WSGI_APPLICATION = "fixture_app.wsgi.application"

if _db.choice() == "pg":
    _dsn = _db.user_dsn() or _db.cluster_dsn()
    _params = _db.parse_dsn(_dsn, _db.driver_module(__import__("django").VERSION)) if _dsn else {}
    DATABASES = {"default": _db.django_settings(_params, _db.test_database_name())}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
