"""Stopping processes for good: the shared part of the PostgreSQL cluster's and the real servers'
clean-up (and of the kit tests that check it), and where their throw-away files go. Standard
library only: the watchdogs import it."""
import os
import time

RAM = "/dev/shm"


def scratch_dir():
    """Where a throw-away database goes: /dev/shm where there is one (tmpfs: the same files, locks
    and semantics, but creating, syncing and deleting them costs no disk I/O), else the system's
    temp dir (``None`` for ``tempfile``)."""
    return RAM if os.path.isdir(RAM) and os.access(RAM, os.W_OK) else None


def wait_until(predicate, timeout, interval=0.05):
    """Call ``predicate()`` until it is true or ``timeout`` seconds have passed; return its last
    value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def escalate(send, steps, gone):
    """Send each signal of ``steps`` (``[(signal, seconds to wait), ...]``) with ``send(sig)``
    until ``gone()``; stop early when the target no longer exists."""
    for sig, wait in steps:
        try:
            send(sig)
        except ProcessLookupError:
            return
        if wait_until(gone, wait):
            return


def alive(pid):
    """Is ``pid`` a live process? A zombie (its parent died and nobody reaped it yet) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def group_alive(pgid):
    """Does any process of the process group ``pgid`` still exist?"""
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
