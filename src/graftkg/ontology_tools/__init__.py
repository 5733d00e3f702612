"""Tools for the ontology's maintainers.

* :mod:`~graftkg.ontology_tools.qc` - quality control: OWL 2 DL profile, labels, definitions, sources;
* :mod:`~graftkg.ontology_tools.mappings` - the SSSOM mappings to SNOMED CT, ICD-10 and others;
* :mod:`~graftkg.ontology_tools.docs` - the ontology's HTML documentation (pyLODE).

``graftkg qc``, ``mappings`` and ``docs`` use the names ``__all__`` lists, imported from their modules
when first used, so that ``import graftkg.ontology_tools`` stays cheap: ``run_qc``, ``render_qc`` (the
QC module's ``render``) and ``QC_LEVELS`` (its ``LEVELS``, most severe first), ``owl2_dl_violations``
of a graph such as ``load_knowledge_base(profile)`` (the ontology and knowledge base under a profile);
``mappings_ttl``, ``write_mappings_ttl`` and ``unverified``, with ``asset_dir`` (where the shipped
``ontology/`` folder is); ``build_docs``.

Example:
    >>> from graftkg.ontology_tools import QC_LEVELS, render_qc
    >>> QC_LEVELS, render_qc([])
    (('error', 'warn'), 'QC: 0 errors, 0 warnings')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graftkg._exports import lazy_exports

if TYPE_CHECKING:
    from graftkg.assets import asset_dir
    from graftkg.ontology_tools.docs import build_docs
    from graftkg.ontology_tools.mappings import mappings_ttl, unverified, write_mappings_ttl
    from graftkg.ontology_tools.qc import LEVELS as QC_LEVELS
    from graftkg.ontology_tools.qc import owl2_dl_violations, run_qc
    from graftkg.ontology_tools.qc import render as render_qc
    from graftkg.semantics.ontology import load_knowledge_base

#: each exported name: the module it lives in and its name there
_WHERE = {
    "QC_LEVELS": ("graftkg.ontology_tools.qc", "LEVELS"),
    "owl2_dl_violations": ("graftkg.ontology_tools.qc", "owl2_dl_violations"),
    "render_qc": ("graftkg.ontology_tools.qc", "render"),
    "run_qc": ("graftkg.ontology_tools.qc", "run_qc"),
    "load_knowledge_base": ("graftkg.semantics.ontology", "load_knowledge_base"),
    "mappings_ttl": ("graftkg.ontology_tools.mappings", "mappings_ttl"),
    "unverified": ("graftkg.ontology_tools.mappings", "unverified"),
    "write_mappings_ttl": ("graftkg.ontology_tools.mappings", "write_mappings_ttl"),
    "asset_dir": ("graftkg.assets", "asset_dir"),
    "build_docs": ("graftkg.ontology_tools.docs", "build_docs"),
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "QC_LEVELS",
    "asset_dir",
    "build_docs",
    "load_knowledge_base",
    "mappings_ttl",
    "owl2_dl_violations",
    "render_qc",
    "run_qc",
    "unverified",
    "write_mappings_ttl",
]
