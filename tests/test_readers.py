"""Bad input gets one clear line naming file, line and field; never a traceback or a partial load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
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


# ------------------------------------------------------------------ the plain-text row splitter


def _rows_both_ways(text: str, width: int) -> tuple[object, object]:
    """The rows (or the error) of ``text`` after a header, by the csv module and by the plain splitter."""
    import csv
    import io

    from graftkg.readers.csv_bundle import _cells
    from graftkg.readers.splitter import split_cells as _split_cells

    def collect(rows: object) -> object:
        try:
            return list(rows)  # type: ignore[call-overload]
        except InputError as exc:
            return str(exc)

    reader = csv.reader(io.StringIO("header\n" + text, newline=""), strict=True)
    next(reader)
    return collect(_cells(reader, "o.csv", width)), collect(_split_cells(text, "o.csv", width))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab1.,, \t\n\n\x0b\xa0\u2003-\x1c", "\r\n"]), max_size=60).map("".join),
    st.integers(min_value=1, max_value=4),
)
def test_plain_splitter_reads_as_the_csv_module(text: str, width: int) -> None:
    """Without quotes or lone carriage returns, splitting lines on commas gives exactly the csv module's
    rows, line numbers and errors (whitespace of every kind stripped, blank rows skipped)."""
    from graftkg.readers.splitter import plain_text as _plain_text

    assume(_plain_text(text))
    by_csv, by_split = _rows_both_ways(text, width)
    assert by_split == by_csv


_ROWS = st.lists(
    st.sampled_from(
        [*"ab,, \t\n\n\x1c", "a,", "\r\n", "ab,", "a,1\n", "ab,,\n", "b,2,\r\n", "a,1\na,2\n", "b,1,\nb,2,\nb,,3\n"]
    ),
    max_size=60,
).map("".join)  # the last two: runs of rows with one first cell, as a transplant's rows come


def _split_or_error(text: str, width: int, skip: Callable[[str], bool] | None, chunk: int) -> object:
    from graftkg.readers.splitter import split_cells as _split_cells

    try:
        return list(_split_cells(text, "o.csv", width, skip, chunk))
    except InputError as exc:
        return str(exc)


def _passed_over(line: str, width: int, skipped: set[str]) -> bool:
    """Whether a worker skipping ``skipped`` passes over ``line`` unread: its first cell, the text before
    its first comma (the whole line, less a carriage return, for one column), needs no stripping and is
    skipped."""
    first = line.removesuffix("\r") if width == 1 else line[: max(line.find(","), 0)]
    return bool(first) and first.strip() == first and first in skipped


@settings(max_examples=500, deadline=None)
@given(
    _ROWS,
    st.integers(min_value=1, max_value=4),
    st.sets(st.sampled_from(["a", "ab", "b", " a"])),
    st.integers(min_value=1, max_value=12),
)
def test_plain_splitter_skips_only_what_it_would_have_read_and_dropped(
    text: str, width: int, skipped: set[str], chunk: int
) -> None:
    """Skipping rows by their first cell (a worker passing over the other workers' rows, a run of one
    transplant's rows at a time) reads the text as if the rows passed over were blank, less the rows
    it reads whose first cell is skipped: the rows without skipping less the skipped ones, and the
    first error of the rows left in, at its line, however the text is cut into blocks."""
    from graftkg.readers.splitter import plain_text as _plain_text

    assume(_plain_text(text))
    whole = _split_or_error(text, width, None, chunk)
    assert whole == _split_or_error(text, width, None, 1 << 30)
    blanked = "\n".join("" if _passed_over(line, width, skipped) else line for line in text.split("\n"))
    expected = _split_or_error(blanked, width, None, chunk)
    got = _split_or_error(text, width, skipped.__contains__, chunk)
    if isinstance(expected, str):
        assert got == expected
    else:
        assert got == [row for row in expected if row[1][0] not in skipped]
        if not isinstance(whole, str):  # a text without errors: exactly its rows less the skipped ones
            assert got == [row for row in whole if row[1][0] not in skipped]


@st.composite
def _runs(draw: st.DrawFn) -> tuple[str, int]:
    """A text of rows that mostly have the width and come in runs of one first cell, as a transplant's
    rows do, with now and then a row of another width, a blank one or a first cell needing stripping."""
    width = draw(st.integers(min_value=1, max_value=4))
    lines: list[str] = []
    for first, length, cr in draw(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "a", "b", "b", "ab", " a", ""]),
                st.integers(min_value=1, max_value=12),
                st.booleans(),
            ),
            max_size=8,
        )
    ):
        for _ in range(length):
            cells = width - 1 + draw(st.sampled_from([0, 0, 0, 0, 0, 0, -1, 1]))
            row = first + "".join("," + draw(st.sampled_from(["1", "", "x"])) for _ in range(max(0, cells)))
            lines.append(row + ("\r" if cr else ""))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"])), width


@settings(max_examples=500, deadline=None)
@given(_runs(), st.sets(st.sampled_from(["a", "ab", "b", " a"])), st.integers(min_value=1, max_value=40))
def test_skipping_runs_reads_the_rows_left_in(text_width: tuple[str, int], skipped: set[str], chunk: int) -> None:
    """As above, on rows in runs: every row of a run that is read is read, at its line."""
    text, width = text_width
    test_plain_splitter_skips_only_what_it_would_have_read_and_dropped.hypothesis.inner_test(  # type: ignore[attr-defined]
        text, width, skipped, chunk
    )


def test_rows_passed_over_are_left_to_their_reader() -> None:
    """A bad row of a transplant another worker reads is that worker's to report: passing over it
    raises nothing, while a bad row read here (its own, an unknown one, or one needing stripping)
    raises at its line."""

    def read(text: str, *skipped: str) -> object:
        return _split_or_error(text, 2, set(skipped).__contains__, 1 << 20)

    text = "a,1\na,1,2\nb,2\nb\n"  # lines 2 to 5; line 3 has a cell too many, line 5 one too few
    assert read(text, "b") == "o.csv:3: row has 3 cells, header has 2"  # a's rows: read
    assert read(text, "a") == read(text, "a", "b") == "o.csv:5: row has 1 cells, header has 2"  # no comma: read
    assert read("a,1\na,1,2\nb,2\n", "a") == [(4, ["b", "2"])]  # a's rows: passed over
    assert read("a,1\n c,3,4\n", "c") == "o.csv:3: row has 3 cells, header has 2"  # needs stripping: read


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "bb", "\n", "\r\n", ","]), max_size=40).map("".join), st.integers(1, 6))
def test_blocks_of_a_text_hold_its_lines(text: str, chunk: int) -> None:
    """Cutting a file's text into blocks of whole lines keeps its lines (less, at most, an empty last one)."""
    from graftkg.readers.splitter import blocks as _blocks

    got, whole = [line for block in _blocks(text, chunk) for line in block.split("\n")], text.split("\n")
    assert got == whole or (got == whole[:-1] and whole[-1] == "")


def test_a_field_over_the_limit_raises_where_it_is_read() -> None:
    """The csv field limit holds for the rows read: a row passed over is its owner's to check."""
    import csv

    before = csv.field_size_limit()
    try:
        csv.field_size_limit(8)
        text = "a,1\na,123456789\nb,4\n"
        assert "o.csv:3: malformed CSV: field larger than field limit" in str(
            _split_or_error(text, 2, {"b"}.__contains__, 64)
        )
        assert _split_or_error(text, 2, {"a"}.__contains__, 64) == [(4, ["b", "4"])]
    finally:
        csv.field_size_limit(before)


def test_plain_splitter_keeps_the_csv_field_limit() -> None:
    import csv

    long = "x" * (csv.field_size_limit() + 1)
    for text in (f"a,b\n{long},c\n", f"a,b\n{long}\n"):
        by_csv, by_split = _rows_both_ways(text, 2)
        assert isinstance(by_csv, str) and "field larger than field limit" in by_csv
        assert by_split == by_csv


def test_quoted_and_plain_files_read_alike(tmp_path: Path) -> None:
    """A bundle read through the csv module (a quoted cell) and through the splitter gives the same records."""
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
