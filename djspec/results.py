"""The result-file format: one JSON file per env (``results/<env>.json``), written by the pytest
plugin and read by the report, the diff and the mutation runner.

A file holds ``schema`` (the format's version), ``run_info`` (which Django, Python, database,
packages; when and how long), ``tests`` (one :class:`TestRecord` per collected spec test),
``verdicts`` (claim id -> the verdict derived from those tests) and ``exitstatus``; an env that
could not run writes the same shape with no tests and its reason in ``error``.

The format is the JSON Schema ``djspec/result.schema.json`` (draft 7); :func:`load` validates a
file against it (with ``fastjsonschema``, which compiles the schema: a full matrix's 25 files in
well under a second; the report, diff and kit envs install it) and refuses a file of another
schema version.
"""
import functools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

SCHEMA = 1
SCHEMA_FILE = Path(__file__).with_name("result.schema.json")


class ResultFormatError(Exception):
    """A result file that is not one: unreadable, another schema version, or invalid."""


@dataclass
class TestRecord:
    """One spec test in one env: where it is, what it links, where it applies, what happened."""
    nodeid: str
    file: str
    line: int
    name: str
    doc: str  # the first line of its docstring
    gate: str  # its django / database / driver markers, described
    applies: bool  # does the gate admit this env?
    confirms: List[str] = field(default_factory=list)
    refutes: List[str] = field(default_factory=list)
    measures: List[str] = field(default_factory=list)
    no_database: bool = False
    outcome: Optional[str] = None  # verdicts.PASSED, FAILED, ERROR, SKIPPED, NOT_APPLICABLE; None: did not run
    message: Optional[str] = None  # the failure or skip text
    duration: float = 0.0
    observations: Dict[str, object] = field(default_factory=dict)  # what the test saw (``observe``)

    @property
    def claims(self) -> List[str]:
        return self.confirms + self.refutes + self.measures

    def as_dict(self) -> dict:
        out = asdict(self)
        if out["message"] is None:
            del out["message"]
        return out


def result(run_info: dict, tests: List[TestRecord], verdicts: dict, exitstatus: int) -> dict:
    return {"schema": SCHEMA, "run_info": run_info, "tests": [t.as_dict() for t in tests],
            "verdicts": verdicts, "exitstatus": exitstatus}


def not_run(run_info: dict, reason: str, exitstatus: int = 4) -> dict:
    """The result of an env that could not run (no server, a lint error): the report shows the
    env as 'not run' with the reason instead of an old or missing column."""
    return {"schema": SCHEMA, "run_info": run_info, "tests": [], "verdicts": {}, "exitstatus": exitstatus,
            "error": reason}


def write(path, data: dict) -> None:
    """Write atomically: a reader never sees a half-written result file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))
    tmp.replace(path)


def load(path) -> dict:
    """A result file, validated against the schema; ResultFormatError names the file and the
    first problem (with its place in the file)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ResultFormatError(f"{path}: not a readable JSON result file ({exc})") from None
    if isinstance(data, dict) and "schema" in data and data["schema"] != SCHEMA:
        raise ResultFormatError(f"{path}: result schema version {data.get('schema')!r}; this kit reads version {SCHEMA} "
                                f"({SCHEMA_FILE.name})")
    problem = first_problem(data)
    if problem:
        raise ResultFormatError(f"{path}: not a djspec result file ({SCHEMA_FILE.name}): {problem}")
    return data


@functools.lru_cache(maxsize=None)
def _validator():
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover - the report, diff and kit envs install it
        raise ResultFormatError("validating result files needs fastjsonschema (pip install fastjsonschema)") from None
    return fastjsonschema.compile(json.loads(SCHEMA_FILE.read_text()))


def first_problem(data) -> Optional[str]:
    """The first way ``data`` breaks the schema (its message names the place: 'data.tests[0] must
    contain ['outcome'] properties'), or None."""
    import fastjsonschema

    try:
        _validator()(data)
    except fastjsonschema.JsonSchemaException as exc:
        return exc.message[:300]
    return None
