"""Tools for the ontology's maintainers.

* :mod:`~graftkg.ontology_tools.qc` - quality control: OWL 2 DL profile, labels, definitions, sources;
* :mod:`~graftkg.ontology_tools.mappings` - the SSSOM mappings to SNOMED CT, ICD-10 and others;
* :mod:`~graftkg.ontology_tools.docs` - the ontology's HTML documentation (pyLODE).
"""
