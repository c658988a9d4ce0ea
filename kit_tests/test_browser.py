"""report/index.html in headless Chromium: it renders every env column, its filter and details
panel work, and no script error occurs. Needs Chromium (Debian package ``chromium``)."""
from djspec import browsercheck, report
from kit_tests.test_report import result, write_results


def test_the_report_renders_in_chromium_with_every_env_and_no_script_error(tmp_path):
    results, out = tmp_path / "results", tmp_path / "report"
    results.mkdir()
    envs = [result("dj30-sqlite", "3.0"), result("dj52-sqlite", "5.2"), result("dj52-pg", "5.2", db_group="pg"),
            result("dj61-sqlite", "6.1", outcome="failed")]
    write_results(results, *envs)
    report.main(["--results", str(results), "--out", str(out)])
    assert browsercheck.check(out / "index.html", screenshot=tmp_path / "shot.png") == []
    assert (tmp_path / "shot.png").stat().st_size > 10_000


def test_a_page_without_an_env_column_is_reported(tmp_path):
    results, out = tmp_path / "results", tmp_path / "report"
    results.mkdir()
    write_results(results, result("dj52-sqlite", "5.2"))
    report.main(["--results", str(results), "--out", str(out)])
    page = out / "index.html"
    page.write_text(page.read_text().replace(">dj52-sqlite<br>", ">renamed<br>"))
    assert browsercheck.check(page) == ["matrix shows no column for ['dj52-sqlite']"]
