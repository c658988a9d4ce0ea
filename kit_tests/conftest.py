"""Helpers for testing the kit itself (not Django): temporary registries and pytest subprocesses."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ARTICLES = """
[[article]]
file = "000_x.txt"
short = "A0"
title = "An article"
"""


@pytest.fixture
def claims_dir(tmp_path):
    """A registry directory with one article; tests add topic files to it."""
    d = tmp_path / "claims"
    d.mkdir()
    (d / "articles.toml").write_text(ARTICLES)
    return d


@pytest.fixture
def run_pytest(tmp_path):
    """Run pytest on ``spec_tests/test_x.py`` written from ``source``, with the kit's plugin and the
    fixture project, in a subprocess; ``paths`` are what pytest collects (the whole ``spec_tests``
    turns on the completeness lint). Returns the CompletedProcess (stdout+stderr in .stdout)."""

    def run(source="def test_nothing():\n    pass\n", env=None, args=(), paths=("spec_tests/test_x.py",)):
        spec = tmp_path / "spec_tests"
        spec.mkdir(exist_ok=True)
        (spec / "test_x.py").write_text(textwrap.dedent(source))
        (tmp_path / "pytest.ini").write_text(
            "[pytest]\nDJANGO_SETTINGS_MODULE = fixture_app.settings\ndjango_find_project = false\n"
            "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        )
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJSPEC_", "TOX_ENV"))}
        full_env.update(PYTHONPATH=str(ROOT), **(env or {}))
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "djspec.pytest_plugin", *paths, *args],
            cwd=tmp_path, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
        )

    return run
