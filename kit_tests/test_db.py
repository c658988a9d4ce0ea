"""Database input: choices are validated and credentials never leak into messages."""
import pytest

from djspec import db

REDACTIONS = {
    "URL with user and password": ("postgresql://alice:s3cret@db.example:5432/app", "postgresql://***@db.example:5432/app"),
    "URL with user only": ("postgresql://alice@db.example/app", "postgresql://***@db.example/app"),
    "URL with password in the query": ("postgresql://db.example/app?password=s3cret&sslmode=require",
                                       "postgresql://db.example/app?password=***&sslmode=require"),
    "key=value form": ("host=db.example user=alice password='s3 cret' dbname=app",
                       "host=db.example user=*** password=*** dbname=app"),
    "no credentials": ("host=/tmp/sock dbname=postgres", "host=/tmp/sock dbname=postgres"),
}


@pytest.mark.parametrize("dsn, shown", REDACTIONS.values(), ids=REDACTIONS.keys())
def test_redact_hides_user_and_password(dsn, shown):
    assert db.redact(dsn) == shown


def test_scrub_removes_credentials_from_a_driver_error():
    text = 'FATAL:  password authentication failed for user "alice"'
    assert db.scrub(text, {"user": "alice", "password": "s3cret"}) == 'FATAL:  password authentication failed for user "***"'


@pytest.mark.parametrize("value", ["mysql", "postgres", "SQLite"])
def test_an_unknown_database_choice_is_refused(monkeypatch, value):
    monkeypatch.setenv("DJSPEC_DB", value)
    with pytest.raises(db.DatabaseChoiceError, match="is not a database this kit runs on"):
        db.choice()


def test_test_database_names_differ_per_env(monkeypatch):
    monkeypatch.setenv("TOX_ENV_NAME", "dj42-pg")
    assert db.test_database_name() == "djspec_test_dj42_pg"
    monkeypatch.setenv("TOX_ENV_NAME", "dj52-pg2")
    assert db.test_database_name() == "djspec_test_dj52_pg2"


def test_only_a_user_supplied_dsn_is_scrubbed_never_the_clusters(monkeypatch):
    """The throw-away cluster's connection reaches a child process as DJSPEC_CLUSTER_DSN; it holds
    no secret, so its user name (say 'djspec') stays readable in every message."""
    monkeypatch.delenv("DJSPEC_PG_DSN", raising=False)
    monkeypatch.setenv("DJSPEC_CLUSTER_DSN", "host=/tmp/djspec-pg-x port=5432 user=djspec dbname=postgres")
    assert db.scrub_user_dsn("djspec_test_dj52_pg is ready") == "djspec_test_dj52_pg is ready"
    monkeypatch.setenv("DJSPEC_PG_DSN", "postgresql://alice:s3cret@db.example/postgres")
    assert db.scrub_user_dsn("alice used s3cret") == "*** used ***"
