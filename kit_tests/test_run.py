"""The main job: progress lines as tox reports each env finished, the order envs start in, and how
many run at a time."""
import json

import pytest

from djspec import run


@pytest.mark.parametrize("line, env, status, seconds", [
    ("dj30-pg: OK ✔ in 36.12 seconds", "dj30-pg", "OK", 36.12),
    ("dj31-sqlite: OK ✔ in 1 minute 44.39 seconds", "dj31-sqlite", "OK", 104.39),
    ("dj61-sqlite: FAIL ✖ in 2 minutes 3.5 seconds", "dj61-sqlite", "FAIL", 123.5),
    ("  dj52-pg: OK (74.30=setup[0.02]+cmd[74.28] seconds)", "dj52-pg", "OK", 74.3),
])
def test_tox_s_finished_lines_give_the_env_its_status_and_time(line, env, status, seconds):
    match = run.DONE.match(line.strip())
    assert (match["env"], match["status"], run.elapsed(match)) == (env, status, pytest.approx(seconds))


def test_the_longest_envs_of_the_previous_run_start_first(tmp_path):
    for name, seconds in (("dj30-pg", 18.6), ("dj52-sqlite", 59.0), ("dj52-pg", 50.4)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"run_info": {"duration_s": seconds}}))
    order = run.longest_first(["dj30-pg", "dj52-pg", "dj52-sqlite", "dj62-pg", "dj62-sqlite"], tmp_path)
    assert order == ["dj62-sqlite", "dj62-pg", "dj52-sqlite", "dj52-pg", "dj30-pg"]  # never run: first


def test_the_default_parallelism_keeps_every_core_busy(monkeypatch):
    monkeypatch.setattr(run.os, "sched_getaffinity", lambda pid: set(range(2)))
    assert run.default_parallel() == 6
    monkeypatch.setattr(run.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert run.default_parallel() == 24
