"""Which Django the ``djany-*`` envs install: read ``DJSPEC_DJANGO`` and say exactly what it means.

    DJSPEC_DJANGO=6.1         the newest 6.1.x            (django==6.1.*)
    DJSPEC_DJANGO=6.1.3       exactly that release        (django==6.1.3)
    DJSPEC_DJANGO=6.2a1       exactly that pre-release    (django==6.2a1)
    DJSPEC_DJANGO='>=6.1,<7'  any PEP 440 specifier       (django>=6.1,<7)
    DJSPEC_DJANGO=pre         the newest release or pre-release on the index
    DJSPEC_DJANGO=./Django-6.1.3-py3-none-any.whl | ./Django-6.1.3.tar.gz | ../django   a local build

tox's inline plugin (toxfile.py) calls ``resolve()`` before anything is installed: a spec that is
none of the above stops tox with a message saying what is accepted. The Python and the
PostgreSQL driver follow the Django version when the spec names one; otherwise the newest Python
(3.13) and psycopg 3. ``DJSPEC_PYTHON`` (e.g. ``python3.12``) overrides the Python.
"""
import os
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# The Python each Django minor runs on in the matrix (tox.ini, README "The matrix"); newer: 3.13.
PYTHON_FOR = [((3, 0), "python3.8"), ((3, 1), "python3.9"), ((3, 2), "python3.10"), ((4, 0), "python3.10"),
              ((4, 1), "python3.11"), ((4, 2), "python3.12"), ((5, 0), "python3.12")]
NEWEST_PYTHON = "python3.13"
ARCHIVES = (".whl", ".tar.gz", ".zip")


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


def resolve(spec, python_override=None):
    """Turn ``spec`` into a DjangoChoice, or raise DjangoSpecError saying what is accepted."""
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
    python = python_override or _python_for(minor)
    pg_driver = "psycopg2-binary<2.9" if minor == (3, 0) else "psycopg2-binary" if minor and minor < (4, 2) else "psycopg[binary]"
    return DjangoChoice(spec=spec, requirement=requirement, python=python, pg_driver=pg_driver, minor=minor)


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


def _python_for(minor):
    if minor is None:
        return NEWEST_PYTHON
    chosen = NEWEST_PYTHON
    for first, python in PYTHON_FOR:
        if minor >= first:
            chosen = python
    return chosen if minor <= (5, 0) else NEWEST_PYTHON
