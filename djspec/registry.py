"""The claim registry: what the articles say, in our words, with where they say it.

Claims live in ``claims/*.toml``: one file per topic, plus ``claims/articles.toml`` naming the
articles. A claim is *testable* unless it carries ``untestable = "<reason>"``. Tests link claims
with ``@pytest.mark.claims(confirms=[...], refutes=[...])``; nothing here holds a verdict.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CLAIMS_DIR = ROOT / "claims"
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9-]+)+$")  # topic.claim-name; a topic may have hyphens
SAID_RE = re.compile(r"^(\d+\.\d+)\s*[–-]\s*(\d+\.\d+)?$")  # "4.1–6.1", "4.1–" (still said)
KINDS = ("version", "api", "behaviour", "timing", "sample", "deployment", "opinion")


class RegistryError(Exception):
    """The registry (or a test's link to it) is malformed. The message says where."""


@dataclass(frozen=True)
class Source:
    article: Optional[str]  # seed file name, e.g. "000_167a47e987ad23ee.txt"
    doc: Optional[str]  # or a Django documentation URL (of the version that makes the statement)
    section: str
    said: Optional[str] = None  # docs only: the first and last docs versions that say it, "4.1–6.1"

    def label(self, articles: Dict[str, dict]) -> str:
        if self.article:
            short = articles.get(self.article, {}).get("short", self.article)
            return f"{short} ({self.article}) § {self.section}"
        said = f" (said in the {self.said} docs)" if self.said else ""
        return f"Django docs {self.doc} § {self.section}{said}"

    def said_range(self) -> Optional[Tuple[str, Optional[str]]]:
        """("4.1", "6.1") for said = "4.1–6.1"; ("4.1", None) for "4.1–" (still said today)."""
        if not self.said:
            return None
        first, last = SAID_RE.match(self.said).groups()
        return first, last


@dataclass(frozen=True)
class Claim:
    id: str
    topic: str
    kind: str
    statement: str
    sources: Tuple[Source, ...]
    versions: Optional[str] = None  # the Django versions the claim itself names, if any
    untestable: Optional[str] = None  # the reason no test can settle it
    note: Optional[str] = None

    @property
    def testable(self) -> bool:
        return self.untestable is None


@dataclass
class Topic:
    id: str
    title: str
    complete: bool
    file: str
    summary: str = ""
    claims: List[Claim] = field(default_factory=list)


@dataclass
class Registry:
    articles: Dict[str, dict]
    topics: Dict[str, Topic]
    claims: Dict[str, Claim]

    def check_links(self, links: Dict[str, List[str]]) -> None:
        """``links`` maps a test's id to the claim ids it links; every id must exist."""
        problems = [
            f"{test} links unknown claim id {cid!r}"
            for test, ids in sorted(links.items())
            for cid in ids
            if cid not in self.claims
        ]
        if problems:
            raise RegistryError(
                "tests link claims that are not in claims/*.toml:\n  " + "\n  ".join(problems)
            )

    def untested_in_complete_topics(self, linked_ids) -> List[str]:
        """Testable claims of topics marked complete that no test links."""
        linked = set(linked_ids)
        return sorted(
            c.id
            for t in self.topics.values()
            if t.complete
            for c in t.claims
            if c.testable and c.id not in linked
        )


def _load_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{path.name}: cannot read: {exc}") from exc


def _source(where: str, raw: dict, articles: Dict[str, dict]) -> Source:
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: a source must be a table, got {raw!r}")
    article, doc, section, said = raw.get("article"), raw.get("doc"), raw.get("section"), raw.get("said")
    unknown = set(raw) - {"article", "doc", "section", "said"}
    if unknown:
        raise RegistryError(f"{where}: a source has unknown keys {sorted(unknown)}")
    if bool(article) == bool(doc):
        raise RegistryError(f"{where}: a source names exactly one of 'article' or 'doc'")
    if article and article not in articles:
        raise RegistryError(f"{where}: article {article!r} is not listed in articles.toml")
    if doc and not str(doc).startswith("https://docs.djangoproject.com/"):
        raise RegistryError(f"{where}: doc sources are Django documentation URLs, got {doc!r}")
    if not section:
        raise RegistryError(f"{where}: a source needs a 'section' (heading or line it sits under)")
    if said is not None and (article or not SAID_RE.match(str(said))):
        raise RegistryError(f"{where}: 'said' belongs to a doc source and reads 'FIRST–LAST' docs version "
                            f"('4.1–6.1', or '4.1–' while the current docs still say it), got {said!r}")
    return Source(article=article, doc=doc, section=str(section), said=str(said) if said is not None else None)


def _claim(where: str, raw: dict, topic: str, articles: Dict[str, dict]) -> Claim:
    cid = raw.get("id")
    if not cid or not ID_RE.match(str(cid)):
        raise RegistryError(f"{where}: claim id {cid!r} must look like 'topic.some-name'")
    where = f"{where} [{cid}]"
    if not str(cid).startswith(topic + "."):
        raise RegistryError(f"{where}: ids in topic {topic!r} start with '{topic}.'")
    unknown = set(raw) - {"id", "kind", "statement", "sources", "versions", "untestable", "note"}
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
    if raw.get("kind") not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {KINDS}, got {raw.get('kind')!r}")
    if not raw.get("statement"):
        raise RegistryError(f"{where}: claim has no statement")
    sources = raw.get("sources") or []
    if not sources:
        raise RegistryError(f"{where}: claim has no source (article + section, or Django docs)")
    if raw.get("kind") == "opinion" and not raw.get("untestable"):
        raise RegistryError(f"{where}: an opinion is registered with `untestable = \"<reason>\"`")
    return Claim(
        id=cid,
        topic=topic,
        kind=raw["kind"],
        statement=" ".join(str(raw["statement"]).split()),
        sources=tuple(_source(where, s, articles) for s in sources),
        versions=raw.get("versions"),
        untestable=raw.get("untestable"),
        note=raw.get("note"),
    )


def load(claims_dir: Path = CLAIMS_DIR) -> Registry:
    """Read and validate the whole registry; raise RegistryError naming the first problem."""
    claims_dir = Path(claims_dir)
    articles_file = claims_dir / "articles.toml"
    if not articles_file.is_file():
        raise RegistryError(f"{articles_file} is missing")
    articles = {a["file"]: a for a in _load_toml(articles_file).get("article", [])}
    topics: Dict[str, Topic] = {}
    claims: Dict[str, Claim] = {}
    for path in sorted(claims_dir.glob("*.toml")):
        if path.name == "articles.toml":
            continue
        data = _load_toml(path)
        meta = data.get("topic") or {}
        tid = meta.get("id")
        if not tid or not meta.get("title"):
            raise RegistryError(f"{path.name}: needs a [topic] table with 'id' and 'title'")
        if tid in topics:
            raise RegistryError(f"{path.name}: topic {tid!r} is already defined in {topics[tid].file}")
        topic = Topic(tid, meta["title"], bool(meta.get("complete")), path.name, meta.get("summary", ""))
        for raw in data.get("claim", []):
            claim = _claim(path.name, raw, tid, articles)
            if claim.id in claims:
                raise RegistryError(f"{path.name}: duplicate claim id {claim.id!r}")
            claims[claim.id] = claim
            topic.claims.append(claim)
        topics[tid] = topic
    if not claims:
        raise RegistryError(f"{claims_dir}: no claims registered")
    return Registry(articles=articles, topics=topics, claims=claims)
