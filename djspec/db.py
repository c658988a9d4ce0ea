"""Which database an env runs on, and how to reach PostgreSQL without leaking credentials.

Environment variables (set by tox factors, or by hand):

* ``DJSPEC_DB``         ``sqlite`` (default) or ``pg``.
* ``DJSPEC_PG_DSN``     a PostgreSQL server you run, e.g. ``postgresql://user:pw@host:5432/postgres``
                        (or libpq ``key=value`` form). Only test databases named ``djspec_test_*``
                        are created and dropped there. Unset: the kit starts a throw-away cluster.
* ``DJSPEC_PG_DRIVER``  ``psycopg`` or ``psycopg2``: the driver the env must end up using.
* ``DJSPEC_PG_BINDIR``  where ``initdb``/``postgres`` live, if ``pg_config`` cannot say.
* ``DJSPEC_CLUSTER_DSN`` set by the kit only, in the environment of a child process it starts
                        (``child_env``): the throw-away cluster's socket; it holds no secret.
"""
import os
import re
from urllib.parse import urlsplit, urlunsplit

DATABASES = ("sqlite", "pg")
DRIVERS = ("psycopg", "psycopg2")


class DatabaseChoiceError(Exception):
    """Bad or unusable database input. The message is safe to print (credentials redacted)."""


def choice() -> str:
    value = os.environ.get("DJSPEC_DB", "sqlite").strip() or "sqlite"
    if value not in DATABASES:
        raise DatabaseChoiceError(
            f"DJSPEC_DB={value!r} is not a database this kit runs on; use one of {DATABASES}"
        )
    return value


def required_driver():
    value = os.environ.get("DJSPEC_PG_DRIVER", "").strip()
    if value and value not in DRIVERS:
        raise DatabaseChoiceError(f"DJSPEC_PG_DRIVER={value!r} is not one of {DRIVERS}")
    return value or None


def user_dsn():
    return os.environ.get("DJSPEC_PG_DSN", "").strip() or None


def cluster_dsn():
    """The throw-away cluster's connection, in a child process the kit started (see child_env)."""
    return os.environ.get("DJSPEC_CLUSTER_DSN", "").strip() or None


def child_env(params: dict) -> dict:
    """What a child process needs to reach the throw-away cluster at ``params``."""
    return {"DJSPEC_CLUSTER_DSN": "host={host} port={port} user={user} dbname={dbname}".format(**params)}


_KV_SECRET = re.compile(r"\b(password|user)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.I)


def redact(dsn: str) -> str:
    """The DSN with user name and password replaced by ``***`` (URL and key=value forms)."""
    if "://" in dsn:
        try:
            parts = urlsplit(dsn)
        except ValueError:
            return "<unparseable DSN>"
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rsplit("@", 1)[1]
        query = _KV_SECRET.sub(lambda m: f"{m.group(1)}=***", parts.query.replace("&", " "))
        return urlunsplit(parts._replace(netloc=netloc, query=query.replace(" ", "&")))
    return _KV_SECRET.sub(lambda m: f"{m.group(1)}=***", dsn)


def scrub_user_dsn(text: str) -> str:
    """Remove the user name and password of DJSPEC_PG_DSN (if set) from any text."""
    dsn = user_dsn()
    if not dsn:
        return text
    secrets = [m.group(2).strip("'") for m in _KV_SECRET.finditer(dsn.replace("&", " "))]
    if "://" in dsn:
        try:
            parts = urlsplit(dsn)
            secrets += [parts.username or "", parts.password or ""]
        except ValueError:
            pass
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def scrub(text: str, params: dict) -> str:
    """Remove the user name and password of ``params`` from an error text."""
    for key in ("password", "user"):
        secret = params.get(key)
        if secret:
            text = text.replace(str(secret), "***")
    return text


def driver_module(django_version):
    """The PostgreSQL driver Django will use: psycopg 3 from 4.2 when installed, else psycopg2."""
    if django_version >= (4, 2):
        try:
            import psycopg

            return psycopg
        except ImportError:
            pass
    try:
        import psycopg2

        return psycopg2
    except ImportError:
        raise DatabaseChoiceError(
            "DJSPEC_DB=pg but no PostgreSQL driver is installed (psycopg or psycopg2-binary)"
        ) from None


def parse_dsn(dsn: str, driver) -> dict:
    try:
        if driver.__name__ == "psycopg":
            from psycopg.conninfo import conninfo_to_dict

            return {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
        from psycopg2.extensions import parse_dsn as _parse

        return _parse(dsn)
    except Exception as exc:  # the drivers raise their own ProgrammingError types
        raise DatabaseChoiceError(f"DJSPEC_PG_DSN={redact(dsn)} is not a valid DSN: {type(exc).__name__}") from None


def django_settings(params: dict, test_name: str) -> dict:
    """Django DATABASES['default'] for libpq connection ``params``."""
    options = {k: v for k, v in params.items() if k not in ("dbname", "user", "password", "host", "port")}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.get("dbname", "postgres"),
        "USER": params.get("user", ""),
        "PASSWORD": params.get("password", ""),
        "HOST": params.get("host", ""),
        "PORT": str(params.get("port", "")),
        "OPTIONS": options,
        "TEST": {"NAME": test_name},
    }


def test_database_name() -> str:
    """One name per env, so envs running in parallel on one server never collide."""
    env = os.environ.get("TOX_ENV_NAME") or "local"
    return "djspec_test_" + re.sub(r"[^a-z0-9_]", "_", env.lower())


def probe(params: dict, driver) -> dict:
    """Connect once and ask the server who it is. Raise DatabaseChoiceError (redacted) if we can't."""
    kwargs = dict(params)
    kwargs.setdefault("connect_timeout", 10)
    kwargs.setdefault("dbname", "postgres")
    try:
        conn = driver.connect(**kwargs)
    except Exception as exc:
        where = f"host={params.get('host') or 'default'} port={params.get('port') or 'default'}"
        first_line = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, params)
        raise DatabaseChoiceError(f"cannot connect to PostgreSQL ({where}): {first_line}") from None
    try:
        cur = conn.cursor()
        cur.execute("SELECT current_setting('server_version'), current_setting('server_version_num')")
        version, number = cur.fetchone()
    finally:
        conn.close()
    return {"server_version": version, "server_version_num": int(number)}
