"""The report's model: load and validate the envs' result files, derive every cell's verdict, and
build what the renderers show (coverage, the compatibility table, docs conformance, claimed vs
measured, facts, timings). No rendering here; ``djspec.diff`` and ``djspec.report`` both build on it.

Cells are verdicts re-derived from each env's recorded test outcomes (never copied from anywhere),
with what the tests observed.
"""
import datetime
import json
import re
from collections import Counter
from pathlib import Path

from djspec import envs
from djspec import registry as reg
from djspec import results
from djspec import verdicts as vd

DB_ORDER = {"sqlite": 0, "pg": 1, "pg-psycopg2": 2}

DB_LABEL = {"sqlite": "SQLite", "pg": "PostgreSQL", "pg-psycopg2": "PostgreSQL + psycopg2 (forced)",
            "any": "any database"}

class ReportError(Exception):
    pass

def load_results(results_dir: Path):
    results_dir = Path(results_dir)
    files = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
    if not files:
        raise ReportError(
            f"no result files in {results_dir}/: run the matrix first (e.g. `tox p -m spec`), "
            "each env writes results/<env>.json"
        )
    runs = []
    for path in files:
        try:
            runs.append(results.load(path))
        except results.ResultFormatError as exc:
            raise ReportError(str(exc)) from None
    names = Counter(r["run_info"]["env"] for r in runs)
    dupes = [n for n, c in names.items() if c > 1]
    if dupes:
        raise ReportError(f"several result files for env(s) {dupes}: keep one file per env")
    return runs

def _env_sort_key(run):
    info = run["run_info"]
    return (vd.version_key(info["django_minor"]), info["env"].startswith("djlatest"),
            DB_ORDER.get(info.get("db_group"), 9), info["env"])

def _cell(claim, run):
    if run.get("error"):
        return {"verdict": vd.NOT_RUN, "failures": [run["error"]]}
    derived = vd.derive(claim, run["tests"])
    observations, messages = [], []
    for test, _relation in vd.linked_tests(claim.id, run["tests"]):
        if test.get("carried_from") and test["outcome"] != vd.NOT_APPLICABLE:
            note = f"database-free test, run in {test['carried_from']}: stands for every database"
            if note not in observations:
                observations.append(note)
        for key, value in test.get("observations", {}).items():
            text = f"{key}: {value}"
            if text not in observations:
                observations.append(text)
        if test["outcome"] in (vd.FAILED, vd.ERROR) and test.get("message"):
            messages.append(f"{test['nodeid']}: {test['message']}")
    cell = {"verdict": derived["verdict"]}
    if observations:
        cell["observations"] = observations
    if messages:
        cell["failures"] = messages
    return cell

def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

def carry_over_database_free(runs):
    """Database-free tests (``@pytest.mark.no_database``) run only in the SQLite env of a Django
    version; their outcome stands for every database of that version. Returns the runs with
    each other env's n/a record of such a test replaced by the SQLite env's record (marked
    ``carried_from``). The SQLite sibling is the env of the same prefix (dj52-pg <- dj52-sqlite),
    else one with the same Django version. Without a sibling the records stay n/a."""
    sqlite = [r for r in runs if r["run_info"].get("db_group") == "sqlite" and not r.get("error")]
    out = []
    for run in runs:
        info = run["run_info"]
        if info.get("db_group") == "sqlite" or run.get("error"):
            out.append(run)
            continue
        prefix = info["env"].split("-")[0]
        sibling = next((r for r in sqlite if r["run_info"]["env"].split("-")[0] == prefix), None) or next(
            (r for r in sqlite if r["run_info"]["django"] == info["django"]), None)
        if sibling is None:
            out.append(run)
            continue
        carried = {t["nodeid"]: dict(t, carried_from=sibling["run_info"]["env"])
                   for t in sibling["tests"] if t.get("no_database")}
        tests = [carried.get(t["nodeid"], t) if t.get("no_database") else t for t in run["tests"]]
        out.append(dict(run, tests=tests))
    return out

def is_database_free(claim_id, runs):
    """A claim all of whose linked tests touch no database: one verdict per Django version."""
    linked = [t for r in runs for t, _ in vd.linked_tests(claim_id, r["tests"])]
    return bool(linked) and all(t.get("no_database") for t in linked)

def build(registry, runs):
    runs = carry_over_database_free(sorted(runs, key=_env_sort_key))
    envs = [r["run_info"]["env"] for r in runs]
    claims = []
    for topic in registry.topics.values():
        for claim in topic.claims:
            cells = {r["run_info"]["env"]: _cell(claim, r) for r in runs}
            database_free = is_database_free(claim.id, runs)
            groups = {}
            for r in runs:
                info = r["run_info"]
                group = "any" if database_free else info.get("db_group", "?")
                if database_free and info.get("db_group") != "sqlite":
                    continue  # the same outcomes, carried over: summarised once
                groups.setdefault(group, []).append((info["django_minor"], cells[info["env"]]["verdict"]))
            tests = {}
            for r in runs:
                for t, relation in vd.linked_tests(claim.id, r["tests"]):
                    tests.setdefault(t["nodeid"].split("[")[0], {
                        "test": t["nodeid"].split("[")[0], "file": t["file"], "line": t["line"],
                        "doc": t.get("doc", ""), "relation": relation})
            claims.append({
                "id": claim.id, "topic": topic.id, "kind": claim.kind, "statement": claim.statement,
                "versions_claimed": claim.versions, "note": claim.note, "untestable": claim.untestable,
                "database_free": database_free,
                "sources": [{"article": s.article, "doc": s.doc, "section": s.section, "said": s.said,
                             "label": s.label(registry.articles)} for s in claim.sources],
                "tests": sorted(tests.values(), key=lambda t: (t["file"], t["line"])),
                "cells": cells,
                "summary": {g: vd.summarise(v) for g, v in sorted(groups.items(), key=lambda kv: DB_ORDER.get(kv[0], 9))},
                "holds_from": {g: vd.holds_from(v) for g, v in sorted(groups.items(), key=lambda kv: DB_ORDER.get(kv[0], 9))},
            })
    totals = {env: dict(Counter(c["cells"][env]["verdict"] for c in claims)) for env in envs}
    report = {
        "coverage": coverage(registry, claims),
        "facts": facts(runs),
        "generated": now(),
        "envs": [dict(r["run_info"], exitstatus=r.get("exitstatus"),
                      harness=[{"test": t["nodeid"], "outcome": t["outcome"], "observations": t.get("observations", {})}
                               for t in r["tests"] if not (t["confirms"] or t["refutes"])])
                 for r in runs],
        "articles": registry.articles,
        "topics": [{"id": t.id, "title": t.title, "complete": t.complete, "summary": t.summary,
                    "claims": len(t.claims)} for t in registry.topics.values()],
        "claims": claims,
        "totals": totals,
        "drift": sorted({(env, c["id"]) for c in claims for env in envs if c["cells"][env]["verdict"] == vd.DRIFT}),
        "not_run": [[r["run_info"]["env"], r["error"]] for r in runs if r.get("error")],
        "failed_envs": [r["run_info"]["env"] for r in runs if r.get("exitstatus")],
    }
    report["compatibility"] = compatibility(registry, report)
    report["conformance"] = conformance(report)
    report["claimed_vs_measured"] = claimed_vs_measured(report)
    return report

# The concurrency facts the report shows per env: (label, test (its name, or name[param]), observation)
FACTS = [
    ("gather over N async ORM calls: elapsed / (N x T)", "test_gather_over_async_orm_calls_runs_the_queries_one_after_another", "ratio"),
    ("threads running those N ORM calls", "test_gather_over_async_orm_calls_runs_the_queries_one_after_another", "query_threads"),
    ("sync_to_async(thread_sensitive=False), N queries: elapsed / (N x T)", "test_sync_to_async_with_thread_sensitive_false_", "ratio"),
    ("psycopg 3 AsyncConnection, N queries: elapsed / (N x T)", "test_psycopg3_async_connections_overlap_queries_without_threads", "ratio"),
    ("A2 preface dashboard gathered (promised 56%)", "test_articles_orm_dashboard_gathered_still_takes_the_sum[preface-230-to-100ms]", "measured"),
    ("A2 2.4 three API calls gathered with httpx (promised 66%)", "test_articles_http_fan_out_gathered_takes_the_slowest[2.4-1500-to-500ms]", "measured"),
    ("K async-view requests under ASGI: elapsed / (K x T)", "test_concurrent_requests_to_an_async_view_interleave_on_the_loop_thread", "ratio"),
    ("K sync-view requests under ASGI: threads used", "test_concurrent_requests_to_a_sync_view_", "threads"),
    ("K sync-view requests under ASGI: elapsed / (K x T)", "test_concurrent_requests_to_a_sync_view_", "ratio"),
    ("one aget() vs one get(): time ratio", "test_each_async_orm_call_is_a_round_trip_to_a_worker_thread", "async_over_sync"),
    ("async vs sync dashboard throughput (promised 2.5x)", "test_async_dashboard_serves_no_more_requests_per_second_than_the_sync_one", "async_over_sync"),
]

def facts(runs):
    """Per env, the measured value of each FACTS row (None where no such test ran)."""
    rows = []
    for label, test, key in FACTS:
        values = {}
        for run in runs:
            for t in run["tests"]:
                name = t["nodeid"].split("::")[-1]
                if (name == test or name.startswith(test)) and key in t.get("observations", {}):
                    values[run["run_info"]["env"]] = t["observations"][key]
                    break
        rows.append({"fact": label, "test": test, "key": key, "values": values})
    return rows

def performance(path):
    """The benchmark's medians and spread for the FACTS rows, or None without a benchmark file."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        bench = json.loads(path.read_text())
        envs = bench["envs"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{path}: not a benchmark file from `python -m djspec.bench` ({exc})") from None
    rows = []
    for label, test, key in FACTS:
        values = {}
        for env, data in envs.items():
            for nodeid, keys in data["tests"].items():
                name = nodeid.split("::")[-1]
                if (name == test or name.startswith(test)) and key in keys:
                    values[env] = keys[key]
                    break
        if values:
            rows.append({"fact": label, "values": values})
    return {"repeat": bench.get("repeat"), "envs": sorted(envs), "rows": rows}

def measured_spread(report, path):
    """For every claim that some env reads as *measured*: the benchmark's median and spread of
    each number its linked tests recorded, per benchmarked env (``claim["benchmark"]``). A
    measured claim has no verdict; this is what the report shows instead."""
    path = Path(path)
    if not path.is_file():
        return
    envs = json.loads(path.read_text()).get("envs", {})
    for claim in report["claims"]:
        if not any(cell["verdict"] == vd.MEASURED for cell in claim["cells"].values()):
            continue
        linked = {t["test"] for t in claim["tests"]}
        spread = {}
        for env, data in envs.items():
            for nodeid, keys in data.get("tests", {}).items():
                if nodeid.split("[")[0] in linked:
                    for key, stats in keys.items():
                        spread.setdefault(env, {})[f"{nodeid.split('::')[-1]} {key}"] = stats
        if spread:
            claim["benchmark"] = spread

COVERAGE_STATES = ("tested", "untestable", "not yet tested")

def coverage(registry, claims):
    """How much of each article and each topic the kit accounts for: a claim is *tested* when a
    test linked it in some env, *untestable* when it is an opinion, else *not yet tested*."""
    def state(c):
        if c["untestable"]:
            return "untestable"
        return "tested" if c["tests"] else "not yet tested"

    def row(subset):
        counts = Counter(state(c) for c in subset)
        return {"claims": len(subset), **{k: counts[k] for k in COVERAGE_STATES}}

    by_article = []
    for file, art in registry.articles.items():
        subset = [c for c in claims if any(s["article"] == file for s in c["sources"])]
        by_article.append({"article": file, "short": art.get("short", file), "title": art.get("title", ""), **row(subset)})
    docs = [c for c in claims if all(s["doc"] for s in c["sources"])]
    if docs:
        by_article.append({"article": None, "short": "docs", "title": "Django documentation only", **row(docs)})
    by_topic = [{"topic": t.id, "title": t.title, "complete": t.complete,
                 **row([c for c in claims if c["topic"] == t.id])} for t in registry.topics.values()]
    pages = {}
    for c in claims:
        for page in sorted({docs_page(s["doc"]) for s in c["sources"] if s["doc"]}):
            pages.setdefault(page, []).append(c)
    by_docs_page = [{"page": page, **row(subset)} for page, subset in sorted(pages.items())]
    return {"by_article": by_article, "by_docs_page": by_docs_page, "by_topic": by_topic, "total": row(claims)}

def docs_page(url):
    """'topics/async' for https://docs.djangoproject.com/en/4.2/topics/async/ (any version)."""
    path = url.split("docs.djangoproject.com/", 1)[-1].split("#")[0].strip("/")
    parts = path.split("/")
    return "/".join(parts[2:] if parts[:1] == ["en"] else parts)

# the topics whose claims are rows of the async surface: one thing a user applies to async code
SURFACE_TOPICS = ("decorators", "middleware-surface", "class-views", "http-async", "connections", "test-tools",
                  "api", "channels")

def compat_cell(cells):
    """'5.0' (holds from 5.0 on; the oldest minor run when it holds on all), or 'no (refuted in 6.1)'."""
    judged = [(m, v) for m, v in cells if v not in (vd.NOT_APPLICABLE, vd.SKIPPED, vd.UNTESTED, vd.MEASURED,
                                                   vd.UNTESTABLE)]
    if not judged:
        return "n/a"
    newest = max(judged, key=lambda mv: vd.version_key(mv[0]))
    if newest[1] != vd.HOLDS:
        return f"no ({newest[1]} in {newest[0]})"
    return vd.holds_from(cells) or min((m for m, _ in judged), key=vd.version_key)

def conformance(report):
    """Does each release do what its own documentation says? For every claim whose docs source
    gives the docs versions that say it, the verdicts on exactly those minors, per database:
    'conforms' when it holds on all of them, else the minors where it does not."""
    rows = []
    for c in report["claims"]:
        ranges = [s["said"] for s in c["sources"] if s.get("said")]
        if not ranges or c["untestable"]:
            continue
        said = set()
        for text in ranges:
            first, last = registry_said(text)
            said |= {env["django_minor"] for env in report["envs"]
                     if vd.version_key(first) <= vd.version_key(env["django_minor"])
                     and (last is None or vd.version_key(env["django_minor"]) <= vd.version_key(last))}
        per_db = {}
        for env in report["envs"]:
            if env["django_minor"] not in said or env["env"].startswith("djany"):
                continue
            verdict = c["cells"][env["env"]]["verdict"]
            if verdict in (vd.NOT_APPLICABLE, vd.SKIPPED, vd.UNTESTED, vd.MEASURED):
                continue
            group = "any" if c["database_free"] else env.get("db_group", "?")
            per_db.setdefault(group, {}).setdefault(verdict, set()).add(env["django_minor"])
        verdicts = {}
        for group, seen in sorted(per_db.items(), key=lambda kv: DB_ORDER.get(kv[0], 9)):
            off = sorted({m for v, ms in seen.items() if v != vd.HOLDS for m in ms}, key=vd.version_key)
            verdicts[group] = "conforms" if not off else "differs on " + ", ".join(off)
        rows.append({"id": c["id"], "statement": c["statement"], "said": ranges, "verdicts": verdicts})
    return rows

CLAIMED_RANGE = re.compile(r"^\s*(?:>=\s*)?(\d+\.\d+)\s*(\+|-\s*(\d+\.\d+))?")

def claimed_range(text):
    """(first, last) of the releases a claim's ``versions`` names: '4.1+' and '>=4.1' -> ('4.1', None),
    '3.1 - 4.0' -> ('3.1', '4.0'), '6.1' -> ('6.1', '6.1'); None for anything else ('< 3.0')."""
    match = CLAIMED_RANGE.match(text or "")
    if not match:
        return None
    first, tail, last = match.groups()
    if text.strip().startswith(">=") or tail == "+":
        return first, None
    return first, last or first

def claimed_vs_measured(report):
    """For every tested claim that names the releases it holds on: what it says beside what the runs
    found, per database ('4.1+' vs 'from 4.2'), and whether they agree. A claim of kind 'version'
    is about history ("async views arrived in 3.1"): checked on 3.0 it holds too, so it agrees
    when it holds on every release run."""
    minors_run = sorted({e["django_minor"] for e in report["envs"] if not e["env"].startswith("djany")}, key=vd.version_key)
    rows = []
    for c in report["claims"]:
        said = claimed_range(c["versions_claimed"])
        if said is None or c["untestable"] or not c["tests"]:
            continue
        first, last = said
        expected = [m for m in minors_run if vd.version_key(first) <= vd.version_key(m)
                    and (last is None or vd.version_key(m) <= vd.version_key(last))]
        runs, agrees = {}, True
        for group, cells in _groups(c, report["envs"]).items():
            judged = {m: v for m, v in cells if v not in (vd.NOT_APPLICABLE, vd.SKIPPED, vd.UNTESTED, vd.MEASURED,
                                                           vd.UNTESTABLE)}
            holding = [m for m in minors_run if judged.get(m) == vd.HOLDS]
            if c["kind"] == "version":
                wanted = [m for m in minors_run if m in judged]
                runs[group] = "true on every release run" if holding == wanted else "false on " + ", ".join(
                    m for m in wanted if m not in holding)
            else:
                wanted = [m for m in expected if m in judged]
                runs[group] = compat_cell(cells) if last is None else (_span(holding) or "nowhere")
            agrees = agrees and holding == wanted
        rows.append({"id": c["id"], "statement": c["statement"], "claimed": c["versions_claimed"], "runs": runs,
                     "agrees": agrees, "articles": sorted({s["article"] for s in c["sources"] if s["article"]})})
    return rows

def _span(minors):
    if not minors:
        return ""
    return minors[0] if len(minors) == 1 else f"{minors[0]}–{minors[-1]}"

def _groups(claim, envs):
    """(minor, verdict) per database group of a claim's cells, one column per minor."""
    groups = {}
    for env in envs:
        if env["env"].startswith(("djlatest", "djany")) or env.get("db_group") == "pg-psycopg2":
            continue
        if claim["database_free"] and env.get("db_group") != "sqlite":
            continue
        group = "any" if claim["database_free"] else env.get("db_group", "?")
        groups.setdefault(group, []).append((env["django_minor"], claim["cells"][env["env"]]["verdict"]))
    return dict(sorted(groups.items(), key=lambda kv: DB_ORDER.get(kv[0], 9)))

def registry_said(text):
    first, last = reg.SAID_RE.match(text).groups()
    return first, last

def compatibility(registry, report):
    """The Django async compatibility table: one row per surface claim, the first Django minor
    from which it holds per database, and the docs versions that state it."""
    rows = []
    for c in report["claims"]:
        if c["topic"] not in SURFACE_TOPICS or c["untestable"]:
            continue
        groups = {}
        for env in report["envs"]:
            group = "any" if c["database_free"] else env.get("db_group", "?")
            if c["database_free"] and env.get("db_group") != "sqlite":
                continue
            if env["env"].startswith(("djlatest", "djany")) or env.get("db_group") == "pg-psycopg2":
                continue  # the canary repeats the newest minor; the forced-psycopg2 env is one minor only
            groups.setdefault(group, []).append((env["django_minor"], c["cells"][env["env"]]["verdict"]))
        rows.append({"id": c["id"], "topic": c["topic"], "statement": c["statement"],
                     "from": {g: compat_cell(v) for g, v in sorted(groups.items(), key=lambda kv: DB_ORDER.get(kv[0], 9))},
                     "docs": sorted({s["said"] for s in c["sources"] if s.get("said")})})
    return rows

def test_totals(runs):
    """The plain closing line: every test outcome of every env (n/a counts as skipped)."""
    outcomes = Counter(t["outcome"] for r in runs for t in r["tests"])
    failed = outcomes[vd.FAILED] + outcomes[vd.ERROR]
    skipped = outcomes[vd.NOT_APPLICABLE] + outcomes[vd.SKIPPED]
    not_run = sum(1 for r in runs if r.get("error"))
    return (f"tests: {outcomes[vd.PASSED]} passed, {failed} failed, {skipped} skipped"
            + (f"; {not_run} env(s) did not run" if not_run else ""))

def expected_envs(expect):
    if not expect:
        return []
    if expect == "matrix":
        return [e.name for e in envs.load()]
    return [n.strip() for n in expect.split(",") if n.strip()]

def missing_envs(runs, expected):
    """[env, reason] for each expected env with no result file."""
    present = {r["run_info"]["env"] for r in runs}
    return [[env, "no result file: the env did not run, or its results/<env>.json was lost"]
            for env in expected if env not in present]

def exit_status(report):
    """1 when an env drifted, did not run or failed otherwise; the report is written all the same."""
    return 1 if report["drift"] or report["not_run"] or report["failed_envs"] else 0


def article_names(report):
    return [(file, a.get("short", file)) for file, a in report["articles"].items()]
