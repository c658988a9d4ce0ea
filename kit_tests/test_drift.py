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
