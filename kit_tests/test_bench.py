"""`python -m djspec.bench --matrix`: where each env's time goes, and the report's chart of it."""
from djspec import bench, charts

TIMING = {"start-up": 1.2, "database": 2.0, "collection": 1.5, "tests": 40.0,
          "session fixtures": {"django_db_setup": 0.3, "real_servers": 2.5}, "cpu": {"pytest": 15.0, "children": 8.0}}


def test_tox_summary_lines_give_each_envs_setup_and_command_time():
    match = bench.TOX_SUMMARY.match("  dj52-pg: OK (75.02=setup[3.10]+cmd[71.92] seconds)")
    assert (match["env"], match["setup"], match["cmd"]) == ("dj52-pg", "3.10", "71.92")
    assert bench.MATRIX_LINE.match("matrix: 25 envs finished, 0 failed in 6m02s")["m"] == "6"


def test_an_envs_time_splits_into_the_phases_the_plugin_timed():
    info = {"env": "dj52-sqlite", "duration_s": 48.0, "timing": TIMING}
    parts = {name: seconds for name, seconds, _ in charts.env_segments(info)}
    assert parts == {"start-up": 1.2, "database": 2.0, "collection": 1.5, "test database": 0.3, "servers": 2.5,
                     "tests": 40.0, "other": 1.7}  # 48 s of session, less what is accounted for
    assert charts.env_segments({"env": "old", "duration_s": 9.0}) == [("pytest session", 9.0, "#607d8b")]


def test_the_matrix_breakdown_names_every_env_slowest_first():
    row = {"tox setup": 0.1, "tox cmd": 50.0, "start-up": 1.2, "tests": 40.0, "cpu": TIMING["cpu"]}
    runs = [{"wall": 300.0, "matrix": 290.0, "cpu": 600.0, "cores busy": 2.0, "exit": 0,
             "envs": {"dj30-pg": dict(row, **{"tox cmd": 20.0}), "dj52-sqlite": row}}]
    lines = bench.render_matrix(runs).splitlines()
    assert [line.split()[0] for line in lines[1:3]] == ["dj52-sqlite", "dj30-pg"]
    assert "median 300 s" in lines[-1] and "2.0 cores busy" in lines[-1]
