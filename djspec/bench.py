"""Benchmark the timing scenarios: not a test, a measurement.

    .venv/bin/python -m djspec.bench [--repeat 5] [--out bench] ENV [ENV ...]

Runs the timing modules of the spec (concurrency and middleware) ``--repeat`` times in each tox env (one after
another, so runs do not disturb each other), then writes ``bench/benchmark.json``: for every
test and every number it observed, the median, the minimum, the maximum and the number of
runs. ``tox -e report`` adds it to the report as the performance section. Timing *tests* assert
robust bounds only; this is where the actual numbers and their spread live.
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.bench", description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="+", help="tox envs to measure, e.g. dj52-pg dj41-sqlite")
    parser.add_argument("--repeat", type=int, default=5, help="runs per env (default 5)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="output directory (default bench/)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
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
