"""report/index.html as a reference page: one packed data block, each value once, test code inline,
and nothing from a result or the registry can break out of the page."""
import base64
import gzip
import json
import re

from djspec import model, registry, report, report_html
from kit_tests.test_registry import GOOD_CLAIM
from kit_tests.test_report import CLAIM_ID, result, write_results


def packed_data(page):
    block = re.search(r'<script type="application/octet-stream" id="djspec-data" data-encoding="gzip\+base64">(.*?)</script>',
                      page, re.S).group(1)
    return json.loads(gzip.decompress(base64.b64decode(block)))


def test_the_page_carries_one_verdict_character_per_cell_and_each_observation_once(tmp_path):
    results, out = tmp_path / "results", tmp_path / "report"
    results.mkdir()
    write_results(results, result("dj42-sqlite", "4.2"), result("dj42-pg", "4.2", db_group="pg"), result("dj52-sqlite", "5.2"))
    report.main(["--results", str(results), "--out", str(out)])
    data = packed_data((out / "index.html").read_text())
    assert [e["env"] for e in data["envs"]] == ["dj42-sqlite", "dj42-pg", "dj52-sqlite"]
    assert [(c["label"], c["dbs"]) for c in data["columns"]] == [("4.2", ["sqlite", "pg"]), ("5.2", ["sqlite"])]
    claim = next(c for c in data["claims"] if c["id"] == CLAIM_ID)
    assert [data["verdicts"][int(ch)] for ch in claim["v"]] == ["holds", "holds", "holds"]
    # the same observation in three envs is one string, referenced three times
    assert data["strings"].count("raised: SynchronousOnlyOperation: ...") == 1
    assert claim["obs"] == {"0": [0], "1": [0], "2": [0]}
    assert len(data["claims"]) == len(json.loads((out / "report.json").read_text())["claims"])


def test_a_linked_tests_source_is_read_from_the_checkout(tmp_path):
    spec = tmp_path / "spec_tests"
    spec.mkdir()
    (spec / "test_soo.py").write_text('import pytest\n\n\n@pytest.mark.claim("x")\ndef test_x():\n    """Doc."""\n    assert 1\n')
    sources = report_html.test_sources(["spec_tests/test_soo.py", "spec_tests/gone.py"], root=tmp_path)
    assert sources == {("spec_tests/test_soo.py", "test_x"):
                       (4, '@pytest.mark.claim("x")\ndef test_x():\n    """Doc."""\n    assert 1')}


def test_text_from_the_registry_or_a_result_cannot_break_out_of_the_page(claims_dir):
    hostile = "</script><script>alert(1)</script> <b>&amp;"
    (claims_dir / "t.toml").write_text(GOOD_CLAIM.replace("t.one", "t.tested").replace("Something happens.", hostile))
    run = result("dj42-sqlite", "4.2")
    run["tests"][0]["confirms"] = ["t.tested"]
    run["tests"][0]["observations"] = {"raised": hostile}
    page = report_html.render_html(model.build(registry.load(claims_dir), [run]))
    assert "alert(1)" not in page  # packed in the data block, or escaped
    assert page.count("<script") == 2  # the data block and the page's own script
    data = packed_data(page)
    assert data["claims"][0]["statement"] == hostile and f"raised: {hostile}" in data["strings"]
