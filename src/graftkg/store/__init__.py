"""The store: classified submissions in a triple store, and SPARQL over them.

* :mod:`~graftkg.store.embedded` - the embedded pyoxigraph store;
* :mod:`~graftkg.store.load` - atomic loads of a submission with its provenance;
* :mod:`~graftkg.store.replace` - reloads written as the difference, in one update;
* :mod:`~graftkg.store.query` - the query catalogue, with parameters bound;
* :mod:`~graftkg.store.serve` and :mod:`~graftkg.store.endpoint` - the read-only SPARQL endpoint;
* :mod:`~graftkg.store.push` and :mod:`~graftkg.store.http` - copying graphs to another SPARQL store.

Loading, unloading and querying go through :class:`graftkg.Engine`. The maintainers' tools of the
command line (``graftkg serve``, ``push``, ``unload --endpoint``, ``queries``) use the names ``__all__``
lists, imported from their modules when first used, so that ``import graftkg.store`` stays cheap.

Example:
    >>> import graftkg.store
    >>> graftkg.store.DEFAULT_STORE, "transplants-by-outcome" in graftkg.store.named_queries()
    ('graftkg-store', True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graftkg._exports import lazy_exports

if TYPE_CHECKING:
    from graftkg.store.load import DEFAULT_STORE
    from graftkg.store.push import Remote, unload_remote
    from graftkg.store.push import push as push_store
    from graftkg.store.query import named_queries, named_query
    from graftkg.store.serve import TOKEN_VARIABLE, Server, Settings, read_token

#: each exported name: the module it lives in and its name there (``push`` is also a module's name)
_WHERE = {
    "DEFAULT_STORE": ("graftkg.store.load", "DEFAULT_STORE"),
    "Remote": ("graftkg.store.push", "Remote"),
    "push_store": ("graftkg.store.push", "push"),
    "unload_remote": ("graftkg.store.push", "unload_remote"),
    "named_queries": ("graftkg.store.query", "named_queries"),
    "named_query": ("graftkg.store.query", "named_query"),
    "Server": ("graftkg.store.serve", "Server"),
    "Settings": ("graftkg.store.serve", "Settings"),
    "TOKEN_VARIABLE": ("graftkg.store.serve", "TOKEN_VARIABLE"),
    "read_token": ("graftkg.store.serve", "read_token"),
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "DEFAULT_STORE",
    "TOKEN_VARIABLE",
    "Remote",
    "Server",
    "Settings",
    "named_queries",
    "named_query",
    "push_store",
    "read_token",
    "unload_remote",
]
