"""report/report.md: the report as Markdown, from the model (djspec.model)."""
from djspec import mutate as mut
from djspec import report_html
from djspec import verdicts as vd
from djspec.model import COVERAGE_STATES, DB_LABEL, DB_ORDER, article_names

def render_coverage_md(cov):
    head = "| claims | " + " | ".join(COVERAGE_STATES) + " |"
    rule = "|" + "---:|" * (len(COVERAGE_STATES) + 1)
    out = ["## Coverage", "", "Every checkable statement of the articles is a claim: *tested* (a test links it), "
           "*untestable* (an opinion; the reason is in the registry) or *not yet tested*.", "",
           "| article " + head, "|---" + rule]
    for a in cov["by_article"]:
        out.append(f"| {a['short']} {a['title']} | {a['claims']} | " + " | ".join(str(a[k]) for k in COVERAGE_STATES) + " |")
    t = cov["total"]
    out.append(f"| **all claims** | {t['claims']} | " + " | ".join(str(t[k]) for k in COVERAGE_STATES) + " |")
    if cov.get("by_docs_page"):
        out += ["", "Django's documentation is a source too: claims per docs page (any version).", "",
                "| docs page " + head, "|---" + rule]
        out += [f"| {p['page']} | {p['claims']} | " + " | ".join(str(p[k]) for k in COVERAGE_STATES) + " |"
                for p in cov["by_docs_page"]]
    out += ["", "| topic | complete " + head, "|---|---" + rule]
    for t in cov["by_topic"]:
        out.append(f"| {t['title']} | {'yes' if t['complete'] else 'no'} | {t['claims']} | "
                   + " | ".join(str(t[k]) for k in COVERAGE_STATES) + " |")
    return out + [""]

def render_compatibility_md(rows):
    if not rows:
        return []
    groups = sorted({g for r in rows for g in r["from"]}, key=lambda g: DB_ORDER.get(g, 9))
    out = ["## Django async compatibility", "",
           "One row per thing a user applies to async code: the first Django minor from which it works as "
           "the claim says (*no*: not in the newest), per database, and the docs versions that state it.", "",
           "| item | " + " | ".join(DB_LABEL.get(g, g) for g in groups) + " | docs say |",
           "|---|" + "---|" * (len(groups) + 1)]
    for r in rows:
        out.append(f"| `{r['id']}` {r['statement']} | " + " | ".join(r["from"].get(g, "") for g in groups)
                   + f" | {', '.join(r['docs'])} |")
    return out + [""]

def render_conformance_md(rows):
    if not rows:
        return []
    differs = [r for r in rows if any(v != "conforms" for v in r["verdicts"].values())]
    out = ["## Does each release do what its docs say?", "",
           f"{len(rows)} statements of Django's documentation, judged on the releases whose docs make them; "
           f"{len(differs)} differ somewhere.", "", "| statement | docs | verdict |", "|---|---|---|"]
    for r in differs + [r for r in rows if r not in differs]:
        verdict = "; ".join(f"{DB_LABEL.get(g, g)}: {v}" for g, v in r["verdicts"].items())
        out.append(f"| `{r['id']}` {r['statement']} | {', '.join(r['said'])} | {verdict} |")
    return out + [""]

def render_claimed_md(report):
    rows = report.get("claimed_vs_measured") or []
    differ = [r for r in rows if not r["agrees"]]
    out = ["## Claimed versions vs what the runs found", "",
           f"{len(rows)} tested claims name the releases they hold on; on {len(differ)} the runs disagree.", ""]
    for article, short in article_names(report):
        mine = [r for r in differ if article in r["articles"]]
        if mine:
            out += [f"### {short}", "", "| claim | claims | runs |", "|---|---|---|"]
            out += [f"| `{r['id']}` | {r['claimed']} | " + "; ".join(f"{DB_LABEL.get(g, g)}: {v}" for g, v in r["runs"].items())
                    + " |" for r in mine] + [""]
    docs = [r for r in differ if not r["articles"]]
    if docs:
        out += ["### Django documentation", "", "| claim | claims | runs |", "|---|---|---|"]
        out += [f"| `{r['id']}` | {r['claimed']} | " + "; ".join(f"{DB_LABEL.get(g, g)}: {v}" for g, v in r["runs"].items())
                + " |" for r in docs] + [""]
    return out

def render_facts_md(report):
    envs = [i["env"] for i in report["envs"]]
    rows = [r for r in report["facts"] if r["values"]]
    if not rows:
        return []
    out = ["## Concurrency facts", "", "Measured in each env with injected latency (see spec_tests/test_concurrency*.py). "
           "A ratio of about 1 means one after another; about 1/N means fully overlapped.", "",
           "| fact | " + " | ".join(envs) + " |", "|---|" + "---|" * len(envs)]
    for r in rows:
        out.append(f"| {r['fact']} | " + " | ".join(str(r["values"].get(env, "")) for env in envs) + " |")
    return out + [""]

def render_performance_md(perf):
    if not perf:
        return []
    out = ["## Performance (benchmark)", "", f"`python -m djspec.bench`: {perf['repeat']} runs per env; "
           "median [min–max].", "", "| fact | " + " | ".join(perf["envs"]) + " |", "|---|" + "---|" * len(perf["envs"])]
    for r in perf["rows"]:
        cells = [(f"{v['median']} [{v['min']}–{v['max']}]" if (v := r["values"].get(env)) else "") for env in perf["envs"]]
        out.append(f"| {r['fact']} | " + " | ".join(cells) + " |")
    return out + [""]

def render_md(report):
    out = ["# django-async-spec: verdict matrix", "",
           f"Generated {report['generated']} from {len(report['envs'])} envs. Verdicts are derived from the "
           "tests that ran in each env (see README, \"Verdicts\").", ""]
    if report["not_run"]:
        out += ["## Envs that did not run", ""] + [f"- `{env}`: {error}" for env, error in report["not_run"]] + [""]
    if report["drift"]:
        out += ["## Drift", ""] + [f"- **{cid}** on `{env}`" for env, cid in report["drift"]] + [""]
    out += render_coverage_md(report["coverage"])
    out += render_compatibility_md(report.get("compatibility"))
    out += render_conformance_md(report.get("conformance"))
    out += render_claimed_md(report)
    out += render_facts_md(report)
    out += render_performance_md(report.get("performance"))
    out += mut.render_score_md(report.get("mutation_score"))
    out += ["## Envs", "", "| env | Django | Python | database | tests | verdicts |", "|---|---|---|---|---|---|"]
    for info in report["envs"]:
        counts = report["totals"][info["env"]]
        out.append(f"| {info['env']} | {info['django']} | {info['python']} | {report_html.db_text(info)} | "
                   f"exit {info.get('exitstatus')} | {', '.join(f'{k} {counts[k]}' for k in vd.ORDER if k in counts)} |")
    groups = list(dict.fromkeys(g for c in report["claims"] for g in c["summary"] if g != "any"))
    for topic in report["topics"]:
        out += ["", f"## {topic['title']}", "", topic["summary"].replace("\n", " "), "",
                "| claim | sources | " + " | ".join(DB_LABEL.get(g, g) for g in groups) + " |",
                "|---|---|" + "---|" * len(groups)]
        for c in (c for c in report["claims"] if c["topic"] == topic["id"]):
            srcs = "<br>".join(s["label"] for s in c["sources"])
            for env, numbers in c.get("benchmark", {}).items():
                srcs += f"<br>benchmark {env}: " + "; ".join(
                    f"{k} {v['median']} [{v['min']}–{v['max']}]" for k, v in numbers.items())
            shown = ["any"] * len(groups) if "any" in c["summary"] else groups
            out.append(f"| **{c['id']}**: {c['statement']} | {srcs} | " + " | ".join(
                ("any database: " if g == "any" else "")
                + (f"**from {c['holds_from'][g]}**; " if c["holds_from"].get(g) else "") + c["summary"].get(g, "")
                for g in shown) + " |")
    return "\n".join(out) + "\n"
