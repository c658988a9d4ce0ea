"""The main job: the whole matrix, then the report, with progress per env and a final summary.

    python -m djspec.run [--quiet] [--parallel N] [-e ENV,ENV...]

Runs ``tox p -m spec`` (or the envs named with -e), printing one line per env as it finishes
(``[ 3/25] dj31-pg      OK    41.2 s``), then ``tox -e report`` and, when a Chromium is
installed, ``tox -e browser`` (screenshots at 1400 and 390 px next to the report). It ends with a summary that
names the report and says which of its columns this run produced. ``--quiet`` (for CI) prints
only failures and the summary. The full tox output goes to .tox/djspec-run.log. The env list is
tox.ini's (``python -m djspec.envs``): a name that is not in it stops the run before anything
starts. Exit status: 0 when every env passed and the report found no drift; 1 otherwise; 2 on
bad input.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from djspec import anydjango, envs

ROOT = Path(__file__).resolve().parent.parent
# tox's line for an env that finished: "dj31-pg: OK ✔ in 41.2 seconds" (or "in 1 minute 15.02
# seconds") as it happens, and "  dj31-pg: OK (75.02=setup[...]+cmd[...] seconds)" in its summary
DONE = re.compile(r"^\s*(?P<env>[\w.-]+): (?P<status>OK|FAIL)\b.*?"
                  r"(?:in (?:(?P<minutes>\d+) minutes? )?(?P<live>[\d.]+) seconds|\((?P<total>[\d.]+)=)")
ANY_DJANGO = ("djany-sqlite", "djany-pg")  # the Django that DJSPEC_DJANGO names (README, "Any Django")
tox_command = envs.tox_command


def chosen_envs(requested, matrix):
    """The envs this run runs: the whole matrix, or those named with -e (each must exist)."""
    if not requested:
        return [e.name for e in matrix]
    names = [n.strip() for n in requested.split(",") if n.strip()]
    known = [e.name for e in matrix] + list(ANY_DJANGO)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown env {', '.join(map(repr, unknown)) or '(none named)'}; the envs are "
                         f"{', '.join(known)} (tox.ini; `python -m djspec.envs` lists them)")
    return names


def elapsed(match):
    """The seconds a DONE line reports."""
    if match["total"]:
        return float(match["total"])
    return int(match["minutes"] or 0) * 60 + float(match["live"])


# Measured (python -m djspec.bench --matrix): alone, an env keeps one core busy about half of its
# wall time (the rest is injected latency and servers answering), and envs are busy at different
# moments. On two cores, 4 envs at a time took 290 s and 6 took 272 s: cores x 3 envs at a time,
# so 6 on two cores and 24 on eight.
ENVS_PER_CORE = 3


def default_parallel():
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 2
    return max(2, cores * ENVS_PER_CORE)


def longest_first(names, results_dir):
    """The envs in the order to start them: the longest of the previous run first (so the run does
    not end waiting on one long env), envs never run before them (their length is unknown),
    SQLite before PostgreSQL on a tie (database-free tests make SQLite envs the longer ones)."""
    def last_duration(name):
        try:
            return json.loads((results_dir / f"{name}.json").read_text())["run_info"]["duration_s"] or 0
        except (OSError, ValueError, KeyError, TypeError):
            return float("inf")

    return sorted(names, key=lambda n: (-last_duration(n), "-sqlite" not in n))


def run_matrix(args, names, log, say):
    select = ["-e", ",".join(names if args.envs else ["clean"] + longest_first(names, ROOT / "results"))]
    total = len(names)
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
        seconds = elapsed(match)
        text = f"[{len(finished):>2}/{total}] {match['env']:<16} {match['status']:<5} {seconds:6.1f} s"
        if match["status"] == "FAIL" or not args.quiet:
            print(text, flush=True)
    return proc.wait(), finished, failed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print only failures and the final summary (CI)")
    parser.add_argument("--parallel", "-p", type=int, default=default_parallel(),
                        help=f"envs at a time (default: {ENVS_PER_CORE} per CPU core; here {default_parallel()})")
    parser.add_argument("-e", dest="envs", help="comma-separated envs instead of the whole `spec` label")
    args = parser.parse_args(argv)
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")

    def say(text):
        if not args.quiet:
            print(text, flush=True)

    try:
        names = chosen_envs(args.envs, envs.load())
        if set(names) & set(ANY_DJANGO):
            say(anydjango.choose().describe())  # a bad DJSPEC_DJANGO stops here, before any install
    except (ValueError, envs.EnvsError, anydjango.DjangoSpecError) as exc:
        print(f"djspec.run: {exc}", file=sys.stderr)
        return 2

    start, started = time.monotonic(), datetime.datetime.now(datetime.timezone.utc)
    log_path = ROOT / ".tox" / "djspec-run.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        matrix_rc, finished, failed = run_matrix(args, names, log, say)
        fresh = [n for n in names if _written_since(ROOT / "results" / f"{n}.json", started)]
        if not fresh:
            print(f"\nmatrix: no env of this run wrote a result ({', '.join(failed) or 'none finished'}); "
                  f"report/ was not rebuilt and is not shown (full log {log_path})")
            return 1
        report_rc, lines = make_report(args, names, log)
        browser_note = browser_check(log, log_path)
    minutes, seconds = divmod(int(time.monotonic() - start), 60)
    totals = next((ln for ln in reversed(lines) if ln.startswith("tests:")), "tests: (no report)")
    print(f"\nmatrix: {len(finished)} envs finished, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''} "
          f"in {minutes}m{seconds:02d}s")
    print(totals)
    print(provenance(started, names))
    print(browser_note)
    print(f"report: {ROOT / 'report' / 'index.html'} (also report.md, report.json; full log {log_path})")
    return 1 if matrix_rc or failed or report_rc or "FAILED" in browser_note else 0


def _written_since(path, started):
    try:
        return path.stat().st_mtime >= started.timestamp()
    except OSError:
        return False


def make_report(args, names, log):
    """``tox -e report``: a full run expects every matrix env, a run of a few envs those."""
    expect = [] if not args.envs else ["--", "--expect", ",".join(names)]
    report = subprocess.run(tox_command() + ["-qq", "-e", "report"] + expect, cwd=ROOT, capture_output=True, text=True)
    log.write(report.stdout + report.stderr)
    lines = report.stdout.strip().splitlines()
    for line in lines if not args.quiet else [ln for ln in lines if ln.startswith(("DRIFT", "NOT RUN"))]:
        print(line)
    if report.returncode > 1:
        print(f"report FAILED: {report.stderr.strip()[-500:]}")
    return report.returncode, lines


def browser_check(log, log_path):
    if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        return "browser check: skipped, no Chromium found (Debian: apt-get install chromium)"
    browser = subprocess.run(tox_command() + ["-qq", "-e", "browser"], cwd=ROOT, capture_output=True, text=True)
    log.write(browser.stdout + browser.stderr)
    note = (browser.stdout.strip().splitlines() or ["browser check: no output"])[-1]
    return f"browser check FAILED (see {log_path}): {note}" if browser.returncode else note


def provenance(started, names):
    """Which run each column of report/ comes from: this one, or an earlier one (results/ keeps
    the other envs' last results when -e runs a few)."""
    try:
        columns = json.loads((ROOT / "report" / "report.json").read_text())["envs"]
    except (OSError, ValueError, KeyError):
        return "report: none written by this run"
    ours = [c["env"] for c in columns if c["env"] in names and c.get("started", "") >= started.isoformat()]
    earlier = sorted((c.get("started", "?")[:16].replace("T", " "), c["env"]) for c in columns if c["env"] not in ours)
    line = f"report columns: {len(ours)} from this run (started {started:%Y-%m-%d %H:%M} UTC)"
    if earlier:
        line += (f", {len(earlier)} from earlier runs ({', '.join(env for _, env in earlier[:6])}"
                 f"{', ...' if len(earlier) > 6 else ''}; oldest {earlier[0][0]} UTC)")
    missing = [n for n in names if n not in ours]
    if missing:
        line += f"; no result from this run for {', '.join(missing)}"
    return line


if __name__ == "__main__":
    sys.exit(main())
