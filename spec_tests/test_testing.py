"""Testing async views: Django's TestCase with async test methods, and httpx without a base URL.

From 3.1 Django's test cases run ``async def`` test methods (wrapped in ``async_to_sync``). In
3.0 such a method is called and never awaited: it "passes" without running. An httpx client
created with no ``base_url`` and no ASGI transport knows nothing about Django: a relative URL is
refused before any request is made. Each test runs a small TestCase with unittest and reads the
result, as Django's own test runner would.
"""
import os
import unittest

import httpx
import pytest
from django.test import TestCase

pytestmark = pytest.mark.django_db(transaction=True)


def run(case):
    """Run every test of a TestCase class; return the unittest result."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    with open(os.devnull, "w") as quiet:
        return unittest.TextTestRunner(stream=quiet, verbosity=0).run(suite)


class AsyncMethodThatFails(TestCase):
    __test__ = False  # run by the tests below through unittest, not collected by pytest

    async def test_fails(self):
        self.assertEqual(1, 2)


@pytest.mark.parametrize("relation", [
    pytest.param("refutes", id="3.0", marks=[
        pytest.mark.django("<3.1"), pytest.mark.claims(refutes=["testing.testcase-runs-async-test-methods"]),
        pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")]),
    pytest.param("confirms", id="3.1+", marks=[
        pytest.mark.django(">=3.1"), pytest.mark.claims(confirms=["testing.testcase-runs-async-test-methods"])]),
])
def test_an_async_test_method_on_testcase_really_runs_from_3_1(relation, observe):
    """A failing assertion in an ``async def`` test method fails the test from 3.1; in 3.0 the
    coroutine is never awaited and the test passes without running."""
    result = run(AsyncMethodThatFails)
    observe(failures=len(result.failures), tests_run=result.testsRun)
    assert len(result.failures) == (1 if relation == "confirms" else 0)


class HttpxWithoutBaseUrl(TestCase):  # the A3 sample's shape
    __test__ = False

    async def test_async_view(self):
        client = httpx.AsyncClient()
        response = await client.get("/soo/sync-to-async/")
        self.assertEqual(response.status_code, 200)


@pytest.mark.django(">=3.1")
@pytest.mark.claims(refutes=["testing.a3-async-testcase-sample", "testing.httpx-asyncclient-reaches-django"])
def test_sample_httpx_client_without_base_url_errors_before_reaching_django(observe):
    """A3's test as written errors: httpx refuses the relative URL (UnsupportedProtocol), and no
    request reaches Django (its ``request_started`` signal never fires). (``httpx.AsyncClient(
    transport=httpx.ASGITransport(app=...), base_url="http://testserver")`` or Django's
    AsyncClient would.) 3.1+."""
    from django.core.signals import request_started

    started = []

    def count(**kwargs):
        started.append(kwargs.get("environ") or kwargs.get("scope"))

    request_started.connect(count)
    try:
        result = run(HttpxWithoutBaseUrl)
    finally:
        request_started.disconnect(count)
    assert len(result.errors) == 1 and result.testsRun == 1
    message = result.errors[0][1].strip().splitlines()[-1]
    assert "UnsupportedProtocol" in message
    assert started == []
    observe(raised=message, requests_reaching_django=0)


@pytest.mark.django(">=3.1")
@pytest.mark.no_database
@pytest.mark.claims(confirms=["testing.wrk-load-test-sample"])
def test_sample_wrk_command_reports_requests_and_transfer_per_second(real_servers, observe):
    """A2 5.2 load-tests a sync and an async view with ``wrk -t4 -c100 -d30s``; the two command
    lines differ only in the URL. Both commands, against a sync and an async view under uvicorn,
    for 1 s each instead of 30 (5 s when a loaded machine answered nothing within 1 s; the
    output's shape does not depend on the length), after one warm-up request: each run
    answers requests and prints Requests/sec and Transfer/sec. Needs wrk (Debian package
    ``wrk``); without it the test is skipped and says so. 3.1+; the views touch no database."""
    import re
    import shutil
    import subprocess

    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian: apt-get install wrk); .ci/run installs it")
    rates = {}
    for kind, path in (("sync", "/concurrency/sync-sleep/?s=0"), ("async", "/hello/")):
        url = real_servers["uvicorn"].url + path
        assert httpx.get(url, timeout=60).status_code == 200  # warm: the view imported before wrk's clock runs
        for seconds in (1, 5):  # on a loaded machine 1 s may end before the first of 100 connections answers
            out = subprocess.run(["wrk", "-t4", "-c100", f"-d{seconds}s", url],
                                 capture_output=True, text=True, timeout=60).stdout
            rps, transfer = re.search(r"Requests/sec:\s+([\d.]+)", out), re.search(r"Transfer/sec:\s+(\S+)", out)
            if rps and float(rps.group(1)) > 0:
                break
        assert rps and transfer and float(rps.group(1)) > 0 and "Non-2xx" not in out, out
        rates[f"{kind}_requests_per_second"], rates[f"{kind}_transfer_per_second"] = float(rps.group(1)), transfer.group(1)
    observe(**rates, note=f"-d{seconds}s, not -d30s")
