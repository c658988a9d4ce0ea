"""The real servers of the deployment spec: they start, answer, and never outlive their session."""
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from djspec import process, servers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def group_gone(pgid):
    return not process.group_alive(pgid)


def wait_for(predicate, timeout=20.0):
    return process.wait_until(predicate, timeout, interval=0.1)


def test_an_unknown_server_name_is_a_clear_error():
    with pytest.raises(servers.ServerError, match="unknown server 'hypercorn'; known: gunicorn-wsgi"):
        servers.Server("hypercorn")


def test_a_server_answers_and_stop_ends_its_whole_process_group():
    """gunicorn with two uvicorn workers: the master and both workers go at ``stop()``."""
    server = servers.Server("gunicorn-uvicorn-workers", cwd=ROOT).start()
    try:
        server.wait_ready()
        assert urllib.request.urlopen(server.url + "/hello/", timeout=10).read() == b"Hello Async World!"
        pgid = server.proc.pid
    finally:
        server.stop()
    assert wait_for(lambda: group_gone(pgid))


def test_a_server_that_cannot_start_says_why():
    server = servers.Server("uvicorn", cwd="/")  # fixture_app is not importable from /
    try:
        with pytest.raises(servers.ServerError, match="uvicorn exited with .* at start"):
            server.start().wait_ready(timeout=30)
    finally:
        server.stop()


OWNER = """
import sys, time
sys.path.insert(0, {root!r})
from djspec import process, servers
s = servers.Server("gunicorn-uvicorn-workers", cwd={root!r}).start().wait_ready()
print(s.proc.pid, s.log.name, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_session_killed_mid_run_leaves_no_server_behind(sig):
    owner = subprocess.Popen([sys.executable, "-c", OWNER.format(root=ROOT)], stdout=subprocess.PIPE, text=True)
    try:
        pgid, log = owner.stdout.readline().split()
        pgid = int(pgid)
        assert not group_gone(pgid) and os.path.exists(log)
        owner.send_signal(sig)
        owner.wait(10)
        assert wait_for(lambda: group_gone(pgid)), f"server group {pgid} outlived its session"
        assert wait_for(lambda: not os.path.exists(log)), f"the server's log {log} outlived its session"
    finally:
        owner.kill()
        owner.wait()
