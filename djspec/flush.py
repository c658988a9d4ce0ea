"""A cheaper reset between transactional tests, with the same database afterwards.

After each test that commits (``transactional_db``: async tests whose queries run on other
threads' connections need real commits), Django's TransactionTestCase empties every table with
``flush`` and then emits ``post_migrate``, whose receivers create the content types, the
permissions and the default site again, app by app, query by query. Measured on dj52-sqlite,
that re-creation was a fifth of the env's CPU (about 10 s of 54 s, 310 flushes).

``install()`` keeps Django's first flush per database as it is, then remembers the rows the
``post_migrate`` receivers wrote (the tables of ``ROW_MODELS``) and, on every later flush, skips
the signal and writes those same rows back in one transaction. A test starts from the same
database as before: the same rows (a harness test in spec_tests/test_environment.py compares
them with Django's own flush by natural key). Their primary keys stay those of the first flush,
where Django's own would hand out new ones on PostgreSQL, and the sequences are moved past them.
Nothing else changes: the flush itself, the tables, the connections, the tests. Only the
spec's test session uses it (``spec_tests/conftest.py``), and it patches the flush command
class in memory, never an installed file.
"""
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# the models whose rows post_migrate writes for the apps of fixture_app.settings, parents first
ROW_MODELS = (("contenttypes", "ContentType"), ("auth", "Permission"), ("sites", "Site"))


def _models():
    from django.apps import apps

    return [apps.get_model(app, name) for app, name in ROW_MODELS if apps.is_installed(f"django.contrib.{app}")]


def snapshot(alias):
    """{model: (columns, rows)} of every ROW_MODELS table, read with plain SQL."""
    connection, out = connections[alias], {}
    with connection.cursor() as cursor:
        for model in _models():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
            out[model] = ([c[0] for c in cursor.description], cursor.fetchall())
    return out


def restore(alias, kept):
    """Write the kept rows back after a flush, then move PostgreSQL's sequences past them."""
    from django.contrib.contenttypes.models import ContentType

    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for model, (columns, rows) in kept.items():
            if rows:
                names = ", ".join(connection.ops.quote_name(c) for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) "
                                   f"VALUES ({marks})", rows)
        for sql in connection.ops.sequence_reset_sql(no_style(), list(kept)):
            cursor.execute(sql)
    ContentType.objects.clear_cache()  # as post_migrate's receiver does


def install():
    """Patch the flush command (in memory) as the module docstring says; returns the undo."""
    from django.core.management.commands import flush

    original = flush.Command.handle
    kept = {}

    def handle(self, **options):
        alias = options.get("database") or DEFAULT_DB_ALIAS
        if options.get("inhibit_post_migrate"):
            return original(self, **options)
        if alias not in kept:
            result = original(self, **options)  # Django's own flush and post_migrate, once
            kept[alias] = snapshot(alias)
            return result
        result = original(self, **dict(options, inhibit_post_migrate=True))
        restore(alias, kept[alias])
        return result

    flush.Command.handle = handle

    def undo():
        flush.Command.handle = original

    return undo
