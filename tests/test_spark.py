"""The generated SQL run on Apache Spark (local mode, PyPI ``pyspark``), not only printed.

The columnar engine's queries are sqlglot trees; :data:`graftkg.columnar.sql.SPARK` prints them as
Spark SQL. Here the two tables DuckDB loaded (``transplants``, ``observations``) are handed to Spark
as Parquet files, as a Spark job would read a registry's tables, and from them Spark computes, with
the same generated queries, what DuckDB computed:

- the tables the queries read (:meth:`~graftkg.columnar.engine.ColumnarEngine.prepared`), the
  derivation (:func:`~graftkg.columnar.derive.derive_query`), then the classes and explanations
  (:meth:`~graftkg.columnar.engine.ColumnarEngine.facts_query`) over Spark's own derivation;
- the inferred classes the shapes target (:meth:`~graftkg.columnar.engine.ColumnarEngine.held_query`),
  the validation's relations, each shape's check, the values each ``sh:pattern`` is tested on, and
  how many transplants each shape applies to (:class:`~graftkg.columnar.shapes.ShapeCompiler`).
  (Which pattern values fail is Python's ``re``, as on DuckDB: that table is handed over too.)

Spark must give DuckDB's rows, on the paper's patients, the invalid submission, the two real data
sets and synthetic transplants carrying every kind of submission error, under both profiles.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from graftkg.columnar.derive import derive_query
from graftkg.columnar.engine import ColumnarEngine
from graftkg.columnar.sql import DUCKDB, SPARK
from graftkg.columnar.tables import load_records
from graftkg.model import TransplantRecord
from graftkg.readers import read_inputs

from conftest import EXAMPLES, SHARED, definitions, shapes

PROFILES = ["paper", "astct-2021"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A Spark session on this machine (two cores, no web UI, its driver on 127.0.0.1 only), for the
    module's tests."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("graftkg-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _records(tmp_path: Path, profile: str) -> list[TransplantRecord]:
    """The records the engines are compared on (read leniently, as validation reads them), in one
    run: the paper's patients, the invalid submission, the UCI and KMsurv data sets, and synthetic
    transplants with three of every kind of submission error among them; each set's identifiers
    prefixed with its own letter, so that no two sets share a transplant or a patient."""
    import dataclasses

    from graftkg.readers.kmsurv_bmt import import_kmsurv_bmt
    from graftkg.readers.uci_bmt import import_uci_bmt
    from graftkg.synthetic import write_bundle
    from graftkg.synthetic.mutate import MUTATIONS

    import_uci_bmt(SHARED / "datasets" / "uci-bmt-children" / "bone-marrow.arff", tmp_path / "uci")
    import_kmsurv_bmt(SHARED / "datasets" / "kmsurv-bmt" / "bmt.csv", tmp_path / "kmsurv")
    synthetic = read_inputs([write_bundle(tmp_path / "synthetic", n=600, seed=17, profile=profile)], lenient=True)
    rng = random.Random(17)
    alive = [i for i, r in enumerate(synthetic) if r.death_day is None and i > 0]
    for k, i in enumerate(sorted(rng.sample(alive, 3 * len(MUTATIONS)))):
        MUTATIONS[list(MUTATIONS)[k % len(MUTATIONS)]][1](synthetic[i], synthetic, rng)
    sets = [
        read_inputs([EXAMPLES / "paper-patients" / "csv"], lenient=True),
        read_inputs([EXAMPLES / "invalid-submission"], lenient=True),
        read_inputs([tmp_path / "uci"], lenient=True),
        read_inputs([tmp_path / "kmsurv"], lenient=True),
        synthetic,
    ]
    out: list[TransplantRecord] = []
    for letter, records in zip("ABCDE", sets, strict=True):
        for r in records:
            ids = {
                "transplant_id": r.transplant_id,
                "patient_id": r.patient_id,
                "prior_transplant_id": r.prior_transplant_id,
            }
            out.append(dataclasses.replace(r, **{k: None if v is None else f"{letter}-{v}" for k, v in ids.items()}))
    assert len({r.transplant_id for r in out}) == len(out) > 900
    return out


def _to_spark(spark: Any, con: Any, tables: Sequence[str], folder: Path) -> None:
    """Hand DuckDB's ``tables`` to Spark as Parquet files in ``folder`` (a new one each time: Spark
    keeps what it listed of a folder), each a view of the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        path = folder / f"{table}.parquet"
        con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{path}' (FORMAT parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(table)


def _rows(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of either engine as sorted tuples of plain values (a Spark row or struct as a tuple)."""

    def plain(value: Any) -> Any:
        if isinstance(value, (list, tuple)) and not hasattr(value, "asDict"):
            return tuple(plain(v) for v in value)
        if hasattr(value, "asDict"):
            return tuple(plain(v) for v in value)
        if isinstance(value, dict):
            return tuple(plain(v) for v in value.values())
        return value

    return sorted((tuple(plain(v) for v in row) for row in rows), key=repr)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_classification_runs_on_spark_with_duckdbs_answers(spark: Any, tmp_path: Path, profile: str) -> None:
    """The derived facts, the classes and the explanations of every case, computed by Spark from the
    loaded tables, are DuckDB's, column for column."""
    engine = ColumnarEngine(definitions(profile)).fresh()
    derive = derive_query(engine.defs)
    facts = engine.facts_query(explain=True)
    load_records(engine.con, _records(tmp_path, profile))
    engine.derive_tables()
    _to_spark(spark, engine.con, ["transplants", "observations"], tmp_path / "tables")
    for name, query in engine.prepared():  # windows, cases, observation facts: Spark's own
        spark.sql(query.sql(SPARK)).localCheckpoint().createOrReplaceTempView(name)
        assert _rows(spark.table(name).collect()) == _rows(engine.con.execute(f'SELECT * FROM "{name}"').fetchall())
    derived = spark.sql(derive.sql(SPARK)).localCheckpoint()
    assert derived.columns == [d[0] for d in engine.con.execute("SELECT * FROM derived LIMIT 0").description]
    assert _rows(derived.collect()) == _rows(engine.con.execute("SELECT * FROM derived").fetchall())
    derived.createOrReplaceTempView("derived")  # the classes read Spark's own derivation
    got = spark.sql(facts.sql(SPARK))
    want = engine.con.execute(facts.sql(DUCKDB))
    assert got.columns == [d[0] for d in want.description]
    rows = _rows(want.fetchall())
    assert _rows(got.collect()) == rows
    assert len(rows) > 900


def test_the_validation_runs_on_spark_with_duckdbs_answers(spark: Any, tmp_path: Path) -> None:
    """The relations the checks read, built by Spark from the loaded tables; then each shape's
    failures, the values each pattern is tested on, and how many transplants each shape applies to:
    DuckDB's rows, shape by shape."""
    from graftkg.columnar.shapes import PATTERN_FAILURES

    engine = ColumnarEngine(definitions()).fresh()
    compiler = engine.shape_compiler(shapes())
    report = engine.validate_records(_records(tmp_path, "paper"), shapes())
    assert report is not None and len({f.rule for f in report.findings}) > 40
    con = engine.con
    _to_spark(spark, con, ["transplants", "observations", PATTERN_FAILURES], tmp_path / "tables")
    for name, query in engine.prepared():  # then the derivation and the inferred classes, Spark's own
        spark.sql(query.sql(SPARK)).localCheckpoint().createOrReplaceTempView(name)
    spark.sql(derive_query(engine.defs).sql(SPARK)).localCheckpoint().createOrReplaceTempView("derived")
    spark.sql(engine.held_query(compiler.flags(), SPARK)).localCheckpoint().createOrReplaceTempView("inferred")
    assert _rows(spark.table("inferred").collect()) == _rows(con.execute("SELECT * FROM inferred").fetchall())
    for relation, tree in compiler.relations():
        spark.sql(tree.sql(SPARK)).localCheckpoint().createOrReplaceTempView(relation)
        assert spark.table(relation).count() == con.execute(f'SELECT count(*) FROM "{relation}"').fetchone()[0]
    failing = set()
    for shape in compiler.shapes:
        want = _rows(con.execute(compiler.query(shape)).fetchall())
        assert _rows(spark.sql(compiler.tree(shape).sql(SPARK)).collect()) == want, shape.iri
        failing.update([shape.iri] if want else [])
    assert len(failing) > 40  # most shapes had failures to compare
    for shape_iri, query in compiler.pattern_sql.items():
        shape = next(s for s in compiler.shapes if s.iri == shape_iri)
        got = spark.sql(compiler.pattern_values(shape, SPARK)).collect()
        assert _rows(got) == _rows(con.execute(query).fetchall()), shape_iri
    for (query, targeted), (spark_query, _) in zip(
        compiler.applicable_sql, compiler.applicable_queries(SPARK), strict=True
    ):
        got = spark.sql(spark_query).collect()
        assert _rows(got) == _rows(con.execute(query).fetchall()), [s.iri for s in targeted]
