"""report/index.html: one self-contained page (no network), a reference like caniuse or MDN's tables.

The page is rendered from ``djspec/templates/index.html.j2`` (Jinja2, autoescaped) with the CSS
and JavaScript of ``djspec/static/`` inlined, so the file works offline and as a static site.

* Sections that need no interaction (headlines, coverage, the compatibility table, docs
  conformance, claimed vs measured, charts, facts, mutations, envs) are HTML from
  ``templates/sections.html.j2``.
* The compact verdict table, "my stack" and the details panel are drawn in the page from one
  JSON data block (``page_data``): every claim once, its verdicts as one character per env, each
  distinct observation or failure text once, each linked test's source once. The page size grows
  with claims x envs only through that one character per cell.
* Every claim, filter state and stack question has a URL fragment that reopens it:
  ``#claim/<id>``, ``#matrix?topic=orm&db=pg``, ``#stack?django=4.2&db=pg&to=5.2``.
"""
import ast
import base64
import gzip
import json
import os
import re
from pathlib import Path

import jinja2

from djspec import charts as charts_mod
from djspec import model
from djspec import mutate as mut
from djspec import verdicts as vd
from djspec.model import DB_ORDER

ROOT = Path(__file__).resolve().parent.parent
STATIC = Path(__file__).resolve().parent / "static"

DB_LABEL = {"sqlite": "SQLite", "pg": "PostgreSQL", "pg-psycopg2": "PostgreSQL + psycopg2", "any": "any database"}
DB_SHORT = {"sqlite": "S", "pg": "P", "pg-psycopg2": "P2", "any": "all"}

# One mark per verdict: the table reads without colour (and in print).
MARKS = {vd.HOLDS: "✓", vd.REFUTED: "✗", vd.PARTLY: "◐", vd.NA: "–", vd.DRIFT: "‼", vd.MEASURED: "≈",
         vd.NOT_RUN: "?", vd.SKIPPED: "↷", vd.UNTESTED: "○", vd.UNTESTABLE: "·"}

# The claims most readers come for, in reading order.
HEADLINES = [
    "concurrency.gather-orm-time-is-slowest",
    "concurrency.thread-sensitive-false-overlaps-queries",
    "concurrency.gather-http-time-is-slowest",
    "soo.sync-orm-in-async-view-raises",
    "orm.await-queryset-all",
    "api.model-asave",
    "views.cbv-async-handlers",
    "transactions.atomic-async-context-manager",
    "middleware.sync-middleware-blocks-async-views",
    "deployment.async-views-need-asgi",
    "views.csrf-exempt-on-async-view",
    "versions.table-row-4-1-plus",
]


def css_class(verdict):
    return {"n/a": "na", "not run": "not-run"}.get(verdict, verdict)


def db_text(info):
    db = info["database"]
    if not db.get("vendor"):
        return f"{db.get('choice')}: not reached"
    return f"{db['vendor']} {db['server_version'].split()[0]} · {db['driver']} {db['driver_version']}"


# ----------------------------------------------------------------------------- the data block


def test_sources(files, root=ROOT):
    """{(file, 'test_name' or 'Class::test_name'): (first line, source with decorators)} read from
    the checkout at report time; a file that is gone gives nothing (the panel then links only)."""
    out = {}
    for file in sorted(set(files)):
        path = root / file
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()

        def walk(body, prefix=""):
            for node in body:
                if isinstance(node, ast.ClassDef):
                    walk(node.body, prefix + node.name + "::")
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    out[(file, prefix + node.name)] = (first, "\n".join(lines[first - 1:node.end_lineno]))

        walk(ast.parse(text).body)
    return out


def _column(info):
    """The compact table's column of an env: its prefix (dj42, djlatest) and the label shown."""
    key = info["env"].split("-")[0]
    if key.startswith("djlatest"):
        return key, "latest", f"the newest Django release ({info['django']})"
    if key.startswith("djany"):
        return key, f"any {info['django']}", f"Django {info['django']} (djany)"
    return key, info["django_minor"], f"Django {info['django']}"


def _short_claimed(text):
    span = model.claimed_range(text)
    if span is None:
        return None
    first, last = span
    return f"{first}+" if last is None else (first if first == last else f"{first}–{last}")


def source_url():
    """A permalink pattern for a test's source ({file}, {line}) when the report is built in GitHub
    Actions (the commit that ran); None elsewhere: the panel then shows file:line and the code."""
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    return f"{server}/{repo}/blob/{sha}/{{file}}#L{{line}}" if server and repo and sha else None


def page_data(report, root=ROOT):
    """Everything the page draws itself, each value once (see the module docstring)."""
    envs = report["envs"]
    codes = {v: str(i) for i, v in enumerate(vd.ORDER)}
    strings, string_index = [], {}

    def intern(text):
        if text not in string_index:
            string_index[text] = len(strings)
            strings.append(text)
        return string_index[text]

    columns, env_rows = {}, []
    for info in envs:
        key, label, title = _column(info)
        col = columns.setdefault(key, {"key": key, "label": label, "title": title, "dbs": []})
        col["dbs"].append(info.get("db_group", "?"))
        env_rows.append({"env": info["env"], "col": key, "db": info.get("db_group", "?"), "django": info["django"],
                         "minor": info["django_minor"], "python": info["python"], "dbtext": db_text(info),
                         "seconds": info.get("duration_s"), "exit": info.get("exitstatus")})
    for col in columns.values():
        col["dbs"].sort(key=lambda g: DB_ORDER.get(g, 9))

    linked = [(t["file"], t["test"].split("::", 1)[1]) for c in report["claims"] for t in c["tests"]]
    sources = test_sources([f for f, _ in linked], root)
    tests, test_index = [], {}
    for c in report["claims"]:
        for t in c["tests"]:
            if t["test"] in test_index:
                continue
            test_index[t["test"]] = len(tests)
            line, code = sources.get((t["file"], t["test"].split("::", 1)[1]), (t["line"], ""))
            tests.append({"name": t["test"], "file": t["file"], "line": line, "doc": t.get("doc", ""), "code": code})

    cvm = {r["id"]: r for r in report.get("claimed_vs_measured") or []}
    claims = []
    for c in report["claims"]:
        cells = [c["cells"][info["env"]] for info in envs]
        row = {
            "id": c["id"], "topic": c["topic"], "kind": c["kind"], "statement": c["statement"],
            "v": "".join(codes[cell["verdict"]] for cell in cells),
            "from": {g: v for g, v in c["holds_from"].items() if v},
            "summary": c["summary"],
            "sources": [[s["article"], s["section"], s["doc"], s["said"]] for s in c["sources"]],
            "tests": [[test_index[t["test"]], t["relation"]] for t in c["tests"]],
        }
        for key, value in (("note", c["note"]), ("untestable", c["untestable"]), ("anydb", c["database_free"])):
            if value:
                row[key] = value
        if c["versions_claimed"]:
            row["claimed"] = c["versions_claimed"]
            row["claimed_short"] = _short_claimed(c["versions_claimed"])
        if c["id"] in cvm:
            row["agrees"] = cvm[c["id"]]["agrees"]
            row["runs"] = cvm[c["id"]]["runs"]
        observed = {str(i): [intern(o) for o in cell.get("observations", [])] for i, cell in enumerate(cells)
                    if cell.get("observations")}
        failed = {str(i): [intern(f) for f in cell.get("failures", [])] for i, cell in enumerate(cells)
                  if cell.get("failures")}
        if observed:
            row["obs"] = observed
        if failed:
            row["fail"] = failed
        if c.get("benchmark"):
            row["benchmark"] = c["benchmark"]
        claims.append(row)

    return {
        "generated": report["generated"],
        "verdicts": list(vd.ORDER),
        "marks": [MARKS[v] for v in vd.ORDER],
        "dbs": {g: {"label": DB_LABEL[g], "short": DB_SHORT[g]} for g in DB_LABEL},
        "columns": list(columns.values()),
        "envs": env_rows,
        "topics": [{"id": t["id"], "title": t["title"]} for t in report["topics"]],
        "articles": [{"file": f, "short": a.get("short", f), "title": a.get("title", "")}
                     for f, a in report["articles"].items()],
        "source_url": source_url(),
        "strings": strings,
        "tests": tests,
        "claims": claims,
    }


def pack(data):
    """The data block as the page carries it: JSON, gzip (no timestamp: the same report gives the
    same page) and base64. Test sources are most of it and compress about 6:1, which keeps the full
    matrix far below 1 MB; report.json next to the page has the same data in the clear."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")


# ----------------------------------------------------------------------------- rendering


def environment():
    env = jinja2.Environment(loader=jinja2.PackageLoader("djspec", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(db_label=lambda g: DB_LABEL.get(g, g), css_class=css_class, db_text=db_text)
    env.globals["DB_ORDER"] = sorted(DB_ORDER, key=DB_ORDER.get)  # the databases, in column order
    return env


def render_html(report, root=ROOT):
    data = page_data(report, root)
    template = environment().get_template("index.html.j2")
    page = template.render(
        report=report, data=data, packed=pack(data), headlines=HEADLINES,
        marks=list(zip(vd.ORDER, (MARKS[v] for v in vd.ORDER))),
        charts=charts_mod.charts(report), score=mut.score_view(report.get("mutation_score")),
        css=(STATIC / "report.css").read_text(encoding="utf-8"),
        script=(STATIC / "report.js").read_text(encoding="utf-8"))
    return re.sub(r"\n[ \t]+", "\n", page)  # the templates' indentation: no <pre> outside the data block
