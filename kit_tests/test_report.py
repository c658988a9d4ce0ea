"""Merging env results into report/: what it writes, and how it refuses bad input."""
import json

import pytest

from djspec import model, report, report_html, report_md, results
from kit_tests.test_registry import GOOD_CLAIM

CLAIM_ID = "soo.error-message"


def result(env, minor, outcome="passed", db_group="sqlite"):
    """One env's result file, written through the result-format module (djspec/results.py)."""
    info = {"env": env, "django": minor + ".1", "django_minor": minor, "python": "3.12.0", "db_group": db_group,
            "database": {"choice": db_group.split("-")[0], "vendor": "sqlite", "server_version": "3.40.1",
                         "driver": "sqlite3", "driver_version": "3.40.1"},
            "started": "2026-11-29T12:00:00+00:00", "duration_s": 1.0}
    test = results.TestRecord(nodeid="spec_tests/test_soo.py::test_x", file="spec_tests/test_soo.py", line=3,
                              name="test_x", doc="", gate=None, applies=True, confirms=[CLAIM_ID], outcome=outcome,
                              observations={"raised": "SynchronousOnlyOperation: ..."}, message="boom")
    return results.result(info, [test], {}, 0 if outcome == "passed" else 1)


@pytest.fixture
def results_dir(tmp_path):
    d = tmp_path / "results"
    d.mkdir()
    return d


def write_results(results_dir, *results):
    for r in results:
        (results_dir / f"{r['run_info']['env']}.json").write_text(json.dumps(r))


def test_report_merges_envs_into_columns_sorted_by_django_version(results_dir, tmp_path):
    write_results(results_dir, result("dj50-sqlite", "5.0"), result("dj42-sqlite", "4.2"), result("dj42-pg", "4.2", db_group="pg"))
    assert report.main(["--results", str(results_dir), "--out", str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [e["env"] for e in data["envs"]] == ["dj42-sqlite", "dj42-pg", "dj50-sqlite"]
    claim = next(c for c in data["claims"] if c["id"] == CLAIM_ID)
    assert claim["cells"]["dj42-sqlite"] == {"verdict": "holds", "observations": ["raised: SynchronousOnlyOperation: ..."]}
    assert claim["summary"] == {"sqlite": "holds 4.2–5.0", "pg": "holds 4.2"}
    page = (tmp_path / "out" / "index.html").read_text()
    assert page.count('<th scope="col" title="Django ') == 2  # the compact table: one column per minor
    assert CLAIM_ID in (tmp_path / "out" / "report.md").read_text()


def test_a_failed_test_shows_as_drift_with_its_message_and_exit_status_1(results_dir, tmp_path, capsys):
    write_results(results_dir, result("dj42-sqlite", "4.2", outcome="failed"))
    assert report.main(["--results", str(results_dir), "--out", str(tmp_path / "out")]) == 1
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["drift"] == [["dj42-sqlite", CLAIM_ID]]
    assert capsys.readouterr().out.startswith(f"DRIFT {CLAIM_ID} on dj42-sqlite")


BAD_INPUT = {
    "no result files": ({}, "no result files"),
    "corrupt JSON": ({"dj42-sqlite.json": "{not json"}, "not a readable JSON result file"),
    "not a result file": ({"dj42-sqlite.json": json.dumps({"hello": 1})}, "not a djspec result file"),
    "another schema version": ({"dj42-sqlite.json": json.dumps(dict(result("dj42-sqlite", "4.2"), schema=2))},
                               "result schema version 2; this kit reads version 1"),
    "a test without its outcome": ({"dj42-sqlite.json": json.dumps(
        dict(result("dj42-sqlite", "4.2"), tests=[{k: v for k, v in result("dj42-sqlite", "4.2")["tests"][0].items()
                                                   if k != "outcome"}]))},
        "data.tests[0] must contain ['outcome'] properties"),
}


@pytest.mark.parametrize("files, message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_results_fail_with_exit_2_and_write_nothing(results_dir, tmp_path, capsys, files, message):
    for name, text in files.items():
        (results_dir / name).write_text(text)
    assert report.main(["--results", str(results_dir), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_two_result_files_for_one_env_are_refused(results_dir, tmp_path, capsys):
    (results_dir / "a.json").write_text(json.dumps(result("dj42-sqlite", "4.2")))
    (results_dir / "b.json").write_text(json.dumps(result("dj42-sqlite", "4.2")))
    assert report.main(["--results", str(results_dir), "--out", str(tmp_path / "out")]) == 2
    assert "several result files" in capsys.readouterr().err


def test_an_env_that_did_not_run_shows_as_not_run_with_its_reason_and_exit_status_1(results_dir, tmp_path, capsys):
    not_run = dict(result("dj42-pg", "4.2", db_group="pg"), tests=[], exitstatus=4, error="no PostgreSQL")
    not_run["run_info"]["database"] = {"choice": "pg", "vendor": None}
    write_results(results_dir, result("dj42-sqlite", "4.2"), not_run)
    assert report.main(["--results", str(results_dir), "--out", str(tmp_path / "out")]) == 1
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["not_run"] == [["dj42-pg", "no PostgreSQL"]]
    claim = next(c for c in data["claims"] if c["id"] == CLAIM_ID)
    assert claim["cells"]["dj42-pg"] == {"verdict": "not run", "failures": ["no PostgreSQL"]}
    out = capsys.readouterr().out
    assert out.startswith("NOT RUN dj42-pg: no PostgreSQL")
    assert out.rstrip().endswith("tests: 1 passed, 0 failed, 0 skipped; 1 env(s) did not run")


COVERAGE_TOPIC = GOOD_CLAIM.replace("t.one", "t.tested") + """
[[claim]]
id = "t.opinion"
kind = "opinion"
statement = "Async is nicer."
untestable = "taste"
sources = [{ article = "000_x.txt", section = "outro" }]

[[claim]]
id = "t.later"
kind = "api"
statement = "Django documents an API."
sources = [{ doc = "https://docs.djangoproject.com/en/stable/topics/async/", section = "Queries" }]
"""


def test_coverage_counts_tested_untestable_and_not_yet_tested_claims_per_article_and_topic(claims_dir):
    from djspec import registry

    (claims_dir / "t.toml").write_text(COVERAGE_TOPIC)
    run = result("dj42-sqlite", "4.2")
    run["tests"][0]["confirms"] = ["t.tested"]
    cov = model.build(registry.load(claims_dir), [run])["coverage"]
    row = {"claims": 2, "tested": 1, "untestable": 1, "not yet tested": 0}
    assert cov["by_article"] == [
        {"article": "000_x.txt", "short": "A0", "title": "An article", **row},
        {"article": None, "short": "docs", "title": "Django documentation only",
         "claims": 1, "tested": 0, "untestable": 0, "not yet tested": 1},
    ]
    assert cov["by_topic"] == [{"topic": "t", "title": "A topic", "complete": False,
                                "claims": 3, "tested": 1, "untestable": 1, "not yet tested": 1}]
    assert cov["total"] == {"claims": 3, "tested": 1, "untestable": 1, "not yet tested": 1}
    html = report_html.render_html(model.build(registry.load(claims_dir), [run]))
    assert '<section id="coverage">\n<h2>Coverage</h2>' in html


def test_the_benchmark_summary_gives_median_and_spread_per_test_and_observation():
    from djspec import bench

    runs = [{"tests": [{"nodeid": "m.py::t", "observations": {"ratio": r, "note": "x"}}]} for r in (1.0, 1.2, 0.9)]
    assert bench.summarise(runs) == {"m.py::t": {"ratio": {"median": 1.0, "min": 0.9, "max": 1.2, "runs": 3}}}


def test_report_shows_the_benchmark_as_its_performance_section(tmp_path):
    path = tmp_path / "benchmark.json"
    path.write_text(json.dumps({"repeat": 3, "envs": {"dj52-pg": {"tests": {
        "spec_tests/test_concurrency.py::test_gather_over_async_orm_calls_runs_the_queries_one_after_another":
            {"ratio": {"median": 1.01, "min": 1.0, "max": 1.05, "runs": 3}}}}}}))
    perf = model.performance(path)
    assert perf["rows"][0]["values"] == {"dj52-pg": {"median": 1.01, "min": 1.0, "max": 1.05, "runs": 3}}
    assert "1.01 [1.0–1.05]" in "\n".join(report_md.render_performance_md(perf))
    assert model.performance(tmp_path / "missing.json") is None


def database_free(result_, outcome):
    """``result_`` with its one test marked database-free and given ``outcome``."""
    result_["tests"][0].update(no_database=True, outcome=outcome)
    return result_


def test_a_database_free_test_stands_for_every_database_of_its_django_version(results_dir, tmp_path):
    """It runs in the SQLite env only; the PostgreSQL env of the same Django gets its outcome, and
    the claim is summarised once, for any database."""
    write_results(results_dir, database_free(result("dj42-sqlite", "4.2"), "passed"),
                  database_free(result("dj42-pg", "4.2", db_group="pg"), "n/a"))
    assert report.main(["--results", str(results_dir), "--out", str(tmp_path / "out")]) == 0
    claim = next(c for c in json.loads((tmp_path / "out" / "report.json").read_text())["claims"] if c["id"] == CLAIM_ID)
    assert claim["cells"]["dj42-pg"]["verdict"] == claim["cells"]["dj42-sqlite"]["verdict"] == "holds"
    assert any("run in dj42-sqlite" in o for o in claim["cells"]["dj42-pg"]["observations"])
    assert claim["database_free"] and claim["summary"] == {"any": "holds 4.2"}
    assert "any database: holds 4.2" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.parametrize("cells, shown", [
    ([("3.0", "refuted"), ("4.2", "refuted"), ("5.0", "holds"), ("6.1", "holds")], "5.0"),
    ([("3.0", "n/a"), ("5.2", "n/a"), ("6.0", "holds"), ("6.1", "holds")], "6.0"),
    ([("3.0", "holds"), ("6.1", "holds")], "3.0"),
    ([("3.0", "holds"), ("6.1", "refuted")], "no (refuted in 6.1)"),
    ([("3.0", "n/a"), ("6.1", "n/a")], "n/a"),
])
def test_the_compatibility_table_shows_the_first_minor_from_which_an_item_works(cells, shown):
    assert model.compat_cell(cells) == shown


def test_a_docs_source_is_counted_under_its_page_whatever_the_version():
    assert model.docs_page("https://docs.djangoproject.com/en/4.2/topics/async/#queries-the-orm") == "topics/async"
    assert model.docs_page("https://docs.djangoproject.com/en/stable/releases/5.0/") == "releases/5.0"


def test_a_docs_statement_is_judged_on_exactly_the_releases_whose_docs_make_it():
    """Conformance: the 4.1–4.2 docs say it; it holds on 4.1, fails on 4.2, and 5.0's refutation
    does not count (its docs no longer say it)."""
    claim = {"id": "t.x", "statement": "s", "untestable": None, "database_free": True,
             "sources": [{"said": "4.1–4.2"}],
             "cells": {"dj41-sqlite": {"verdict": "holds"}, "dj42-sqlite": {"verdict": "refuted"},
                       "dj50-sqlite": {"verdict": "refuted"}}}
    envs = [{"env": f"dj{m.replace('.', '')}-sqlite", "django_minor": m, "db_group": "sqlite"} for m in ("4.1", "4.2", "5.0")]
    rows = model.conformance({"claims": [claim], "envs": envs})
    assert rows == [{"id": "t.x", "statement": "s", "said": ["4.1–4.2"], "verdicts": {"any": "differs on 4.2"}}]


@pytest.mark.parametrize("text, said", [
    ("4.1+ (release notes)", ("4.1", None)), (">=4.2", ("4.2", None)), ("3.1 - 4.0", ("3.1", "4.0")),
    ("6.1 (docs)", ("6.1", "6.1")), ("< 3.0", None), (None, None),
])
def test_the_releases_a_claim_names_are_read_from_its_versions(text, said):
    assert model.claimed_range(text) == said


def test_a_claim_that_says_4_1_but_holds_from_4_2_is_listed_as_a_disagreement():
    envs = [{"env": f"dj{m.replace('.', '')}-sqlite", "django_minor": m, "db_group": "sqlite"} for m in ("4.0", "4.1", "4.2")]
    verdicts = {"4.0": "refuted", "4.1": "refuted", "4.2": "holds"}

    def claim(cid, kind, versions):
        return {"id": cid, "kind": kind, "statement": "s", "versions_claimed": versions, "untestable": None,
                "tests": [{}], "database_free": False, "sources": [{"article": "000_x.txt"}],
                "cells": {f"dj{m.replace('.', '')}-sqlite": {"verdict": v} for m, v in verdicts.items()}}

    rows = model.claimed_vs_measured({"envs": envs, "claims": [claim("t.a", "api", "4.1+"), claim("t.b", "api", "4.2+"),
                                                                 claim("t.c", "version", "4.2+")]})
    assert [(r["id"], r["runs"]["sqlite"], r["agrees"]) for r in rows] == [
        ("t.a", "4.2", False), ("t.b", "4.2", True), ("t.c", "false on 4.0, 4.1", False)]
