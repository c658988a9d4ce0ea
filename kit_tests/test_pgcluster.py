"""The throw-away PostgreSQL cluster: it starts (also as root), and it never outlives its session."""
import os
import signal
import subprocess
import sys
import time

import pytest

from djspec import db, pgcluster, process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINDIR = pgcluster.find_bindir()  # the kit's own tests need the server binaries: no skip if absent


@pytest.fixture(autouse=True)
def _binaries():
    assert BINDIR, "PostgreSQL server binaries not found: install them or set DJSPEC_PG_BINDIR"


def gone(pid):
    return not process.alive(pid)


def wait_for(predicate, timeout=20.0):
    return process.wait_until(predicate, timeout, interval=0.1)


def test_cluster_answers_queries_and_stop_removes_everything():
    import psycopg

    cluster = pgcluster.Cluster(BINDIR).start()
    try:
        info = cluster.wait_ready(lambda: db.probe(cluster.params(), psycopg))
        assert info["server_version_num"] >= 100000
        pid = cluster.proc.pid
    finally:
        cluster.stop()
    assert not os.path.exists(cluster.base)
    assert wait_for(lambda: gone(pid))


OWNER = """
import sys, time
sys.path.insert(0, {root!r})
from djspec import pgcluster
c = pgcluster.Cluster({bindir!r}).start()
print(c.base, c.proc.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_session_killed_mid_run_leaves_no_server_and_no_directory(sig):
    owner = subprocess.Popen([sys.executable, "-c", OWNER.format(root=ROOT, bindir=BINDIR)], stdout=subprocess.PIPE, text=True)
    base, pid = owner.stdout.readline().split()
    assert os.path.isdir(base) and not gone(int(pid))
    owner.send_signal(sig)
    owner.wait(10)
    assert wait_for(lambda: gone(int(pid))), "postgres outlived the session that started it"
    assert wait_for(lambda: not os.path.exists(base)), "the cluster directory outlived its session"


def test_a_session_killed_during_initdb_leaves_no_directory():
    """The watchdog starts before initdb: a run killed while initdb works cleans up too. Here
    initdb is a stand-in that just waits, so the kill surely lands during it."""
    import glob
    import shutil
    import tempfile

    fake_bindir = tempfile.mkdtemp(prefix="djspec-fake-bin-")
    try:
        os.chmod(fake_bindir, 0o755)
        for exe in ("initdb", "postgres"):
            path = os.path.join(fake_bindir, exe)
            with open(path, "w") as fh:
                fh.write("#!/bin/sh\nsleep 30\n")
            os.chmod(path, 0o755)
        pattern = os.path.join(process.scratch_dir() or tempfile.gettempdir(), "djspec-pg-*")
        before = set(glob.glob(pattern))
        owner = subprocess.Popen([sys.executable, "-c", OWNER.format(root=ROOT, bindir=fake_bindir)],
                                 stdout=subprocess.DEVNULL, start_new_session=True)
        assert wait_for(lambda: set(glob.glob(pattern)) - before), "no cluster directory appeared"
        (base,) = set(glob.glob(pattern)) - before
        time.sleep(0.5)  # initdb (the stand-in) is running now
        os.killpg(owner.pid, signal.SIGKILL)  # the session and its initdb, like a killed tox run
        owner.wait(10)
        assert wait_for(lambda: not os.path.exists(base)), "the cluster directory outlived its session"
    finally:
        shutil.rmtree(fake_bindir, ignore_errors=True)
