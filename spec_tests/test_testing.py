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
    """A3's test as written errors: httpx refuses the relative URL (UnsupportedProtocol), so
    nothing reaches Django. (``httpx.AsyncClient(transport=httpx.ASGITransport(app=...),
    base_url="http://testserver")`` or Django's AsyncClient would.) 3.1+."""
    result = run(HttpxWithoutBaseUrl)
    assert len(result.errors) == 1
    message = result.errors[0][1].strip().splitlines()[-1]
    assert "UnsupportedProtocol" in message
    observe(raised=message)


@pytest.mark.django(">=3.1")
@pytest.mark.database("sqlite")  # a real server, no database: once per Django version
@pytest.mark.claims(confirms=["testing.wrk-load-test-sample"])
def test_sample_wrk_command_reports_requests_and_transfer_per_second(real_servers, observe):
    """A2 5.2 load-tests a sync and an async view with ``wrk -t4 -c100 -d30s``; the two command
    lines differ only in the URL. The command against the async view under uvicorn, for 1 s
    instead of 30 (the output's shape does not depend on the length), prints Requests/sec and
    Transfer/sec. Needs wrk (Debian package ``wrk``); without it the test is skipped and says
    so. 3.1+, SQLite envs (the view touches no database)."""
    import re
    import shutil
    import subprocess

    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian: apt-get install wrk); .ci/run installs it")
    out = subprocess.run(["wrk", "-t4", "-c100", "-d1s", real_servers["uvicorn"].url + "/hello/"],
                         capture_output=True, text=True, timeout=60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps and re.search(r"Transfer/sec:\s+\S+", out), out
    observe(requests_per_second=float(rps.group(1)), note="-d1s, not -d30s")
