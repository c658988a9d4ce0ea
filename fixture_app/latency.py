"""Injected latency: a query that takes a known time, on SQLite and PostgreSQL alike.

``Sleep(seconds)`` is a database function: on PostgreSQL it is ``pg_sleep``; on SQLite it is
``djspec_sleep``, a Python function registered on every new connection (see apps.py). Either
way the *database call* takes that long, so a test can tell whether N queries overlapped
(about one sleep in all) or ran one after another (N sleeps).
"""
import time

from django.db.models import Func, IntegerField


def sqlite_sleep(seconds):
    time.sleep(seconds)
    return 1


class Sleep(Func):
    """Evaluates to 1 after the database has slept ``seconds`` (once per row)."""

    output_field = IntegerField()

    def __init__(self, seconds):
        from django.db.models import Value

        super().__init__(Value(float(seconds)))

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="djspec_sleep", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(SELECT 1 FROM pg_sleep(%(expressions)s))", **extra)


def register_sqlite_sleep(sender, connection, **kwargs):
    """connection_created receiver: give every SQLite connection the djspec_sleep() function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("djspec_sleep", 1, sqlite_sleep)
