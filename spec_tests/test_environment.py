"""Harness checks: the env really runs on the database, driver and server it names.

A PostgreSQL env must never pass without talking to PostgreSQL, and a SQLite env must run on a
file database as a deployment does; these tests fail the env if it did not. Every env, every
version: the expected values come from the env's name (tox factors), not from what Django did.
"""
import os
import sqlite3

import django
import pytest
from django.db import connection

from djspec import gates


def expected_database():
    return {"sqlite": "sqlite", "pg": "postgresql"}[os.environ.get("DJSPEC_DB") or "sqlite"]


def expected_driver():
    """The driver module the matrix puts under this env (README, "The matrix"); the pg2 env names
    its own with DJSPEC_PG_DRIVER."""
    database = os.environ.get("DJSPEC_DB") or "sqlite"
    minor = "%d.%d" % django.VERSION[:2]
    return os.environ.get("DJSPEC_PG_DRIVER") or gates.default_driver(minor, database)


@pytest.mark.harness
@pytest.mark.django_db
def test_env_talks_to_the_database_it_names(observe):
    observe(vendor=connection.vendor)
    assert connection.vendor == expected_database()


@pytest.mark.harness
@pytest.mark.django_db
def test_env_uses_the_driver_module_it_names(observe):
    driver = connection.Database.__name__.split(".")[0]  # SQLite's is sqlite3.dbapi2
    observe(driver=driver)
    assert driver == expected_driver()


@pytest.mark.harness
@pytest.mark.django_db
def test_env_reports_the_server_version_it_talks_to(observe, database_info):
    """The server version in the env's run_info is the one the test database's connection sees:
    SQLite's library version, or a PostgreSQL server (the kit needs 12 or newer)."""
    recorded = database_info["server_version"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            seen = cursor.fetchone()[0]
            assert seen == sqlite3.sqlite_version
        else:
            cursor.execute("SELECT current_setting('server_version'), current_setting('server_version_num')")
            seen, number = cursor.fetchone()
            assert int(number) >= 120000
    observe(server_version=seen)
    assert seen == recorded


@pytest.mark.harness
@pytest.mark.database("sqlite")
@pytest.mark.django_db
def test_sqlite_env_runs_on_a_file_database_as_deployments_do(observe):
    """Not Django's default in-memory test database, whose connections all share one cache: a
    file that each connection opens on its own, in a temp dir removed after the run."""
    name = connection.settings_dict["NAME"]
    observe(database_file=os.path.basename(name))
    assert not connection.is_in_memory_db()
    assert os.path.isfile(name)


def _post_migrate_rows():
    """The rows post_migrate makes, by natural key (PostgreSQL's ids move on after a flush)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site

    return (sorted(ContentType.objects.values_list("app_label", "model")),
            sorted(Permission.objects.values_list("content_type__app_label", "content_type__model", "codename", "name")),
            sorted(Site.objects.values_list("id", "domain", "name")))


@pytest.mark.harness
def test_between_tests_the_database_gets_back_the_rows_djangos_own_flush_gives_it(transactional_db, observe):
    """djspec/flush.py writes the kept post_migrate rows back instead of emitting the signal after
    each flush: the next test must start from exactly what Django's own flush leaves."""
    from django.core.management import call_command
    from django.core.management.sql import emit_post_migrate_signal

    call_command("flush", interactive=False, verbosity=0)  # the kit's flush (Django's own, the first time)
    kit = _post_migrate_rows()
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # Django's own way
    assert _post_migrate_rows() == kit
    observe(content_types=len(kit[0]), permissions=len(kit[1]), sites=len(kit[2]))
