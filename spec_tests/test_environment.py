"""Harness checks: the env really runs on the database and driver it names.

A PostgreSQL env must never pass without talking to PostgreSQL; these tests fail it if it did.
"""
import os

import pytest
from django.db import connection


@pytest.mark.harness
@pytest.mark.django_db
def test_env_talks_to_the_database_it_names(observe):
    expected = {"sqlite": "sqlite", "pg": "postgresql"}[os.environ.get("DJSPEC_DB", "sqlite") or "sqlite"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        observe(vendor=connection.vendor, server_version=cursor.fetchone()[0])
    assert connection.vendor == expected


@pytest.mark.harness
@pytest.mark.database("pg")
@pytest.mark.django_db
def test_pg_env_uses_the_driver_it_names(observe):
    wanted = os.environ.get("DJSPEC_PG_DRIVER")
    driver = connection.Database.__name__
    observe(driver=driver)
    if wanted:
        assert driver == wanted
