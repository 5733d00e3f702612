"""The columnar engine: the ontology's definitions and the shapes compiled to SQL, run on DuckDB over
whole tables of transplants (see :class:`~graftkg.columnar.engine.ColumnarEngine`)."""

from graftkg.columnar.engine import ColumnarEngine

__all__ = ["ColumnarEngine"]
