"""DJSPEC_DJANGO: which Django a djany env installs, and the clear error for anything else."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from packaging.version import Version

from djspec import anydjango, envs, run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def matrix():
    """The Python and driver of each minor come from tox.ini's matrix (djspec.envs)."""
    return envs.load()


@pytest.mark.parametrize("spec, requirement, python", [
    ("6.1", "django==6.1.*", "python3.13"),
    ("6.1.3", "django==6.1.3", "python3.13"),
    ("6.2a1", "django==6.2a1", "python3.13"),
    ("4.2", "django==4.2.*", "python3.12"),
    ("3.0.14", "django==3.0.14", "python3.8"),
    (">=5.2,<6", "django<6,>=5.2", "python3.13"),
    ("pre", "django>=0.0a0", "python3.13"),
])
def test_a_version_or_specifier_becomes_a_requirement_with_a_python_that_runs_it(spec, requirement, python, matrix):
    choice = anydjango.resolve(spec, matrix)
    assert (choice.requirement, choice.python) == (requirement, python)


def test_the_postgresql_driver_follows_the_django_version(matrix):
    assert anydjango.resolve("3.0", matrix).pg_driver == "psycopg2-binary<2.9"
    assert anydjango.resolve("4.1", matrix).pg_driver == "psycopg2-binary"
    assert anydjango.resolve("6.1", matrix).pg_driver == "psycopg[binary]"


def test_a_local_wheel_or_checkout_is_installed_from_its_path(tmp_path, matrix):
    wheel = tmp_path / "Django-6.1.3-py3-none-any.whl"
    wheel.write_bytes(b"")
    assert anydjango.resolve(str(wheel), matrix).requirement == str(wheel)
    checkout = tmp_path / "django-src"
    (checkout / "django").mkdir(parents=True)
    (checkout / "django" / "__init__.py").write_text("")
    (checkout / "pyproject.toml").write_text("")
    assert anydjango.resolve(str(checkout), matrix).requirement == str(checkout)


@pytest.mark.parametrize("spec, message", [
    ("", "the djany-* envs need DJSPEC_DJANGO"),
    ("bogus", "is not a Django version"),
    ("2.2", "the kit covers Django 3.0 and newer"),
    ("./no/such/Django.whl", "no such file or directory"),
    ("/", "a directory must be a Django source checkout"),
])
def test_anything_else_is_a_clear_error(spec, message, matrix):
    with pytest.raises(anydjango.DjangoSpecError, match=re.escape(message)):
        anydjango.resolve(spec, matrix)


INDEX = [Version(v) for v in ("5.2.9", "6.0", "6.0.1", "6.1a1", "6.1rc1", "6.1", "6.1.3", "6.2a1")]


@pytest.mark.parametrize("spec", ["6.1", "6.1.3", "6.2a1", ">=6.1,<7", "pre", "6.2"])
def test_a_version_the_index_has_passes_the_index_check(spec, matrix):
    anydjango.check_index(anydjango.resolve(spec, matrix), INDEX)  # 6.2: only its pre-release, as uv allows


@pytest.mark.parametrize("spec", ["9.9", "6.1.4", ">=7"])
def test_a_version_the_index_lacks_is_one_line_naming_the_newest(spec, matrix):
    with pytest.raises(anydjango.DjangoSpecError) as caught:
        anydjango.check_index(anydjango.resolve(spec, matrix), INDEX)
    message = str(caught.value)
    assert "\n" not in message and "no Django on the package index" in message
    assert message.endswith("the newest there is 6.1.3 (newest pre-release: 6.2a1)")


def test_the_main_job_stops_on_a_django_the_index_lacks_before_running_anything(monkeypatch, capsys):
    monkeypatch.setenv("DJSPEC_DJANGO", "9.9")
    monkeypatch.setattr(anydjango, "index_versions", lambda: INDEX)
    monkeypatch.setattr(run, "run_matrix", lambda *a: pytest.fail("the matrix started"))
    assert run.main(["-e", "djany-sqlite"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "DJSPEC_DJANGO='9.9'" in err and "the newest there is 6.1.3" in err


def test_tox_stops_a_djany_env_with_a_bad_spec_before_installing_anything(tmp_path):
    env = dict(os.environ, DJSPEC_DJANGO="bogus")
    env.pop("TOX_ENV_NAME", None)
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "tox"), "--workdir", str(tmp_path), "-e", "djany-sqlite"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "DJSPEC_DJANGO='bogus' is not a Django version" in out.stdout + out.stderr
    assert "install_deps" not in out.stdout + out.stderr
