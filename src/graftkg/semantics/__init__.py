"""Semantics: from a record's raw values to its outcome, by the ontology's definitions.

The stage in pipeline order:

* :mod:`~graftkg.semantics.ontology` - the ontology files and the definitions profiles;
* :mod:`~graftkg.semantics.definitions` - the windows and thresholds, read from the ontology;
* :mod:`~graftkg.semantics.vocabulary` - the code tables of coded fields;
* :mod:`~graftkg.semantics.derive` - the counting rules: recovery days, chimerism, nadir;
* :mod:`~graftkg.semantics.facts` - a record and its derived values as RDF in the ontology's terms;
* :mod:`~graftkg.semantics.owlexpr` - the outcome classes' OWL expressions, evaluated over the facts;
* :mod:`~graftkg.semantics.reason` - the OWL DL reasoner (HermiT) run on the same facts;
* :mod:`~graftkg.semantics.classify` - the classification with its reasons.
"""
