"""Benchmark the timing scenarios, or the whole matrix: not a test, a measurement.

    .venv/bin/python -m djspec.bench [--repeat 5] [--out bench] ENV [ENV ...]
    .venv/bin/python -m djspec.bench --matrix [--repeat 3] [--parallel N] [ENV ...]

``--matrix`` times the main command (``python -m djspec.run``: the matrix, the report, the
browser check) ``--repeat`` times and breaks each env's wall time down: tox's env set-up, then
from the env's result (the plugin's ``run_info["timing"]``) interpreter start-up, database
provisioning, collection, test database, servers, the tests, the rest; and the CPU the env used.
It writes ``bench/matrix.json`` and prints the breakdown, slowest env first, with the median
wall time of the runs and how many cores the run kept busy.

Runs the timing modules of the spec (concurrency and middleware) ``--repeat`` times in each tox env (one after
another, so runs do not disturb each other), then writes ``bench/benchmark.json``: for every
test and every number it observed, the median, the minimum, the maximum and the number of
runs. ``tox -e report`` adds it to the report as the performance section. Timing *tests* assert
robust bounds only; this is where the actual numbers and their spread live.
"""
import argparse
import datetime
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# tox's closing summary: "  dj52-pg: OK (75.02=setup[3.10]+cmd[71.92] seconds)"
TOX_SUMMARY = re.compile(r"^\s+(?P<env>[\w.-]+): (?:OK|FAIL)\b.*?\((?P<total>[\d.]+)=setup\[(?P<setup>[\d.]+)\]"
                         r"\+cmd\[(?P<cmd>[\d.]+)\]")
MATRIX_LINE = re.compile(r"^matrix: .* in (?:(?P<m>\d+)m)?(?P<s>[\d.]+)s")

MODULES = ["spec_tests/test_concurrency.py", "spec_tests/test_concurrency_servers.py",
           "spec_tests/test_concurrency_claims.py", "spec_tests/test_middleware.py"]


def run(env, index, raw_dir):
    out = raw_dir / f"{env}.{index}.json"
    cmd = [sys.executable, "-m", "tox", "-qq", "-e", env, "--", "-q", *MODULES, f"--djspec-out={out}"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not out.is_file():
        raise SystemExit(f"djspec bench: {env} run {index} wrote no result (exit {proc.returncode}):\n{proc.stdout[-2000:]}")
    return json.loads(out.read_text()), proc.returncode


def summarise(results):
    """{test nodeid: {observation: {median, min, max, runs}}} over the runs of one env."""
    values = {}
    for result in results:
        for test in result["tests"]:
            for key, value in test.get("observations", {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    values.setdefault(test["nodeid"], {}).setdefault(key, []).append(value)
    return {nodeid: {key: {"median": round(statistics.median(v), 4), "min": min(v), "max": max(v), "runs": len(v)}
                     for key, v in keys.items()}
            for nodeid, keys in values.items()}


def _children_cpu():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def matrix_run(envs, parallel):
    """One main-command run: its wall time, the CPU it used, and each env's breakdown."""
    from djspec import charts

    command = [sys.executable, "-m", "djspec.run", "--quiet"] + (["--parallel", str(parallel)] if parallel else []) \
        + (["-e", ",".join(envs)] if envs else [])
    began, cpu_before = time.time(), _children_cpu()
    started = datetime.datetime.now(datetime.timezone.utc).isoformat()
    proc = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall, cpu = time.time() - began, _children_cpu() - cpu_before
    print(proc.stdout.rstrip(), flush=True)
    matrix_s = next((int(m["m"] or 0) * 60 + float(m["s"]) for m in map(MATRIX_LINE.match, proc.stdout.splitlines()) if m), None)
    log = ROOT / ".tox" / "djspec-run.log"
    tox = {m["env"]: (float(m["setup"]), float(m["cmd"]))
           for m in map(TOX_SUMMARY.match, log.read_text(errors="replace").splitlines() if log.is_file() else []) if m}
    rows = {}
    for path in sorted((ROOT / "results").glob("*.json")):
        info = json.loads(path.read_text())["run_info"]
        if info["started"] < started or info["env"] not in tox:
            continue  # a result of an earlier run
        setup, cmd = tox[info["env"]]
        row = {"tox setup": setup, "tox cmd": cmd}
        row.update((name, seconds) for name, seconds, _ in charts.env_segments(info))
        row["after pytest"] = round(max(0.0, cmd - (info.get("duration_s") or 0) - row.get("start-up", 0)), 2)
        row["cpu"] = (info.get("timing") or {}).get("cpu")
        modules = (info.get("timing") or {}).get("modules") or {}
        row["slowest modules"] = dict(sorted(modules.items(), key=lambda kv: -kv[1])[:3])
        row["costliest modules (cpu)"] = dict(list(((info.get("timing") or {}).get("module cpu") or {}).items())[:3])
        rows[info["env"]] = row
    return {"exit": proc.returncode, "wall": round(wall, 1), "matrix": matrix_s, "cpu": round(cpu, 1),
            "cores busy": round(cpu / wall, 2) if wall else None, "envs": rows}


COLUMNS = ("tox setup", "start-up", "database", "collection", "test database", "servers", "tests", "other", "after pytest")


def render_matrix(runs):
    last = runs[-1]
    lines = [f"{'env':<16} {'total':>6} " + " ".join(f"{c[:9]:>9}" for c in COLUMNS) + "  cpu (pytest+children)"]
    for env, row in sorted(last["envs"].items(), key=lambda kv: -(kv[1]["tox setup"] + kv[1]["tox cmd"])):
        cpu = row["cpu"] or {}
        lines.append(f"{env:<16} {row['tox setup'] + row['tox cmd']:>6.1f} "
                     + " ".join(f"{row.get(c, 0):>9.1f}" for c in COLUMNS)
                     + f"  {cpu.get('pytest', 0):.1f}+{cpu.get('children', 0):.1f}")
    walls = [r["wall"] for r in runs]
    lines.append(f"main command: wall {', '.join(f'{w:.0f} s' for w in walls)} (median {statistics.median(walls):.0f} s); "
                 f"matrix {last['matrix']} s; CPU {last['cpu']:.0f} s, {last['cores busy']} cores busy on average; "
                 f"exit {', '.join(str(r['exit']) for r in runs)}")
    return "\n".join(lines)


def main_matrix(args):
    runs = []
    for i in range(1, args.repeat + 1):
        print(f"== main command, run {i}/{args.repeat}", flush=True)
        runs.append(matrix_run(args.envs, args.parallel))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "matrix.json"
    walls = [r["wall"] for r in runs]
    path.write_text(json.dumps({"runs": runs, "median wall": statistics.median(walls), "parallel": args.parallel},
                               indent=1))
    print(render_matrix(runs))
    print(f"written: {path}")
    return 0 if all(r["exit"] == 0 for r in runs) else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.bench", description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="*", help="tox envs to measure, e.g. dj52-pg dj52-sqlite (--matrix: all by default)")
    parser.add_argument("--matrix", action="store_true", help="time the main command and break each env's time down")
    parser.add_argument("--parallel", type=int, help="--matrix: envs at a time (default: the main command's)")
    parser.add_argument("--repeat", type=int, help="runs (default 5 per env; --matrix: 1)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="output directory (default bench/)")
    args = parser.parse_args(argv)
    args.repeat = args.repeat if args.repeat is not None else (1 if args.matrix else 5)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.matrix:
        return main_matrix(args)
    if not args.envs:
        parser.error("name at least one env (or use --matrix)")
    raw_dir = args.out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    bench = {"repeat": args.repeat, "envs": {}}
    for env in args.envs:
        results, failures = [], 0
        for i in range(1, args.repeat + 1):
            result, code = run(env, i, raw_dir)
            results.append(result)
            failures += code != 0
            print(f"{env}: run {i}/{args.repeat} exit {code}", flush=True)
        bench["envs"][env] = {"run_info": results[-1]["run_info"], "failed_runs": failures,
                              "tests": summarise(results)}
    path = args.out / "benchmark.json"
    path.write_text(json.dumps(bench, indent=1))
    print(f"benchmark: {path} ({len(args.envs)} envs x {args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
