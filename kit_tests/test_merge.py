"""The CI fan-out's merge path: env results produced by separate tox runs (one machine or job
per env) merge into the same report as one tox run of all those envs."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from djspec import diff, model, registry

ROOT = Path(__file__).resolve().parent.parent
ENVS = ["dj52-sqlite", "dj61-sqlite"]
TESTS = "spec_tests/test_versions.py"  # small and deterministic: the merge is what is tested


def tox(envs, results, workdir):
    env = dict(os.environ, DJSPEC_RESULTS=str(results))
    env.pop("TOX_ENV_NAME", None)
    tox_exe = shutil.which("tox", path=str(ROOT / ".venv" / "bin")) or shutil.which("tox")
    command = [tox_exe] if tox_exe else [sys.executable, "-m", "tox"]
    out = subprocess.run(command + ["-qq", "--workdir", str(workdir), "-e", ",".join(envs), "--", TESTS],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def merged(results_dir):
    return diff.snapshot(model.build(registry.load(), model.load_results(results_dir)))


def test_results_of_separate_tox_runs_merge_into_the_report_of_one_run(tmp_path):
    workdir = tmp_path / "tox"
    tox(ENVS, tmp_path / "together", workdir)
    for env in ENVS:  # as the CI jobs do: one tox run per env, results gathered afterwards
        tox([env], tmp_path / f"alone-{env}", workdir)
    gathered = tmp_path / "gathered"
    gathered.mkdir()
    for env in ENVS:
        shutil.copy(tmp_path / f"alone-{env}" / f"{env}.json", gathered)

    together, separately = merged(tmp_path / "together"), merged(gathered)
    assert [e["env"] for e in separately["envs"]] == [e["env"] for e in together["envs"]] == ENVS
    assert separately["cells"] == together["cells"]
    assert diff.verdict_changes(diff.compare(together, separately)) == 0
