"""The geometry of the report's charts, as plain data (no HTML).

``charts(report)`` gives the charts of index.html's section "Charts"; the ``charts`` macro of
templates/sections.html.j2 draws each as inline SVG. A chart is a dict with ``kind`` "line" or
"bar", its ``title``, ``width`` and ``height`` in pixels, and every position already computed
(numbers rounded to 0.1 px), so that the template only places elements.
"""
from djspec import verdicts as vd

DB_COLOR = {"sqlite": "#1565c0", "pg": "#2e7d32", "pg-psycopg2": "#8e24aa"}
OTHER_COLOR = "#555"

# Line charts drawn from the FACTS rows of the report: (title, fact label prefix, y-axis label)
CHARTS = [
    ("asyncio.gather over N async ORM calls", "gather over N async ORM calls: elapsed", "elapsed / (N × T)"),
    ("sync_to_async(thread_sensitive=False) over N queries", "sync_to_async(thread_sensitive=False)", "elapsed / (N × T)"),
]

# The parts of an env's time the bar chart "Time per env" can show, with their colours.
SEGMENT_COLOR = {"start-up": "#9e9e9e", "database": "#2e7d32", "collection": "#ffb300", "test database": "#66bb6a",
                 "servers": "#8e24aa", "tests": "#1565c0", "other": "#cfd8dc", "pytest session": "#607d8b"}

Y_TICKS = (0, 0.25, 0.5, 0.75, 1.0)


def _r(value):
    return round(value, 1)


def line_chart(title, ylabel, series, xs, width=640, height=220):
    """A line chart: ``series`` maps a database group to {x: y}; ``xs`` orders the x values.

    Returns None when there is nothing to draw, else::

        {"kind": "line", "title", "ylabel", "width", "height",
         "left", "right",                      # x of the plot area's edges
         "y_ticks": [{"y", "label", "label_y"}],  # horizontal grid lines and their labels
         "x_ticks": [{"x", "y", "label"}],     # the x labels under the plot
         "ylabel_x", "ylabel_y",               # centre of the rotated y-axis label
         "series": [{"group", "colour", "points": [{"x", "y", "value"}],
                     "polyline": "x,y x,y ..." (empty when fewer than 2 points),
                     "legend_x", "legend_y"}]} # the legend swatch's top left corner
                                               # (the template labels it with ``group|db_label``)
    """
    pad_l, pad_b, pad_t, pad_r = 46, 34, 24, 190
    values = [y for s in series.values() for y in s.values()]
    if not values or not xs:
        return None
    top = max(1.2, max(values) * 1.1)
    step = (width - pad_l - pad_r) / max(1, len(xs) - 1)
    plot_height = height - pad_t - pad_b

    def px(i):
        return _r(pad_l + i * step)

    def py(y):
        return _r(pad_t + plot_height * (1 - y / top))

    lines = []
    for n, (group, points) in enumerate(series.items()):
        placed = [{"x": px(xs.index(x)), "y": py(y), "value": y} for x, y in points.items() if x in xs]
        lines.append({
            "group": group, "colour": DB_COLOR.get(group, OTHER_COLOR),
            "points": placed,
            "polyline": " ".join(f"{p['x']},{p['y']}" for p in placed) if len(placed) > 1 else "",
            "legend_x": width - pad_r + 10, "legend_y": pad_t + n * 18,
        })
    return {
        "kind": "line", "title": title, "ylabel": ylabel, "width": width, "height": height,
        "left": pad_l, "right": width - pad_r,
        "y_ticks": [{"y": py(t), "label_y": _r(py(t) + 4), "label": f"{t:g}"} for t in Y_TICKS if t <= top],
        "x_ticks": [{"x": px(i), "y": height - pad_b + 16, "label": x} for i, x in enumerate(xs)],
        "ylabel_x": 12, "ylabel_y": round(pad_t + plot_height / 2),
        "series": lines,
    }


def bar_chart(title, bars, unit="s", width=560):
    """A horizontal stacked bar chart: ``bars`` is [(label, [(segment label, value, colour)])].

    Returns None when there are no bars, else::

        {"kind": "bar", "title", "unit", "width", "height", "left",   # left: x where bars start
         "bars": [{"label", "y", "label_y", "bar_height", "total", "total_text", "total_x",
                   "segments": [{"label", "value", "colour", "x", "width"}]}],
         "legend": [{"label", "colour", "x", "y"}]}   # one entry per segment label, under the bars
    """
    if not bars:
        return None
    row, pad_l, top, legend_step = 16, 120, 24, 110
    totals = [sum(v or 0 for _, v, _ in segments) for _, segments in bars]
    most = max(totals) or 1
    scale = (width - pad_l - 60) / most
    legend, rows = {}, []
    for i, ((label, segments), total) in enumerate(zip(bars, totals)):
        y = top + i * row
        x, placed = pad_l, []
        for seg_label, value, colour in segments:
            w = (value or 0) * scale
            placed.append({"label": seg_label, "value": value or 0, "colour": colour, "x": _r(x), "width": _r(w)})
            legend.setdefault(seg_label, colour)
            x += w
        rows.append({"label": label, "y": y, "label_y": y + 11, "bar_height": row - 4, "segments": placed,
                     "total": total, "total_text": f"{total:g} {unit}", "total_x": _r(x + 4)})
    legend_y = top + row * len(bars) + 6
    per_row = max(1, (width - pad_l) // legend_step)  # the legend wraps under the bars
    legend_rows = -(-len(legend) // per_row)
    return {
        "kind": "bar", "title": title, "unit": unit, "width": width, "height": legend_y + 16 * legend_rows + 10,
        "left": pad_l, "bars": rows,
        "legend": [{"label": seg_label, "colour": colour, "x": pad_l + (n % per_row) * legend_step,
                    "y": legend_y + 16 * (n // per_row)}
                   for n, (seg_label, colour) in enumerate(legend.items())],
    }


def env_segments(info):
    """The parts of one env's time, from the plugin's ``run_info["timing"]``: interpreter start-up,
    database provisioning (a throw-away cluster, a DSN check), collection, the test database
    (creation and migrations), the servers and other session fixtures, the tests themselves, and
    the rest (hooks, teardown). A result without timing shows the whole pytest session."""
    t = info.get("timing")
    if not t:
        return [("pytest session", info.get("duration_s") or 0, SEGMENT_COLOR["pytest session"])]
    fixtures = dict(t.get("session fixtures") or {})
    parts = [("start-up", t.get("start-up") or 0), ("database", t.get("database") or 0),
             ("collection", t.get("collection") or 0), ("test database", fixtures.pop("django_db_setup", 0)),
             ("servers", sum(fixtures.values())), ("tests", t.get("tests") or 0)]
    known = sum(v for _, v in parts) - (t.get("start-up") or 0)
    parts.append(("other", max(0.0, (info.get("duration_s") or 0) - known)))
    return [(name, round(v, 2), SEGMENT_COLOR[name]) for name, v in parts]


def charts(report):
    """The charts of the report, in page order: one line chart per CHARTS fact that has values
    (ratio by Django minor, one line per database; djlatest/djany envs left out as they repeat a
    release), then the time per env."""
    by_env = {i["env"]: i for i in report["envs"]}
    out = []
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
        chart = line_chart(f"{title}, by Django version", ylabel, series, xs)
        if chart:
            out.append(chart)
    chart = bar_chart("Time per env", [(i["env"], env_segments(i)) for i in report["envs"]])
    if chart:
        out.append(chart)
    return out
