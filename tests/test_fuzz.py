"""Property-based tests: random bytes and mutated valid submissions give clean errors, never a crash, and
the same outcome whether a bundle is read whole or in shares by worker processes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graftkg.errors import GraftkgError, InputError
from graftkg.readers import Refusals, read_inputs
from graftkg.validation.validate import ValidationReport, validate_paths, validate_records

from conftest import EXAMPLES, definitions, serial_validation, shapes

BUNDLE = EXAMPLES / "paper-patients" / "csv"
TRANSPLANTS = (BUNDLE / "transplants.csv").read_text()
OBSERVATIONS = (BUNDLE / "observations.csv").read_text()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _write_bundle(transplants: bytes, observations: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="graftkg-fuzz-"))
    (folder / "transplants.csv").write_bytes(transplants)
    (folder / "observations.csv").write_bytes(observations)
    return folder


def _outcome(validate: Callable[[], ValidationReport]) -> object:
    """A validation's report as data, or its input error's message."""
    try:
        report = validate()
    except GraftkgError as exc:
        return str(exc)
    return [f.as_json() for f in report.findings], report.results


def _validate_reports_what_classify_refuses(folder: Path, report: object) -> None:
    """One set of reading rules: each error classify lists for a refused record is a violation of
    validate at the same place (same transplant, same file line)."""
    refusals = Refusals()
    try:
        read_inputs([folder], refusals=refusals)
    except InputError:  # an unusable file: validate raised the same (compared by the caller's serial run)
        assert isinstance(report, str)
        return
    assert not isinstance(report, str), report
    findings, _ = report  # type: ignore[misc]
    violations = {(f["transplant_id"], f["location"]) for f in findings if f["severity"] == "violation"}
    for tid, error in refusals.errors:
        where = error.path if error.line is None else f"{error.path}:{error.line}"
        if tid is not None and (tid, where) not in violations:
            # a duplicate row names a transplant validate keeps once: its violation is at that line
            assert "duplicate transplant_id" in error.message and any(w == where for _, w in violations), error
        elif tid is None:
            assert any(w == where for _, w in violations), error


def _read_and_validate(folder: Path) -> None:
    # the workers that read a bundle's observations in shares must give what one whole read gives
    serial = _outcome(lambda: serial_validation(folder))
    assert _outcome(lambda: validate_paths([folder], workers=2, definitions=definitions(), shapes=shapes())) == serial
    _validate_reports_what_classify_refuses(folder, serial)
    try:
        for lenient in (False, True):
            records = read_inputs([folder], lenient=lenient)
            if lenient:
                validate_records(records, definitions=definitions(), shapes=shapes())
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
    except GraftkgError as exc:  # pragma: no cover - a clean error of another kind is acceptable
        assert "\n" not in str(exc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@SETTINGS
@given(st.binary(max_size=400), st.binary(max_size=400))
def test_random_bytes_give_clean_errors(transplants: bytes, observations: bytes) -> None:
    _read_and_validate(_write_bundle(transplants, observations))


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["delete", "insert", "replace_cell", "duplicate_line", "drop_line"]),
        st.integers(min_value=0, max_value=10_000),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    ),
    min_size=1,
    max_size=4,
)


def _mutate(text: str, edits: list[tuple[str, int, str]]) -> str:
    for kind, pos, extra in edits:
        lines = text.splitlines(keepends=True)
        if not lines:
            return text + extra
        i = pos % len(lines)
        if kind == "delete":
            j = pos % max(1, len(text))
            text = text[:j] + text[j + 1 :]
        elif kind == "insert":
            j = pos % max(1, len(text))
            text = text[:j] + extra + text[j:]
        elif kind == "replace_cell":
            cells = lines[i].rstrip("\n").split(",")
            cells[pos % len(cells)] = extra.replace("\n", " ")
            lines[i] = ",".join(cells) + "\n"
            text = "".join(lines)
        elif kind == "duplicate_line":
            text = "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
        else:
            text = "".join(lines[:i] + lines[i + 1 :])
    return text


@SETTINGS
@given(EDITS, EDITS)
def test_mutated_valid_submissions_give_clean_results(t_edits: list, o_edits: list) -> None:  # type: ignore[type-arg]
    transplants = _mutate(TRANSPLANTS, t_edits).encode("utf-8", "surrogatepass")
    observations = _mutate(OBSERVATIONS, o_edits).encode("utf-8", "surrogatepass")
    _read_and_validate(_write_bundle(transplants, observations))


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from([".ttl", ".jsonld", ".nt"]))
def test_random_rdf_gives_clean_errors(data: bytes, suffix: str) -> None:
    _read_rdf(data, suffix)


def _read_rdf(data: bytes, suffix: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="graftkg-fuzz-"))
    path = folder / f"submission{suffix}"
    path.write_bytes(data)
    try:
        read_inputs([path])
    except InputError as exc:
        assert "\n" not in str(exc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@SETTINGS
@given(
    st.lists(st.tuples(st.sampled_from(["delete", "insert"]), st.integers(0, 100_000), st.text(max_size=4)), max_size=3)
)
def test_mutated_turtle_gives_clean_results(edits: list) -> None:  # type: ignore[type-arg]
    text = (EXAMPLES / "paper-patients" / "paper-patients.ttl").read_text()
    _read_rdf(_mutate(text, edits).encode("utf-8", "surrogatepass"), ".ttl")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["transplant", "patient", "observation"]), st.lists(st.text(max_size=12), min_size=1, max_size=3)
)
def test_node_ids_are_what_the_namespace_mints(kind: str, parts: list[str]) -> None:
    """The node IRIs skip rdflib's character check: they must equal what it accepts and builds."""
    from urllib.parse import quote

    from graftkg.rdf import ID, node_id

    minted = node_id(kind, *parts)
    assert minted == ID[kind + "/" + "/".join(quote(p, safe="") for p in parts)]
    assert type(minted) is type(ID[kind])
