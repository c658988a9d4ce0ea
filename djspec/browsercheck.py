"""Open report/index.html in headless Chromium and check what a reader would see.

    python -m djspec.browsercheck report/index.html [--screenshot report/screenshot.png]

Checks: no script error and no console error while the page loads and while a filter and a
cell's details panel are used; the matrix has a column header for every env of report.json
(next to index.html) and each is displayed. Uses Playwright with the system's Chromium
(Debian: ``apt-get install chromium``; ``DJSPEC_CHROMIUM`` names another binary). Exit status:
0 all good, 1 a check failed, 2 no browser or no page.
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


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


def check(page_path, screenshot=None):
    """Return a list of problems (empty: all good)."""
    from playwright.sync_api import sync_playwright

    page_path = Path(page_path).resolve()
    if not page_path.is_file():
        raise BrowserCheckError(f"{page_path}: no such page (run `tox -e report` first)")
    report = json.loads((page_path.parent / "report.json").read_text())
    envs = [info["env"] for info in report["envs"]]
    problems, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
            page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
            page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
            page.goto(page_path.as_uri(), wait_until="load")
            headers = page.eval_on_selector_all(
                "#matrix thead th", "ths => ths.map(th => [th.innerText.split('\\n')[0].trim(), th.offsetWidth > 0])")
            shown = {name for name, visible in headers if visible}
            missing = [env for env in envs if env not in shown]
            if missing:
                problems.append(f"matrix shows no column for {missing}")
            rows = page.locator("#matrix tbody tr.claim-row").count()
            if rows != len(report["claims"]):
                problems.append(f"matrix has {rows} claim rows, report.json {len(report['claims'])}")
            page.select_option("#f-topic", report["topics"][0]["id"])  # a filter works...
            count = page.inner_text("#f-count")
            if not count.endswith(f"of {rows} claims") or count.startswith(f"{rows} of"):
                problems.append(f"the topic filter did not filter: {count!r}")
            page.select_option("#f-topic", "")
            if screenshot:
                page.screenshot(path=str(screenshot), full_page=False)
            page.locator("#matrix td.v").first.click()  # ...and a cell opens its details
            if not page.locator("#panel.open").is_visible():
                problems.append("clicking a cell opened no details panel")
        finally:
            browser.close()
    return problems + errors


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.browsercheck", description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="report/index.html")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the page here")
    args = parser.parse_args(argv)
    try:
        problems = check(args.page, args.screenshot)
    except BrowserCheckError as exc:
        print(f"djspec browsercheck: error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"PROBLEM {problem}")
    if not problems:
        print(f"browsercheck: {args.page} renders in Chromium with every env column and no script error"
              + (f"; screenshot {args.screenshot}" if args.screenshot else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
