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
