"""Which Django the ``djany-*`` envs install: read ``DJSPEC_DJANGO`` and say exactly what it means.

    DJSPEC_DJANGO=6.1         the newest 6.1.x            (django==6.1.*)
    DJSPEC_DJANGO=6.1.3       exactly that release        (django==6.1.3)
    DJSPEC_DJANGO=6.2a1       exactly that pre-release    (django==6.2a1)
    DJSPEC_DJANGO='>=6.1,<7'  any PEP 440 specifier       (django>=6.1,<7)
    DJSPEC_DJANGO=pre         the newest release or pre-release on the index
    DJSPEC_DJANGO=./Django-6.1.3-py3-none-any.whl | ./Django-6.1.3.tar.gz | ../django   a local build

tox's inline plugin (toxfile.py) calls ``resolve()`` and ``check_index()`` before anything is
installed: a spec that is none of the above, or that no Django on the package index matches,
stops tox with one line saying why (and the newest Django there is). The Python and the
PostgreSQL driver are the matrix's for that Django minor (``djspec.envs``, read from tox.ini):
the nearest older minor's for a minor the matrix lacks, the newest env's for a newer one or when
the spec names no minor. ``DJSPEC_PYTHON`` (e.g. ``python3.12``) overrides the Python.
"""
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

ARCHIVES = (".whl", ".tar.gz", ".zip")
PYPI = "https://pypi.org/simple"


class DjangoSpecError(ValueError):
    pass


@dataclass(frozen=True)
class DjangoChoice:
    spec: str  # what the user wrote
    requirement: str  # what the installer gets
    python: str
    pg_driver: str  # the PostgreSQL driver requirement
    minor: tuple = None  # (major, minor) when the spec names one

    def describe(self):
        return f"DJSPEC_DJANGO={self.spec!r}: installs {self.requirement} on {self.python}"


def resolve(spec, matrix, python_override=None):
    """Turn ``spec`` into a DjangoChoice, or raise DjangoSpecError saying what is accepted.
    ``matrix``: the envs of ``djspec.envs.load()``, for the Python and driver of each minor."""
    spec = (spec or "").strip()
    if not spec:
        raise DjangoSpecError("the djany-* envs need DJSPEC_DJANGO: a Django version (6.1, 6.1.3, 6.2a1), a "
                              "specifier ('>=6.1a1'), 'pre', or the path of a wheel, sdist or source checkout")
    minor, requirement = None, None
    path = Path(spec).expanduser()
    looks_like_path = os.sep in spec or spec.startswith(".") or spec.endswith(ARCHIVES)
    if looks_like_path:
        requirement = str(_local_build(path))
    elif spec == "pre":
        requirement = "django>=0.0a0"  # a pre-release marker: the installer may pick pre-releases
    elif re.fullmatch(r"\d+\.\d+", spec):
        minor = tuple(int(p) for p in spec.split("."))
        requirement = f"django=={spec}.*"
    else:
        try:
            version = Version(spec)
        except InvalidVersion:
            version = None
        if version is not None:
            minor, requirement = (version.major, version.minor), f"django=={spec}"
        else:
            try:
                specifiers = SpecifierSet(spec)
            except InvalidSpecifier:
                raise DjangoSpecError(
                    f"DJSPEC_DJANGO={spec!r} is not a Django version (6.1, 6.1.3, 6.2a1), a version specifier "
                    "('>=6.1a1', '~=5.2.0'), 'pre', or the path of a wheel (.whl), sdist (.tar.gz, .zip) or "
                    "source checkout") from None
            if not len(specifiers):
                raise DjangoSpecError(f"DJSPEC_DJANGO={spec!r}: an empty specifier")
            requirement = f"django{specifiers}"
            pins = [Version(s.version) for s in specifiers if s.operator in ("==", "~=", ">=") and "*" not in s.version]
            if pins:
                lowest = min(pins)
                minor = (lowest.major, lowest.minor)
    if minor is not None and minor < (3, 0):
        raise DjangoSpecError(f"DJSPEC_DJANGO={spec!r}: the kit covers Django 3.0 and newer (ASGI arrived in 3.0)")
    python, pg_driver = _matrix_choice(minor, matrix)
    return DjangoChoice(spec=spec, requirement=requirement, python=python_override or python, pg_driver=pg_driver,
                        minor=minor)


def _matrix_choice(minor, matrix):
    """(python, PostgreSQL driver requirement) of the matrix's pg env for ``minor``."""
    def key(env):
        return (99, 99) if env.canary else tuple(int(p) for p in env.minor.split("."))

    # the -pg env of each minor: its driver is the one that Django minor defaults to
    candidates = sorted((e for e in matrix if e.database == "pg" and e.name.endswith("-pg")), key=key)
    if not candidates:
        raise DjangoSpecError("the matrix (tox.ini) has no -pg env to take a Python and driver from")
    chosen = candidates[-1]
    if minor is not None:
        older = [e for e in candidates if not e.canary and key(e) <= minor]
        newest_listed = max(key(e) for e in candidates if not e.canary)
        if older and minor <= newest_listed:
            chosen = older[-1]
    return f"python{chosen.python}", chosen.driver_requirement


def index_url():
    """The package index the installer uses (uv's or pip's setting), else PyPI."""
    for name in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(name):
            return os.environ[name].rstrip("/")
    return PYPI


def index_versions(url=None, timeout=15):
    """Every Django version on the index (PEP 691 JSON). Raises OSError when it cannot be read."""
    request = urllib.request.Request(f"{url or index_url()}/django/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = json.load(response)
    versions = []
    for text in data.get("versions", []):
        try:
            versions.append(Version(text))
        except InvalidVersion:
            pass
    return sorted(versions)


def check_index(choice, versions):
    """Raise DjangoSpecError, in one line, when no Django in ``versions`` (the index's) satisfies
    the choice; a local build is not checked."""
    if not choice.requirement.startswith("django"):
        return
    if choice.spec == "pre":
        matches = versions
    else:
        matches = list(SpecifierSet(choice.requirement[len("django"):]).filter(versions))
    if matches:
        return
    finals = [v for v in versions if not v.is_prerelease]
    newest = f"the newest there is {finals[-1]}" if finals else "it lists no Django release"
    if versions and versions[-1].is_prerelease and (not finals or versions[-1] > finals[-1]):
        newest += f" (newest pre-release: {versions[-1]})"
    raise DjangoSpecError(f"DJSPEC_DJANGO={choice.spec!r}: no Django on the package index ({index_url()}) matches "
                          f"{choice.requirement}; {newest}")


def _local_build(path):
    if not path.exists():
        raise DjangoSpecError(f"DJSPEC_DJANGO={str(path)!r}: no such file or directory")
    path = path.resolve()
    if path.is_file():
        if not path.name.endswith(ARCHIVES) or not path.name.lower().startswith("django"):
            raise DjangoSpecError(f"DJSPEC_DJANGO={str(path)!r}: a file must be a Django wheel (.whl) or sdist "
                                  "(.tar.gz, .zip) whose name starts with 'django'")
        return path
    if not (path / "django" / "__init__.py").is_file() or not any((path / f).is_file() for f in ("pyproject.toml", "setup.py")):
        raise DjangoSpecError(f"DJSPEC_DJANGO={str(path)!r}: a directory must be a Django source checkout "
                              "(django/__init__.py next to pyproject.toml or setup.py)")
    return path


def choose(spec=None, python_override=None, matrix=None):
    """What ``DJSPEC_DJANGO`` (or ``spec``) installs, checked against the package index; raises
    DjangoSpecError (one line) for a bad spec or a version the index lacks. An unreachable index
    is not an error here: the installer will say so."""
    from djspec import envs

    choice = resolve(os.environ.get("DJSPEC_DJANGO") if spec is None else spec,
                     envs.load() if matrix is None else matrix,
                     python_override or os.environ.get("DJSPEC_PYTHON"))
    try:
        versions = index_versions()
    except (OSError, ValueError):
        return choice
    check_index(choice, versions)
    return choice


def main(argv=None):
    """``python -m djspec.anydjango [--python]``: what DJSPEC_DJANGO installs (or, with --python,
    just the Python version it runs on, for a CI job's setup step); exit 2 and one line if bad."""
    import sys

    from djspec import envs

    argv = sys.argv[1:] if argv is None else argv
    try:
        choice = choose()
    except (DjangoSpecError, envs.EnvsError) as exc:
        print(f"djspec.anydjango: {exc}", file=sys.stderr)
        return 2
    print(choice.python[len("python"):] if "--python" in argv else choice.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
