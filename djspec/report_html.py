"""report/index.html: one self-contained page (no network), readable like caniuse or wpt.fyi.

It opens with the headline findings (the claims most readers come for, with their verdict
ranges per database), then what changed since the previous run, the full matrix (sticky
headers, filters by article, topic and verdict, a details panel per cell), charts, coverage and
the envs. Printing drops the controls and keeps the tables.
"""
import html
import json

from djspec import mutate as mut
from djspec import verdicts as vd
from djspec.model import COVERAGE_STATES, DB_ORDER, article_names

DB_LABEL = {"sqlite": "SQLite", "pg": "PostgreSQL", "pg-psycopg2": "PostgreSQL + psycopg2", "any": "any database"}
DB_COLOR = {"sqlite": "#1565c0", "pg": "#2e7d32", "pg-psycopg2": "#8e24aa"}

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

# Charts drawn from the FACTS rows of the report: (title, fact label prefix, y-axis label)
CHARTS = [
    ("asyncio.gather over N async ORM calls", "gather over N async ORM calls: elapsed", "elapsed / (N × T)"),
    ("sync_to_async(thread_sensitive=False) over N queries", "sync_to_async(thread_sensitive=False)", "elapsed / (N × T)"),
]

CSS = """
:root{--line:#ddd;--head:#f4f4f4}
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222}
header,main>section{padding:0 1rem}
nav{position:sticky;top:0;z-index:20;background:#222;padding:.4rem 1rem}
nav a{color:#fff;margin-right:1rem;text-decoration:none}
h1{font-size:1.5rem;margin:.8rem 0 .3rem}h2{margin-top:1.6rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:.6rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem}
.card .id{font-size:12px;color:#555}.card .st{margin:.2rem 0 .4rem}
.range{font-size:13px;margin:.1rem 0}
table{border-collapse:separate;border-spacing:0}
th,td{border-bottom:1px solid var(--line);border-right:1px solid #eee;padding:3px 5px;vertical-align:top}
#matrix thead th{position:sticky;top:2.1rem;background:var(--head);z-index:5;font-size:12px}
#matrix th.claim,#matrix td.claim{position:sticky;left:0;background:#fff;z-index:4;min-width:22rem;max-width:30rem;text-align:left}
#matrix thead th.claim{z-index:6;background:var(--head)}
td.v{font-size:12px;text-align:center;min-width:3.6rem;cursor:pointer}
td.v:hover{outline:2px solid #333}
.holds{background:#c8e6c9}.refuted{background:#ffcdd2}.partly{background:#fff3c4}
.drift{background:#d32f2f;color:#fff;font-weight:bold}.not-run{background:#555;color:#fff}
.na,.skipped,.untested,.untestable{background:#eee;color:#777}
.measured{background:#e1ecf7}
tr.topic td{background:#333;color:#fff;font-weight:bold;position:sticky;left:0}
.small,.src{font-size:12px;color:#555}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:.5rem 0}
.filters label{font-size:13px}.filters select{max-width:20rem}
.scroll{overflow-x:auto}
table.plain td,table.plain th{text-align:right}table.plain .l{text-align:left}
#panel{position:fixed;right:0;top:2.1rem;bottom:0;width:min(32rem,90vw);background:#fff;border-left:2px solid #333;
  box-shadow:-4px 0 12px rgba(0,0,0,.15);padding:.8rem 1rem;overflow:auto;z-index:30;display:none}
#panel.open{display:block}#panel pre{white-space:pre-wrap;font-size:12px;background:#f6f6f6;padding:.4rem}
#panel button{float:right}
.changed{border-left:4px solid #d32f2f;padding-left:.5rem}
svg text{font:11px system-ui,sans-serif}
@media print{
  nav,.filters,#panel,.noprint{display:none!important}
  #matrix thead th,#matrix th.claim,#matrix td.claim{position:static}
  body{font-size:10px}td.v{min-width:0}.scroll{overflow:visible}
  tr{break-inside:avoid}
}
"""

SCRIPT = """
(function(){
  var rows=[].slice.call(document.querySelectorAll('#matrix tbody tr.claim-row'));
  var topics=[].slice.call(document.querySelectorAll('#matrix tbody tr.topic'));
  var f={article:document.getElementById('f-article'),topic:document.getElementById('f-topic'),
         verdict:document.getElementById('f-verdict'),text:document.getElementById('f-text')};
  function apply(){
    var a=f.article.value,t=f.topic.value,v=f.verdict.value,q=f.text.value.toLowerCase(),shown={},n=0;
    rows.forEach(function(r){
      var ok=(!a||(' '+r.dataset.articles+' ').indexOf(' '+a+' ')>=0)&&(!t||r.dataset.topic===t)
        &&(!v||(' '+r.dataset.verdicts+' ').indexOf(' '+v+' ')>=0)&&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.style.display=ok?'':'none'; if(ok){shown[r.dataset.topic]=1;n++;}
    });
    topics.forEach(function(r){r.style.display=shown[r.dataset.topic]?'':'none';});
    document.getElementById('f-count').textContent=n+' of '+rows.length+' claims';
  }
  Object.keys(f).forEach(function(k){f[k].addEventListener('input',apply);});
  apply();
  var panel=document.getElementById('panel'),body=document.getElementById('panel-body');
  document.getElementById('matrix').addEventListener('click',function(e){
    var td=e.target.closest('td.v'); if(!td)return;
    var d=JSON.parse(td.dataset.d),row=td.parentNode;
    var h='<h3>'+esc(row.dataset.id)+'</h3><p><b>'+esc(d.env)+'</b> (Django '+esc(d.django)+'): <span class="'+esc(d.cls)+'">'
      +esc(d.verdict)+'</span></p>';
    if(d.failures.length)h+='<h4>Failures</h4><pre>'+esc(d.failures.join('\\n\\n'))+'</pre>';
    if(d.observations.length)h+='<h4>Observed</h4><pre>'+esc(d.observations.join('\\n'))+'</pre>';
    h+='<h4>Tests</h4>'+row.querySelector('.tests').innerHTML;
    body.innerHTML=h; panel.classList.add('open');
  });
  document.getElementById('panel-close').addEventListener('click',function(){panel.classList.remove('open');});
  document.addEventListener('keydown',function(e){if(e.key==='Escape')panel.classList.remove('open');});
  function esc(s){return String(s).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
})();
"""


def e(value):
    return html.escape(str(value), quote=True)


def css_class(verdict):
    return {"n/a": "na", "not run": "not-run"}.get(verdict, verdict)


def db_text(info):
    db = info["database"]
    if not db.get("vendor"):
        return f"{db.get('choice')}: not reached"
    return f"{db['vendor']} {db['server_version'].split()[0]} · {db['driver']} {db['driver_version']}"


def render_headlines(report):
    claims = {c["id"]: c for c in report["claims"]}
    cards = []
    for cid in HEADLINES:
        c = claims.get(cid)
        if c is None:
            continue
        ranges = "".join(
            f"<div class=range><b>{e(DB_LABEL.get(g, g))}</b>: "
            + (f"<b>from {e(c['holds_from'][g])}</b>; " if c["holds_from"].get(g) else "") + f"{e(s)}</div>"
            for g, s in c["summary"].items())
        cards.append(f"<div class=card><div class=id><a href='#{e(cid)}'>{e(cid)}</a></div>"
                     f"<div class=st>{e(c['statement'])}</div>{ranges}</div>")
    return ("<section id=headlines><h2>Headline findings</h2><p class=small>What the articles claim most often, "
            "and on which Django versions it is true, per database. Click through to the row for every env.</p>"
            f"<div class=cards>{''.join(cards)}</div></section>")


def render_changes(report):
    changes = report.get("since_previous")
    if not changes:
        return ("<section id=changes><h2>Changes since the previous run</h2><p class=small>No earlier run in "
                "report/history/ to compare with.</p></section>")
    if changes.get("error"):
        return (f"<section id=changes><h2>Changes since the previous run</h2><p class=small>Run of "
                f"{e(changes['previous'])}: {e(changes['error'])}</p></section>")
    items = []
    for col in changes["columns"]:
        for v in col["verdicts"]:
            items.append(f"<li class=changed><a href='#{e(v['claim'])}'>{e(v['claim'])}</a> on {e(col['new']['env'])}: "
                         f"<span class='{css_class(v['old'])}'>{e(v['old'])}</span> → "
                         f"<span class='{css_class(v['new'])}'>{e(v['new'])}</span></li>")
    observed = sum(len(col["observations"]) for col in changes["columns"])
    body = f"<ul>{''.join(items)}</ul>" if items else "<p>No verdict changed.</p>"
    return (f"<section id=changes><h2>Changes since the previous run</h2><p class=small>Compared with the run of "
            f"{e(changes['previous'])} (<code>python -m djspec.diff</code> gives the details). "
            f"{observed} observation(s) changed beyond their numbers.</p>{body}</section>")


def _articles_of(claim):
    return " ".join(sorted({s["article"] for s in claim["sources"] if s["article"]} or {"docs"}))


def render_matrix(report):
    envs = report["envs"]
    head = "".join(
        f"<th title='{e(db_text(i))}; Python {e(i['python'])}'>{e(i['env'])}<br>"
        f"<span class=small>{e(i['django'])}<br>{e(i['database'].get('vendor') or 'not run')}</span></th>" for i in envs)
    rows = []
    # opinions (the advice topic: no verdicts, only reasons) read best after the checked topics
    for topic in sorted(report["topics"], key=lambda t: t["id"] == "advice"):
        rows.append(f"<tr class=topic data-topic='{e(topic['id'])}'><td colspan={len(envs) + 2}>{e(topic['title'])}</td></tr>")
        for c in (c for c in report["claims"] if c["topic"] == topic["id"]):
            sources = "<br>".join(e(s["label"]) for s in c["sources"])
            tests = "<br>".join(
                f"<a href='../{e(t['file'])}#L{t['line']}'>{e(t['test'].split('::')[-1])}</a> "
                f"<span class=small>({e(t['relation'])}; {e(t['file'])}:{t['line']})</span>" for t in c["tests"])
            if c["untestable"]:
                tests = f"<i>untestable: {e(c['untestable'])}</i>"
            summary = "<br>".join(
                f"{e(DB_LABEL.get(g, g))}: " + (f"<b>from {e(c['holds_from'][g])}</b>; " if c["holds_from"].get(g) else "") + e(s)
                for g, s in c["summary"].items())
            for env, numbers in c.get("benchmark", {}).items():  # a measured claim's spread
                summary += f"<br><i>benchmark {e(env)}</i>: " + "; ".join(
                    f"{e(k)} {e(str(v['median']))} [{e(str(v['min']))}–{e(str(v['max']))}]" for k, v in numbers.items())
            cells = []
            for info in envs:
                cell = c["cells"][info["env"]]
                detail = {"env": info["env"], "django": info["django"], "verdict": cell["verdict"],
                          "cls": css_class(cell["verdict"]), "observations": cell.get("observations", []),
                          "failures": cell.get("failures", [])}
                short = cell["observations"][0][:40] if cell.get("observations") and cell["verdict"] != vd.NA else ""
                cells.append(f"<td class='v {css_class(cell['verdict'])}' data-d='{e(json.dumps(detail))}'>{e(cell['verdict'])}"
                             f"{'<br><span class=small>' + e(short) + '</span>' if short else ''}</td>")
            verdicts = " ".join(sorted({css_class(cell["verdict"]) for cell in c["cells"].values()}))
            rows.append(
                f"<tr class=claim-row id='{e(c['id'])}' data-id='{e(c['id'])}' data-topic='{e(c['topic'])}' "
                f"data-articles='{e(_articles_of(c))}' data-verdicts='{e(verdicts)}'>"
                f"<td class=claim><b>{e(c['id'])}</b> <span class=small>[{e(c['kind'])}]</span><br>{e(c['statement'])}"
                f"<div class=src>{sources}</div><div class='small tests'>{tests}</div></td>"
                f"<td class=small>{summary}</td>{''.join(cells)}</tr>")
    article_options = "".join(f"<option value='{e(f)}'>{e(a.get('short', f))} {e(a.get('title', ''))}</option>"
                              for f, a in report["articles"].items()) + "<option value=docs>Django docs only</option>"
    topic_options = "".join(f"<option value='{e(t['id'])}'>{e(t['title'])}</option>" for t in report["topics"])
    verdict_options = "".join(f"<option value='{css_class(v)}'>{e(v)}</option>" for v in vd.ORDER)
    return f"""<section id=matrix-section><h2>Verdict matrix</h2>
<p class=small>Each cell is derived from the tests that ran in that env: <b>holds</b> / <b>refuted</b> / <b>partly</b>
(some tests confirm, some refute) / <b>n/a</b> (no test applies to that version or database) / <b>drift</b> (a test
failed: Django no longer does what the spec recorded) / <b>measured</b> (the claim's number is recorded with the
claimed value and the band a test would accept, but no bound can settle it on a shared machine: no verdict; the
benchmark section has its spread) / <b>not run</b>. A claim whose tests touch no database is summarised once, for
<b>any database</b>: those tests run in the SQLite env and their outcome stands for every database of that Django
version. Timing cells show the measured value, the claimed value and the accepted band. Click a cell for what the
tests saw.</p>
<div class=filters>
<label>article <select id=f-article><option value=''>all</option>{article_options}</select></label>
<label>topic <select id=f-topic><option value=''>all</option>{topic_options}</select></label>
<label>verdict in some env <select id=f-verdict><option value=''>any</option>{verdict_options}</select></label>
<label>text <input id=f-text type=search placeholder='claim, statement, test'></label>
<span id=f-count class=small></span></div>
<div class=scroll><table id=matrix><thead><tr><th class=claim>claim · sources · tests</th><th>summary</th>{head}</tr></thead>
<tbody>{''.join(rows)}</tbody></table></div></section>"""


def line_chart(title, ylabel, series, xs, width=640, height=220):
    """An inline SVG line chart: ``series`` maps a database group to {x: y}; ``xs`` orders x."""
    pad_l, pad_b, pad_t, pad_r = 46, 34, 24, 190
    values = [y for s in series.values() for y in s.values()]
    if not values or not xs:
        return ""
    top = max(1.2, max(values) * 1.1)
    step = (width - pad_l - pad_r) / max(1, len(xs) - 1)

    def px(i):
        return pad_l + i * step

    def py(y):
        return pad_t + (height - pad_t - pad_b) * (1 - y / top)

    parts = [f"<svg role=img aria-label='{e(title)}' width={width} height={height} viewBox='0 0 {width} {height}'>",
             f"<text x={pad_l} y=14 font-weight=bold>{e(title)}</text>"]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        if tick <= top:
            parts.append(f"<line x1={pad_l} x2={width - pad_r} y1={py(tick):.1f} y2={py(tick):.1f} stroke='#eee'/>"
                         f"<text x={pad_l - 6} y={py(tick) + 4:.1f} text-anchor=end>{tick:g}</text>")
    for i, x in enumerate(xs):
        parts.append(f"<text x={px(i):.1f} y={height - pad_b + 16} text-anchor=middle>{e(x)}</text>")
    parts.append(f"<text x=12 y={pad_t + (height - pad_t - pad_b) / 2:.0f} transform='rotate(-90 12 "
                 f"{pad_t + (height - pad_t - pad_b) / 2:.0f})' text-anchor=middle>{e(ylabel)}</text>")
    for n, (group, points) in enumerate(series.items()):
        color = DB_COLOR.get(group, "#555")
        coords = [(px(xs.index(x)), py(y)) for x, y in points.items() if x in xs]
        if len(coords) > 1:
            parts.append(f"<polyline fill=none stroke='{color}' stroke-width=2 points='"
                         + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + "'/>")
        for (x, y), value in zip(coords, points.values()):
            parts.append(f"<circle cx={x:.1f} cy={y:.1f} r=3.5 fill='{color}'><title>{e(group)} {value}</title></circle>")
        parts.append(f"<rect x={width - pad_r + 10} y={pad_t + n * 18} width=12 height=12 fill='{color}'/>"
                     f"<text x={width - pad_r + 26} y={pad_t + n * 18 + 10}>{e(DB_LABEL.get(group, group))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title, bars, unit="s", width=560):
    """An inline SVG horizontal bar chart: ``bars`` is [(label, value, group)]."""
    if not bars:
        return ""
    row, pad_l, top = 16, 120, 24
    height = top + row * len(bars) + 10
    most = max(v for _, v, _ in bars) or 1
    parts = [f"<svg role=img aria-label='{e(title)}' width={width} height={height} viewBox='0 0 {width} {height}'>",
             f"<text x=0 y=14 font-weight=bold>{e(title)}</text>"]
    for i, (label, value, group) in enumerate(bars):
        y = top + i * row
        w = (width - pad_l - 60) * value / most
        parts.append(f"<text x={pad_l - 6} y={y + 11} text-anchor=end>{e(label)}</text>"
                     f"<rect x={pad_l} y={y} width={w:.1f} height={row - 4} fill='{DB_COLOR.get(group, '#555')}'/>"
                     f"<text x={pad_l + w + 4:.1f} y={y + 11}>{value:g} {e(unit)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def render_charts(report):
    by_env = {i["env"]: i for i in report["envs"]}
    charts = []
    for title, prefix, ylabel in CHARTS:
        fact = next((f for f in report["facts"] if f["fact"].startswith(prefix)), None)
        if not fact or not fact["values"]:
            continue
        series, xs = {}, []
        for env, value in fact["values"].items():
            info = by_env.get(env)
            if info is None or not isinstance(value, (int, float)) or env.startswith(("djlatest", "djany")):
                continue
            series.setdefault(info.get("db_group", "?"), {})[info["django_minor"]] = value
            if info["django_minor"] not in xs:
                xs.append(info["django_minor"])
        xs.sort(key=vd.version_key)
        charts.append(line_chart(f"{title}, by Django version", ylabel, series, xs))
    bars = [(i["env"], i.get("duration_s") or 0, i.get("db_group")) for i in report["envs"]]
    charts.append(bar_chart("Time per env (pytest session)", bars))
    return ("<section id=charts><h2>Charts</h2><p class=small>About 1 means the N calls ran one after another; about "
            "1/N means they overlapped. Values from the concurrency tests in each env (djlatest left out: it repeats "
            "the newest release).</p>" + "".join(f"<div class=scroll>{c}</div>" for c in charts) + "</section>")


def render_envs(report):
    rows = "".join(
        f"<tr><td class=l>{e(i['env'])}</td><td class=l>{e(i['django'])}</td><td class=l>{e(i['python'])}</td>"
        f"<td class=l>{e(db_text(i))}</td><td>{e(i.get('duration_s'))}</td><td>{e(i.get('exitstatus'))}</td>"
        f"<td class=l>{e(', '.join(f'{k} {n}' for k, n in report['totals'][i['env']].items()))}</td></tr>"
        for i in report["envs"])
    return ("<section id=envs><h2>Envs</h2><div class=scroll><table class=plain><thead><tr><th class=l>env</th>"
            "<th class=l>Django</th><th class=l>Python</th><th class=l>database</th><th>seconds</th><th>exit</th>"
            f"<th class=l>verdicts</th></tr></thead><tbody>{rows}</tbody></table></div></section>")


def render(report, coverage_html, facts_html, performance_html):
    drift = "".join(f"<li><a href='#{e(cid)}'>{e(cid)}</a> on {e(env)}</li>" for env, cid in report["drift"])
    not_run = "".join(f"<li>{e(env)}: <code>{e(error)}</code></li>" for env, error in report["not_run"])
    alerts = ""
    if not_run:
        alerts += f"<section><h2>Envs that did not run</h2><ul>{not_run}</ul></section>"
    if drift:
        alerts += f"<section><h2>Drift</h2><ul>{drift}</ul></section>"
    cov = report["coverage"]["total"]
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content='width=device-width,initial-scale=1'>
<title>django-async-spec verdict matrix</title><style>{CSS}</style></head><body>
<nav><a href=#headlines>Headlines</a><a href=#changes>Changes</a><a href=#matrix-section>Matrix</a><a href=#charts>Charts</a>
<a href=#coverage>Coverage</a><a href=#facts>Facts</a><a href=#mutations>Mutations</a><a href=#envs>Envs</a></nav>
<header><h1>django-async-spec: what the articles claim about async Django, checked</h1>
<p>Generated {e(report['generated'])} from {len(report['envs'])} envs (Django × database); {cov['claims']} claims:
{cov['tested']} tested, {cov['untestable']} untestable (opinions), {cov['not yet tested']} not yet tested.
Drift: {len(report['drift'])}. Envs that did not run: {len(report['not_run'])}.</p></header>
<main>{alerts}{render_headlines(report)}{render_changes(report)}{render_matrix(report)}{render_charts(report)}
<section>{coverage_html}</section><section>{facts_html}{performance_html}</section>{render_envs(report)}</main>
<aside id=panel aria-live=polite><button id=panel-close type=button>close ✕</button><div id=panel-body></div></aside>
<script>{SCRIPT}</script></body></html>
"""


# ----------------------------------------------------------------------------- sections built from the model

def render_coverage_html(cov):
    e = html.escape
    head = "<th>claims</th>" + "".join(f"<th>{e(k)}</th>" for k in COVERAGE_STATES)

    def cells(r):
        return f"<td>{r['claims']}</td>" + "".join(f"<td>{r[k]}</td>" for k in COVERAGE_STATES)

    arts = "".join(f"<tr><td class=l>{e(a['short'])} {e(a['title'])}<br><span class=small>{e(a['article'] or '')}</span></td>"
                   f"{cells(a)}</tr>" for a in cov["by_article"])
    arts += f"<tr><td class=l><b>all claims</b></td>{cells(cov['total'])}</tr>"
    topics = "".join(f"<tr><td class=l>{e(t['title'])}</td><td>{'yes' if t['complete'] else 'no'}</td>{cells(t)}</tr>"
                     for t in cov["by_topic"])
    pages = "".join(f"<tr><td class=l>{e(p['page'])}</td>{cells(p)}</tr>" for p in cov.get("by_docs_page", []))
    return (f"<h2 id=coverage>Coverage</h2><p>Every checkable statement of the articles is a claim: <b>tested</b> (a test "
            f"links it), <b>untestable</b> (an opinion; the reason is in the registry) or <b>not yet tested</b>.</p>"
            f"<table class=plain><thead><tr><th class=l>article</th>{head}</tr></thead><tbody>{arts}</tbody></table>"
            + (f"<p>Django's documentation is a source too: claims per docs page (any version).</p><table class=plain>"
               f"<thead><tr><th class=l>docs page</th>{head}</tr></thead><tbody>{pages}</tbody></table>" if pages else "")
            + f"<table class=plain><thead><tr><th class=l>topic</th><th>complete</th>{head}</tr></thead><tbody>{topics}</tbody></table>")

def render_compatibility_html(rows):
    if not rows:
        return ""
    e = html.escape
    groups = sorted({g for r in rows for g in r["from"]}, key=lambda g: DB_ORDER.get(g, 9))
    head = "".join(f"<th>{e(DB_LABEL.get(g, g))}</th>" for g in groups)
    body = "".join(
        f"<tr><td class=l><a href='#{e(r['id'])}'><code>{e(r['id'])}</code></a><br><span class=small>{e(r['statement'])}"
        f"</span></td>" + "".join(f"<td>{e(r['from'].get(g, ''))}</td>" for g in groups)
        + f"<td>{e(', '.join(r['docs']))}</td></tr>" for r in rows)
    return (f"<h2 id=compat>Django async compatibility</h2><p>One row per thing a user applies to async code: the "
            f"first Django minor from which it works as the claim says (<b>no</b>: not in the newest), per database, and the docs versions that state it.</p>"
            f"<table class=plain><thead><tr><th class=l>item</th>{head}<th>docs say</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")

def render_conformance_html(rows):
    if not rows:
        return ""
    e = html.escape
    differs = [r for r in rows if any(v != "conforms" for v in r["verdicts"].values())]
    body = "".join(
        f"<tr><td class=l><a href='#{e(r['id'])}'><code>{e(r['id'])}</code></a><br><span class=small>{e(r['statement'])}"
        f"</span></td><td>{e(', '.join(r['said']))}</td><td>"
        + "<br>".join(f"{e(DB_LABEL.get(g, g))}: {e(v)}" for g, v in r["verdicts"].items()) + "</td></tr>"
        for r in differs + [r for r in rows if r not in differs])
    return (f"<h2 id=conformance>Does each release do what its docs say?</h2><p>{len(rows)} statements of Django's "
            f"documentation, judged on the releases whose docs make them; {len(differs)} differ somewhere.</p>"
            f"<table class=plain><thead><tr><th class=l>statement</th><th>docs</th><th>verdict</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")

def render_claimed_html(report):
    e = html.escape
    rows = report.get("claimed_vs_measured") or []
    differ = [r for r in rows if not r["agrees"]]
    parts = [f"<h2 id=claimed>Claimed versions vs what the runs found</h2><p>{len(rows)} tested claims name the "
             f"releases they hold on; on {len(differ)} the runs disagree.</p>"]
    sections = [(short, [r for r in differ if file in r["articles"]]) for file, short in article_names(report)]
    sections.append(("Django documentation", [r for r in differ if not r["articles"]]))
    for title, mine in sections:
        if not mine:
            continue
        body = "".join(f"<tr><td class=l><a href='#{e(r['id'])}'><code>{e(r['id'])}</code></a></td><td>{e(r['claimed'])}"
                       f"</td><td>" + "<br>".join(f"{e(DB_LABEL.get(g, g))}: {e(v)}" for g, v in r["runs"].items())
                       + "</td></tr>" for r in mine)
        parts.append(f"<h3>{e(title)}</h3><table class=plain><thead><tr><th class=l>claim</th><th>claims</th>"
                     f"<th>runs</th></tr></thead><tbody>{body}</tbody></table>")
    return "".join(parts)

def render_facts_html(report):
    e = html.escape
    envs = [i["env"] for i in report["envs"]]
    rows = [r for r in report["facts"] if r["values"]]
    if not rows:
        return ""
    body = "".join(
        f"<tr><td class=l title='{e(r['test'])} / {e(r['key'])}'>{e(r['fact'])}</td>"
        + "".join(f"<td>{e(str(r['values'].get(env, '')))}</td>" for env in envs) + "</tr>" for r in rows)
    return (f"<h2 id=facts>Concurrency facts</h2><p>Measured in each env with injected latency. A ratio of about 1 "
            f"means one after another; about 1/N means fully overlapped.</p><div class=scroll><table class=plain><thead><tr>"
            f"<th class=l>fact</th>{''.join(f'<th>{e(env)}</th>' for env in envs)}</tr></thead><tbody>{body}</tbody></table></div>")

def render_performance_html(perf):
    if not perf:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(env)}</th>" for env in perf["envs"])
    body = ""
    for r in perf["rows"]:
        cells = "".join(
            f"<td>{e(str(v['median']))}<br><span class=small>{e(str(v['min']))}–{e(str(v['max']))}</span></td>"
            if (v := r["values"].get(env)) else "<td></td>" for env in perf["envs"])
        body += f"<tr><td class=l>{e(r['fact'])}</td>{cells}</tr>"
    return (f"<h2 id=performance>Performance (benchmark)</h2><p><code>python -m djspec.bench</code>: {perf['repeat']} runs "
            f"per env; median, and min–max below it.</p><div class=scroll><table class=plain><thead><tr><th class=l>fact</th>"
            f"{head}</tr></thead><tbody>{body}</tbody></table></div>")

def render_html(report):
    return render(report, render_coverage_html(report["coverage"])
                              + render_compatibility_html(report.get("compatibility"))
                              + render_conformance_html(report.get("conformance"))
                              + render_claimed_html(report), render_facts_html(report),
                              render_performance_html(report.get("performance"))
                              + mut.render_score_html(report.get("mutation_score")))
