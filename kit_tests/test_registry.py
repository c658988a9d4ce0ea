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
    "said on an article": (GOOD_CLAIM.replace('section = "intro" }', 'section = "intro", said = "4.1–6.1" }'),
                           "'said' belongs to a doc source"),
    "said not a range": (GOOD_CLAIM.replace('{ article = "000_x.txt", section = "intro" }',
                                            '{ doc = "https://docs.djangoproject.com/en/4.1/topics/async/", '
                                            'section = "s", said = "since 4.1" }'), "reads 'FIRST–LAST'"),
    "misspelt source key": (GOOD_CLAIM.replace('section = "intro" }', 'section = "intro", sayd = "x" }'),
                            "a source has unknown keys"),
}


def test_a_docs_source_records_the_first_and_last_docs_version_that_say_it(claims_dir):
    """A statement of Django's docs cites the page of the version that makes it and the range of
    docs versions that say it; '4.1–' means the current docs still do."""
    text = GOOD_CLAIM.replace('{ article = "000_x.txt", section = "intro" }',
                              '{ doc = "https://docs.djangoproject.com/en/4.1/topics/async/", section = "Queries", '
                              'said = "4.1–6.0" }, { doc = "https://docs.djangoproject.com/en/5.0/releases/5.0/", '
                              'section = "Signals", said = "5.0–" }')
    (claims_dir / "t.toml").write_text(text)
    first, second = registry.load(claims_dir).claims["t.one"].sources
    assert first.said_range() == ("4.1", "6.0") and second.said_range() == ("5.0", None)
    assert first.label({}).endswith("§ Queries (said in the 4.1–6.0 docs)")


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
