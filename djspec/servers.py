"""Real HTTP servers (uvicorn, daphne, gunicorn) serving fixture_app on 127.0.0.1, for one test
session.

Each server runs in its own session (process group), so stopping it stops its workers too.
Clean-up happens twice over: ``stop()`` at the end of the test session (also after Ctrl-C), and a
watchdog process per server that kills the group if the session dies without cleaning up
(SIGKILL, a tox time-out). Run as ``python -m djspec.servers``, this file *is* that watchdog; it
imports only djspec.process (the standard library) from the project.

The servers use SQLite settings: the views they serve in the spec never touch the database, and
no database credentials reach their environment or their logs.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from djspec.process import escalate, group_alive

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = {"asgi": "fixture_app.asgi:application", "wsgi": "fixture_app.wsgi:application"}

# The servers the articles name, as command lines (``{port}`` is filled in).
COMMANDS = {
    # A2 1.3, first command: gunicorn on the WSGI module (default: one sync worker)
    "gunicorn-wsgi": ["-m", "gunicorn", APP["wsgi"], "--bind", "127.0.0.1:{port}"],
    # A2 1.3, second command: uvicorn on the ASGI module
    "uvicorn": ["-m", "uvicorn", APP["asgi"], "--host", "127.0.0.1", "--port", "{port}"],
    # A2 1.3, third command: gunicorn with two uvicorn worker processes
    "gunicorn-uvicorn-workers": ["-m", "gunicorn", APP["asgi"], "--worker-class", "uvicorn.workers.UvicornWorker",
                                 "--workers", "2", "--bind", "127.0.0.1:{port}"],
    # A2 9.1 and A3: daphne
    "daphne": ["-m", "daphne", "--bind", "127.0.0.1", "--port", "{port}", APP["asgi"]],
    # A0: gunicorn's gthread workers for sync views (one worker, four threads)
    "gunicorn-gthread": ["-m", "gunicorn", APP["wsgi"], "--worker-class", "gthread", "--threads", "4",
                         "--bind", "127.0.0.1:{port}"],
}

SECRETS = ("DJSPEC_PG_DSN", "DJSPEC_CLUSTER_DSN", "PGPASSWORD", "DATABASE_URL")


class ServerError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process: ``start()``, ``wait_ready()``, ``url``, ``stop()``."""

    def __init__(self, name, python=sys.executable, cwd=None):
        if name not in COMMANDS:
            raise ServerError(f"unknown server {name!r}; known: {', '.join(COMMANDS)}")
        self.name, self.python, self.cwd = name, python, cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = self.watchdog = None
        self.log = tempfile.NamedTemporaryFile(prefix=f"djspec-server-{name}-", suffix=".log", delete=False)

    @property
    def argv(self):
        return [self.python] + [arg.format(port=self.port) for arg in COMMANDS[self.name]]

    def start(self):
        env = {k: v for k, v in os.environ.items() if k not in SECRETS}
        env.update(DJANGO_SETTINGS_MODULE="fixture_app.settings", DJSPEC_DB="sqlite", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.watchdog = subprocess.Popen(
            [sys.executable, "-m", "djspec.servers", str(os.getpid()), str(self.proc.pid), self.log.name], cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )
        return self

    def wait_ready(self, path="/hello/", timeout=60):
        """Wait until the server answers ``path`` with any HTTP status."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + path, timeout=2).close()
                return self
            except urllib.error.HTTPError:
                return self  # it answered
            except (OSError, urllib.error.URLError):
                if self.proc.poll() is not None:
                    raise ServerError(f"{self.name} exited with {self.proc.returncode} at start:\n{self.log_tail()}")
                if time.monotonic() > deadline:
                    raise ServerError(f"{self.name} did not answer within {timeout}s:\n{self.log_tail()}")
                time.sleep(0.1)

    def log_tail(self, chars=3000):
        try:
            with open(self.log.name, errors="replace") as fh:
                return fh.read()[-chars:]
        except OSError:
            return ""

    def terminate(self):
        """Ask the server's process group to stop (SIGTERM) without waiting: to stop several
        servers at once, terminate them all, then ``stop()`` each."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop(self):
        """SIGTERM to the server's process group, SIGKILL after 10 s. Safe to call twice."""
        if self.proc is not None:
            _stop_group(self.proc.pid, lambda: self.proc.poll() is not None)
            self.proc = None
        if self.watchdog is not None and self.watchdog.poll() is None:
            self.watchdog.terminate()
            self.watchdog.wait(10)
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def _stop_group(pgid, gone, term_wait=10.0):
    escalate(lambda sig: os.killpg(pgid, sig), ((signal.SIGTERM, term_wait), (signal.SIGKILL, 5.0)), gone)


def watchdog(parent, pgid, log_path):
    """Poll until the session that started the server is gone, then stop the server's group
    and delete its log."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop() terminates us after stopping
    while os.getppid() == parent and group_alive(pgid):
        time.sleep(0.2)
    if group_alive(pgid):
        _stop_group(pgid, lambda: not group_alive(pgid), term_wait=3.0)
    if os.getppid() != parent:  # only after a dead session: stop() deletes the log itself
        try:
            os.unlink(log_path)
        except OSError:
            pass


if __name__ == "__main__":
    watchdog(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
