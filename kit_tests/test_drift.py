"""Drift: when Django changes, exactly the tests of what changed fail, and they name the claim.

The mutation removes one async method from the installed Django before the spec runs, the way
a release that dropped it would.
"""
from kit_tests.conftest import ROOT

MUTATION = """
def pytest_configure(config):
    from django.db.models.query import QuerySet

    del QuerySet.acontains  # a Django without QuerySet.acontains()
"""


def test_removing_one_async_method_fails_exactly_its_test_and_names_its_claim(run_pytest, tmp_path):
    (tmp_path / "drop_acontains.py").write_text(MUTATION)
    proc = run_pytest(paths=[str(ROOT / "spec_tests" / "test_api_availability.py")],
                      args=["-p", "drop_acontains", "-rf"])
    assert proc.returncode == 1
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1
    assert failed[0].endswith("test_api_availability.py::test_async_api_exists_from_its_first_release[queryset-acontains]")
    assert "Claims whose verdict moved: api.queryset-acontains" in proc.stdout


def test_a_no_database_test_that_runs_sql_fails_and_says_the_marker_is_wrong(run_pytest):
    """A ``no_database`` test's outcome stands for every database column, so the plugin watches
    its call: a statement on any connection fails it; a test that touches nothing passes."""
    proc = run_pytest("""
        import pytest
        from django.db import connection

        @pytest.mark.no_database
        @pytest.mark.harness
        @pytest.mark.django_db
        def test_runs_a_query():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")

        @pytest.mark.no_database
        @pytest.mark.harness
        def test_touches_nothing():
            assert 1 + 1 == 2
        """, args=["-rf"])
    assert proc.returncode == 1, proc.stdout
    assert "1 failed, 1 passed" in proc.stdout
    assert "FAILED spec_tests/test_x.py::test_runs_a_query" in proc.stdout
    assert "djspec: this test is marked no_database" in proc.stdout
    assert "touched the database on Django" in proc.stdout and "SQL 'SELECT 1'" in proc.stdout
