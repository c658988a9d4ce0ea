from django.apps import AppConfig


class FixtureAppConfig(AppConfig):
    name = "fixture_app"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from fixture_app.latency import register_sqlite_sleep

        connection_created.connect(register_sqlite_sleep)
