"""docs = HTML documentation of the ontology (pyLODE) and a diagram of how a transplant is classified.

``build_docs(outdir)`` writes ``index.html`` (pyLODE's page of every class, property and named
individual, from the merged ontology of a definitions profile), ``diagram.svg`` (the main classes and
the flow from submitted data through derived facts to the definitions and the recommendations,
every box labelled from the ontology) and ``ontology.ttl`` (the merged ontology the page documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from rdflib import URIRef

from graftkg.errors import GraftkgError
from graftkg.rdf import GK
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.facts import DERIVED_PROPERTIES
from graftkg.semantics.ontology import DEFAULT_PROFILE, load_ontology

#: The entity classes of a submission, in the order the diagram lists them.
SUBMITTED = (
    GK.Transplant,
    GK.Patient,
    GK.Donor,
    GK.Graft,
    GK.ConditioningRegimen,
    GK.LabObservation,
    GK.ChimerismAssay,
    GK.DSATest,
    GK.SupportEvent,
    GK.InfectionEpisode,
    GK.GvHDEpisode,
)
KNOWLEDGE = (GK.Recommendation, GK.TreatmentOption, GK.Claim, GK.EvidenceItem, GK.Study)


@dataclass
class Column:
    """One column of the diagram: a heading and the labels of its boxes."""

    heading: str
    boxes: list[str]


def diagram_columns(profile: str = DEFAULT_PROFILE) -> list[Column]:
    """The diagram's columns, each box labelled from the ontology of ``profile``.

    Example:
        >>> [c.heading for c in diagram_columns()][:2]
        ['submitted data', 'derived by the counting rules']
        >>> "primary graft failure" in diagram_columns()[2].boxes
        True
    """
    defs = Definitions(profile)
    label = defs.labels.label
    return [
        Column("submitted data", [label(c) for c in SUBMITTED]),
        Column("derived by the counting rules", [label(p) for p in DERIVED_PROPERTIES.values()]),
        Column(
            "definitions (Table 1): outcome, findings, chimerism",
            [label(c.iri) for c in defs.outcomes + defs.findings + defs.chimerism_statuses],
        ),
        Column("knowledge base: what applies", [label(c) for c in KNOWLEDGE]),
    ]


def diagram_svg(profile: str = DEFAULT_PROFILE) -> str:
    """An SVG diagram: submitted data -> derived facts -> defined classes -> recommendations and evidence.

    Example:
        >>> svg = diagram_svg()
        >>> svg.startswith("<svg") and "has graft" not in svg and "Transplant".lower() in svg.lower()
        True
    """
    columns = diagram_columns(profile)
    width, gap, box_h, top = 230, 60, 24, 70
    height = top + max(len(c.boxes) for c in columns) * (box_h + 6) + 40
    total = len(columns) * width + (len(columns) - 1) * gap + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" '
        f'viewBox="0 0 {total} {height}" font-family="sans-serif" font-size="12">',
        "<title>graftkg: from a transplant's data to its classification and the recommendations</title>",
        '<defs><marker id="arrow" markerWidth="10" markerHeight="10" refX="9" refY="3" orient="auto">'
        '<path d="M0,0 L9,3 L0,6 z" fill="#555"/></marker></defs>',
    ]
    for n, column in enumerate(columns):
        x = 20 + n * (width + gap)
        out.append(
            f'<text x="{x + width / 2}" y="40" text-anchor="middle" font-weight="bold">{escape(column.heading)}</text>'
        )
        for m, text in enumerate(column.boxes):
            y = top + m * (box_h + 6)
            out.append(
                f'<rect x="{x}" y="{y}" width="{width}" height="{box_h}" rx="4" fill="#eef3fb" stroke="#6b8cc7"/>'
            )
            out.append(f'<text x="{x + 8}" y="{y + 16}">{escape(text[:34])}</text>')
        if n:
            x0 = x - gap + 4
            mid = top + 2 * (box_h + 6)
            out.append(f'<line x1="{x0}" y1="{mid}" x2="{x - 6}" y2="{mid}" stroke="#555" marker-end="url(#arrow)"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def build_docs(outdir: str | Path, profile: str = DEFAULT_PROFILE) -> list[Path]:
    """Write the ontology's HTML documentation, the diagram and the merged ontology to ``outdir``.

    Example:
        >>> import tempfile
        >>> [p.name for p in build_docs(tempfile.mkdtemp())]
        ['index.html', 'diagram.svg', 'ontology.ttl']
    """
    import subprocess
    import sys

    folder = Path(outdir)
    if folder.exists() and not folder.is_dir():
        raise GraftkgError(f"{folder}: not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "index.html", folder / "diagram.svg", folder / "ontology.ttl"]
    load_ontology(profile).serialize(paths[2], format="turtle")
    # pyLODE runs in a child process: it adds to the graph it is given and leaves threads and logging
    # set-up behind, which must not reach this process (it forks workers for large inputs)
    done = subprocess.run(
        [sys.executable, "-c", _PYLODE, str(paths[2]), str(paths[0])], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise GraftkgError(f"pyLODE could not document the ontology: {lines[-1] if lines else done.returncode}")
    section = (
        '<section id="diagram"><h2>From a transplant\'s data to its classification</h2>'
        '<img src="diagram.svg" alt="submitted data, derived facts, definitions, knowledge base"/></section>'
    )
    html = paths[0].read_text(encoding="utf-8").replace("</body>", section + "</body>", 1)
    paths[0].write_text(html, encoding="utf-8")
    paths[1].write_text(diagram_svg(profile), encoding="utf-8")
    return paths


_PYLODE = """
import logging, sys
logging.disable(logging.INFO)
from rdflib import Graph
from pylode import OntPub
graph = Graph().parse(sys.argv[1], format="turtle")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(OntPub(ontology=graph).make_html())
"""


def documented_terms(html: str, terms: list[URIRef]) -> list[URIRef]:
    """The ``terms`` whose local name appears in the documentation ``html`` (for tests).

    Example:
        >>> documented_terms("<a href='#Transplant'>", [GK.Transplant, GK.Nothing])
        [rdflib.term.URIRef('https://w3id.org/graftkg/Transplant')]
    """
    return [t for t in terms if str(t).rsplit("/", 1)[-1] in html]


__all__ = ["build_docs", "diagram_columns", "diagram_svg", "documented_terms"]
