"""One test, each side of a claim that changes at a release.

Where Django's behaviour changes at a release, one test states both behaviours: it is
parametrized over ``relation`` with one ``side`` per range of releases, gated to that range and
linking the claim as confirmed or refuted there, and it asserts what Django does on each side
(``if relation == "confirms": ...``)::

    @pytest.mark.parametrize("relation", [
        side("refutes", "3.1-4.1", ">=3.1,<4.2", "test-tools.async-client-per-request-headers"),
        side("confirms", "4.2+", ">=4.2", "test-tools.async-client-per-request-headers"),
    ])
"""
import pytest


def side(relation, id, versions, *claims, marks=()):
    """The parameter value ``relation`` ("confirms" or "refutes") with test id ``id``, gated
    ``pytest.mark.django(versions)`` and linked ``pytest.mark.claims(<relation>=claims)``, plus
    any further ``marks``."""
    return pytest.param(relation, id=id, marks=[
        pytest.mark.django(versions), pytest.mark.claims(**{relation: list(claims)})] + list(marks))
