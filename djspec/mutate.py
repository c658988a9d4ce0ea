"""Spec strength: does the spec notice when Django changes? Mutation testing of the kit itself.

    python -m djspec.mutate ENV                    # every mutation that applies to ENV's Django
    python -m djspec.mutate ENV --list             # the catalogue, and what applies to ENV
    python -m djspec.mutate ENV --only a,b         # some mutations
    python -m djspec.mutate ENV -- spec_tests/test_soo.py   # extra pytest args (default: spec_tests)

A *mutation* is one plausible behaviour change of Django, written as a source patch: an async
method removed, a message reworded, a decorator that stops detecting coroutines, a handler that
adapts to the other mode, a thread-sensitivity change. Each is tried on its own: the spec runs
against the mutated Django, and the claims whose verdict turns to ``drift`` are what *caught*
it. The score is mutations caught / tried, per claim topic. A mutation nothing catches is a gap
in the spec, to close with a test.

A mutation applies to a Django when its ``old`` text occurs exactly once in that file of the
env's Django (and the env's database is one where the spec can see the change); otherwise it is
"not applicable" and not counted.

Where the mutant lives. The env is never written to. uv hard-links installed files to its cache
and to every other env that installed the same wheel, so writing into an installed file would
change them all; and a matrix run may be using the env at this very moment. Instead each run
makes a *workspace copy* of the env (``.tox/.djspec-mutate/ENV-PID/``): a tree of hard links, no
data copied. A mutation writes a new file and renames it over the copy's link (which detaches
only that name in the copy), and the restore links the env's original back the same way. The
spec then runs with the copy's Python, exactly as tox runs the env (same command, same
``set_env``, ``TOX_ENV_NAME``), writing its result JSON into the workspace, never ``results/``.
The workspace is removed at the end; one left by an interrupted run is removed on the next
start. First a baseline run without mutation: it must be green (no drift), else the score would
mean nothing and the command stops.

Writes ``mutations/ENV.json`` (per mutation: name, topic, description, file, applicable,
caught, drifted claims, failing tests; a summary per topic) and prints a table. Exit status: 0
every tried mutation was caught, 1 some were not (named), 2 bad input (unknown env, env not
built, unknown mutation name, baseline not green).
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from djspec import envs
from djspec.process import alive

ROOT = Path(__file__).resolve().parent.parent
TOX_DIR = ROOT / ".tox"
WORKSPACES = TOX_DIR / ".djspec-mutate"
SCHEMA = 1
DATABASES = ("sqlite", "pg")


@dataclass(frozen=True)
class Mutation:
    """One plausible change of Django's behaviour, as a source patch of one module."""

    name: str
    topic: str  # the claim topic (claims/<topic>.toml) the change is about
    description: str
    file: str  # relative to the django package, e.g. "db/models/query.py"
    old: str  # must occur exactly once in that file, else the mutation does not apply
    new: str
    databases: tuple = DATABASES  # where the spec can observe the change (see README: no_database)
    gap: str = ""  # a known gap: what a spec test would have to check to catch it


# Where a change is seen only by database-free tests (@pytest.mark.no_database: the middleware
# flags, the views' streaming and decorators, Channels), which run in the SQLite env of each Django
NO_DATABASE = ("sqlite",)


def _removed(name, signature):
    """The patch that renames ``signature``'s method away: ``obj.name`` no longer exists."""
    return signature, signature.replace(f"def {name}(", f"def _mutation_removed_{name}(", 1)


def _deleted_after(defined, name, comment):
    """The patch that deletes ``name`` right after the class body line ``defined`` (for methods
    whose name the class body still uses, e.g. ``aadd.alters_data = True``)."""
    last = defined.splitlines()[-1]
    indent = last[: len(last) - len(last.lstrip())]
    return defined, f"{defined}\n{indent}del {name}  # mutation: {comment}"


CATALOGUE = [
    # ------------------------------------------------------------------ api: async methods removed
    Mutation("queryset-acount-removed", "api", "QuerySet.acount() no longer exists",
             "db/models/query.py", *_removed("acount", "async def acount(self):")),
    Mutation("model-adelete-removed", "api", "Model.adelete() no longer exists",
             "db/models/base.py", *_deleted_after("    adelete.alters_data = True", "adelete", "no Model.adelete()")),
    Mutation("m2m-manager-aadd-removed", "api", "many-to-many related managers lose aadd()",
             "db/models/fields/related_descriptors.py",
             *_deleted_after("                *objs, through_defaults=through_defaults\n            )\n\n"
                             "        aadd.alters_data = True", "aadd", "no aadd() on many-to-many managers")),
    Mutation("reverse-fk-manager-aadd-removed", "api", "reverse foreign-key related managers lose aadd()",
             "db/models/fields/related_descriptors.py",
             *_deleted_after("            return await sync_to_async(self.add)(*objs, bulk=bulk)\n\n"
                             "        aadd.alters_data = True", "aadd", "no aadd() on reverse FK managers")),
    Mutation("cache-aget-removed", "api", "the cache backends lose aget()",
             "core/cache/backends/base.py", *_removed("aget", "async def aget(self, key, default=None, version=None):")),
    Mutation("session-aget-removed", "api", "sessions lose aget()",
             "contrib/sessions/backends/base.py", *_removed("aget", "async def aget(self, key, default=None):")),
    Mutation("auth-aauthenticate-removed", "api", "django.contrib.auth loses aauthenticate()",
             "contrib/auth/__init__.py", *_removed("aauthenticate", "async def aauthenticate(request=None, **credentials):")),
    Mutation("signal-asend-removed", "api", "Signal.asend() no longer exists",
             "dispatch/dispatcher.py", *_removed("asend", "async def asend(self, sender, **named):")),
    Mutation("aget-object-or-404-removed", "api", "django.shortcuts loses aget_object_or_404()",
             "shortcuts.py", *_removed("aget_object_or_404", "async def aget_object_or_404(klass, *args, **kwargs):")),
    Mutation("async-client-aforce-login-removed", "api", "AsyncClient.aforce_login() no longer exists",
             "test/client.py", *_removed("aforce_login", "async def aforce_login(self, user, backend=None):")),
    # ------------------------------------------------------------------ orm: what the a-methods do
    Mutation("queryset-async-for-removed", "orm", "QuerySet loses __aiter__: `async for` over a QuerySet fails",
             "db/models/query.py",
             "model objects.\n        \"\"\"\n        self._fetch_all()\n        return iter(self._result_cache)\n\n"
             "    def __aiter__(self):",
             "model objects.\n        \"\"\"\n        self._fetch_all()\n        return iter(self._result_cache)\n\n"
             "    def _mutation_removed___aiter__(self):"),
    Mutation("acount-fetches-every-row", "orm", "acount() loads every row and counts them in Python, not SELECT COUNT(*)",
             "db/models/query.py", "return await sync_to_async(self.count)()",
             "return len(await sync_to_async(list)(self))"),
    Mutation("afirst-returns-the-last-row", "orm", "afirst() answers what last() would",
             "db/models/query.py", "return await sync_to_async(self.first)()", "return await sync_to_async(self.last)()"),
    Mutation("acreate-runs-on-the-loop", "orm", "acreate() calls create() on the event loop's thread, not in a worker thread",
             "db/models/query.py", "return await sync_to_async(self.create)(**kwargs)", "return self.create(**kwargs)"),
    Mutation("aiterator-ignores-prefetch-related", "orm", "aiterator() silently skips prefetch_related (5.0+ prefetches per chunk)",
             "db/models/query.py", "        if self._prefetch_related_lookups:\n            results = []",
             "        if False:\n            results = []"),
    # ------------------------------------------------------------------ soo: async_unsafe
    Mutation("async-unsafe-never-raises", "soo", "async_unsafe stops raising: the sync ORM runs on the event loop's thread",
             "utils/asyncio.py", 'if not os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE"):\n                    raise',
             "if False:\n                    raise"),
    Mutation("soo-message-reworded", "soo", "SynchronousOnlyOperation gets a new message",
             "utils/asyncio.py", '"You cannot call this from an async context - use a thread or "\n            "sync_to_async."',
             '"You cannot call this from an async context - use a thread, "\n            "sync_to_async() or the async API."'),
    Mutation("allow-async-unsafe-ignored", "soo", "DJANGO_ALLOW_ASYNC_UNSAFE no longer turns the check off",
             "utils/asyncio.py", 'if not os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE"):', "if True:"),
    # ------------------------------------------------------------------ transactions
    Mutation("atomic-requests-accepts-async-views", "transactions",
             "ATOMIC_REQUESTS wraps async views in atomic() instead of refusing them",
             "core/handlers/base.py", "if iscoroutinefunction(view):\n                    raise RuntimeError(",
             "if False:\n                    raise RuntimeError("),
    Mutation("atomic-becomes-async-context-manager", "transactions",
             "transaction.atomic() gains __aenter__/__aexit__ (a no-op `async with`)",
             "db/transaction.py", "    def __enter__(self):\n        connection = get_connection(self.using)",
             "    async def __aenter__(self):\n        return self\n\n"
             "    async def __aexit__(self, exc_type, exc_value, traceback):\n        return None\n\n"
             "    def __enter__(self):\n        connection = get_connection(self.using)"),
    # ------------------------------------------------------------------ middleware
    Mutation("middleware-mixin-sync-only", "middleware", "MiddlewareMixin (all of Django's own middleware) is no longer async-capable",
             "utils/deprecation.py", "    sync_capable = True\n    async_capable = True\n\n    def __init__(self, get_response):",
             "    sync_capable = True\n    async_capable = False\n\n    def __init__(self, get_response):"),
    Mutation("middleware-mixin-hooks-on-the-loop", "middleware",
             "MiddlewareMixin in async mode calls process_request() on the event loop's thread",
             "utils/deprecation.py",
             "response = await sync_to_async(\n                self.process_request,\n                thread_sensitive=True,\n"
             "            )(request)",
             "response = self.process_request(request)"),
    Mutation("adapter-leaves-sync-handlers-sync", "middleware",
             "BaseHandler.adapt_method_mode no longer moves a sync handler off the loop (sync_to_async) in async mode",
             "core/handlers/base.py", "                return sync_to_async(method, thread_sensitive=True)",
             "                return method",
             databases=NO_DATABASE),
    Mutation("async-only-middleware-marked-sync", "middleware",
             "@async_only_middleware marks the factory sync-capable only (the flags swapped)",
             "utils/decorators.py", "    func.sync_capable = False\n    func.async_capable = True",
             "    func.sync_capable = True\n    func.async_capable = False",
             databases=NO_DATABASE),
    Mutation("sync-and-async-middleware-not-async-capable", "middleware",
             "@sync_and_async_middleware no longer marks the factory async-capable",
             "utils/decorators.py", "    func.sync_capable = True\n    func.async_capable = True",
             "    func.sync_capable = True\n    func.async_capable = False",
             databases=NO_DATABASE),
    # ------------------------------------------------------------------ concurrency: threads
    Mutation("asgi-requests-share-one-thread", "concurrency",
             "ASGIHandler drops the per-request ThreadSensitiveContext: all requests share one sync thread again (3.x)",
             "core/handlers/asgi.py", "        async with ThreadSensitiveContext():\n            await self.handle(",
             "        if True:\n            await self.handle("),
    Mutation("aget-not-thread-sensitive", "concurrency",
             "aget() runs in sync_to_async(thread_sensitive=False): a fresh thread and connection per call",
             "db/models/query.py", "return await sync_to_async(self.get)(*args, **kwargs)",
             "return await sync_to_async(self.get, thread_sensitive=False)(*args, **kwargs)"),
    # ------------------------------------------------------------------ views
    Mutation("cbv-not-marked-async", "views", "View.as_view() no longer marks the view of an async class as a coroutine function",
             "views/generic/base.py", "        if cls.view_is_async:\n            markcoroutinefunction(view)",
             "        if False:\n            markcoroutinefunction(view)"),
    Mutation("csrf-exempt-drops-coroutine-detection", "views",
             "@csrf_exempt wraps an async view in a plain def again (the pre-5.0 behaviour)",
             "views/decorators/csrf.py", "    if iscoroutinefunction(view_func):\n\n        async def _view_wrapper",
             "    if False:\n\n        async def _view_wrapper",
             databases=NO_DATABASE),
    Mutation("streaming-response-refuses-async-iterators", "views",
             "StreamingHttpResponse no longer accepts an async iterator (TypeError, as before 4.2)",
             "http/response.py", "            self._iterator = aiter(value)\n            self.is_async = True",
             "            raise",
             databases=NO_DATABASE),
    Mutation("streaming-wsgi-warning-reworded", "views",
             "the warning for an async iterator served under WSGI is reworded",
             "http/response.py", '"StreamingHttpResponse must consume asynchronous iterators in order to "',
             '"StreamingHttpResponse is consuming an asynchronous iterator in order to "',
             databases=NO_DATABASE),
    Mutation("no-response-message-reworded", "views", "a view returning None gets a new error message",
             "core/handlers/base.py", "\"%s didn't return an HttpResponse object. It returned None \"",
             "\"%s returned None instead of an HttpResponse object. \""),
    Mutation("asgi-runs-sync-views-on-the-loop", "views",
             "under ASGI a sync view is called on the event loop's thread instead of in sync_to_async",
             "core/handlers/base.py",
             "            if not iscoroutinefunction(wrapped_callback):\n                wrapped_callback = sync_to_async(\n"
             "                    wrapped_callback, thread_sensitive=True\n                )",
             "            if not iscoroutinefunction(wrapped_callback):\n                _sync_view = wrapped_callback\n\n"
             "                async def wrapped_callback(*args, _view=_sync_view, **kwargs):\n"
             "                    return _view(*args, **kwargs)"),
    # ------------------------------------------------------------------ deployment
    Mutation("wsgi-stops-running-async-views", "deployment",
             "the WSGI handler no longer runs an async view (async_to_sync) but calls it like a sync one",
             "core/handlers/base.py",
             "            if iscoroutinefunction(wrapped_callback):\n                wrapped_callback = async_to_sync(wrapped_callback)",
             "            if False:\n                wrapped_callback = async_to_sync(wrapped_callback)"),
    Mutation("postgresql-psycopg2-alias-removed", "deployment",
             "load_backend() no longer maps the old 'postgresql_psycopg2' ENGINE to 'postgresql'",
             "db/utils.py", 'if backend_name == "django.db.backends.postgresql_psycopg2":', "if False:",
             databases=("pg",)),
    # ------------------------------------------------------------------ testing
    Mutation("testcase-skips-async-test-methods", "testing",
             "TestCase no longer wraps async def test methods in async_to_sync (they pass without running, as in 3.0)",
             "test/testcases.py", "        if iscoroutinefunction(testMethod):\n            setattr(",
             "        if False:\n            setattr("),
    Mutation("async-client-swallows-view-exceptions", "testing",
             "AsyncClient defaults to raise_request_exception=False: a view's exception becomes a 500 response",
             "test/client.py",
             "        self.handler = AsyncClientHandler(enforce_csrf_checks)\n"
             "        self.raise_request_exception = raise_request_exception",
             "        self.handler = AsyncClientHandler(enforce_csrf_checks)\n"
             "        self.raise_request_exception = False"),
    # ------------------------------------------------------------------ versions
    Mutation("get-asgi-application-returns-a-function", "versions",
             "get_asgi_application() returns a plain async function wrapping the handler, not an ASGIHandler",
             "core/asgi.py", "    return ASGIHandler()",
             "    handler = ASGIHandler()\n\n    async def application(scope, receive, send):\n"
             "        return await handler(scope, receive, send)\n\n    return application",
             databases=NO_DATABASE),
    # ------------------------------------------------------------------ channels
    Mutation("asgi-handler-websocket-message-reworded", "channels",
             "Django's ASGI handler refuses a WebSocket with a reworded error",
             "core/handlers/asgi.py", '"Django can only handle ASGI/HTTP connections, not %s."',
             '"Django serves only HTTP, not %s connections."',
             databases=NO_DATABASE),
]

BY_NAME = {m.name: m for m in CATALOGUE}


class MutateError(Exception):
    """Bad input: the command stops with exit status 2 and this message."""


# ---------------------------------------------------------------------------- the env


def env_dir(env):
    """The built tox env ``.tox/ENV``; MutateError, saying how to build it, when it is missing."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", env or ""):
        raise MutateError(f"{env!r} is not a tox env name (e.g. dj52-pg, dj52-sqlite)")
    path = TOX_DIR / env
    if not (path / "pyvenv.cfg").is_file():
        raise MutateError(f"the env {env} is not built (no {path.relative_to(ROOT)}/): build it with "
                          f"`.venv/bin/tox run -e {env} --notest` (or run it once: `.venv/bin/tox -e {env}`)")
    return path


def django_package(prefix):
    """The ``django`` package installed in the venv at ``prefix``."""
    found = sorted(Path(prefix).glob("lib/python3.*/site-packages/django/__init__.py"))
    if not found:
        raise MutateError(f"{prefix} has no Django installed (lib/python3.*/site-packages/django)")
    return found[-1].parent


def django_version(package):
    """'5.2.19' from the package's VERSION tuple, without importing it."""
    text = (package / "__init__.py").read_text()
    match = re.search(r"VERSION\s*=\s*\((\d+),\s*(\d+),\s*(\d+),\s*['\"](\w+)['\"],\s*(\d+)\)", text)
    if not match:
        return "?"
    major, minor, micro, level, serial = match.groups()
    suffix = {"final": "", "alpha": f"a{serial}", "beta": f"b{serial}", "rc": f"rc{serial}"}.get(level, "")
    return f"{major}.{minor}.{micro}{suffix}"


def env_database(env):
    """The database of a tox env, as tox.ini's set_env gives it."""
    return envs.set_env(env).get("DJSPEC_DB", "sqlite")


# ---------------------------------------------------------------------------- applicability


def applicability(mutation, package, database):
    """(applies, reason): the old text must occur exactly once, on a database that can see it."""
    if database not in mutation.databases:
        return False, f"the spec observes this on {', '.join(mutation.databases)} only"
    path = package / mutation.file
    if not path.is_file():
        return False, f"no django/{mutation.file}"
    count = path.read_text(encoding="utf-8").count(mutation.old)
    if count != 1:
        return False, f"its text occurs {count} times in django/{mutation.file}"
    return True, ""


# ---------------------------------------------------------------------------- the workspace


def remove_stale_workspaces(env):
    """Remove the workspaces an interrupted run of ``env`` left behind (their process is gone).
    They hold hard links only: removing them never touches the env, the cache or other envs."""
    for path in WORKSPACES.glob(f"{env}-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def copy_env(source, dest):
    """``dest``: the venv ``source`` as a tree of hard links (symlinks kept as symlinks): no data
    copied, and nothing in ``source`` ever written."""
    shutil.copytree(source, dest, symlinks=True, copy_function=os.link, ignore=shutil.ignore_patterns("log", "tmp"))


def _replace(path, write):
    """Give ``path`` new content by creating a new file beside it and renaming it over: the old
    inode (shared with the uv cache and the env) is never opened for writing."""
    tmp = path.with_name(f".{path.name}.djspec-mutate-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    write(tmp)
    os.replace(tmp, path)


def _bytecode(path):
    """The cached bytecode of a module (``__pycache__/<stem>.*.pyc``)."""
    return sorted(path.parent.glob(f"__pycache__/{path.stem}.*.pyc"))


def apply(mutation, original_package, work_package):
    """Patch the workspace copy of ``mutation.file``; its bytecode goes, so Python compiles the
    mutant."""
    target = work_package / mutation.file
    text = (original_package / mutation.file).read_text(encoding="utf-8")
    _replace(target, lambda tmp: tmp.write_text(text.replace(mutation.old, mutation.new, 1), encoding="utf-8"))
    for pyc in _bytecode(target):
        pyc.unlink()


def restore(mutation, original_package, work_package):
    """Link the env's original file and bytecode back into the workspace (new link + rename), and
    check that the workspace holds the env's very file again."""
    original, target = original_package / mutation.file, work_package / mutation.file
    for pyc in _bytecode(target):
        pyc.unlink()
    _replace(target, lambda tmp: os.link(original, tmp))
    for pyc in _bytecode(original):
        _replace(target.parent / "__pycache__" / pyc.name, lambda tmp, pyc=pyc: os.link(pyc, tmp))
    if not os.path.samefile(original, target) or original.read_bytes() != target.read_bytes():
        raise RuntimeError(f"restoring django/{mutation.file} in the workspace failed")


# ---------------------------------------------------------------------------- running the spec


def spec_environment(env, venv):
    """The environment tox gives the env's command: set_env, pass_env, the venv first on PATH."""
    passed = ("DJSPEC_PG_DSN", "DJSPEC_PG_BINDIR", "DJSPEC_HYPOTHESIS_PROFILE")
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJSPEC_", "TOX_", "PYTEST_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
           or k in passed}
    out.update(envs.set_env(env), TOX_ENV_NAME=env, TOX_ENV_DIR=str(venv), VIRTUAL_ENV=str(venv),
               PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return out


class Stopped(Exception):
    """The run is being interrupted: no new spec run starts."""


_STOP = threading.Event()
_RUNNING = set()  # the spec runs' processes, each the leader of its own process group
_LOCK = threading.Lock()


def stop_running_specs():
    """Interrupt (Ctrl-C, SIGTERM, an error): start nothing more, and stop every spec run now.
    Each run's PostgreSQL cluster and servers have watchdogs that clean up after it."""
    _STOP.set()
    with _LOCK:
        for proc in _RUNNING:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


RUN_TIMEOUT = 900  # seconds: a spec run takes 1-3 minutes; one that hangs must not stall CI


def _kill_group(proc):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(10)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def run_spec(env, venv, pytest_args, result_path, log_path):
    """Run the env's command (``pytest --djspec-out=... spec_tests``) with the workspace's Python;
    return (result JSON or None, seconds)."""
    result_path.unlink(missing_ok=True)
    command = [str(venv / "bin" / "python"), "-m", "pytest", f"--djspec-out={result_path}", *pytest_args]
    started = time.monotonic()
    with open(log_path, "w") as log, _LOCK:
        if _STOP.is_set():
            raise Stopped()
        proc = subprocess.Popen(command, cwd=ROOT, env=spec_environment(env, venv), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        _RUNNING.add(proc)
    try:
        proc.wait(RUN_TIMEOUT)
    except subprocess.TimeoutExpired:  # a hung run: stop it and count it as a run without a result
        _kill_group(proc)
        log_path.open("a").write(f"\ndjspec.mutate: stopped after {RUN_TIMEOUT} s without finishing\n")
    finally:
        with _LOCK:
            _RUNNING.discard(proc)
    if _STOP.is_set():
        raise Stopped()
    seconds = round(time.monotonic() - started, 1)
    try:
        return json.loads(result_path.read_text()), seconds
    except (OSError, ValueError):
        return None, seconds


def drift_of(result):
    """(drifted claim ids, failing test ids) of one env result."""
    claims = sorted(cid for cid, v in result.get("verdicts", {}).items() if v.get("verdict") == "drift")
    failing = sorted(t["nodeid"] for t in result.get("tests", []) if t.get("outcome") in ("failed", "error"))
    return claims, failing


def _clip(text, limit=800):
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more characters)"


def _tail(path, lines=15):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---------------------------------------------------------------------------- one run of the catalogue


class Workspace:
    """A run's hard-linked copies of the env (one per parallel job) and its scratch files."""

    def __init__(self, env, source, jobs):
        self.env, self.source = env, source
        self.root = WORKSPACES / f"{env}-{os.getpid()}"
        self.slots = queue.Queue()
        remove_stale_workspaces(env)
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root / "results").mkdir(parents=True)
        for i in range(jobs):
            venv = self.root / f"venv{i}"
            copy_env(source, venv)
            self.slots.put(venv)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)
        try:
            WORKSPACES.rmdir()
        except OSError:
            pass


def baseline(workspace, pytest_args, log_dir):
    """Run the unmutated copy: the spec must be green here, or a drift would mean nothing."""
    venv = workspace.slots.get()
    try:
        log = log_dir / "baseline.log"
        result, seconds = run_spec(workspace.env, venv, pytest_args, workspace.root / "results" / "baseline.json", log)
    finally:
        workspace.slots.put(venv)
    if result is None or result.get("error"):
        reason = (result or {}).get("error") or f"no result written; the log ends:\n{_tail(log)}"
        raise MutateError(f"{workspace.env}: the baseline run (no mutation) did not run: {_clip(reason)}")
    claims, failing = drift_of(result)
    if claims or failing:
        raise MutateError(
            f"{workspace.env}: the baseline run (no mutation) is not green, so no mutation score can be taken. "
            f"Drifted: {', '.join(claims) or '-'}; failing tests: {', '.join(failing[:10])}. Fix the env first "
            f"(`.venv/bin/tox -e {workspace.env}`); the run's log: {log}")
    return {"duration_s": seconds, "tests": len(result["tests"]), "django": result["run_info"]["django"]}


def try_mutation(workspace, package, mutation, pytest_args, log_dir):
    """Apply one mutation to a free workspace copy, run the spec, restore; the outcome record."""
    venv = workspace.slots.get()
    work_package = django_package(venv)
    try:
        apply(mutation, package, work_package)
        try:
            log = log_dir / f"{mutation.name}.log"
            result, seconds = run_spec(workspace.env, venv, pytest_args,
                                       workspace.root / "results" / f"{mutation.name}.json", log)
        finally:
            restore(mutation, package, work_package)
    finally:
        workspace.slots.put(venv)
    record = {"duration_s": seconds}
    if result is None or result.get("error"):
        record.update(caught=False, drifted_claims=[], failing_tests=[],
                      error=_clip((result or {}).get("error") or f"no result written; see {log}", 300))
        return record
    claims, failing = drift_of(result)
    record.update(caught=bool(claims), drifted_claims=claims, failing_tests=failing)
    return record


def mutation_record(mutation, applies, reason):
    record = {"name": mutation.name, "topic": mutation.topic, "description": mutation.description,
              "file": f"django/{mutation.file}", "applicable": applies}
    if not applies:
        record["not_applicable"] = reason
    if mutation.gap:
        record["known_gap"] = mutation.gap
    return record


def summary(records):
    """Caught / tried in all and per topic (only applicable mutations count as tried)."""
    tried = [r for r in records if r["applicable"]]
    by_topic = {}
    for r in tried:
        topic = by_topic.setdefault(r["topic"], {"tried": 0, "caught": 0})
        topic["tried"] += 1
        topic["caught"] += bool(r.get("caught"))
    caught = sum(bool(r.get("caught")) for r in tried)
    return {"tried": len(tried), "caught": caught, "score": round(caught / len(tried), 3) if tried else None,
            "not_applicable": len(records) - len(tried), "by_topic": dict(sorted(by_topic.items())),
            "not_caught": [r["name"] for r in tried if not r.get("caught")]}


def run(env, mutations, pytest_args, out_dir, jobs=1, progress=print):
    """Try every applicable mutation on ``env``; write ``out_dir/ENV.json``; return the report."""
    source = env_dir(env)
    package = django_package(source)
    database = env_database(env)
    started = time.time()
    _STOP.clear()
    records = [mutation_record(m, *applicability(m, package, database)) for m in mutations]
    todo = [(m, r) for m, r in zip(mutations, records) if r["applicable"]]
    log_dir = out_dir / "logs" / env
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    workspace = Workspace(env, source, max(1, min(jobs, len(todo) or 1)))
    try:
        progress(f"{env}: baseline run (no mutation) ...")
        base = baseline(workspace, pytest_args, log_dir)
        progress(f"{env}: Django {base['django']}, baseline green ({base['tests']} tests, {base['duration_s']} s); "
                 f"{len(todo)} mutations to try, {workspace.slots.qsize()} at a time")
        pool = concurrent.futures.ThreadPoolExecutor(workspace.slots.qsize())
        try:
            futures = {pool.submit(try_mutation, workspace, package, m, pytest_args, log_dir): r for m, r in todo}
            for future in concurrent.futures.as_completed(futures):
                record = futures[future]
                record.update(future.result())
                progress(f"  {'caught ' if record['caught'] else 'MISSED '} {record['name']} ({record['duration_s']} s)"
                         + (f": {_short(record['drifted_claims'])}" if record["caught"]
                            else f": {record.get('error') or 'no claim drifted'}"))
        except BaseException:
            stop_running_specs()  # before the pool waits for its threads: their spec runs end now
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    except BaseException:
        stop_running_specs()  # Ctrl-C, SIGTERM or an error: stop the spec runs before removing their workspace
        raise
    finally:
        workspace.remove()
    report = {"schema": SCHEMA, "env": env, "django": base["django"], "database": database,
              "started": datetime.datetime.fromtimestamp(started, datetime.timezone.utc).isoformat(),
              "duration_s": round(time.time() - started, 1), "pytest_args": pytest_args, "baseline": base,
              "mutations": records, "summary": summary(records)}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{env}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    tmp.replace(path)
    return report


# ---------------------------------------------------------------------------- output


def _short(claims, limit=4):
    more = len(claims) - limit
    return ", ".join(claims[:limit]) + (f" (+{more})" if more > 0 else "")


def render_table(report):
    """The report as text: one line per mutation, then the score per topic."""
    s = report["summary"]
    lines = [f"{report['env']}: Django {report['django']} on {report['database']}: "
             f"{s['caught']} of {s['tried']} mutations caught"
             + (f" ({s['score']:.0%})" if s["score"] is not None else "")
             + f", {s['not_applicable']} not applicable; {report['duration_s']} s in all", ""]
    width = max(len(r["name"]) for r in report["mutations"])
    for r in report["mutations"]:
        if not r["applicable"]:
            state, detail = "n/a    ", r["not_applicable"]
        elif r.get("caught"):
            state, detail = "caught ", _short(r["drifted_claims"])
        else:
            state, detail = "MISSED ", r.get("error") or r.get("known_gap") or "no claim drifted"
        lines.append(f"  {state} {r['name']:<{width}}  {r['topic']:<12} {detail}")
    lines += ["", "per topic: " + ", ".join(f"{t} {v['caught']}/{v['tried']}" for t, v in s["by_topic"].items())]
    if s["not_caught"]:
        lines.append("NOT CAUGHT (gaps in the spec): " + ", ".join(s["not_caught"]))
    return "\n".join(lines)


def render_list(env, mutations):
    """The catalogue, with what applies to ``env``'s Django and database."""
    package = django_package(env_dir(env))
    database = env_database(env)
    lines = [f"{env}: Django {django_version(package)} on {database}"]
    width = max(len(m.name) for m in mutations)
    applicable = 0
    for m in mutations:
        applies, reason = applicability(m, package, database)
        applicable += applies
        lines.append(f"  {'applies' if applies else 'n/a    '} {m.name:<{width}}  {m.topic:<12} "
                     f"{m.description}{'' if applies else '  [' + reason + ']'}")
    lines.append(f"{applicable} of {len(mutations)} apply")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- the report's section


def load_scores(directory):
    """The ``mutation_score`` block of the report: every ``ENV.json`` this command wrote into
    ``directory`` (None when there is none)."""
    directory = Path(directory)
    envs, errors = [], []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            errors.append(f"{path.name}: not readable JSON ({exc})")
            continue
        if not isinstance(data, dict) or data.get("schema") != SCHEMA or "summary" not in data:
            errors.append(f"{path.name}: not a djspec.mutate report")
            continue
        envs.append({
            **{k: data.get(k) for k in ("env", "django", "database", "started", "duration_s", "pytest_args")},
            **data["summary"],
            "mutations": [{k: m[k] for k in ("name", "topic", "description", "file", "applicable", "caught",
                                             "drifted_claims", "not_applicable", "known_gap", "error") if k in m}
                          for m in data["mutations"]],
        })
    if not envs and not errors:
        return None
    return {"source": str(directory), "envs": envs, "errors": errors}


def _score_text(caught, tried):
    return f"{caught}/{tried}" if tried else "–"


def _rows(block):
    """(topics, mutation names) over every env of the block, in catalogue order."""
    order = {m.name: i for i, m in enumerate(CATALOGUE)}
    topics = sorted({t for env in block["envs"] for t in env["by_topic"]})
    names = sorted({m["name"] for env in block["envs"] for m in env["mutations"]}, key=lambda n: (order.get(n, 1e9), n))
    return topics, names


def _mutation(env, name):
    return next((m for m in env["mutations"] if m["name"] == name), None)


def render_score_md(block):
    """The report.md section "Spec strength (mutations)"."""
    out = ["## Spec strength (mutations)", ""]
    if not block or not block["envs"]:
        return out + ["No mutation run yet: `python -m djspec.mutate dj52-pg` (README, \"Spec strength: mutations\").", ""]
    envs = block["envs"]
    out += ["`python -m djspec.mutate ENV` applies one plausible Django behaviour change at a time to a copy of the "
            "env and runs the spec: a mutation is *caught* when some claim drifts. Caught/tried per topic:", "",
            "| topic | " + " | ".join(f"{e['env']} (Django {e['django']})" for e in envs) + " |",
            "|---|" + "---:|" * len(envs)]
    topics, names = _rows(block)
    for topic in topics:
        out.append(f"| {topic} | " + " | ".join(_score_text(e["by_topic"].get(topic, {}).get("caught", 0),
                                                            e["by_topic"].get(topic, {}).get("tried", 0)) for e in envs) + " |")
    out.append("| **all** | " + " | ".join(f"**{_score_text(e['caught'], e['tried'])}**" for e in envs) + " |")
    out += ["", "| mutation | topic | " + " | ".join(e["env"] for e in envs) + " |", "|---|---|" + "---|" * len(envs)]
    for name in names:
        first = next(m for e in envs if (m := _mutation(e, name)))
        cells = []
        for e in envs:
            m = _mutation(e, name)
            if m is None or not m["applicable"]:
                cells.append("n/a")
            elif m.get("caught"):
                cells.append("caught: " + ", ".join(m["drifted_claims"]))
            else:
                cells.append("**NOT CAUGHT**")
        out.append(f"| **{name}**: {first['description']} | {first['topic']} | " + " | ".join(cells) + " |")
    return out + [""] + [f"- {error}" for error in block["errors"]] + ([""] if block["errors"] else [])


def _cell(m):
    """One env's outcome of one mutation, for the index.html table."""
    if m is None or not m["applicable"]:
        return {"state": "n/a", "reason": (m or {}).get("not_applicable") or "not in this run"}
    if m.get("caught"):
        return {"state": "caught", "claims": list(m["drifted_claims"])}
    return {"state": "not caught", "note": m.get("error") or m.get("known_gap") or ""}


def score_view(block):
    """What index.html's section "Spec strength (mutations)" (``id=mutations``) shows, as plain
    data for the ``mutations`` macro of templates/sections.html.j2. ``block`` is the report's
    ``mutation_score`` (see load_scores). None when there is no block; else::

        {"envs": [{"env", "django"}],                      # one column each
         "topics": [{"topic", "scores": ["3/4", ...]}],    # caught/tried per env ("–": none tried)
         "total": ["38/38", ...],                          # all topics, per env
         "mutations": [{"name", "description", "file", "topic", "cells": [cell per env]}],
         "errors": [text]}                                 # mutation files that could not be read

    in catalogue order, a cell being {"state": "n/a", "reason"}, {"state": "caught", "claims":
    [drifted claim ids]} or {"state": "not caught", "note": the error or known gap}.
    """
    if not block:
        return None
    envs = block["envs"]
    topics, names = _rows(block)
    mutations = []
    for name in names:
        first = next(m for x in envs if (m := _mutation(x, name)))
        mutations.append({**{k: first.get(k, "") for k in ("name", "description", "file", "topic")},
                          "cells": [_cell(_mutation(x, name)) for x in envs]})
    return {
        "envs": [{"env": x["env"], "django": x["django"]} for x in envs],
        "topics": [{"topic": t, "scores": [_score_text(x["by_topic"].get(t, {}).get("caught", 0),
                                                       x["by_topic"].get(t, {}).get("tried", 0)) for x in envs]}
                   for t in topics],
        "total": [_score_text(x["caught"], x["tried"]) for x in envs],
        "mutations": mutations,
        "errors": list(block["errors"]),
    }


# ---------------------------------------------------------------------------- command line


def choose(only):
    """The mutations ``--only a,b`` names (all when empty); MutateError for an unknown name."""
    if not only:
        return list(CATALOGUE)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise MutateError(f"unknown mutation(s): {', '.join(unknown)} (see --list)")
    return [BY_NAME[n] for n in names]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args = []
    if "--" in argv:
        at = argv.index("--")
        argv, pytest_args = argv[:at], argv[at + 1:]
    parser = argparse.ArgumentParser(prog="python -m djspec.mutate", description=__doc__.splitlines()[0])
    parser.add_argument("env", help="a built tox env, e.g. dj52-pg or dj52-sqlite")
    parser.add_argument("--list", action="store_true", help="show the catalogue and what applies to ENV; run nothing")
    parser.add_argument("--only", default="", help="comma-separated mutation names (default: the whole catalogue)")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="mutations run at a time (default 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "mutations", help="directory for ENV.json (default mutations/)")
    args = parser.parse_args(argv)
    try:
        mutations = choose(args.only)
        if args.list:
            print(render_list(args.env, mutations))
            return 0
        report = run(args.env, mutations, pytest_args or ["spec_tests"], args.out, jobs=args.jobs,
                     progress=lambda line: print(line, flush=True))
    except MutateError as exc:
        print(f"djspec.mutate: {exc}", file=sys.stderr)
        return 2
    print()
    print(render_table(report))
    print(f"\nwritten: {args.out / (args.env + '.json')}")
    return 0 if not report["summary"]["not_caught"] else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: remove the workspace
    sys.exit(main())
