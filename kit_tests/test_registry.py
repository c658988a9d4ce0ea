"""The claim registry loads, and a malformed entry is rejected with a message naming it."""
import pytest

from djspec import registry


def test_the_projects_registry_loads_and_every_claim_has_a_source():
    reg = registry.load()
    assert reg.claims
    assert all(claim.sources for claim in reg.claims.values())


GOOD_CLAIM = """
[topic]
id = "t"
title = "A topic"

[[claim]]
id = "t.one"
kind = "behaviour"
statement = "Something happens."
sources = [{ article = "000_x.txt", section = "intro" }]
"""

BAD_ENTRIES = {
    "no source": (GOOD_CLAIM.replace('sources = [{ article = "000_x.txt", section = "intro" }]', ""), "has no source"),
    "unknown article": (GOOD_CLAIM.replace("000_x.txt", "999_y.txt"), "not listed in articles.toml"),
    "source without section": (GOOD_CLAIM.replace(', section = "intro"', ""), "needs a 'section'"),
    "duplicate id": (GOOD_CLAIM + GOOD_CLAIM.split("[[claim]]")[1].join(["[[claim]]", ""]), "duplicate claim id 't.one'"),
    "id outside its topic": (GOOD_CLAIM.replace('id = "t.one"', 'id = "u.one"'), "start with 't.'"),
    "unknown kind": (GOOD_CLAIM.replace('"behaviour"', '"rumour"'), "kind must be one of"),
    "opinion without reason": (GOOD_CLAIM.replace('"behaviour"', '"opinion"'), "untestable"),
    "no statement": (GOOD_CLAIM.replace('statement = "Something happens."', ""), "has no statement"),
    "misspelt key": (GOOD_CLAIM.replace("statement =", "statment ="), "unknown keys"),
    "not TOML": ("[topic\nid=", "cannot read"),
}


@pytest.mark.parametrize("text, message", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
def test_a_malformed_registry_entry_is_rejected_with_a_clear_message(claims_dir, text, message):
    (claims_dir / "t.toml").write_text(text)
    with pytest.raises(registry.RegistryError, match=message):
        registry.load(claims_dir)


def test_a_test_linking_an_unknown_claim_id_is_rejected(claims_dir):
    (claims_dir / "t.toml").write_text(GOOD_CLAIM)
    reg = registry.load(claims_dir)
    with pytest.raises(registry.RegistryError, match="test_a links unknown claim id 't.two'"):
        reg.check_links({"test_a": ["t.one", "t.two"]})


def test_untested_claims_are_reported_only_for_topics_marked_complete(claims_dir):
    (claims_dir / "t.toml").write_text(GOOD_CLAIM)
    assert registry.load(claims_dir).untested_in_complete_topics([]) == []
    (claims_dir / "t.toml").write_text(GOOD_CLAIM.replace('title = "A topic"', 'title = "A topic"\ncomplete = true'))
    assert registry.load(claims_dir).untested_in_complete_topics([]) == ["t.one"]
    assert registry.load(claims_dir).untested_in_complete_topics(["t.one"]) == []
