"""The main job's progress lines: each env is reported when tox says it finished."""
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
