"""DJSPEC_DJANGO: which Django a djany env installs, and the clear error for anything else."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from djspec import anydjango

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("spec, requirement, python", [
    ("6.1", "django==6.1.*", "python3.13"),
    ("6.1.3", "django==6.1.3", "python3.13"),
    ("6.2a1", "django==6.2a1", "python3.13"),
    ("4.2", "django==4.2.*", "python3.12"),
    ("3.0.14", "django==3.0.14", "python3.8"),
    (">=5.2,<6", "django<6,>=5.2", "python3.13"),
    ("pre", "django>=0.0a0", "python3.13"),
])
def test_a_version_or_specifier_becomes_a_requirement_with_a_python_that_runs_it(spec, requirement, python):
    choice = anydjango.resolve(spec)
    assert (choice.requirement, choice.python) == (requirement, python)


def test_the_postgresql_driver_follows_the_django_version():
    assert anydjango.resolve("3.0").pg_driver == "psycopg2-binary<2.9"
    assert anydjango.resolve("4.1").pg_driver == "psycopg2-binary"
    assert anydjango.resolve("6.1").pg_driver == "psycopg[binary]"


def test_a_local_wheel_or_checkout_is_installed_from_its_path(tmp_path):
    wheel = tmp_path / "Django-6.1.3-py3-none-any.whl"
    wheel.write_bytes(b"")
    assert anydjango.resolve(str(wheel)).requirement == str(wheel)
    checkout = tmp_path / "django-src"
    (checkout / "django").mkdir(parents=True)
    (checkout / "django" / "__init__.py").write_text("")
    (checkout / "pyproject.toml").write_text("")
    assert anydjango.resolve(str(checkout)).requirement == str(checkout)


@pytest.mark.parametrize("spec, message", [
    ("", "the djany-* envs need DJSPEC_DJANGO"),
    ("bogus", "is not a Django version"),
    ("2.2", "the kit covers Django 3.0 and newer"),
    ("./no/such/Django.whl", "no such file or directory"),
    ("/", "a directory must be a Django source checkout"),
])
def test_anything_else_is_a_clear_error(spec, message):
    with pytest.raises(anydjango.DjangoSpecError, match=re.escape(message)):
        anydjango.resolve(spec)


def test_tox_stops_a_djany_env_with_a_bad_spec_before_installing_anything(tmp_path):
    env = dict(os.environ, DJSPEC_DJANGO="bogus")
    env.pop("TOX_ENV_NAME", None)
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "tox"), "--workdir", str(tmp_path), "-e", "djany-sqlite"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "DJSPEC_DJANGO='bogus' is not a Django version" in out.stdout + out.stderr
    assert "install_deps" not in out.stdout + out.stderr
