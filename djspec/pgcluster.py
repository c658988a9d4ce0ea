"""A throw-away PostgreSQL cluster for one test session.

``initdb`` into a fresh temp dir (on /dev/shm where there is one), ``postgres`` listening on a
unix socket in that dir only (no TCP port, so envs running in parallel cannot collide),
durability switched off. ``initdb`` and ``postgres`` refuse to run as root, so as root the
cluster runs as an unprivileged OS user.

Clean-up happens three ways: ``stop()`` at the end of the session (also after Ctrl-C, through
pytest's clean-up), and a watchdog process that stops the server and deletes the directory if the
session dies without cleaning up (SIGKILL, a tox time-out). Run as a script, this file *is* that
watchdog; it imports only djspec.process (the standard library) from the project.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from djspec.process import alive, escalate, scratch_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 5432  # only names the socket file inside our private socket dir
SUPERUSER = "djspec"


class ClusterError(Exception):
    pass


def find_bindir():
    """Directory holding initdb and postgres, or None."""
    candidates = []
    named = os.environ.get("DJSPEC_PG_BINDIR")
    if named:  # the user said so: use it, or say plainly that it is wrong
        if not all(os.path.isfile(os.path.join(named, exe)) for exe in ("initdb", "postgres")):
            raise ClusterError(f"DJSPEC_PG_BINDIR={named} holds no initdb and postgres")
        return named
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_pg_major, reverse=True)
    candidates += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    for d in candidates:
        if d and os.path.isfile(os.path.join(d, "initdb")) and os.path.isfile(os.path.join(d, "postgres")):
            return d
    return None


def _pg_major(path):
    try:
        return int(path.split("/")[-2])
    except ValueError:
        return 0


def _unprivileged_user():
    """(uid, gid, name) to run PostgreSQL as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid, name
        except KeyError:
            continue
    raise ClusterError("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


def _demote(ids):
    if ids is None:
        return None
    uid, gid, _ = ids

    def preexec():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)

    return preexec


class Cluster:
    def __init__(self, bindir):
        self.bindir = bindir
        self.base = None
        self.proc = None
        self.watchdog = None
        self.log_path = None
        self.run_as = None

    def params(self):
        return {"host": self.base, "port": PORT, "user": SUPERUSER, "dbname": "postgres"}

    def _run(self, argv, **kw):
        with open(self.log_path, "ab") as log:
            return subprocess.run(
                argv, cwd=self.base, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_demote(self.run_as), **kw
            )

    def start(self, timeout=30):
        self.run_as = _unprivileged_user()
        self.base = tempfile.mkdtemp(prefix="djspec-pg-", dir=scratch_dir())  # on tmpfs where there is one
        self.log_path = os.path.join(self.base, "server.log")
        if self.run_as:
            os.chown(self.base, self.run_as[0], self.run_as[1])
        open(self.log_path, "ab").close()
        if self.run_as:
            os.chown(self.log_path, self.run_as[0], self.run_as[1])
        data = os.path.join(self.base, "data")
        # the watchdog first: a run killed during initdb must not leave the directory behind
        self.watchdog = subprocess.Popen(
            [sys.executable, "-m", "djspec.pgcluster", str(os.getpid()), self.base], cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )
        try:
            initdb = self._run(
                [os.path.join(self.bindir, "initdb"), "-D", data, "-U", SUPERUSER, "-A", "trust",
                 "-E", "UTF8", "--locale=C", "--no-sync"],
                timeout=120,
            )
            if initdb.returncode:
                raise ClusterError(f"initdb failed (exit {initdb.returncode}); see its output below\n{self.log_tail()}")
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [os.path.join(self.bindir, "postgres"), "-D", data, "-k", self.base, "-p", str(PORT),
                     "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off", "-c", "max_connections=200"],
                    cwd=self.base, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    preexec_fn=_demote(self.run_as), start_new_session=True,
                )
            socket = os.path.join(self.base, f".s.PGSQL.{PORT}")
            deadline = time.monotonic() + timeout
            while not os.path.exists(os.path.join(data, "postmaster.pid")) or not os.path.exists(socket):
                if self.proc.poll() is not None:
                    raise ClusterError(f"postgres exited with {self.proc.returncode} at start\n{self.log_tail()}")
                if time.monotonic() > deadline:
                    raise ClusterError(f"postgres did not come up within {timeout}s\n{self.log_tail()}")
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, probe, timeout=30):
        """Call ``probe()`` until the server accepts connections; return what it returns."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return probe()
            except Exception:
                if time.monotonic() > deadline or (self.proc and self.proc.poll() is not None):
                    raise

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        """Fast shutdown, then remove everything. Safe to call twice."""
        if self.proc is not None and self.proc.poll() is None:
            _shutdown(self.proc.pid, lambda: self.proc.poll() is not None)
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
        if self.watchdog is not None and self.watchdog.poll() is None:
            self.watchdog.terminate()
            try:
                self.watchdog.wait(5)
            except subprocess.TimeoutExpired:
                self.watchdog.kill()
        self.proc = None


def _shutdown(pid, gone, fast_wait=10.0):
    """SIGINT (fast shutdown), then SIGQUIT (immediate), then SIGKILL."""
    steps = ((signal.SIGINT, fast_wait), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0))
    escalate(lambda sig: os.kill(pid, sig), steps, gone)


def _recorded_postmaster(base):
    """The pid this very cluster's postmaster recorded in its postmaster.pid, or None."""
    try:
        with open(os.path.join(base, "data", "postmaster.pid")) as fh:
            return int(fh.readline().strip())
    except (OSError, ValueError):
        return None


def watchdog(parent, base):
    """Poll until the session that started the cluster is gone, then clean up after it: stop
    the postmaster the cluster recorded (if it got that far) and delete the directory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop() terminates us after cleaning up
    while os.getppid() == parent and os.path.isdir(base):
        time.sleep(0.2)
    if not os.path.isdir(base):
        return
    postmaster = _recorded_postmaster(base)
    if postmaster:  # only signal the pid this very cluster recorded
        _shutdown(postmaster, lambda: not alive(postmaster), fast_wait=3.0)
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    watchdog(int(sys.argv[1]), sys.argv[2])
