"""Merge the envs' results into report/: report.json, report.md and a self-contained index.html.

    python -m djspec.report [--results results] [--out report]

Rows are claims grouped by topic, columns are envs (Django x database), cells are verdicts
re-derived here from each env's recorded test outcomes (never copied from anywhere), with what
the tests observed. Exit status: 0 written, 1 written but some env drifted, did not run or
failed, 2 bad input (nothing written).
"""
import argparse
import json
import sys
from pathlib import Path

from djspec import diff as dff
from djspec import envs
from djspec import model
from djspec import mutate as mut
from djspec import registry as reg
from djspec import report_html
from djspec import report_md
from djspec import verdicts as vd
from djspec.model import ReportError, exit_status, test_totals

def terminal_summary(report):
    lines = [f"NOT RUN {env}: {error}" for env, error in report["not_run"]]
    for env, cid in report["drift"]:
        lines.append(f"DRIFT {cid} on {env}")
    width = max((len(i["env"]) for i in report["envs"]), default=10)
    for info in report["envs"]:
        counts = report["totals"][info["env"]]
        lines.append(f"{info['env']:<{width}}  Django {info['django']:<8} {report_html.db_text(info):<40} "
                     + ", ".join(f"{k} {counts[k]}" for k in vd.ORDER if k in counts))
    return "\n".join(lines)

def previous_run(history_dir: Path, report):
    """What changed since the newest run in the history (None when there is none)."""
    earlier = sorted(p for p in Path(history_dir).glob("*.json") if p.stem < _history_name(report))
    if not earlier:
        return None
    try:
        previous = dff.load(earlier[-1])
        return {"previous": previous["generated"], "columns": dff.compare(previous, dff.snapshot(report))}
    except dff.DiffError as exc:
        return {"previous": earlier[-1].stem, "error": str(exc)}

def _history_name(report):
    return report["generated"].replace(":", "").replace("+0000", "Z")

def write(report, out_dir: Path):
    """Render everything first, then write each file atomically: never a half-written report.
    Each run also leaves its snapshot in history/ (what ``python -m djspec.diff`` compares)."""
    history = out_dir / "history"
    report["since_previous"] = previous_run(history, report)
    rendered = {
        "report.json": json.dumps(report, indent=1, ensure_ascii=False),
        "report.md": report_md.render_md(report),
        "index.html": report_html.render_html(report),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    history.mkdir(exist_ok=True)
    rendered[f"history/{_history_name(report)}.json"] = json.dumps(dff.snapshot(report), ensure_ascii=False)
    for name, text in rendered.items():
        tmp = out_dir / (name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out_dir / name)

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.report", description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", type=Path, help="directory of <env>.json files")
    parser.add_argument("--out", default="report", type=Path, help="directory to write the report to")
    parser.add_argument("--totals-only", action="store_true", help="print only the test totals of the results")
    parser.add_argument("--bench", type=Path, default=Path("bench/benchmark.json"),
                        help="benchmark file from `python -m djspec.bench`, shown as the performance section if present")
    parser.add_argument("--expect", metavar="ENVS",
                        help="envs that must have a result ('matrix': every env of tox.ini's matrix, via djspec.envs; "
                             "or a comma-separated list): a missing one is listed as not run")
    parser.add_argument("--mutations", type=Path, default=None,
                        help="directory of `python -m djspec.mutate` reports (default: mutations/ next to --results)")
    args = parser.parse_args(argv)
    try:
        registry = reg.load()
        runs = model.load_results(args.results)
        report = model.build(registry, runs)
        report["not_run"] += model.missing_envs(runs, model.expected_envs(args.expect))
        report["performance"] = model.performance(args.bench)
        model.measured_spread(report, args.bench)
        report["mutation_score"] = mut.load_scores(args.mutations or args.results.parent / "mutations")
    except (ReportError, reg.RegistryError, envs.EnvsError) as exc:
        print(f"djspec report: error: {exc}", file=sys.stderr)
        return 2
    if args.totals_only:
        print(test_totals(runs))
        return exit_status(report)
    write(report, args.out)
    print(terminal_summary(report))
    cov = report["coverage"]["total"]
    print(f"coverage: {cov['claims']} claims: " + ", ".join(f"{cov[k]} {k}" for k in model.COVERAGE_STATES))
    print(f"report: {args.out / 'index.html'} ({len(report['envs'])} envs, {len(report['claims'])} claims)")
    print(test_totals(runs))
    return exit_status(report)


if __name__ == "__main__":
    sys.exit(main())
