"""Bad input gets one clear line naming file, line and field; never a traceback or a partial load."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graftkg.cli import main
from graftkg.errors import InputError
from graftkg.model import TransplantRecord
from graftkg.readers import read_inputs

from conftest import EXAMPLES, paper_bundle

BUNDLE = EXAMPLES / "paper-patients" / "csv"


_bundle = paper_bundle


def _header() -> str:
    return (BUNDLE / "transplants.csv").read_text().splitlines()[0]


@pytest.mark.parametrize(
    ("transplants", "observations", "expected"),
    [
        (
            None,
            "transplant_id,day,measure,value\nP1-T1,x,ANC,0.1\n",
            "observations.csv:2: field 'day': 'x' is not a whole number",
        ),
        (
            None,
            "transplant_id,day,measure,value\nP1-T1,3,ANC,1,5\n",
            "observations.csv:2: row has 5 cells, header has 4",
        ),
        (None, "transplant_id,day,measure,value\nP1-T1,3,ANC,abc\n", "field 'value': 'abc' is not a number"),
        (None, "transplant_id,day,measure,value\nP1-T1,3,XYZ,1\n", "field 'measure': unknown measure 'XYZ'"),
        (
            None,
            "transplant_id,day,measure,value\nNOPE,3,ANC,1\n",
            "field 'transplant_id': transplant_id 'NOPE' is not in transplants.csv",
        ),
        (None, "transplant_id;day;measure;value\n", "observations.csv:1: wrong delimiter"),
        (None, "", "observations.csv: file is empty"),
        (None, "transplant_id,day,measure,value,colour\n", "field 'colour': unknown column"),
        # a lineage is a chimerism assay's; a lab count's method is how it was calculated, if it was
        (
            None,
            "transplant_id,day,measure,value,lineage\nP1-T1,3,ANC,1,t_cell\n",
            "field 'lineage': lineage does not apply to ANC",
        ),
        (
            None,
            "transplant_id,day,measure,value,method\nP1-T1,3,PLT,30,neutrophil_pct_x_wbc\n",
            "field 'method': method 'neutrophil_pct_x_wbc' does not apply to PLT",
        ),
        (
            None,
            "transplant_id,day,measure,value,method\nP1-T1,3,ANC,1,flow cytometry\n",
            "(ANC: neutrophil_pct_x_wbc)",
        ),
        (None, "transplant_id,day,measure,value,method\nP1-T1,3,gcsf,,STR-PCR\n", "field 'method'"),
        (
            "transplant_id,graft_source\nA,PB\nA,BM\n",
            None,
            "transplants.csv:3: field 'transplant_id': duplicate transplant_id 'A'",
        ),
        ("transplant_id,graft_source\nA,XX\n", None, "field 'graft_source': unknown code 'XX'"),
        ("transplant_id,hla_match\nA,ten\n", None, "field 'hla_match': 'ten' is not an HLA match"),
        ("transplant_id,conditioning_agents\nA,busulfan;unobtainium\n", None, "unknown code 'unobtainium'"),
        ("graft_source\nPB\n", None, "field 'transplant_id': required column missing"),
        # cells read once and kept for the rows after: a bad one raises at its own row, a good one is read
        (
            "transplant_id,recipient_age_years\nA,7.5\nB,7.5\nC,7,5\n",
            None,
            "transplants.csv:4: row has 3 cells, header has 2",
        ),
        (
            "transplant_id,recipient_age_years\nA,7.5\nB,old\nC,old\n",
            None,
            "transplants.csv:3: field 'recipient_age_years': 'old' is not a number",
        ),
        (
            "transplant_id,death_day,relapse_day\nA,40,40\nB,40,4.5\n",
            None,
            "transplants.csv:3: field 'relapse_day': '4.5' is not a whole number",
        ),
        (
            "transplant_id,reported_neutrophil_recovery_day\nA,20\nB,never\nC,soon\n",
            None,
            "transplants.csv:4: field 'reported_neutrophil_recovery_day': 'soon' is not a whole number",
        ),
    ],
)
def test_bad_csv_gives_one_line_error(
    tmp_path: Path, transplants: str | None, observations: str | None, expected: str
) -> None:
    if transplants is not None and observations is None:
        observations = "transplant_id,day,measure,value\n"
    path = _bundle(tmp_path, transplants, observations)
    with pytest.raises(InputError) as info:
        read_inputs([path])
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_wrong_encoding(tmp_path: Path) -> None:
    path = _bundle(tmp_path)
    (path / "transplants.csv").write_bytes(_header().encode() + b"\nP\xe9-1" + b"," * _header().count(",") + b"\n")
    with pytest.raises(InputError, match=r"transplants.csv:2: not UTF-8"):
        read_inputs([path])


def test_missing_observations_file(tmp_path: Path) -> None:
    path = _bundle(tmp_path)
    (path / "observations.csv").unlink()
    with pytest.raises(InputError, match=r"observations\.csv not found"):
        read_inputs([path])


def test_malformed_turtle(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix gk: <https://w3id.org/graftkg/> .\n<urn:a> gk:day "unterminated .\n')
    with pytest.raises(InputError, match=r"bad.ttl: not valid turtle"):
        read_inputs([bad])


def _graft_source_turtle(tmp_path: Path, source: str) -> Path:
    """A one-transplant Turtle file whose graft states ``gk:graftSource <source>``."""
    ttl = tmp_path / "t.ttl"
    ttl.write_text(
        "@prefix gk: <https://w3id.org/graftkg/> .\n"
        '<urn:t> a gk:Transplant ; gk:identifier "T" ; gk:graft <urn:g> .\n'
        f"<urn:g> gk:graftSource {source} .\n"
    )
    return ttl


def test_turtle_with_unknown_value_set_term(tmp_path: Path) -> None:
    ttl = _graft_source_turtle(tmp_path, "gk:Nonsense")
    with pytest.raises(InputError, match=r"field 'graftSource'.*not a term"):
        read_inputs([ttl])
    # lenient (validation) too: an IRI outside the value sets is not a code that can be kept
    with pytest.raises(InputError, match=r"field 'graftSource'.*not a term"):
        read_inputs([ttl], lenient=True)


def test_turtle_text_for_a_term_is_kept_by_a_lenient_read_only(tmp_path: Path) -> None:
    ttl = _graft_source_turtle(tmp_path, '"PBSC"')
    with pytest.raises(InputError, match=r"field 'graftSource'.*not a term"):
        read_inputs([ttl])
    assert read_inputs([ttl], lenient=True)[0].graft_source == "PBSC"


def test_cli_reports_bad_input_with_exit_2_and_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _bundle(tmp_path, None, "transplant_id,day,measure,value\nP1-T1,3,ANC,oops\n")
    assert main(["classify", str(path), "--fail-fast"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "observations.csv:2: field 'value'" in lines[0]
    assert "Traceback" not in captured.err


def test_duplicate_ids_across_inputs() -> None:
    with pytest.raises(InputError, match="duplicate transplant_id 'P1-T1'"):
        read_inputs([BUNDLE, EXAMPLES / "paper-patients" / "paper-patients.ttl"])


def test_malformed_jsonld(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonld"
    path.write_text('{"@context": "https://w3id.org/graftkg/context.jsonld", "@graph": [ {"@id": ')
    with pytest.raises(InputError) as info:
        read_inputs([path])
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_empty_transplants_file(tmp_path: Path) -> None:
    path = _bundle(tmp_path, transplants="")
    with pytest.raises(InputError, match=r"transplants\.csv: file is empty"):
        read_inputs([path])


def test_fifty_megabyte_file_with_an_error_on_its_last_line(tmp_path: Path) -> None:
    """A large file is read through, and an error on its last line is still located exactly. (Its
    rows belong to 60 transplants: one transplant may hold at most MAX_OBSERVATIONS of them.)"""
    ids = [f"T{k}" for k in range(60)]
    path = _bundle(tmp_path, "transplant_id\n" + "\n".join(ids) + "\n")
    rows = ["transplant_id,day,measure,value"]
    row = "{},{},ANC,0.{}"
    n = 0
    size = len(rows[0]) + 1
    while size < 50 * 1024 * 1024:
        line = row.format(ids[(n // 1000) % 60], n % 400, n % 10)
        rows.append(line)
        size += len(line) + 1
        n += 1
    rows.append("T0,12,ANC,twelve")
    (path / "observations.csv").write_text("\n".join(rows) + "\n")
    assert (path / "observations.csv").stat().st_size >= 50 * 1024 * 1024
    with pytest.raises(InputError) as info:
        read_inputs([path])
    assert f"observations.csv:{len(rows)}: field 'value': 'twelve' is not a number" in str(info.value)


def test_quoted_and_plain_files_read_alike(tmp_path: Path) -> None:
    """A bundle with a quoted cell gives the records of the same bundle without quotes."""
    text = (BUNDLE / "observations.csv").read_text()
    quoted = _bundle(tmp_path, observations=text.replace("P1-T1,", '"P1-T1",'))
    assert '"' in (quoted / "observations.csv").read_text()
    assert _content(read_inputs([quoted])) == _content(read_inputs([BUNDLE]))


def _content(records: list[TransplantRecord], *, lines: bool = True) -> list[tuple[object, ...]]:
    """What a record states, without where it was read from (with observation line numbers if ``lines``)."""
    return [
        (
            *(getattr(r, f.name) for f in fields(r) if f.name not in ("observations", "source", "line")),
            [
                (o.day, o.measure, o.value, o.code, o.lineage, o.method, o.unit, o.line if lines else None)
                for o in r.observations
            ],
        )
        for r in records
    ]


# ------------------------------------------------------------------ writing a bundle


def test_written_bundle_reads_back_as_the_same_records(tmp_path: Path) -> None:
    """Synthetic records with an error of every kind injected survive a write and a lenient read."""
    from graftkg.readers.csv_bundle import write_bundle_records
    from graftkg.synthetic.generate import write_bundle
    from graftkg.synthetic.mutate import MUTATIONS, inject

    records = read_inputs([write_bundle(tmp_path / "synth", n=len(MUTATIONS) + 20, seed=2)], lenient=True)
    injected = inject(records, 1.0, seed=2)
    assert set(injected.values()) == set(MUTATIONS)
    again = read_inputs([write_bundle_records(records, tmp_path / "out")], lenient=True)
    assert _content(again, lines=False) == _content(records, lines=False)


def test_writing_a_day_and_never_in_one_cell_is_refused(tmp_path: Path) -> None:
    """A record cannot say both: the bundle has one cell for it, and writing one would drop the other."""
    from graftkg.readers.csv_bundle import write_bundle_records

    record = TransplantRecord("T1", reported_neutrophil_recovery_day=20, reported_neutrophil_never=True)
    with pytest.raises(ValueError, match="reported_neutrophil_recovery_day is both day 20 and never"):
        write_bundle_records([record], tmp_path)


def test_a_worker_reading_a_quoted_file_raises_its_first_error_first(tmp_path: Path) -> None:
    """A file the csv module reads (here: quoted) is read a row at a time when a worker skips other
    workers' rows too, so a bad row is reported before a later one (found by the fuzz test on the
    compiled build, where a generator expression would have read every row first)."""
    from graftkg.readers.csv_bundle import read_observations, read_transplants

    lines = (BUNDLE / "observations.csv").read_text().splitlines()
    lines[1] = '"P1-T1"' + lines[1][len("P1-T1") :]  # quoted: not plain text
    lines[3] = "," + lines[3].split(",", 1)[1]  # line 4: no transplant_id
    lines[4] = "P1-T1,1"  # line 5: too few cells
    folder = _bundle(tmp_path, observations="\n".join(lines) + "\n")
    by_id = read_transplants(folder / "transplants.csv", folder / "observations.csv")
    for owned in (None, {"P1-T1"}, {"P2-T1"}):
        with pytest.raises(InputError, match=r"observations.csv:4: field 'transplant_id'"):
            read_observations(folder / "observations.csv", by_id, owned=owned)


def test_measures_and_units_are_shared_string_objects(tmp_path: Path) -> None:
    """Every observation's measure (and unit) is one string object per value, so that the later steps
    compare and look them up by identity."""
    from graftkg.readers.csv_bundle import write_bundle_records

    records = read_inputs([EXAMPLES / "paper-patients" / "csv"])
    for o in (o for r in records for o in r.observations):
        o.unit = {"HB": "g/L", "ANC": "10*9/L", "PLT": "10*9/L"}.get(o.measure)
    records = read_inputs([write_bundle_records(records, tmp_path)])
    observations = [o for r in records for o in r.observations]
    by_value: dict[str | None, set[int]] = {}
    for o in observations:
        by_value.setdefault(o.measure, set()).add(id(o.measure))
        if o.unit is not None:
            by_value.setdefault(o.unit, set()).add(id(o.unit))
    assert {"ANC", "PLT", "10*9/L"} <= set(by_value) and all(len(ids) == 1 for ids in by_value.values()), by_value


def test_registry_abbreviations_read_as_the_codes_they_stand_for(tmp_path: Path) -> None:
    """``CsA;MTX``, ``Flu;Bu;ATG``, ``haplo`` and ``pb`` are the ontology's names of codes (skos:altLabel,
    rdfs:label, or a code in another letter case): read as those codes, by the strict and lenient readers."""
    lines = (BUNDLE / "transplants.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    for column, text in (
        ("gvhd_prophylaxis", "CsA; MTX"),
        ("conditioning_agents", "Flu;BU;anti-thymocyte globulin"),
        ("donor_type", "haplo"),
        ("graft_source", "pb"),
    ):
        cells[header.index(column)] = text
    lines[1] = ",".join(cells)
    path = _bundle(tmp_path, "\n".join(lines) + "\n")
    for lenient in (False, True):
        record = next(r for r in read_inputs([path], lenient=lenient) if r.transplant_id == "P1-T1")
        assert record.gvhd_prophylaxis == ["cyclosporine", "methotrexate"]
        assert record.conditioning_agents == ["fludarabine", "busulfan", "ATG"]
        assert (record.donor_type, record.graft_source) == ("haploidentical", "PB")
    from graftkg.validation.validate import validate_paths

    assert not [f for f in validate_paths([path]).findings if f.rule.endswith("ValueSet")]
    # a name of no code is still refused, naming the column
    cells[header.index("gvhd_prophylaxis")] = "CsA;aspirin"
    lines[1] = ",".join(cells)
    path = _bundle(tmp_path / "again", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"transplants\.csv:2: field 'gvhd_prophylaxis': unknown code 'aspirin'"):
        read_inputs([path])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", ",", " ", "\r", "\n", "\r\n", '"']), max_size=40).map("".join))
def test_a_file_s_lines_are_read_as_a_text_file_gives_them(text: str) -> None:
    """The csv module reads a file's text one line at a time, split where ``io.StringIO(text,
    newline="")`` would split it (which would copy the whole text, at four bytes a character)."""
    import io

    from graftkg.readers.csv_bundle import _lines

    assert list(_lines(text)) == list(io.StringIO(text, newline=""))
