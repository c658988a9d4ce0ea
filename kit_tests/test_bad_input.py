"""Bad input to a spec run: one clear error, a non-zero exit, no credentials, no silent pass.

Each test runs pytest with the kit's plugin in a subprocess, as tox would.
"""

import pytest

from djspec import results

SECRET = "hunter2-not-a-real-password"
SPEC_TEST = """
import pytest

@pytest.mark.claims(confirms=["soo.error-message"])
def test_x():
    pass
"""


def test_an_unknown_database_choice_stops_the_run(run_pytest):
    proc = run_pytest(env={"DJSPEC_DB": "mysql"})
    assert proc.returncode != 0
    assert "DJSPEC_DB='mysql' is not a database this kit runs on" in proc.stdout


def test_an_unreachable_dsn_fails_the_run_without_showing_credentials(run_pytest):
    dsn = f"postgresql://spec_user:{SECRET}@127.0.0.1:9/postgres?connect_timeout=3"
    proc = run_pytest(SPEC_TEST, env={"DJSPEC_DB": "pg", "DJSPEC_PG_DSN": dsn})
    assert proc.returncode != 0
    assert "cannot connect to PostgreSQL (host=127.0.0.1 port=9)" in proc.stdout
    assert SECRET not in proc.stdout and "spec_user" not in proc.stdout
    assert "passed" not in proc.stdout


def test_a_dsn_that_is_not_a_dsn_is_refused_without_echoing_it(run_pytest):
    proc = run_pytest(SPEC_TEST, env={"DJSPEC_DB": "pg", "DJSPEC_PG_DSN": f"postgresql://u:{SECRET}@h/db?bogus_option=1"})
    assert proc.returncode != 0
    assert "is not a valid DSN" in proc.stdout and SECRET not in proc.stdout


def test_missing_postgresql_binaries_fail_the_run_and_say_how_to_fix_it(run_pytest, tmp_path):
    proc = run_pytest(SPEC_TEST, env={"DJSPEC_DB": "pg", "DJSPEC_PG_BINDIR": str(tmp_path)})
    assert proc.returncode != 0
    assert "holds no initdb and postgres" in proc.stdout


def test_an_env_that_cannot_run_replaces_its_old_result_with_a_not_run_result(run_pytest, tmp_path):
    out = tmp_path / "results" / "dj99-pg.json"
    out.parent.mkdir()
    out.write_text('{"an old": "green result"}')
    dsn = f"postgresql://spec_user:{SECRET}@127.0.0.1:9/postgres?connect_timeout=3"
    proc = run_pytest(SPEC_TEST, env={"DJSPEC_DB": "pg", "DJSPEC_PG_DSN": dsn},
                      args=[f"--djspec-out={out}"])
    assert proc.returncode == 4
    result = results.load(out)  # the result-file format: a not-run result is one too
    assert result["tests"] == [] and result["exitstatus"] == 4
    assert "cannot connect to PostgreSQL" in result["error"]
    assert SECRET not in out.read_text() and "spec_user" not in out.read_text()


def test_a_test_linking_an_unknown_claim_id_stops_the_run(run_pytest):
    proc = run_pytest(SPEC_TEST.replace("soo.error-message", "soo.no-such-claim"))
    assert proc.returncode != 0
    assert "links unknown claim id 'soo.no-such-claim'" in proc.stdout


def test_a_spec_test_linking_no_claim_stops_the_run(run_pytest):
    proc = run_pytest("def test_x():\n    pass\n")
    assert proc.returncode != 0
    assert "a spec test links at least one claim" in proc.stdout


def test_a_version_gate_that_is_not_a_specifier_stops_the_run(run_pytest):
    proc = run_pytest(SPEC_TEST.replace("@pytest.mark.claims", '@pytest.mark.django("four point one")\n@pytest.mark.claims'))
    assert proc.returncode != 0
    assert "needs a version specifier" in proc.stdout


@pytest.mark.parametrize("gate, outcome", [(">=3.0", "1 passed"), ("<3.0", "1 skipped")])
def test_a_version_gate_runs_the_test_only_on_matching_versions(run_pytest, gate, outcome):
    proc = run_pytest(SPEC_TEST.replace("@pytest.mark.claims", f'@pytest.mark.django("{gate}")\n@pytest.mark.claims'), args=["-rs"])
    assert outcome in proc.stdout


def test_collecting_the_whole_suite_fails_on_untested_claims_of_a_complete_topic(run_pytest):
    proc = run_pytest(SPEC_TEST, paths=["spec_tests"])
    assert proc.returncode != 0
    assert "topics marked complete have testable claims no test links: " in proc.stdout
    assert "soo.allow-async-unsafe-disables-check" in proc.stdout


TIMING_PROXY = """
import pytest

@pytest.mark.claims(confirms=["concurrency.gather-http-time-is-slowest"])
def test_counts_threads_instead_of_timing(observe):
    observe(threads=3)

@pytest.mark.claims(confirms=["concurrency.gather-http-time-is-slowest"])
def test_checks_the_claimed_ratio(observe):
    from spec_tests.timing import assert_claimed
    assert_claimed(observe, "ratio", 0.36, claimed="1/3", accept=(None, 0.6))
"""


def test_a_timing_claim_confirmed_without_its_claimed_quantity_fails_the_test(run_pytest):
    """A thread count is no evidence for a claim about time: the test fails and says what to do."""
    proc = run_pytest(TIMING_PROXY)
    assert "1 failed, 1 passed" in proc.stdout
    assert "checked no claimed quantity: call spec_tests/timing.py::assert_claimed" in proc.stdout


def test_the_main_job_stops_on_an_unknown_env_naming_the_known_ones(monkeypatch, capsys):
    """A typo in -e: exit 2 before anything runs, the known envs named, no report shown."""
    from djspec import run

    monkeypatch.setattr(run, "run_matrix", lambda *a: pytest.fail("the matrix started"))
    monkeypatch.setattr(run, "make_report", lambda *a: pytest.fail("a report was made"))
    assert run.main(["-e", "dj99-sqlite"]) == 2
    out = capsys.readouterr()
    assert "unknown env 'dj99-sqlite'" in out.err and "dj52-pg" in out.err and "djany-sqlite" in out.err
    assert "report" not in out.out


def test_the_plugin_writes_results_in_the_schema_the_report_reads(run_pytest, tmp_path):
    out = tmp_path / "dj52-sqlite.json"
    proc = run_pytest(SPEC_TEST, args=[f"--djspec-out={out}"])
    assert proc.returncode == 0, proc.stdout
    result = results.load(out)  # validated against djspec/result.schema.json
    assert result["schema"] == results.SCHEMA and [t["outcome"] for t in result["tests"]] == ["passed"]
