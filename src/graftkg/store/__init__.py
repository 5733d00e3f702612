"""The store: classified submissions in a triple store, and SPARQL over them.

* :mod:`~graftkg.store.embedded` - the embedded pyoxigraph store;
* :mod:`~graftkg.store.load` - atomic loads of a submission with its provenance;
* :mod:`~graftkg.store.replace` - reloads written as the difference, in one update;
* :mod:`~graftkg.store.query` - the query catalogue, with parameters bound;
* :mod:`~graftkg.store.serve` and :mod:`~graftkg.store.endpoint` - the read-only SPARQL endpoint;
* :mod:`~graftkg.store.push` and :mod:`~graftkg.store.http` - copying graphs to another SPARQL store.
"""
