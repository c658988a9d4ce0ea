"""Comparing two runs (python -m djspec.diff) and the report's run history."""
import json

import pytest

from djspec import diff, model, report
from kit_tests.test_report import CLAIM_ID, result, write_results


@pytest.fixture
def two_runs(tmp_path):
    """``runs(old_results, new_results)`` -> the two results directories."""
    def runs(old, new):
        dirs = []
        for name, results in (("old", old), ("new", new)):
            d = tmp_path / name
            d.mkdir()
            write_results(d, *results)
            dirs.append(str(d))
        return dirs
    return runs


def test_the_same_envs_with_the_same_verdicts_exit_0(two_runs, capsys):
    old, new = two_runs([result("dj52-sqlite", "5.2")], [result("dj52-sqlite", "5.2")])
    assert diff.main([old, new]) == 0
    assert "0 verdict change(s), 0 observation change(s) in 1 column pair(s)" in capsys.readouterr().out


def test_a_verdict_that_moved_exits_1_and_names_the_claim_and_the_release_notes(two_runs, capsys):
    old, new = two_runs([result("djany-sqlite", "6.0")], [result("djany-sqlite", "6.1", outcome="failed")])
    assert diff.main([old, new]) == 1
    out = capsys.readouterr().out
    assert f"VERDICT {CLAIM_ID}: holds -> drift" in out
    assert "release notes: https://docs.djangoproject.com/en/stable/releases/6.1/" in out


def test_two_django_versions_pair_by_database(two_runs, capsys):
    old, new = two_runs([result("dj42-sqlite", "4.2"), result("dj42-pg", "4.2", db_group="pg")],
                        [result("dj52-sqlite", "5.2"), result("dj52-pg", "5.2", db_group="pg")])
    assert diff.main([old, new, "--json"]) == 0
    columns = json.loads(capsys.readouterr().out)
    assert [(c["old"]["env"], c["new"]["env"]) for c in columns] == [("dj42-sqlite", "dj52-sqlite"), ("dj42-pg", "dj52-pg")]


def test_an_observation_that_differs_only_in_numbers_is_not_a_change():
    old = {"generated": "a", "envs": [{"env": "e", "django": "5.2.1", "django_minor": "5.2", "db_group": "sqlite"}],
           "cells": {CLAIM_ID: {"e": {"verdict": "holds", "observations": ["ratio: 1.01"]}}}}
    new = json.loads(json.dumps(old))
    new["cells"][CLAIM_ID]["e"]["observations"] = ["ratio: 1.03"]
    assert diff.compare(old, new)[0]["observations"] == []
    new["cells"][CLAIM_ID]["e"]["observations"] = ["raised: TypeError"]
    assert len(diff.compare(old, new)[0]["observations"]) == 1


def test_a_claim_one_run_did_not_test_is_listed_but_not_counted():
    old = {"generated": "a", "envs": [{"env": "e", "django": "5.2.1", "django_minor": "5.2", "db_group": "sqlite"}],
           "cells": {CLAIM_ID: {"e": {"verdict": "untested", "observations": []}}}}
    new = json.loads(json.dumps(old))
    new["cells"][CLAIM_ID]["e"]["verdict"] = "holds"
    column = diff.compare(old, new)[0]
    assert column["verdicts"] == [] and column["uncompared"][0]["claim"] == CLAIM_ID


@pytest.mark.parametrize("args, message", [
    (["/no/such/run", "/no/such/run"], "cannot read"),
    (["{old}", "{new}", "--pair", "dj42-sqlite=nope"], "--pair 'dj42-sqlite=nope'"),
])
def test_bad_input_is_a_clear_error_with_exit_2(two_runs, capsys, args, message):
    old, new = two_runs([result("dj42-sqlite", "4.2")], [result("dj52-pg", "5.2", db_group="pg")])
    assert diff.main([a.format(old=old, new=new) for a in args]) == 2
    assert message in capsys.readouterr().err


def test_runs_that_share_no_env_and_no_database_need_explicit_pairs(two_runs, capsys):
    old, new = two_runs([result("dj42-sqlite", "4.2")], [result("dj52-pg", "5.2", db_group="pg")])
    assert diff.main([old, new]) == 2
    assert "--pair OLD_ENV=NEW_ENV" in capsys.readouterr().err
    assert diff.main([old, new, "--pair", "dj42-sqlite=dj52-pg"]) == 0


def test_each_report_keeps_a_history_entry_and_shows_what_changed_since_the_previous_one(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    out = tmp_path / "report"
    write_results(results, result("dj52-sqlite", "5.2"))
    monkeypatch.setattr(model, "now", lambda: "2026-01-01T00:00:00+00:00")
    assert report.main(["--results", str(results), "--out", str(out)]) == 0
    write_results(results, result("dj52-sqlite", "5.2", outcome="failed"))
    monkeypatch.setattr(model, "now", lambda: "2026-01-02T00:00:00+00:00")
    assert report.main(["--results", str(results), "--out", str(out)]) == 1
    assert len(list((out / "history").glob("*.json"))) == 2
    since = json.loads((out / "report.json").read_text())["since_previous"]
    assert since["previous"] == "2026-01-01T00:00:00+00:00"
    assert [v["claim"] for v in since["columns"][0]["verdicts"]] == [CLAIM_ID]
    assert f'href="#claim/{CLAIM_ID}">{CLAIM_ID}</a> on dj52-sqlite' in (out / "index.html").read_text()
    assert diff.main([str(out / "history" / "2026-01-01T000000Z.json"), str(out)]) == 1



@pytest.mark.parametrize("old, new", [
    (["threads: [140234881234, 140234899999]"], ["threads: [139999881234, 140111899999]"]),
    (["database_file: /tmp/djspec-sqlite-4nhennvh/djspec_test.sqlite3"], ["database_file: /tmp/djspec-sqlite-q0likv3d/djspec_test.sqlite3"]),
    (["server: http://127.0.0.1:38113/hello/"], ["server: http://127.0.0.1:50361/hello/"]),
    (["repr: <Thing object at 0x7efde160e3c0>"], ["repr: <Thing object at 0x7efd11112222>"]),
    (["max_loop_pause_s: 0.006", "async_requests_per_second: 389.3"], ["max_loop_pause_s: 0.02", "async_requests_per_second: 196.9"]),
    (["gathered (x the slowest): 2.35", "gathered (x the slowest) accepted: [-inf, 1.78]"],
     ["gathered (x the slowest): 2.61", "gathered (x the slowest) accepted: [-inf, 1.78]"]),
    (["rows: 100"], ["rows: 110"]),  # within the 25 % tolerance
])
def test_what_varies_from_run_to_run_is_not_an_observation_change(old, new):
    assert diff.same_observations(old, new)


@pytest.mark.parametrize("old, new", [
    (["raised: SynchronousOnlyOperation: You cannot call this from an async context"], ["raised: TypeError: nope"]),
    (["queries: 3"], ["queries: 5"]),
    (["status: 200"], ["status: 500"]),
    (["threads: 1"], ["threads: 1", "loop: None"]),
    (["gathered (x the slowest) accepted: [-inf, 1.78]"], ["gathered (x the slowest) accepted: [-inf, 2.5]"]),
])
def test_a_different_message_count_status_or_band_is_an_observation_change(old, new):
    assert not diff.same_observations(old, new)


def test_a_timing_claims_numbers_are_never_compared():
    assert diff.same_observations(["elapsed x one call: 1.1"], ["elapsed x one call: 1.9"], timing=True)
    assert not diff.same_observations(["elapsed x one call: 1.1"], ["elapsed x one call: 1.9"], timing=False)
