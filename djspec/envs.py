"""The matrix, read from tox's own configuration: the one place that lists Django minors, Pythons
and drivers is ``tox.ini`` (its ``[djspec] minors`` line and the factor lines under ``[testenv]``).

    python -m djspec.envs            one line per env: name, Django, Python, database, driver
    python -m djspec.envs --json     the same as JSON (what the report, CI and the workflow read)
    python -m djspec.envs --names    the env names, one per line
    python -m djspec.envs --github   {"include": [{"env": ..., "python": ...}, ...]} for a job matrix

Everything that needs the env list asks here: ``djspec.run`` (how many envs, which names exist),
``.ci/run`` and the report (the columns a full run must have), the GitHub workflow (its job
matrix, through ``fromJSON``), ``anydjango`` (the Python and driver of a Django minor),
``diff`` (the minors between two versions) and ``mutate`` (an env's ``set_env``). Inside a spec
env, where tox is not installed, tox passes the minors as ``DJSPEC_MATRIX_MINORS``.

The values are tox's own: ``tox config -m spec --format json`` resolves factors, substitutions
and conditions exactly as a run does. An env that resolves to no Django requirement, or to no
named Python, is an error here (tox would otherwise install no Django, or fall back to the
Python tox itself runs on).
"""
import argparse
import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent
LABEL = "spec"
MINORS_VARIABLE = "DJSPEC_MATRIX_MINORS"  # set_env in tox.ini: "30,31,...", from [djspec] minors
READING = "DJSPEC_READING_MATRIX"  # set while `tox config` runs for load(): toxfile.py then skips djany


class EnvsError(Exception):
    """The matrix cannot be read (no tox, a broken tox.ini, an env without Django or Python)."""


@dataclass(frozen=True)
class Env:
    name: str  # dj52-pg
    django: str  # the requirement tox installs: django~=5.2.0
    minor: str  # 5.2, or "latest" for the canary
    python: str  # 3.13
    database: str  # sqlite | pg
    driver: str  # sqlite3 | psycopg | psycopg2
    driver_requirement: Optional[str]  # psycopg[binary], psycopg2-binary<2.9; None for SQLite

    @property
    def canary(self) -> bool:
        return self.minor == "latest"


def tox_command() -> List[str]:
    """The kit's tox (``.venv/bin/tox``), else the tox of this interpreter."""
    local = ROOT / ".venv" / "bin" / "tox"
    return [str(local)] if local.exists() else [sys.executable, "-m", "tox"]


def load(root: Path = ROOT, label: str = LABEL) -> List[Env]:
    """The envs of tox's ``label`` (default: the whole spec matrix), in tox.ini's order."""
    config = tox_config(["-m", label], ["base_python", "deps", "set_env"], root)
    return [_env(name, values) for name, values in config.items() if name != "clean"]


def set_env(name: str, root: Path = ROOT) -> dict:
    """The kit's own variables (DJSPEC_*) that tox.ini's ``set_env`` gives the env ``name``."""
    return dict(_set_env(name, root))


@functools.lru_cache(maxsize=None)
def _set_env(name, root):
    values = tox_config(["-e", name], ["set_env"], root)[name].get("set_env") or {}
    return tuple((k, v) for k, v in values.items() if k.startswith("DJSPEC_"))


def tox_config(select: List[str], keys: List[str], root: Path = ROOT) -> dict:
    """{env: {key: value}} as ``tox config --format json`` resolves them."""
    command = tox_command() + ["config", "-c", str(root / "tox.ini"), *select, "-k", *keys, "--format", "json"]
    try:
        out = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, **{READING: "1"}))
    except FileNotFoundError:
        raise EnvsError("tox is not installed: install the kit first (README, 'On a fresh machine')") from None
    if out.returncode:
        raise EnvsError(f"`tox config` failed on {root / 'tox.ini'}: {(out.stderr or out.stdout).strip()[-800:]}")
    try:
        return json.loads(out.stdout)["env"]
    except (ValueError, KeyError):
        raise EnvsError(f"`tox config --format json` gave no env table: {out.stdout[:300]!r}") from None


def _env(name, values) -> Env:
    deps = [d.strip() for d in values.get("deps") or []]
    djangos = [d for d in deps if re.match(r"django\b(?![-_.\w])", d, re.I)]
    if len(djangos) != 1:
        raise EnvsError(f"{name}: tox.ini's deps give it {len(djangos)} Django requirement(s) {djangos}; a matrix "
                        f"env needs exactly one (add a line like `{_factor(name)}: django~=X.Y.0` under deps)")
    pythons = values.get("base_python") or []
    named = [p for p in pythons if re.fullmatch(r"python3\.\d+", p)]
    if not named:
        raise EnvsError(f"{name}: tox.ini's base_python names no python3.X for it (got {pythons})")
    set_env = values.get("set_env") or {}
    database = set_env.get("DJSPEC_DB", "sqlite")
    drivers = [d for d in deps if re.match(r"psycopg", d)]
    minor = _minor(name, djangos[0])
    if database == "sqlite":
        driver, requirement = "sqlite3", None
    elif len(drivers) != 1:
        raise EnvsError(f"{name}: a PostgreSQL env needs exactly one psycopg requirement in deps, got {drivers}")
    else:
        requirement = drivers[0]
        driver = "psycopg2" if requirement.startswith("psycopg2") else "psycopg"
    return Env(name=name, django=djangos[0], minor=minor, python=named[0][len("python"):], database=database,
               driver=set_env.get("DJSPEC_PG_DRIVER") or driver, driver_requirement=requirement)


def _factor(name):
    return name.split("-")[0]


def _minor(name, requirement):
    factor = _factor(name)
    if factor == "djlatest":
        return "latest"
    match = re.fullmatch(r"dj(\d)(\d+)", factor)
    if not match:
        raise EnvsError(f"{name}: a matrix env's first factor is djXY (dj52) or djlatest")
    return f"{match[1]}.{match[2]}"


def minors(envs: List[Env]) -> List[str]:
    """The Django minors of the matrix, oldest first (the canary left out)."""
    found = []
    for env in envs:
        if not env.canary and env.minor not in found:
            found.append(env.minor)
    return sorted(found, key=lambda m: tuple(int(p) for p in m.split(".")))


def minors_from_environment() -> Optional[List[str]]:
    """The minors tox passed to a spec env (``DJSPEC_MATRIX_MINORS=30,31,...``), or None."""
    value = os.environ.get(MINORS_VARIABLE, "").strip()
    if not value:
        return None
    return [f"{f[0]}.{f[1:]}" for f in re.split(r"[,\s]+", value) if f]


def matrix_minors() -> List[str]:
    """The matrix's Django minors: from tox's environment inside an env, else from tox itself."""
    return minors_from_environment() or minors(load())


def github_matrix(envs: List[Env]) -> dict:
    return {"include": [{"env": e.name, "python": e.python, "database": e.database} for e in envs]}


def describe(envs: List[Env]) -> List[str]:
    lines = [f"{'env':<16} {'django':<16} {'python':<7} {'database':<9} driver"]
    for e in envs:
        lines.append(f"{e.name:<16} {e.django:<16} {e.python:<7} {e.database:<9} "
                     f"{e.driver}{f' ({e.driver_requirement})' if e.driver_requirement else ''}")
    lines.append(f"{len(envs)} envs, Django minors {', '.join(minors(envs))} and the newest (djlatest)")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m djspec.envs", description=__doc__.splitlines()[0])
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the envs as a JSON list")
    form.add_argument("--names", action="store_true", help="the env names, one per line")
    form.add_argument("--github", action="store_true", help="a GitHub Actions job matrix ({'include': [...]})")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose tox.ini to read")
    args = parser.parse_args(argv)
    try:
        envs = load(args.root)
    except EnvsError as exc:
        print(f"djspec.envs: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([asdict(e) for e in envs], indent=1))
    elif args.github:
        print(json.dumps(github_matrix(envs), separators=(",", ":")))
    else:
        print("\n".join(e.name for e in envs) if args.names else "\n".join(describe(envs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
