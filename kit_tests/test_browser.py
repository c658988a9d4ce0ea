"""report/index.html in headless Chromium at 1400 and 390 px: every env has a column, the table fits,
a claim's permalink opens its panel, "my stack" answers, and no script error occurs. Needs
Chromium (Debian package ``chromium``)."""
import json

from djspec import browsercheck, report
from kit_tests.test_report import result, write_results

REAL_TEST = "test_building_a_queryset_in_async_code_raises_nothing_and_runs_no_query"


def test_the_report_renders_in_chromium_at_both_widths_with_no_script_error(tmp_path):
    results, out = tmp_path / "results", tmp_path / "report"
    results.mkdir()
    envs = [result("dj30-sqlite", "3.0"), result("dj42-pg", "4.2", db_group="pg"), result("dj52-sqlite", "5.2"),
            result("dj52-pg", "5.2", db_group="pg"), result("dj61-sqlite", "6.1", outcome="failed")]
    for env in envs:  # a test that exists in the checkout: the panel shows its code
        env["tests"][0].update(nodeid=f"spec_tests/test_soo.py::{REAL_TEST}", name=REAL_TEST)
    write_results(results, *envs)
    report.main(["--results", str(results), "--out", str(out)])
    assert browsercheck.check(out / "index.html", screenshots=tmp_path) == []
    assert (tmp_path / "screenshot-1400.png").stat().st_size > 10_000
    assert (tmp_path / "screenshot-390.png").stat().st_size > 10_000


def test_a_page_without_an_env_column_is_reported(tmp_path):
    results, out = tmp_path / "results", tmp_path / "report"
    results.mkdir()
    write_results(results, result("dj52-sqlite", "5.2"))
    report.main(["--results", str(results), "--out", str(out)])
    data = json.loads((out / "report.json").read_text())  # report.json names an env the page does not show
    data["envs"].append(dict(data["envs"][0], env="dj60-sqlite", django_minor="6.0"))
    (out / "report.json").write_text(json.dumps(data))
    problems = browsercheck.check(out / "index.html")
    assert problems[0] == "matrix shows 1 version columns, report.json has 2 (['dj52', 'dj60'])"
