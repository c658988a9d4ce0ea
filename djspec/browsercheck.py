"""Open report/index.html in headless Chromium and check what a reader would see.

    python -m djspec.browsercheck report/index.html [--screenshots report]

At 1400 px wide:
* the page unpacks its data with no script or console error, and the matrix has a column for
  every env of report.json (next to index.html) and a row for every claim;
* the matrix fits: no sideways scrolling of the page or of the table, and each claim is one line;
* a filter filters and its state lands in the URL fragment;
* a claim's permalink (``#claim/<id>``) opens its details panel with the linked tests' code;
* "my stack" (``#stack?django=X&db=pg&to=Y``) answers with the same counts as report.json, and
  the number of verdicts that change on upgrade.
At 390 px wide (a phone): no sideways scrolling of the page, the panel fits the screen, and the
stack form is usable. Screenshots of both widths go to ``--screenshots``
(screenshot-1400.png, screenshot-390.png).

Uses Playwright with the system's Chromium (Debian: ``apt-get install chromium``;
``DJSPEC_CHROMIUM`` names another binary). Exit status: 0 all good, 1 a check failed, 2 no browser
or no page.
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDE, NARROW = (1400, 900), (390, 844)


class BrowserCheckError(Exception):
    pass


def find_chromium():
    named = os.environ.get("DJSPEC_CHROMIUM")
    if named:
        if not (shutil.which(named) or Path(named).is_file()):
            raise BrowserCheckError(f"DJSPEC_CHROMIUM={named!r}: no such browser")
        return shutil.which(named) or named
    for name in CANDIDATES:
        if shutil.which(name):
            return shutil.which(name)
    raise BrowserCheckError("no Chromium found (install the Debian package `chromium`, or set DJSPEC_CHROMIUM)")


def stack_question(report):
    """(env, upgrade env) to ask "my stack" about: PostgreSQL when it ran, an older and the newest minor."""
    envs = [i for i in report["envs"] if not i["env"].startswith(("djlatest", "djany"))]
    pg = [i for i in envs if i.get("db_group") == "pg"] or [i for i in envs if i.get("db_group") == "sqlite"]
    if not pg:
        return None, None
    return pg[(len(pg) - 1) // 2], (pg[-1] if len(pg) > 1 else None)


def expected_changes(report, old, new):
    return sum(1 for c in report["claims"]
               if not c["untestable"] and c["cells"][old]["verdict"] != c["cells"][new]["verdict"])


def _open(browser, url, size, errors):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    return page


def check_wide(page, report, claim, problems):
    columns = {i["env"].split("-")[0] for i in report["envs"]}
    heads = page.eval_on_selector_all("#matrix-table thead th", "ths => ths.filter(th => th.offsetWidth > 0).length")
    if heads != len(columns) + 2:
        problems.append(f"matrix shows {heads - 2} version columns, report.json has {len(columns)} ({sorted(columns)})")
    rows = page.locator("#matrix-body tr.row").count()
    if rows != len(report["claims"]):
        problems.append(f"matrix has {rows} claim rows, report.json {len(report['claims'])}")
    fit = page.evaluate("""() => ({page: document.documentElement.scrollWidth, view: innerWidth,
        table: document.getElementById('matrix-scroll').scrollWidth, box: document.getElementById('matrix-scroll').clientWidth,
        heights: [...document.querySelectorAll('#matrix-body tr.row')].map(r => r.offsetHeight)})""")
    if fit["page"] > fit["view"] or fit["table"] > fit["box"]:
        problems.append(f"at {WIDE[0]} px the matrix scrolls sideways (page {fit['page']} px, table {fit['table']} px "
                        f"in {fit['box']} px)")
    heights = sorted(fit["heights"])
    if heights and heights[-1] > 1.5 * heights[len(heights) // 2]:
        problems.append(f"a claim row is more than one line high ({heights[-1]} px; most are {heights[len(heights) // 2]} px)")
    topic = report["topics"][1]["id"]
    page.select_option("#f-topic", topic)
    count = page.inner_text("#f-count")
    if count.startswith(f"{rows} of"):
        problems.append(f"the topic filter did not filter: {count!r}")
    if f"topic={topic}" not in page.evaluate("location.hash"):
        problems.append(f"the filter state is not in the URL: {page.evaluate('location.hash')!r}")
    page.select_option("#f-topic", "")


def check_permalink(page, report, claim, problems):
    page.evaluate(f"location.hash = '#claim/{claim['id']}'")
    page.wait_for_selector("#panel:not([hidden])", timeout=5000)
    title = page.inner_text("#panel-body h3")
    if title != claim["id"]:
        problems.append(f"#claim/{claim['id']} opened {title!r}")
    if page.locator("#panel-body pre.code").count() < 1:
        problems.append(f"the panel of {claim['id']} shows no test code")


def check_stack(page, report, claim, problems):
    old, new = stack_question(report)
    if old is None:
        return
    url = f"#stack?django={old['django_minor']}&db={old['db_group']}" + (f"&to={new['django_minor']}" if new else "")
    page.evaluate(f"location.hash = '{url}'")
    page.wait_for_selector(f"#stack-out .counts[data-env='{old['env']}']", timeout=5000)
    shown = dict(page.eval_on_selector_all("#stack-out .counts span[data-verdict]",
                                           "ss => ss.map(s => [s.dataset.verdict, +s.dataset.n])"))
    if shown != report["totals"][old["env"]]:
        problems.append(f"my stack for {old['env']} counts {shown}; report.json {report['totals'][old['env']]}")
    if new:
        changes = page.get_attribute("#stack-out [data-changes]", "data-changes")
        want = expected_changes(report, old["env"], new["env"])
        if changes is None or int(changes) != want:
            problems.append(f"my stack {old['env']} -> {new['env']}: {changes} changes shown, report.json has {want}")


def check_narrow(page, report, claim, problems):
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > NARROW[0]:
        problems.append(f"at {NARROW[0]} px the page scrolls sideways ({wide} px wide)")
    if not page.locator("#s-django").is_visible():
        problems.append(f"at {NARROW[0]} px the stack form is not visible")
    page.evaluate(f"location.hash = '#claim/{claim['id']}'")
    page.wait_for_selector("#panel:not([hidden])", timeout=5000)
    box = page.locator("#panel").bounding_box()
    if box["x"] < 0 or box["x"] + box["width"] > NARROW[0] + 1:
        problems.append(f"at {NARROW[0]} px the panel does not fit ({box})")
    page.click("#panel-close")


def check(page_path, screenshots=None):
    """Return a list of problems (empty: all good)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    page_path = Path(page_path).resolve()
    if not page_path.is_file():
        raise BrowserCheckError(f"{page_path}: no such page (run `tox -e report` first)")
    report = json.loads((page_path.parent / "report.json").read_text())
    claim = next((c for c in report["claims"] if c["tests"]), report["claims"][0])
    problems, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        try:
            for size, checks, shot in ((WIDE, (check_wide, check_permalink, check_stack), "screenshot-1400.png"),
                                       (NARROW, (check_narrow,), "screenshot-390.png")):
                page = _open(browser, page_path.as_uri(), size, errors)
                for one in checks:
                    try:
                        one(page, report, claim, problems)
                    except PlaywrightError as exc:  # a check that waited in vain: say which, go on
                        problems.append(f"{one.__name__} at {size[0]} px: {str(exc).splitlines()[0]}")
                    page.evaluate("location.hash = ''")
                if screenshots:
                    page.locator("#matrix-h").evaluate("h => h.scrollIntoView()")
                    page.screenshot(path=str(Path(screenshots) / shot))
        finally:
            browser.close()
    return problems + errors


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.browsercheck", description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="report/index.html")
    parser.add_argument("--screenshots", type=Path, help="save screenshot-1400.png and screenshot-390.png here")
    args = parser.parse_args(argv)
    try:
        problems = check(args.page, args.screenshots)
    except BrowserCheckError as exc:
        print(f"djspec browsercheck: error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"PROBLEM {problem}")
    if not problems:
        print(f"browsercheck: {args.page} at {WIDE[0]} and {NARROW[0]} px: every env column, one line per claim, no "
              "sideways scrolling, permalink, my stack, no script error"
              + (f"; screenshots in {args.screenshots}" if args.screenshots else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
