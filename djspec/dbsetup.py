"""Point Django at the env's database before any test runs: a SQLite file, the user's PostgreSQL
(``DJSPEC_PG_DSN``) or a throw-away cluster (``pgcluster``). Called once by the pytest plugin.

:func:`provision` returns a :class:`Provisioned`: ``info`` (what run_info records about the
database) and ``child_env`` (what a child process, e.g. a server a test starts, needs to reach the
same database: the cluster's connection, passed on explicitly). Whatever it starts or creates, it
hands to ``add_cleanup`` to stop or remove at the end of the session. Bad or unusable input raises
:class:`djspec.db.DatabaseChoiceError` with a message safe to print.
"""
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict

from djspec import db as dbsel
from djspec import pgcluster
from djspec.process import RAM, scratch_dir


@dataclass
class Provisioned:
    info: dict  # run_info["database"]: vendor, server and driver versions, where it came from
    child_env: Dict[str, str] = field(default_factory=dict)


def provision(add_cleanup: Callable) -> Provisioned:
    if dbsel.choice() == "sqlite":
        return sqlite_file(add_cleanup)
    return postgresql(add_cleanup)


def sqlite_file(add_cleanup) -> Provisioned:
    """A file-backed test database, as a deployment runs SQLite: one file that every connection
    opens on its own (not Django's default in-memory test database, which every connection shares
    through one cache). It lives in a fresh temp dir, removed at the end of the session: on
    /dev/shm where there is one (tmpfs: the same file and locking semantics, but a commit waits
    for no disk sync, which made thousands of flush commits cost seconds per env)."""
    from django.conf import settings

    tmp = tempfile.mkdtemp(prefix="djspec-sqlite-", dir=scratch_dir())
    add_cleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
    target = settings.DATABASES["default"]
    target["NAME"] = os.path.join(tmp, "djspec.sqlite3")
    target.setdefault("TEST", {})["NAME"] = os.path.join(tmp, "djspec_test.sqlite3")  # keep Django's TEST defaults
    return Provisioned({"choice": "sqlite", "vendor": "sqlite", "server_version": sqlite3.sqlite_version,
                        "driver": "sqlite3", "driver_version": sqlite3.sqlite_version,
                        "source": f"file database in a temp dir{' on tmpfs' if tmp.startswith(RAM) else ''} "
                                  "(djspec_test.sqlite3, removed afterwards)"})


def postgresql(add_cleanup) -> Provisioned:
    import django
    from django.conf import settings

    driver = dbsel.driver_module(django.VERSION)
    wanted = dbsel.required_driver()
    if wanted and driver.__name__ != wanted:
        raise dbsel.DatabaseChoiceError(
            f"this env must run on {wanted}, but Django {django.__version__} would use {driver.__name__}")
    dsn = dbsel.user_dsn()
    if dsn:
        params = dbsel.parse_dsn(dsn, driver)
        source, child_env = f"DJSPEC_PG_DSN ({dbsel.redact(dsn)})", {}  # children read the user's DSN as it is
        server = dbsel.probe(params, driver)
    else:
        cluster = _start_cluster(add_cleanup)
        params = cluster.params()
        # never through DJSPEC_PG_DSN, which is the user's server and the only DSN scrubbed
        child_env = dbsel.child_env(params)
        source = f"throw-away cluster ({cluster.bindir}, run as {cluster.run_as[2] if cluster.run_as else 'current user'})"
        server = cluster.wait_ready(lambda: dbsel.probe(params, driver))
    target = settings.DATABASES["default"]
    for key, value in dbsel.django_settings(params, dbsel.test_database_name()).items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key].update(value)  # Django may already have filled in TEST defaults
        else:
            target[key] = value
    version = getattr(driver, "__version__", "?").split()[0]
    return Provisioned({"choice": "pg", "vendor": "postgresql", "source": source, "driver": driver.__name__,
                        "driver_version": version, "test_database": dbsel.test_database_name(), **server},
                       child_env)


def _start_cluster(add_cleanup):
    try:
        bindir = pgcluster.find_bindir()
    except pgcluster.ClusterError as exc:
        raise dbsel.DatabaseChoiceError(str(exc)) from None
    if bindir is None:
        raise dbsel.DatabaseChoiceError(
            "DJSPEC_DB=pg needs PostgreSQL, and none is available: either name a server with "
            "DJSPEC_PG_DSN=postgresql://USER:PASSWORD@HOST:5432/postgres, or install the server "
            "binaries (Debian: apt-get install postgresql) or point DJSPEC_PG_BINDIR at them")
    cluster = pgcluster.Cluster(bindir)
    try:
        cluster.start()
    except pgcluster.ClusterError as exc:
        raise dbsel.DatabaseChoiceError(f"could not start a throw-away PostgreSQL from {bindir}: {exc}")
    add_cleanup(cluster.stop)
    return cluster
