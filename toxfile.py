"""tox inline plugin: find the interpreters pyenv installed, without touching pyenv's state.

pyenv's shims answer only for the global version, and uv (under tox-uv) skips them. Before any
env is built we put a folder of ``python3.X`` symlinks (``.tox/.djspec-pythons``), one per
interpreter found under ``$(pyenv root)/versions``, first on PATH, and forbid uv to download a
Python instead. On a machine whose interpreters are already on PATH this changes nothing.
"""
import logging
import os
import shutil
import subprocess
from pathlib import Path

from tox.plugin import impl

LOG = logging.getLogger("djspec")


def _pyenv_root():
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    exe = shutil.which("pyenv")
    if exe:
        try:
            return Path(subprocess.run([exe, "root"], capture_output=True, text=True, timeout=10).stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    return Path.home() / ".pyenv"


def _pyenv_interpreters():
    """{'python3.8': path, ...}: the newest patch release of each minor that pyenv holds."""
    found = {}
    for exe in sorted(_pyenv_root().glob("versions/*/bin/python3.*")):
        name = exe.name
        if name.count(".") == 1 and name[len("python3."):].isdigit() and os.access(exe, os.X_OK):
            found[name] = exe  # sorted: a later (newer) version directory wins
    return found


@impl
def tox_add_core_config(core_conf, state):
    interpreters = _pyenv_interpreters()
    if interpreters:
        # A stable folder inside tox's work dir: the envs' venvs point at these links, so they
        # must outlive this tox process (a temp dir would break every env on the next run).
        shim_dir = Path(core_conf["work_dir"]) / ".djspec-pythons"
        shim_dir.mkdir(parents=True, exist_ok=True)
        for name, exe in interpreters.items():
            link = shim_dir / name
            if not (link.is_symlink() and Path(os.readlink(link)) == exe):
                tmp = shim_dir / f".{name}.{os.getpid()}"
                tmp.symlink_to(exe)
                os.replace(tmp, link)  # atomic: parallel tox processes never see a missing link
        os.environ["PATH"] = f"{shim_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")  # fail fast instead of downloading
    # compile bytecode at install: imports stay fast even where PYTHONDONTWRITEBYTECODE is set
    os.environ.setdefault("UV_COMPILE_BYTECODE", "1")


@impl
def tox_add_env_config(env_conf, state):
    wanted = env_conf["base_python"]
    if wanted and not any(shutil.which(spec) for spec in wanted):
        LOG.error(
            "%s needs %s, which is neither on PATH nor under %s/versions: this env will FAIL. "
            "Install it (e.g. `pyenv install %s`) or put it on PATH.",
            env_conf.name, " or ".join(wanted), _pyenv_root(), wanted[0].replace("python", ""),
        )
