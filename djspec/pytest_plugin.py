"""pytest plugin: version gates, claim links, observations, the database, one JSON per env.

Markers (see spec_tests/ for use):

* ``@pytest.mark.django(">=4.1")``   the test states what Django does on these versions (a
  PEP 440 specifier matched against the installed Django's X.Y); elsewhere it is ``n/a``.
* ``@pytest.mark.database("pg")``    likewise for the database (``sqlite`` or ``pg``).
* ``@pytest.mark.driver("psycopg2")`` likewise for the driver the env's Django really uses
  (``sqlite3``, ``psycopg2`` or ``psycopg``).
* ``@pytest.mark.no_database``      the test touches no database (a real server, an HTTP fan-out,
  Channels' in-memory layer): it runs once per Django version, in the SQLite env, and its outcome
  stands for every database column of that version (the report carries it over). An SQL
  statement or a new connection during its call fails it: the marker is checked on every run.
* ``@pytest.mark.claims(confirms=[...], refutes=[...], measures=[...])``   the claim ids the test
  bears on: a pass *confirms* or *refutes* each; *measures* records the claim's quantity without a
  verdict (a timing no bound can settle on a shared machine). Every spec test links a claim.
* ``@pytest.mark.harness``           checks the env itself (vendor, driver); links no claim.

The ``observe`` fixture records what the test saw (an exception text, a thread, a time) for the
report cell. ``--djspec-out FILE`` writes the env's results; the terminal summary ends with the
env's verdict counts, drift first.
"""
import contextlib
import datetime
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Dict

import pytest

from djspec import db as dbsel
from djspec import dbsetup, envs, gates
from djspec import registry as reg
from djspec import results
from djspec import verdicts as vd

# the plugin's state, on the pytest config (the pattern of pytest's own plugins)
REGISTRY = pytest.StashKey[reg.Registry]()
DATABASE = pytest.StashKey[dbsetup.Provisioned]()  # the env's database and a child's way to it
RECORDS = pytest.StashKey[Dict[str, results.TestRecord]]()  # nodeid -> record, spec tests only
STARTED = pytest.StashKey[float]()
TIMING = pytest.StashKey[dict]()  # where this env's wall time went (run_info["timing"])
TEST_CPU = pytest.StashKey[dict]()  # nodeid -> CPU seconds of this process during the test
VERDICTS = pytest.StashKey[dict]()
NOT_RUN = pytest.StashKey[bool]()  # the env's result file already says why it did not run
DRIVERS = gates.DRIVERS
SPEC_DIR = "spec_tests"
PACKAGES = ("asgiref", "pytest", "pytest-django", "pytest-asyncio", "hypothesis", "httpx", "requests", "aiohttp", "uvicorn", "gunicorn", "daphne", "channels", "aiofiles")


def pytest_addoption(parser):
    group = parser.getgroup("djspec")
    group.addoption("--djspec-out", metavar="FILE", help="write this env's results (run_info, tests, verdicts) as JSON")


# ---------------------------------------------------------------- configure: registry and database


def pytest_configure(config):
    for line in (
        "django(spec): the Django versions (X.Y, PEP 440 specifier) this test states behaviour for",
        "database(name): the database ('sqlite' or 'pg') this test states behaviour for",
        "driver(name): the database driver ('sqlite3', 'psycopg2', 'psycopg') this test states behaviour for",
        "no_database: the test touches no database; it runs in the SQLite env and stands for every database",
        "claims(confirms=(), refutes=(), measures=()): claim ids a pass of this test confirms, refutes or measures",
        "harness: a check of the env itself (database vendor, driver); links no claim",
    ):
        config.addinivalue_line("markers", line)
    config.stash[RECORDS] = {}
    config.stash[STARTED] = time.time()
    config.stash[TIMING] = {"start-up": _process_age(), "session fixtures": {}}
    config.stash[TEST_CPU] = {}
    config.stash[DATABASE] = dbsetup.Provisioned({"choice": os.environ.get("DJSPEC_DB", "sqlite"), "vendor": None})
    out = config.getoption("djspec_out")
    if out:
        Path(out).unlink(missing_ok=True)  # an env that cannot run must not leave an old result behind
    try:
        try:
            config.stash[REGISTRY] = reg.load()
        except reg.RegistryError as exc:
            raise pytest.UsageError(f"claim registry: {exc}") from None
        try:
            began = time.time()
            config.stash[DATABASE] = dbsetup.provision(config.add_cleanup)
            config.stash[TIMING]["database"] = round(time.time() - began, 3)
        except dbsel.DatabaseChoiceError as exc:
            raise pytest.UsageError(f"{_env_name()}: {exc}") from None
    except pytest.UsageError as exc:
        _write_not_run(config, str(exc))
        raise


def _django_minor():
    import django

    return "%d.%d" % django.VERSION[:2]


# ---------------------------------------------------------------- collection: gates and claim links


def _spec_item(item):
    return SPEC_DIR in Path(str(item.fspath)).parts


def pytest_collection_modifyitems(session, config, items):
    """Collection in three steps: a record per spec test (its gate and claim links), the links
    checked against the registry, and, when the whole spec was collected, the matrix lint."""
    problems = []
    records = _record_spec_tests(config, items, problems)
    problems += _check_links(config.stash[REGISTRY], records)
    if _whole_spec_collected(config) and not problems:
        problems += _matrix_lint(config.stash[REGISTRY], records)
    if problems:
        message = "djspec: " + "\n  ".join(problems)
        _write_not_run(config, message)
        raise pytest.UsageError(message)


def _record_spec_tests(config, items, problems):
    """{nodeid: (gate, claim ids)} for the spec tests; their records go on the config."""
    minor, database = _django_minor(), dbsel.choice()
    driver = config.stash[DATABASE].info.get("driver")
    linked = {}
    for item in items:
        if not _spec_item(item):
            continue
        gate = _gate(item, problems)
        relations = _claim_links(item, problems)
        doc = (getattr(item.function, "__doc__", None) or "").strip().splitlines()
        path, line, _ = item.location
        record = results.TestRecord(
            nodeid=item.nodeid, file=path, line=(line or 0) + 1, name=item.name, doc=doc[0] if doc else "",
            gate=gate.describe(), applies=gate.applies(minor, database, driver), no_database=gate.no_database,
            **relations)
        config.stash[RECORDS][item.nodeid] = record
        linked[item.nodeid] = (gate, record.claims)
    return linked


def _check_links(registry, linked):
    try:
        registry.check_links({nodeid: claims for nodeid, (_, claims) in linked.items()})
    except reg.RegistryError as exc:
        return [str(exc)]
    return []


def _gate(item, problems):
    """The test's gate from its django / database / driver / no_database markers."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    found = gates.Gate(no_database=item.get_closest_marker("no_database") is not None)
    for mark in item.iter_markers("django"):
        try:
            SpecifierSet(mark.args[0])
        except (IndexError, InvalidSpecifier):
            problems.append(f"{item.nodeid}: @pytest.mark.django needs a version specifier like '>=4.1'")
            continue
        found.django.append(mark.args[0])
    for name, allowed, into in (("database", dbsel.DATABASES, found.databases), ("driver", DRIVERS, found.drivers)):
        for mark in item.iter_markers(name):
            if not mark.args or mark.args[0] not in allowed:
                problems.append(f"{item.nodeid}: @pytest.mark.{name} takes one of {allowed}")
                continue
            into.append(mark.args[0])
    return found


def _claim_links(item, problems):
    """{"confirms": [...], "refutes": [...], "measures": [...]} from the test's claims markers."""
    relations = {relation: [] for relation in vd.RELATIONS}
    for mark in item.iter_markers("claims"):
        if mark.args or set(mark.kwargs) - set(vd.RELATIONS):
            problems.append(f"{item.nodeid}: use @pytest.mark.claims(confirms=[...], refutes=[...], measures=[...])")
        for relation in vd.RELATIONS:
            relations[relation] += list(mark.kwargs.get(relation, ()))
    if not any(relations.values()) and item.get_closest_marker("harness") is None:
        problems.append(f"{item.nodeid}: a spec test links at least one claim (@pytest.mark.claims)")
    return relations


def _matrix_lint(registry, tests):
    """Checks that need the whole spec: complete topics fully tested, and for every claim, on
    every Django minor of the matrix, a verdict from its whole evidence (djspec/gates.py)."""
    problems = []
    untested = registry.untested_in_complete_topics(c for _, claims in tests.values() for c in claims)
    if untested:
        problems.append("topics marked complete have testable claims no test links: " + ", ".join(untested))
    minors = envs.matrix_minors()
    if _django_minor() not in minors:
        minors.append(_django_minor())
    problems += gates.verdict_gaps(tests, minors)
    problems += gates.unjudged_releases(registry, tests, minors)
    return problems


def _whole_spec_collected(config):
    if config.option.keyword or config.option.markexpr or getattr(config.option, "deselect", None):
        return False
    spec_dir = (Path(str(config.rootpath)) / SPEC_DIR).resolve()
    args = [Path(a.split("::")[0]).resolve() for a in config.args]
    return args == [spec_dir]


def pytest_runtest_setup(item):
    record = item.config.stash[RECORDS].get(item.nodeid)
    if record is not None and not record.applies:
        pytest.skip(f"n/a on Django {_django_minor()} / {dbsel.choice()}: this test states behaviour for {record.gate}")


@pytest.fixture(scope="session")
def database_env(pytestconfig):
    """The environment variables a child process (a server started by a test) needs to reach
    this env's database: DJSPEC_DB, and for the throw-away cluster its connection. A user's
    DJSPEC_PG_DSN reaches children as it is, from the environment."""
    return {"DJSPEC_DB": dbsel.choice(), **pytestconfig.stash[DATABASE].child_env}


@pytest.fixture(scope="session")
def database_info(pytestconfig):
    """What run_info records about this env's database (vendor, server and driver versions)."""
    return pytestconfig.stash[DATABASE].info


@pytest.fixture
def observe(request):
    """Record what the test saw for the report cell: ``observe(raised="...", thread="loop")``."""
    record = request.config.stash[RECORDS].get(request.node.nodeid)
    store = record.observations if record is not None else {}

    def _observe(**values):
        for key, value in values.items():
            store[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)

    return _observe


# ---------------------------------------------------------------- timing: where the env's time goes


def _process_age():
    """Seconds since this Python process started (interpreter, imports, plugins: the start-up
    before pytest_configure); None where /proc is not there."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return round(uptime - ticks / os.sysconf("SC_CLK_TCK"), 3)
    except (OSError, ValueError, IndexError):
        return None


def pytest_collection_finish(session):
    timing = session.config.stash[TIMING]
    timing["collection"] = round(time.time() - session.config.stash[STARTED] - (timing.get("database") or 0), 3)
    # Everything alive now (Django, the test modules, pytest's items) lives to the end of the
    # session: move it out of the collector's reach, so that each full collection (the tests call
    # gc.collect() to reclaim connections and coroutines they made) scans only what the tests made.
    gc.collect()
    gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """Session-scoped fixtures (the test database, the real servers) are set up once, inside the
    first test that needs them: their time is counted apart from the tests'."""
    began = time.time()
    yield
    if fixturedef.scope == "session" and TIMING in request.config.stash:
        spent = request.config.stash[TIMING]["session fixtures"]
        spent[fixturedef.argname] = round(spent.get(fixturedef.argname, 0) + time.time() - began, 3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """A ``no_database`` test stands for every database column, so it must not touch one: any SQL
    statement or new connection during its call, on any thread of this process, fails it and
    names the statement (the marker is wrong there, on that Django)."""
    record = item.config.stash[RECORDS].get(item.nodeid)
    if record is None or not record.no_database:
        yield
        return
    with _database_touches() as touches:
        outcome = yield
    if touches and outcome.excinfo is None:
        outcome.force_exception(pytest.fail.Exception(
            f"djspec: this test is marked no_database (its outcome stands for every database) but it "
            f"touched the database on Django {_django_minor()}: {touches[0]}"
            + (f" and {len(touches) - 1} more" if len(touches) > 1 else "")
            + ". Remove the marker so that it runs on each database.", pytrace=False))


@contextlib.contextmanager
def _database_touches():
    """The SQL statements run and connections opened meanwhile, by any thread of this process."""
    from django.db.backends import utils
    from django.db.backends.signals import connection_created

    touches = []
    execute, executemany = utils.CursorWrapper._execute, utils.CursorWrapper._executemany

    def _execute(self, sql, *args):
        touches.append(f"SQL {str(sql)[:80]!r}")
        return execute(self, sql, *args)

    def _executemany(self, sql, *args):
        touches.append(f"SQL {str(sql)[:80]!r}")
        return executemany(self, sql, *args)

    def created(sender, connection, **kwargs):
        touches.append(f"a new {connection.vendor} connection")

    utils.CursorWrapper._execute, utils.CursorWrapper._executemany = _execute, _executemany
    connection_created.connect(created, weak=False)
    try:
        yield touches
    finally:
        utils.CursorWrapper._execute, utils.CursorWrapper._executemany = execute, executemany
        connection_created.disconnect(created)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """The CPU this process (all its threads) spends on each test, set-up and teardown included:
    per module and the costliest tests, so a cut can aim at what costs (djspec.bench)."""
    began = time.process_time()
    yield
    cpu = item.config.stash[TEST_CPU]
    cpu[item.nodeid] = cpu.get(item.nodeid, 0) + time.process_time() - began


def timing(config, records):
    """run_info["timing"]: start-up, database, collection, session fixtures (test database and
    servers), the tests per module (less those fixtures), and the CPU the pytest process and its
    children used."""
    out = dict(config.stash[TIMING])
    fixtures = out["session fixtures"] = {k: v for k, v in out["session fixtures"].items() if v >= 0.01}
    modules = {}
    for record in records:
        modules[record.file] = modules.get(record.file, 0) + record.duration
    out["tests"] = round(max(0.0, sum(modules.values()) - sum(fixtures.values())), 3)
    out["modules"] = {f: round(d, 3) for f, d in sorted(modules.items(), key=lambda kv: -kv[1])}
    test_cpu = config.stash[TEST_CPU]
    module_cpu = {}
    for nodeid, spent in test_cpu.items():
        path = nodeid.split("::")[0]
        module_cpu[path] = module_cpu.get(path, 0) + spent
    out["module cpu"] = {f: round(c, 3) for f, c in sorted(module_cpu.items(), key=lambda kv: -kv[1])}
    out["costliest tests"] = {n: round(c, 3) for n, c in sorted(test_cpu.items(), key=lambda kv: -kv[1])[:15]}
    try:
        import resource
    except ImportError:  # not on Windows
        return out
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    out["cpu"] = {"pytest": round(me.ru_utime + me.ru_stime, 2), "children": round(children.ru_utime + children.ru_stime, 2)}
    return out


# ---------------------------------------------------------------- outcomes, drift, results


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    record = item.config.stash[RECORDS].get(item.nodeid)
    if record is None:
        return
    if report.skipped and report.when in ("setup", "call"):
        record.outcome = vd.NOT_APPLICABLE if not record.applies else vd.SKIPPED
        record.message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    elif report.failed:
        record.outcome = vd.FAILED if report.when == "call" else vd.ERROR
        crash = getattr(report.longrepr, "reprcrash", None)
        record.message = (crash.message if crash else str(report.longrepr))[:2000]
        if record.claims:
            report.sections.append((
                "djspec: drift",
                f"Django {_django_minor()} / {dbsel.choice()} no longer behaves as this spec test states "
                f"({record.gate or 'all versions'}).\nClaims whose verdict moved: {', '.join(record.claims)}",
            ))
    elif report.when == "call" and report.passed and record.outcome is None:
        unasserted = _timing_claims_without_a_claimed_quantity(item.config, record)
        if unasserted:
            report.outcome = "failed"
            report.longrepr = (
                f"djspec: this test confirms or refutes the timing claim(s) {', '.join(unasserted)} but checked "
                "no claimed quantity: call spec_tests/timing.py::assert_claimed with the claim's number and a "
                "stated tolerance, or link the claim with measures=[...] (no verdict from a proxy)")
            record.outcome, record.message = vd.ERROR, report.longrepr
        else:
            record.outcome = vd.PASSED
    record.duration = round(record.duration + report.duration, 4)


def _timing_claims_without_a_claimed_quantity(config, record):
    """Timing claims this passing test confirms or refutes although it recorded no
    ``assert_claimed`` check (an observation "<name> accepted"): a proxy, not evidence."""
    if any(key.endswith(" accepted") for key in record.observations):
        return []
    claims = config.stash[REGISTRY].claims
    return [cid for cid in record.confirms + record.refutes if claims[cid].kind == "timing"]


def _env_name():
    return os.environ.get("TOX_ENV_NAME") or "local"


def _package_versions():
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover
        return {}
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _django_install():
    """Exactly which Django this env runs: the version, where it was installed from (the
    installer's direct_url.json for a wheel, sdist or checkout; else the package index), and
    what DJSPEC_DJANGO asked for in a djany env."""
    import django
    from importlib import metadata

    info = {"version": django.__version__, "requested": os.environ.get("DJSPEC_DJANGO_REQUESTED") or None,
            "source": "package index"}
    try:
        direct = metadata.distribution("django").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct, info["source"] = None, f"not installed as a package: {os.path.dirname(django.__file__)}"
    if direct:
        data = json.loads(direct)
        info["source"] = data.get("url")
        if data.get("vcs_info"):
            info["commit"] = data["vcs_info"].get("commit_id")
    return info


def _db_group(config):
    try:
        driver = dbsel.required_driver()
    except dbsel.DatabaseChoiceError:
        driver = None
    return config.stash[DATABASE].info["choice"] + (f"-{driver}" if driver else "")


def run_info(config):
    import django

    return {
        "env": _env_name(),
        "django": django.__version__,
        "django_minor": _django_minor(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "database": config.stash[DATABASE].info,
        "db_group": _db_group(config),
        "packages": _package_versions(),
        "django_install": _django_install(),
        "platform": platform.platform(),
        "started": datetime.datetime.fromtimestamp(config.stash[STARTED], datetime.timezone.utc).isoformat(),
        "duration_s": round(time.time() - config.stash[STARTED], 2),
        "timing": timing(config, config.stash[RECORDS].values()) if TIMING in config.stash else None,
        "argv": [a for a in sys.argv[1:] if "DSN" not in a],
    }


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if REGISTRY not in config.stash or config.stash.get(NOT_RUN, False):
        return
    ran = [t for t in config.stash[RECORDS].values() if t.outcome is not None]
    verdicts = config.stash[VERDICTS] = vd.derive_all(config.stash[REGISTRY], [t.as_dict() for t in ran]) if ran else {}
    if not ran:
        if exitstatus != 0:
            _write_not_run(config, f"no test ran (pytest exit status {int(exitstatus)})", int(exitstatus))
        return
    _write(config, results.result(run_info(config), ran, verdicts, int(exitstatus)))


def _write_not_run(config, reason, exitstatus=4):
    """The env could not run (no server, a lint error): say so in its result file."""
    config.stash[NOT_RUN] = True
    _write(config, results.not_run(run_info(config), dbsel.scrub_user_dsn(reason), exitstatus))


def _write(config, data):
    out = config.getoption("djspec_out")
    if out:
        results.write(out, data)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    verdicts = config.stash.get(VERDICTS, None)
    if not verdicts:
        return
    info = config.stash[DATABASE].info
    tr = terminalreporter
    tr.section("djspec verdicts")
    tr.write_line(
        f"{_env_name()}: Django {_django_minor()} on {info['vendor']} {info['server_version']} "
        f"({info['driver']} {info['driver_version']}; {info['source']})"
    )
    for cid, v in sorted(verdicts.items()):
        if v["verdict"] == vd.DRIFT:
            tr.write_line(f"DRIFT {cid}: {', '.join(v['failed'])}", red=True, bold=True)
    count = vd.counts(verdicts)
    tr.write_line(", ".join(f"{k} {count[k]}" for k in vd.ORDER if count[k]))
