"""pySHACL on graftkg's shapes: the reference graftkg's own SHACL evaluator (:mod:`graftkg.validation.shacl`) must
match, used by the tests and by ``benchmarks/validate_bench.py``."""

from __future__ import annotations

from rdflib import Graph, URIRef

from graftkg.errors import OntologyError
from graftkg.rdf import RDF
from graftkg.validation.shacl import SH, Result, _literal, load_shapes, shapes_graph


def run_pyshacl(data: Graph) -> list[Result]:
    """Validate ``data`` with pySHACL against the same shapes (the reference the fast evaluator must match).

    Slow on large graphs; the tests and the validation benchmark compare it with graftkg's evaluator.
    """
    import pyshacl

    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes_graph(), inference="none", advanced=False, allow_warnings=True
    )
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        value = report.value(r, SH.value)
        shape = report.value(r, SH.sourceShape)
        severity = report.value(r, SH.resultSeverity)
        component = report.value(r, SH.sourceConstraintComponent)
        focus = report.value(r, SH.focusNode)
        message = report.value(r, SH.resultMessage)
        if not isinstance(shape, URIRef):
            raise OntologyError(f"pySHACL reported a result from an unnamed shape: {shape}")
        compiled = next(s for s in load_shapes() if s.iri == shape)
        out.append(
            Result(
                _literal(focus) if focus is not None else "",
                compiled.path,
                None if value is None else _literal(value),
                str(severity).removeprefix(str(SH)),
                shape,
                str(component).removeprefix(str(SH)),
                str(message) if message is not None else compiled.message,
            )
        )
    return out
