"""Spec strength: ``python -m djspec.mutate`` catches mutations, and never writes into an env.

The real run takes the kit's own env (``.tox/kit``: the newest Django and every spec dependency).
It is safe while the matrix runs in parallel: the command mutates a private hard-linked copy of
the env, never the env itself, and the kit env is not a spec env. Two mutations, two spec modules.
"""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from djspec import report_html
from djspec import mutate
from kit_tests.conftest import ROOT

TWO = {"queryset-acount-removed": "api.queryset-acount", "soo-message-reworded": "soo.error-message"}
TOUCHED = ["db/models/query.py", "utils/asyncio.py"]


def this_env():
    """The tox env this test runs in (the kit env), or a failure saying how to run it."""
    prefix = Path(sys.prefix)
    if prefix.parent != ROOT / ".tox":
        pytest.fail(f"run the kit's tests through tox (`.venv/bin/tox -e kit`); this Python is {prefix}")
    return prefix.name


def fingerprint(path):
    """What must not change when a mutation runs: the file's inode (shared with the uv cache and
    every env that installed the same wheel), its mtime and content."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def mutate_cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "djspec.mutate", *args], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def test_two_mutations_are_caught_by_their_claims_and_the_env_is_never_written(tmp_path):
    env = this_env()
    package = mutate.django_package(ROOT / ".tox" / env)
    before = {f: fingerprint(package / f) for f in TOUCHED}
    stale = mutate.WORKSPACES / f"{env}-999999999"  # left by a run that died: removed on the next start
    stale.mkdir(parents=True, exist_ok=True)

    proc = mutate_cli(env, "--only", ",".join(TWO), "--out", str(tmp_path), "--",
                      "spec_tests/test_soo.py", "spec_tests/test_api_availability.py")

    assert proc.returncode == 0, proc.stdout
    report = json.loads((tmp_path / f"{env}.json").read_text())
    by_name = {m["name"]: m for m in report["mutations"]}
    for name, claim in TWO.items():
        assert by_name[name]["applicable"] and by_name[name]["caught"], proc.stdout
        assert claim in by_name[name]["drifted_claims"]
        assert by_name[name]["failing_tests"]
    assert report["summary"]["tried"] == report["summary"]["caught"] == 2
    assert "2 of 2 mutations caught" in proc.stdout
    # the env, the uv cache and every env sharing these files: same inode, same bytes, untouched
    assert {f: fingerprint(package / f) for f in TOUCHED} == before
    assert not stale.exists() and not list(mutate.WORKSPACES.glob(f"{env}-*"))


def test_a_mutation_is_applied_to_a_linked_copy_and_restored_by_relinking(tmp_path):
    """apply() writes a new file and renames it over the copy's link; restore() links the
    original back: the original inode (and every other link to it) is never opened for writing."""
    original = tmp_path / "env" / "django"
    (original / "utils" / "__pycache__").mkdir(parents=True)
    source = original / "utils" / "asyncio.py"
    source.write_text('message = "You cannot call this from an async context - use a thread or "\n')
    (original / "utils" / "__pycache__" / "asyncio.cpython-313.pyc").write_bytes(b"bytecode")
    cache = tmp_path / "uv-cache-asyncio.py"
    os.link(source, cache)  # the uv cache's link to the same file
    mutate.copy_env(tmp_path / "env", tmp_path / "copy")
    copy = tmp_path / "copy" / "django"
    mutation = mutate.Mutation("m", "soo", "reworded", "utils/asyncio.py", "use a thread or ", "use a thread, ")
    before = fingerprint(source)

    mutate.apply(mutation, original, copy)
    assert "use a thread, " in (copy / "utils" / "asyncio.py").read_text()
    assert not list((copy / "utils" / "__pycache__").glob("*.pyc"))  # the mutant gets compiled afresh
    assert fingerprint(source) == before and cache.read_text() == source.read_text()

    mutate.restore(mutation, original, copy)
    assert os.path.samefile(copy / "utils" / "asyncio.py", source)
    assert os.path.samefile(copy / "utils" / "__pycache__" / "asyncio.cpython-313.pyc",
                            original / "utils" / "__pycache__" / "asyncio.cpython-313.pyc")
    assert fingerprint(source) == before


def test_every_mutation_of_the_catalogue_applies_to_the_newest_django_or_says_why_not():
    """The catalogue is well-formed: unique names, a topic of the registry, text that differs.
    On the kit env's Django each mutation either applies or names its reason."""
    from djspec import registry as reg

    topics = set(reg.load().topics)
    assert len(mutate.BY_NAME) == len(mutate.CATALOGUE) >= 25
    for m in mutate.CATALOGUE:
        assert m.topic in topics, m.name
        assert m.old != m.new and set(m.databases) <= set(mutate.DATABASES), m.name
    package = mutate.django_package(ROOT / ".tox" / this_env())
    results = [mutate.applicability(m, package, "sqlite") for m in mutate.CATALOGUE]
    assert all(applies or reason for applies, reason in results)
    assert sum(applies for applies, _ in results) >= 25


@pytest.mark.parametrize("args, message", [
    (["no-such-env"], "the env no-such-env is not built"),
    (["kit", "--only", "no-such-mutation"], "unknown mutation(s): no-such-mutation"),
    (["../etc"], "is not a tox env name"),
])
def test_bad_input_exits_2_and_says_what_is_wrong(args, message):
    proc = mutate_cli(*args, "--list", timeout=60)
    assert proc.returncode == 2 and message in proc.stdout


def test_the_report_shows_the_mutation_score(tmp_path):
    """mutations/ENV.json becomes report.json's "mutation_score" and the section
    "Spec strength (mutations)" of report.md and index.html."""
    record = {"name": "soo-message-reworded", "topic": "soo", "description": "reworded", "file": "django/utils/asyncio.py",
              "applicable": True, "caught": True, "drifted_claims": ["soo.error-message"], "failing_tests": ["t"]}
    gap = dict(record, name="queryset-acount-removed", topic="api", caught=False, drifted_claims=[])
    (tmp_path / "dj52-sqlite.json").write_text(json.dumps({
        "schema": 1, "env": "dj52-sqlite", "django": "5.2.19", "database": "sqlite",
        "mutations": [record, gap], "summary": mutate.summary([record, gap])}))
    block = mutate.load_scores(tmp_path)
    assert block["envs"][0]["by_topic"] == {"api": {"tried": 1, "caught": 0}, "soo": {"tried": 1, "caught": 1}}
    md = "\n".join(mutate.render_score_md(block))
    assert "## Spec strength (mutations)" in md and "caught: soo.error-message" in md and "**NOT CAUGHT**" in md
    html = str(report_html.environment().get_template("sections.html.j2").module.mutations(mutate.score_view(block)))
    assert 'id="mutations"' in html and '<a href="#claim/soo.error-message">' in html
    assert mutate.load_scores(tmp_path / "none") is None
