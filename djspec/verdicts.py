"""Verdicts are derived from what ran, never written down.

For one claim in one env, look at the tests that link it:

* a linked test failed or errored          -> ``drift``: Django no longer does what the spec
                                               recorded for this version; the run fails.
* every linked test that ran passed and
  - all of them *confirm* the claim        -> ``holds``
  - all of them *refute* the claim         -> ``refuted``
  - some confirm, some refute              -> ``partly`` (true in one respect, false in another)
  - all of them only *measure* the claim's
    quantity                               -> ``measured``: the value and its spread are shown,
                                               no verdict (no bound can settle it on a shared
                                               machine); a confirm or refute elsewhere wins
* no linked test applies to this version   -> ``n/a``   (e.g. the API does not exist yet)
* linked tests were skipped for another
  reason                                   -> ``skipped`` (no evidence; the reason is shown)
* no test links the claim                  -> ``untested``
* the claim is an opinion                  -> ``untestable``
* the env could not run at all (no server,
  a lint error)                            -> ``not run``: the env fails, with its reason
"""
from collections import Counter
from typing import Dict, Iterable, List, Tuple

HOLDS, REFUTED, PARTLY, DRIFT = "holds", "refuted", "partly", "drift"
NA, SKIPPED, UNTESTED, UNTESTABLE = "n/a", "skipped", "untested", "untestable"
NOT_RUN, MEASURED = "not run", "measured"
ORDER = (DRIFT, NOT_RUN, HOLDS, PARTLY, REFUTED, MEASURED, NA, SKIPPED, UNTESTED, UNTESTABLE)
RELATIONS = ("confirms", "refutes", "measures")

PASSED, FAILED, ERROR, NOT_APPLICABLE = "passed", "failed", "error", "n/a"


def linked_tests(claim_id: str, tests: Iterable[dict]) -> List[Tuple[dict, str]]:
    """(test record, "confirms" | "refutes" | "measures") for every test that links ``claim_id``."""
    out = []
    for t in tests:
        for relation in RELATIONS:
            if claim_id in t.get(relation, ()):
                out.append((t, relation))
    return out


def derive(claim, tests: Iterable[dict]) -> dict:
    """The verdict of ``claim`` in one env, from that env's test records."""
    if not claim.testable:
        return {"verdict": UNTESTABLE, "reason": claim.untestable, "tests": []}
    linked = linked_tests(claim.id, tests)
    names = [t["nodeid"] for t, _ in linked]
    if not linked:
        return {"verdict": UNTESTED, "tests": []}
    broken = [t["nodeid"] for t, _ in linked if t["outcome"] in (FAILED, ERROR)]
    if broken:
        return {"verdict": DRIFT, "tests": names, "failed": broken}
    relations = {rel for t, rel in linked if t["outcome"] == PASSED}
    if not relations:
        if all(t["outcome"] == NOT_APPLICABLE for t, _ in linked):
            return {"verdict": NA, "tests": names}
        return {"verdict": SKIPPED, "tests": names}
    if relations == {"measures"}:
        return {"verdict": MEASURED, "tests": names}
    relations.discard("measures")
    verdict = {frozenset({"confirms"}): HOLDS, frozenset({"refutes"}): REFUTED}.get(
        frozenset(relations), PARTLY
    )
    return {"verdict": verdict, "tests": names}


def derive_all(registry, tests: List[dict]) -> Dict[str, dict]:
    return {cid: derive(claim, tests) for cid, claim in registry.claims.items()}


def counts(verdicts: Dict[str, dict]) -> Counter:
    return Counter(v["verdict"] for v in verdicts.values())


def version_key(version: str) -> Tuple:
    """'4.2' < '4.2.27' < '6.1.3' < '6.2a1' is not needed: columns sort on (major, minor, full)."""
    parts = []
    for piece in version.replace("a", ".").replace("b", ".").replace("rc", ".").split("."):
        parts.append(int(piece) if piece.isdigit() else 0)
    return tuple(parts)


def summarise(cells: List[Tuple[str, str]]) -> str:
    """BCD-style range summary of one claim on one database.

    ``cells`` is [(django minor "X.Y", verdict)], any order. Consecutive versions with the same
    verdict collapse: [("3.0","n/a"),("3.1","holds"),...,("6.1","holds")] ->
    "holds 3.1–6.1; n/a 3.0". Two envs of one minor that disagree show as "mixed".
    """
    by_minor: Dict[str, set] = {}
    for minor, verdict in cells:
        by_minor.setdefault(minor, set()).add(verdict)
    runs: List[List] = []  # [verdict, first, last]
    for minor in sorted(by_minor, key=version_key):
        verdicts = by_minor[minor]
        verdict = next(iter(verdicts)) if len(verdicts) == 1 else "mixed"
        if runs and runs[-1][0] == verdict:
            runs[-1][2] = minor
        else:
            runs.append([verdict, minor, minor])
    grouped: Dict[str, List[str]] = {}
    for verdict, first, last in runs:
        grouped.setdefault(verdict, []).append(first if first == last else f"{first}–{last}")
    rank = {v: i for i, v in enumerate(ORDER)}
    return "; ".join(
        f"{verdict} {', '.join(spans)}"
        for verdict, spans in sorted(grouped.items(), key=lambda kv: rank.get(kv[0], 99))
    )


def holds_from(cells: List[Tuple[str, str]]):
    """The first Django minor from which a claim holds on every newer minor that was run, like a
    compat table's "from 4.1". None when the newest minor does not hold, and when it holds on
    every minor that was run (then there is no "from" to tell). ``cells`` as in
    :func:`summarise`; n/a and skipped minors do not break the run."""
    by_minor: Dict[str, set] = {}
    for minor, verdict in cells:
        if verdict not in (NA, SKIPPED, UNTESTED, UNTESTABLE, MEASURED):
            by_minor.setdefault(minor, set()).add(verdict)
    first = None
    for minor in sorted(by_minor, key=version_key, reverse=True):
        if by_minor[minor] != {HOLDS}:
            break
        first = minor
    oldest = min((minor for minor, _ in cells), key=version_key, default=None)
    return None if first == oldest else first
