"""The main job: the whole matrix, then the report, with progress per env and a final summary.

    python -m djspec.run [--quiet] [--parallel N] [-e ENV,ENV...]

Runs ``tox p -m spec`` (or the envs named with -e), printing one line per env as it finishes
(``[ 3/25] dj31-pg      OK    41.2 s``), then ``tox -e report`` and, when a Chromium is
installed, ``tox -e browser`` (a screenshot next to the report). It ends with a summary that
names the report. ``--quiet`` (for CI) prints only failures and the summary. The full tox
output goes to .tox/djspec-run.log. Exit status: 0 when every env passed and the report found
no drift; 1 otherwise.
"""
import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# tox's line for an env that finished: "dj31-pg: OK ✔ in 41.2 seconds" as it happens, and
# "  dj31-pg: OK (41.20=setup[...]+cmd[...] seconds)" in its closing summary
DONE = re.compile(r"^\s*(?P<env>[\w.-]+): (?P<status>OK|FAIL)\b.*?(?:in (?P<live>[\d.]+) seconds|\((?P<total>[\d.]+)=)")
SPEC_ENVS = 25  # tox.ini's `spec` label, clean left out (kit_tests/test_workflow.py keeps the two in step)


def tox_command():
    local = ROOT / ".venv" / "bin" / "tox"
    return [str(local)] if local.exists() else [sys.executable, "-m", "tox"]


def run_matrix(args, log, say):
    select = ["-e", args.envs] if args.envs else ["-m", "spec"]
    total = len(args.envs.split(",")) if args.envs else SPEC_ENVS
    command = tox_command() + ["p", "-p", str(args.parallel), "--parallel-no-spinner"] + select
    say(f"running {total} envs, {args.parallel} at a time: {' '.join(command[1:])}")
    finished, failed = [], []
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    for line in proc.stdout:
        log.write(line)
        match = DONE.match(line.strip())
        if not match or match["env"] == "clean" or match["env"] in finished:
            continue
        finished.append(match["env"])
        if match["status"] == "FAIL":
            failed.append(match["env"])
        seconds = float(match["live"] or match["total"])
        text = f"[{len(finished):>2}/{total}] {match['env']:<16} {match['status']:<5} {seconds:6.1f} s"
        if match["status"] == "FAIL" or not args.quiet:
            print(text, flush=True)
    return proc.wait(), finished, failed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print only failures and the final summary (CI)")
    parser.add_argument("--parallel", "-p", type=int, default=4, help="envs at a time (default 4)")
    parser.add_argument("-e", dest="envs", help="comma-separated envs instead of the whole `spec` label")
    args = parser.parse_args(argv)
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")

    def say(text):
        if not args.quiet:
            print(text, flush=True)

    start = time.monotonic()
    log_path = ROOT / ".tox" / "djspec-run.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        matrix_rc, finished, failed = run_matrix(args, log, say)
        say("merging the results into report/")
        report = subprocess.run(tox_command() + ["-qq", "-e", "report"], cwd=ROOT, capture_output=True, text=True)
        log.write(report.stdout + report.stderr)
        lines = report.stdout.strip().splitlines()
        for line in lines if not args.quiet else [ln for ln in lines if ln.startswith(("DRIFT", "NOT RUN"))]:
            print(line)
        browser_note = "browser check: skipped, no Chromium found (Debian: apt-get install chromium)"
        if any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
            browser = subprocess.run(tox_command() + ["-qq", "-e", "browser"], cwd=ROOT, capture_output=True, text=True)
            log.write(browser.stdout + browser.stderr)
            browser_note = (browser.stdout.strip().splitlines() or ["browser check: no output"])[-1]
            if browser.returncode:
                browser_note = f"browser check FAILED (see {log_path}): {browser_note}"
    minutes, seconds = divmod(int(time.monotonic() - start), 60)
    totals = next((ln for ln in reversed(lines) if ln.startswith("tests:")), "tests: (no report)")
    print(f"\nmatrix: {len(finished)} envs finished, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''} "
          f"in {minutes}m{seconds:02d}s")
    print(totals)
    print(browser_note)
    print(f"report: {ROOT / 'report' / 'index.html'} (also report.md, report.json; full log {log_path})")
    return 1 if matrix_rc or failed or report.returncode or "FAILED" in browser_note else 0


if __name__ == "__main__":
    sys.exit(main())
