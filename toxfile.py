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
import sys
from pathlib import Path

from tox.plugin import impl
from tox.report import HandledError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from djspec import anydjango, envs  # noqa: E402

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
    if env_conf.name.startswith("djany") and not os.environ.get(envs.READING):
        _choose_any_django(env_conf.name)  # (tox loads every env's config; djany is not in the matrix)
    # tox takes the first base_python it finds; tox.ini's last line (the newest Python) is the
    # default for envs no earlier line names, never a stand-in for a missing interpreter
    wanted = env_conf["base_python"]
    if wanted and not shutil.which(wanted[0]) and not Path(wanted[0]).is_file():
        _CANNOT_RUN.setdefault(env_conf.name, (
            f"it needs {wanted[0]}, which is neither on PATH nor under {_pyenv_root()}/versions. Install it "
            f"(e.g. `pyenv install {wanted[0].replace('python', '')}`) or put it on PATH."))
        LOG.error("%s: %s This env will FAIL.", env_conf.name, _CANNOT_RUN[env_conf.name])


_CANNOT_RUN = {}  # env name -> why it stops before anything is installed into it


def _choose_any_django(env_name):
    """The djany-* envs install the Django that DJSPEC_DJANGO names (djspec/anydjango.py). Config
    is loaded for every listed env, so a bad spec is only recorded here; ``tox_on_install`` stops
    the env with the message before anything is installed into it."""
    try:
        choice = anydjango.choose(matrix=_matrix())
    except (anydjango.DjangoSpecError, envs.EnvsError) as exc:
        _CANNOT_RUN[env_name] = str(exc)
        return
    os.environ["DJSPEC_DJANGO_REQUIREMENT"] = choice.requirement
    os.environ["DJSPEC_DJANGO_PYTHON"] = choice.python
    os.environ["DJSPEC_DJANGO_PG_DRIVER"] = choice.pg_driver
    LOG.warning("%s: %s", env_name, choice.describe())


_MATRIX = []


def _matrix():
    """The spec matrix of this checkout (``djspec.envs``), read once per tox run."""
    if not _MATRIX:
        _MATRIX.extend(envs.load(Path(__file__).absolute().parent))
    return _MATRIX


@impl
def tox_on_install(tox_env, arguments, section, of_type):
    if tox_env.name in _CANNOT_RUN:
        raise HandledError(_CANNOT_RUN[tox_env.name])  # tox prefixes the env name
