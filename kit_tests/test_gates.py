"""The gate lint: a claim's verdict in every matrix cell comes from its whole evidence, and a
claim that names a release gets a verdict there (djspec/gates.py)."""
from djspec import envs, gates
from djspec.registry import Claim, Registry, Source

MINORS = ["3.1", "3.2", "4.0", "4.1", "4.2"]


def lint(**tests):
    return gates.verdict_gaps({name: (gate, ["t.sample"]) for name, gate in tests.items()}, MINORS)


def test_a_sample_whose_async_half_cannot_run_on_old_releases_is_caught():
    """Q3's case: the sync half runs from 3.1, the async half needs aget (4.1+): on 3.1-4.0 the
    sample would 'hold' from its sync half alone."""
    problems = lint(sync_half=gates.Gate(django=[">=3.1"]), async_half=gates.Gate(django=[">=4.1"]))
    assert len(problems) == 1
    assert "async_half" in problems[0] and "sqlite 3.1, 3.2, 4.0; pg 3.1, 3.2, 4.0" in problems[0]


def test_a_test_with_the_complementary_gate_stands_in():
    assert lint(sync_half=gates.Gate(django=[">=3.1"]), async_half=gates.Gate(django=[">=4.1"]),
                async_half_as_written_fails=gates.Gate(django=[">=3.1", "<4.1"])) == []


def test_database_gates_split_a_claim_cleanly_and_database_free_tests_count_everywhere():
    assert lint(on_pg=gates.Gate(databases=["pg"]), on_sqlite=gates.Gate(databases=["sqlite"])) == []
    assert lint(http_only=gates.Gate(no_database=True), orm=gates.Gate()) == []
    assert gates.Gate(no_database=True).stands_for("4.2", "pg")
    assert not gates.Gate(no_database=True).applies("4.2", "pg", "psycopg")


def test_a_claim_naming_a_release_needs_a_test_that_runs_on_it():
    claim = Claim(id="t.sample", topic="t", kind="version", statement="Only Django 4.0 has it.",
                  sources=(Source("a", None, "s"),), versions="4.0")
    registry = Registry(articles={}, topics={}, claims={"t.sample": claim})
    newer = {"test_newer": (gates.Gate(django=[">=4.1"]), ["t.sample"])}
    assert gates.unjudged_releases(registry, newer, MINORS) == ["t.sample names Django 4.0 but no linked test runs there"]
    assert gates.unjudged_releases(registry, {"test_all": (gates.Gate(), ["t.sample"])}, MINORS) == []


def test_the_lint_takes_the_matrix_minors_from_tox(monkeypatch):
    """Inside an env tox passes them (DJSPEC_MATRIX_MINORS); elsewhere djspec.envs asks tox."""
    monkeypatch.setenv(envs.MINORS_VARIABLE, "30,31,61")
    assert envs.matrix_minors() == ["3.0", "3.1", "6.1"]
    monkeypatch.delenv(envs.MINORS_VARIABLE)
    assert envs.matrix_minors()[:2] == ["3.0", "3.1"] and "6.1" in envs.matrix_minors()
