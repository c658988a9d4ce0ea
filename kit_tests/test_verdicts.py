"""Verdicts are derived from outcomes; version ranges collapse BCD-style."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from djspec import verdicts as vd
from djspec.registry import Claim, Source

CLAIM = Claim(id="t.one", topic="t", kind="behaviour", statement="x", sources=(Source("a", None, "s"),))


def record(outcome, relation="confirms", claim="t.one"):
    return {"nodeid": f"test_{outcome}_{relation}", "outcome": outcome, relation: [claim]}


CASES = {
    "all confirming tests passed": ([record("passed"), record("passed")], vd.HOLDS),
    "all refuting tests passed": ([record("passed", "refutes")], vd.REFUTED),
    "confirming and refuting tests passed": ([record("passed"), record("passed", "refutes")], vd.PARTLY),
    "a linked test failed": ([record("passed"), record("failed")], vd.DRIFT),
    "a linked test errored": ([record("error", "refutes")], vd.DRIFT),
    "no linked test applies to this version": ([record("n/a"), record("n/a", "refutes")], vd.NA),
    "n/a tests do not dilute a pass": ([record("n/a", "refutes"), record("passed")], vd.HOLDS),
    "a linked test was skipped": ([record("skipped")], vd.SKIPPED),
    "no test links the claim": ([record("passed", claim="t.other")], vd.UNTESTED),
    "a test only measured the claim's quantity": ([record("passed", "measures")], vd.MEASURED),
    "a confirmation outranks a measurement": ([record("passed", "measures"), record("passed")], vd.HOLDS),
}


@pytest.mark.parametrize("tests, verdict", CASES.values(), ids=CASES.keys())
def test_verdict_is_derived_from_the_outcomes_that_ran(tests, verdict):
    assert vd.derive(CLAIM, tests)["verdict"] == verdict


def test_drift_names_the_failed_tests():
    assert vd.derive(CLAIM, [record("passed"), record("failed")])["failed"] == ["test_failed_confirms"]


def test_an_untestable_claim_is_untestable_whatever_ran():
    opinion = Claim(id="t.o", topic="t", kind="opinion", statement="x", sources=(), untestable="taste")
    assert vd.derive(opinion, [record("passed", claim="t.o")]) == {"verdict": vd.UNTESTABLE, "reason": "taste", "tests": []}


def test_summary_collapses_consecutive_versions():
    cells = [("3.0", "n/a"), ("3.1", "holds"), ("3.2", "holds"), ("4.0", "holds"), ("10.0", "holds")]
    assert vd.summarise(cells) == "holds 3.1–10.0; n/a 3.0"


def test_summary_marks_a_version_whose_envs_disagree():
    assert vd.summarise([("5.2", "holds"), ("5.2", "drift"), ("6.0", "holds")]) == "holds 6.0; mixed 5.2"


MINORS = ["3.0", "3.1", "3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1"]


@given(st.lists(st.sampled_from([vd.HOLDS, vd.REFUTED, vd.NA]), min_size=len(MINORS), max_size=len(MINORS)))
def test_summary_names_every_version_exactly_once(verdicts):
    summary = vd.summarise(list(zip(MINORS, verdicts)))
    spans = [span for part in summary.split("; ") for span in part.split(" ", 1)[1].split(", ")]
    covered = []
    for span in spans:
        first, _, last = span.partition("–")
        covered += MINORS[MINORS.index(first): MINORS.index(last or first) + 1]
    assert sorted(covered, key=vd.version_key) == MINORS


@pytest.mark.parametrize("cells, first", [
    ([("4.0", "refuted"), ("4.1", "holds"), ("6.1", "holds")], "4.1"),
    ([("3.0", "n/a"), ("3.1", "holds"), ("4.0", "holds")], "3.1"),
    ([("4.1", "holds"), ("5.0", "refuted")], None),
    ([("4.1", "holds"), ("5.0", "holds"), ("5.0", "refuted")], None),
    ([("4.1", "n/a")], None),
    ([("3.0", "holds"), ("6.1", "holds")], None),
])
def test_holds_from_is_the_first_minor_of_the_unbroken_run_of_holds_up_to_the_newest(cells, first):
    assert vd.holds_from(cells) == first
