"""Where a spec test applies, and the lint that keeps a claim's verdict on its whole evidence.

A test's gate is what its markers say: ``@pytest.mark.django(spec)`` (Django minors),
``@pytest.mark.database(name)``, ``@pytest.mark.driver(name)`` and ``@pytest.mark.no_database``
(runs in the SQLite env, stands for every database). :class:`Gate` answers "does this test run
on Django X.Y with database D?" for the env at hand *and* for every other cell of the matrix, so
the lint can look at the whole matrix from any one env's collection.

The lint (:func:`verdict_gaps`): for a claim, at every matrix cell where some linked test runs,
each other linked test either runs there too or is replaced there by a linked test with a
complementary gate (one that never runs where it runs: "as written it fails before 4.1" beside
"it works from 4.1"). Otherwise the claim would get a verdict in that cell from part of its
evidence only: a sample whose async half cannot run on 3.1 would "hold" on 3.1 from its sync half.

:func:`unjudged_releases`: a claim that names a release ("4.0+", "only on 4.0") must get a verdict
on that release: some linked test must run there.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from packaging.specifiers import SpecifierSet
from packaging.version import Version

DATABASES = ("sqlite", "pg")
DRIVERS = ("sqlite3", "psycopg2", "psycopg")


def default_driver(minor: str, database: str) -> str:
    """The driver Django X.Y uses by default, which is what the matrix's ``-pg`` env of each minor
    runs on (kit_tests/test_envs.py holds the two together): psycopg 3 from 4.2, else psycopg2."""
    if database == "sqlite":
        return "sqlite3"
    return "psycopg" if Version(minor) >= Version("4.2") else "psycopg2"


@dataclass
class Gate:
    django: List[str] = field(default_factory=list)  # PEP 440 specifiers, all must hold
    databases: List[str] = field(default_factory=list)
    drivers: List[str] = field(default_factory=list)
    no_database: bool = False

    def applies(self, minor: str, database: str, driver: Optional[str]) -> bool:
        version = Version(minor)
        if not all(SpecifierSet(spec).contains(version, prereleases=True) for spec in self.django):
            return False
        if self.no_database and database != "sqlite":
            return False
        if any(d != database for d in self.databases):
            return False
        return all(d == driver for d in self.drivers)

    def stands_for(self, minor: str, database: str) -> bool:
        """Does this test's outcome count in the matrix cell (minor, database)? A database-free
        test runs in the SQLite env and counts for every database of its Django version."""
        if self.no_database:
            return self.applies(minor, "sqlite", "sqlite3")
        return self.applies(minor, database, default_driver(minor, database))

    def describe(self) -> Optional[str]:
        parts = [f"Django {s}" for s in self.django] + [f"database {d}" for d in self.databases]
        parts += [f"driver {d}" for d in self.drivers]
        if self.no_database:
            parts.append("no database (runs in the SQLite env, stands for every database)")
        return " and ".join(parts) or None


def _cells(minors: Iterable[str]) -> List[Tuple[str, str]]:
    return [(m, d) for m in minors for d in DATABASES]


def verdict_gaps(tests: Dict[str, Tuple[Gate, List[str]]], minors: List[str]) -> List[str]:
    """``tests`` maps a test id to (its gate, the claim ids it links). Returns one message per
    claim and linked test that is missing, without a complementary replacement, from a matrix
    cell where the claim gets a verdict from its other tests."""
    by_claim: Dict[str, List[str]] = {}
    for nodeid, (_gate, claims) in tests.items():
        for cid in dict.fromkeys(claims):
            by_claim.setdefault(cid, []).append(nodeid)
    problems = []
    for cid, nodeids in sorted(by_claim.items()):
        where = {n: {cell for cell in _cells(minors) if tests[n][0].stands_for(*cell)} for n in nodeids}
        for missing in nodeids:
            uncovered, alone = [], set()
            for cell in _cells(minors):
                running = [n for n in nodeids if cell in where[n]]
                if not running or cell in where[missing] or not where[missing]:
                    continue
                if any(not (where[n] & where[missing]) for n in running):
                    continue  # a test with a complementary gate stands in for it here
                uncovered.append(cell)
                alone.update(running)
            if uncovered:
                cells = "; ".join(f"{d} {', '.join(m for m, db in uncovered if db == d)}"
                                  for d in DATABASES if any(db == d for _, db in uncovered))
                problems.append(
                    f"{cid}: {_short(missing)} ({tests[missing][0].describe()}) does not run on {cells}, and no "
                    f"linked test with a complementary gate says what happens there instead; the verdict there "
                    f"would come from {', '.join(sorted(_short(n) for n in alone))} alone")
    return problems


RELEASE = re.compile(r"(?<![\d.])([3-9])\.(\d)(?![\d])")


def named_releases(claim) -> List[str]:
    """The X.Y releases a claim names in its ``versions`` field or its statement."""
    text = " ".join(filter(None, [claim.versions, claim.statement]))
    return list(dict.fromkeys(f"{a}.{b}" for a, b in RELEASE.findall(text)))


def unjudged_releases(registry, tests: Dict[str, Tuple[Gate, List[str]]], minors: List[str]) -> List[str]:
    """Claims that name a release of the matrix on which none of their linked tests runs."""
    problems = []
    for cid, claim in sorted(registry.claims.items()):
        linked = [gate for gate, claims in tests.values() if cid in claims]
        if not claim.testable or not linked:
            continue
        unjudged = [m for m in named_releases(claim) if m in minors
                    and not any(g.stands_for(m, d) for g in linked for d in DATABASES)]
        if unjudged:
            problems.append(f"{cid} names Django {', '.join(unjudged)} but no linked test runs there")
    return problems


def _short(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]
