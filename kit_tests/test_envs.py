"""One source for the matrix: tox.ini lists the Django minors, Pythons and drivers, and every
consumer (the run, CI's checks, the report, the GitHub workflow, anydjango, the lint) asks
``djspec.envs``, which asks tox. Adding a release to a copy of tox.ini reaches all of them."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djspec import anydjango, envs, gates, model, run

ROOT = Path(__file__).resolve().parent.parent
# the files that run, check or publish the matrix: none may list Django minors or env names
CONSUMERS = ["djspec/*.py", "toxfile.py", ".ci/run", ".github/workflows/*.yml", "conftest.py", "pyproject.toml"]


@pytest.fixture(scope="module")
def matrix():
    return envs.load()


def test_every_matrix_env_names_one_django_one_python_and_its_database(matrix):
    assert len(matrix) == len({e.name for e in matrix}) >= 25
    for env in matrix:
        assert env.django.startswith("django") and re.fullmatch(r"3\.\d+", env.python), env
        assert env.database in env.name.split("-")[1]  # sqlite, pg, pg2


def test_each_pg_env_runs_the_driver_its_django_defaults_to(matrix):
    """What the gate lint assumes of a -pg env (gates.default_driver) is what tox.ini installs."""
    for env in matrix:
        if env.name.endswith("-pg") and not env.canary:
            assert env.driver == gates.default_driver(env.minor, "pg"), env


def test_an_env_without_a_django_requirement_is_an_error(tmp_path):
    copy = checkout_copy(tmp_path, minors_add="62")  # the minor, but no `dj62: django~=6.2.0` line
    with pytest.raises(envs.EnvsError, match=r"dj62-sqlite: tox.ini's deps give it 0 Django requirement"):
        envs.load(copy)


def checkout_copy(tmp_path, minors_add=None, deps_line=None):
    """tox.ini and toxfile.py copied (djspec linked), with a minor and a deps line added."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    shutil.copy(ROOT / "toxfile.py", copy)
    (copy / "djspec").symlink_to(ROOT / "djspec")
    text = (ROOT / "tox.ini").read_text()
    if minors_add:
        text, n = re.subn(r"^(minors = .*)$", rf"\1,{minors_add}", text, count=1, flags=re.M)
        assert n == 1
    if deps_line:
        text, n = re.subn(r"^(    dj61: django~=6\.1\.0)$", rf"\1\n    {deps_line}", text, count=1, flags=re.M)
        assert n == 1
    (copy / "tox.ini").write_text(text)
    return copy


@pytest.fixture(scope="module")
def with_dj62(tmp_path_factory):
    """A checkout whose tox.ini gained Django 6.2: `62` in minors, `dj62: django~=6.2.0` in deps."""
    copy = checkout_copy(tmp_path_factory.mktemp("dj62"), minors_add="62", deps_line="dj62: django~=6.2.0")
    return copy, envs.load(copy)


def test_adding_a_release_to_tox_ini_adds_its_envs_on_the_newest_python_and_psycopg(with_dj62):
    _, matrix = with_dj62
    new = {e.name: e for e in matrix if e.minor == "6.2"}
    assert sorted(new) == ["dj62-pg", "dj62-sqlite"]
    assert new["dj62-pg"].django == "django~=6.2.0" and new["dj62-pg"].python == "3.13"
    assert new["dj62-pg"].driver == "psycopg" and new["dj62-sqlite"].driver == "sqlite3"
    assert envs.minors(matrix)[-1] == "6.2"


def test_the_added_release_reaches_the_github_job_matrix(with_dj62):
    copy, _ = with_dj62
    out = subprocess.run([sys.executable, "-m", "djspec.envs", "--github", "--root", str(copy)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    jobs = [job["env"] for job in json.loads(out.stdout)["include"]]
    assert {"dj62-sqlite", "dj62-pg"} <= set(jobs) and len(jobs) == 27
    workflow = (ROOT / ".github" / "workflows" / "spec.yml").read_text()
    assert "python -m djspec.envs --github" in workflow
    assert "matrix: ${{ fromJSON(needs.matrix.outputs.include) }}" in workflow


def test_the_added_release_reaches_the_run_the_report_and_ci(with_dj62):
    copy, matrix = with_dj62
    assert {"dj62-sqlite", "dj62-pg"} <= set(run.chosen_envs(None, matrix))
    assert run.chosen_envs("dj62-pg", matrix) == ["dj62-pg"]
    # the report (and .ci/run, which reads the same list) expects a column for each env
    runs = [{"run_info": {"env": e.name}} for e in matrix if e.minor != "6.2"]
    assert [env for env, _ in model.missing_envs(runs, [e.name for e in matrix])] == ["dj62-sqlite", "dj62-pg"]
    assert "matrix.load()" in (ROOT / ".ci" / "run").read_text()


def test_the_added_release_reaches_tox_s_labels_the_report_s_order_and_the_lint(with_dj62):
    copy, _ = with_dj62
    spec = envs.tox_config(["-m", "spec"], ["env_name"], copy)
    depends = envs.tox_config(["-e", "report"], ["depends"], copy)["report"]["depends"]
    assert {"dj62-sqlite", "dj62-pg"} <= set(spec) and {"dj62-sqlite", "dj62-pg"} <= set(depends)
    os.environ[envs.MINORS_VARIABLE] = envs.set_env("dj62-sqlite", copy)[envs.MINORS_VARIABLE]
    try:
        assert envs.matrix_minors()[-1] == "6.2"  # what the gate lint sees inside the env
    finally:
        del os.environ[envs.MINORS_VARIABLE]


def test_the_added_release_gives_anydjango_its_python_and_driver(with_dj62):
    _, matrix = with_dj62
    choice = anydjango.resolve("6.2.1", matrix)
    assert (choice.python, choice.pg_driver) == ("python3.13", "psycopg[binary]")


def test_no_consumer_lists_the_matrix_itself():
    """Apart from examples (in docstrings, or two in a help text), no file that runs, checks or
    publishes the matrix names more than two envs or Django minors: they come from tox.ini."""
    for pattern in CONSUMERS:
        for path in ROOT.glob(pattern):
            text = re.sub(r'"""[\s\S]*?"""', "", path.read_text())
            names = set(re.findall(r"\bdj(?:\d\d|latest)\b", text))
            minors = set(re.findall(r"""["'](\d\.\d)["']""", text))
            assert len(names) <= 2 and len(minors) <= 2, f"{path.relative_to(ROOT)} lists {sorted(names | minors)}"
