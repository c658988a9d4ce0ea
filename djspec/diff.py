"""Compare two runs: which claims changed verdict (or what the tests saw) between them.

    python -m djspec.diff OLD NEW [--pair OLD_ENV=NEW_ENV ...] [--json]

OLD and NEW are each a report (report/report.json), a run from the report's history
(report/history/<time>.json), or a results directory (results/, one <env>.json per env).
Columns are paired by env name when the two runs share env names (the same envs at two dates);
otherwise by database when each run has one env per database (two Django versions, e.g. two
``djany`` runs); ``--pair`` names pairs explicitly.

A verdict change is listed with the claim, both verdicts, and the Django release notes to read
(every release between the two versions, and the notes the claim cites). An observation counts
as changed only when it differs in what it says, not in what varies from run to run:

* volatile values are normalised away: thread and object ids, memory addresses, temp paths,
  local ports (``observation_kind`` names the kind of each);
* numbers are compared with a tolerance (25 %), except *measurements*: a duration or a rate
  (by its name: ``max_loop_pause_s``, ``… (ms)``, ``…_per_second``), a value judged against a
  band (it has an ``… accepted`` sibling) and every number of a timing claim. Those are noise by
  design on a shared machine and are not compared: the verdict, derived from the claimed
  value's band, is what moves when the timing really changes;
* the text around the numbers must match exactly (a different error message is a change).

Two runs of the same code on the same Django therefore report no observation change.

A claim that one run did not exercise (untested in a partial run, skipped, or an env that did
not run) is listed as not compared and does not count.

Exit status: 0 no verdict changed, 1 some verdict changed, 2 bad input.
"""
import argparse
import json
import re
import sys
from pathlib import Path

from djspec import model
from djspec import registry as reg
from djspec import verdicts as vd

RELEASE_NOTES = "https://docs.djangoproject.com/en/stable/releases/{}/"


class DiffError(Exception):
    pass


HISTORY_SCHEMA = 1  # the version of a snapshot (report/history/*.json); the results' is results.SCHEMA


def snapshot(report):
    """The part of a report a diff needs (also what the report's history keeps per run)."""
    return {
        "schema": HISTORY_SCHEMA,
        "generated": report["generated"],
        "envs": [{k: info.get(k) for k in ("env", "django", "django_minor", "python", "db_group", "django_install")}
                 for info in report["envs"]],
        "cells": {c["id"]: {env: {"verdict": cell["verdict"], "observations": cell.get("observations", [])}
                            for env, cell in c["cells"].items()} for c in report["claims"]},
    }


def load(path):
    """A snapshot from a report.json, a history file, or a results directory."""
    path = Path(path)
    if path.is_dir() and (path / "report.json").is_file() and not any(p.name != "report.json" for p in path.glob("*.json")):
        path = path / "report.json"
    if path.is_dir():
        try:
            return snapshot(model.build(reg.load(), model.load_results(path)))
        except model.ReportError as exc:
            raise DiffError(str(exc)) from None
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise DiffError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise DiffError(f"{path}: not JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("claims"), list) and "envs" in data:
        return snapshot(data)
    if isinstance(data, dict) and isinstance(data.get("cells"), dict) and "envs" in data:
        if data.get("schema", HISTORY_SCHEMA) != HISTORY_SCHEMA:  # entries from before versioning are version 1
            raise DiffError(f"{path}: history schema version {data['schema']!r}; this kit reads version {HISTORY_SCHEMA}")
        return data
    raise DiffError(f"{path}: not a djspec report, history entry or results directory")


def pairs(old, new, explicit=()):
    """[(old env, new env), ...]: explicit pairs, else shared env names, else one env per database."""
    old_envs = {e["env"]: e for e in old["envs"]}
    new_envs = {e["env"]: e for e in new["envs"]}
    if explicit:
        out = []
        for item in explicit:
            a, sep, b = item.partition("=")
            if not sep or a not in old_envs or b not in new_envs:
                raise DiffError(f"--pair {item!r}: give OLD_ENV=NEW_ENV with OLD_ENV one of {sorted(old_envs)} "
                                f"and NEW_ENV one of {sorted(new_envs)}")
            out.append((a, b))
        return out
    shared = [env for env in old_envs if env in new_envs]
    if shared:
        return [(env, env) for env in shared]
    by_db_old = {}
    for e in old["envs"]:
        by_db_old.setdefault(e.get("db_group"), []).append(e["env"])
    by_db_new = {}
    for e in new["envs"]:
        by_db_new.setdefault(e.get("db_group"), []).append(e["env"])
    out = [(by_db_old[db][0], by_db_new[db][0]) for db in by_db_old
           if db in by_db_new and len(by_db_old[db]) == 1 and len(by_db_new[db]) == 1]
    if not out:
        raise DiffError(f"cannot pair the runs' envs (old: {sorted(old_envs)}, new: {sorted(new_envs)}): "
                        "they share no env name and no database; name pairs with --pair OLD_ENV=NEW_ENV")
    return out


# what varies from run to run in an observation's text, by kind, and what it is replaced with
VOLATILE = [
    ("memory address", re.compile(r"0x[0-9a-fA-F]{4,}"), "<address>"),  # before ids: its digits are no id
    ("thread or object id", re.compile(r"(?<![\d.])\d{7,}(?![\d.])"), "<id>"),
    ("temp path", re.compile(r"(?:/tmp|/var/tmp|/private/var|/dev/shm)/[^\s'\",;)\]]+"), "<temp path>"),
    ("local port", re.compile(r"(?:127\.0\.0\.1|localhost|0\.0\.0\.0):\d+"), "<host:port>"),
]
NUMBER = re.compile(r"[-+]?(?:inf|\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
MEASUREMENT = re.compile(r"(_s|_ms|\((m?s|µs|x[^)]*)\)|seconds|per_second|elapsed|duration|latency|pause|ratio|_over_sync)$", re.I)
TOLERANCE = 0.25


def observation_kind(text):
    """The kind of an observation's value: one of the VOLATILE kinds, 'number' or 'text'."""
    value = text.split(": ", 1)[-1]
    for kind, pattern, _ in VOLATILE:
        if pattern.search(value):
            return kind
    return "number" if NUMBER.fullmatch(value.strip()) else "text"


def normalise(text):
    for _, pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def same_observations(before, after, timing=False):
    """Do two cells' observations say the same, up to volatile values and number noise?"""
    def parsed(observations):
        return dict(o.split(": ", 1) if ": " in o else (o, "") for o in observations)

    old, new = parsed(before), parsed(after)
    if set(old) != set(new):
        return False

    def measurement(key):
        if key.endswith((" claimed", " accepted")):
            return False
        return timing or f"{key} accepted" in old or bool(MEASUREMENT.search(key.strip()))

    return all(_same_value(old[k], new[k], noisy=measurement(k)) for k in old)


def _same_value(old, new, noisy):
    old, new = normalise(old), normalise(new)
    if NUMBER.sub("#", old) != NUMBER.sub("#", new):
        return False
    if noisy:
        return True
    return all(_close(float(a), float(b)) for a, b in zip(NUMBER.findall(old), NUMBER.findall(new)))


def _close(a, b):
    return a == b or abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def release_notes(old_minor, new_minor, claim):
    """The release notes to read for a change between two Django minors: every release after the
    older one up to the newer one, then the notes the claim itself cites."""
    lo, hi = sorted([old_minor, new_minor], key=vd.version_key)
    links = [RELEASE_NOTES.format(m) for m in feature_releases(lo, hi)]
    if claim is not None:
        links += [s.doc for s in claim.sources if s.doc and "/releases/" in s.doc and s.doc not in links]
    return links


# a claim that one of the runs did not exercise (a subset was run, a tool was missing, an env did
# not run) has nothing to compare: listed, never counted as a change
UNCOMPARED = {vd.UNTESTED, vd.SKIPPED, vd.NOT_RUN}


def feature_releases(lo, hi):
    """The Django feature releases after ``lo`` up to ``hi``, by Django's release policy (since
    2.0, three per major: X.0, X.1 and the LTS X.2). 'latest' or a non-release: none listed."""
    try:
        (lo_major, lo_minor), (hi_major, hi_minor) = (tuple(int(p) for p in m.split(".")[:2]) for m in (lo, hi))
    except ValueError:
        return []
    return [f"{major}.{minor}" for major in range(lo_major, hi_major + 1) for minor in range(3)
            if (lo_major, lo_minor) < (major, minor) <= (hi_major, hi_minor)]


def compare(old, new, explicit=(), registry=None):
    """Every change between the paired columns: verdict changes (they gate) and observation
    changes (they inform)."""
    registry = registry or reg.load()
    old_info = {e["env"]: e for e in old["envs"]}
    new_info = {e["env"]: e for e in new["envs"]}
    result = []
    for a, b in pairs(old, new, explicit):
        column = {"old": old_info[a], "new": new_info[b], "verdicts": [], "observations": [], "uncompared": [],
                  "added": [], "removed": []}
        for cid in sorted(set(old["cells"]) | set(new["cells"])):
            before, after = old["cells"].get(cid, {}).get(a), new["cells"].get(cid, {}).get(b)
            if before is None or after is None:
                (column["added"] if before is None else column["removed"]).append(cid)
                continue
            if before["verdict"] != after["verdict"] and {before["verdict"], after["verdict"]} & UNCOMPARED:
                column["uncompared"].append({"claim": cid, "old": before["verdict"], "new": after["verdict"]})
            elif before["verdict"] != after["verdict"]:
                claim = registry.claims.get(cid)
                column["verdicts"].append({
                    "claim": cid, "old": before["verdict"], "new": after["verdict"],
                    "statement": claim.statement.replace("\n", " ") if claim else "",
                    "release_notes": release_notes(old_info[a]["django_minor"], new_info[b]["django_minor"], claim),
                    "observed_old": before["observations"], "observed_new": after["observations"],
                })
            elif not same_observations(before["observations"], after["observations"],
                                       timing=getattr(registry.claims.get(cid), "kind", None) == "timing"):
                column["observations"].append({"claim": cid, "old": before["observations"], "new": after["observations"]})
        result.append(column)
    return result


def verdict_changes(columns):
    return sum(len(c["verdicts"]) for c in columns)


def render(columns, old_label, new_label):
    out = [f"djspec diff: {old_label} -> {new_label}"]
    for c in columns:
        o, n = c["old"], c["new"]
        out.append(f"\n{o['env']} (Django {o['django']}) -> {n['env']} (Django {n['django']}): "
                   f"{len(c['verdicts'])} verdict change(s), {len(c['observations'])} observation change(s)")
        for v in c["verdicts"]:
            out.append(f"  VERDICT {v['claim']}: {v['old']} -> {v['new']}")
            out.append(f"      {v['statement'][:150]}")
            for text in v["observed_new"][:2]:
                out.append(f"      now observed: {text[:150]}")
            for link in v["release_notes"]:
                out.append(f"      release notes: {link}")
        for ch in c["observations"]:
            out.append(f"  observed {ch['claim']}: {'; '.join(ch['old'])[:100]} -> {'; '.join(ch['new'])[:100]}")
        if c["uncompared"]:
            out.append(f"  not compared ({len(c['uncompared'])}: untested, skipped or not run in one of the runs): "
                       + ", ".join(f"{u['claim']} ({u['old']} -> {u['new']})" for u in c["uncompared"][:10])
                       + (" ..." if len(c["uncompared"]) > 10 else ""))
        if c["added"]:
            out.append(f"  claims only in the new run: {', '.join(c['added'])}")
        if c["removed"]:
            out.append(f"  claims only in the old run: {', '.join(c['removed'])}")
    total = verdict_changes(columns)
    observed = sum(len(c["observations"]) for c in columns)
    out.append(f"\n{total} verdict change(s), {observed} observation change(s) in {len(columns)} column pair(s)")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.diff", description=__doc__.splitlines()[0])
    parser.add_argument("old", help="report.json, history entry or results directory")
    parser.add_argument("new", help="report.json, history entry or results directory")
    parser.add_argument("--pair", action="append", default=[], metavar="OLD_ENV=NEW_ENV",
                        help="compare these two columns (repeatable); default: same env names, else one per database")
    parser.add_argument("--json", action="store_true", help="print the changes as JSON")
    args = parser.parse_args(argv)
    try:
        old, new = load(args.old), load(args.new)
        columns = compare(old, new, args.pair)
    except (DiffError, reg.RegistryError) as exc:
        print(f"djspec diff: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(columns, indent=1) if args.json else render(columns, args.old, args.new))
    return 1 if verdict_changes(columns) else 0


if __name__ == "__main__":
    sys.exit(main())
