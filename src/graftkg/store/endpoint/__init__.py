"""The SPARQL endpoint's parts: the HTTP application, its worker processes and their sandbox.

``graftkg.store.serve`` is the public face (``Server``, ``Settings``); this package holds what it is made of:

* :mod:`~graftkg.store.endpoint.app` - the SPARQL 1.1 Protocol over HTTP (Starlette on uvicorn);
* :mod:`~graftkg.store.endpoint.pool` - worker processes: handed out, timed out, killed, replaced;
* :mod:`~graftkg.store.endpoint.worker` - one process, one store handle (read-only unless it is the writer);
* :mod:`~graftkg.store.endpoint.sandbox` - no sockets, a heap cap, death with the parent;
* :mod:`~graftkg.store.endpoint.guard` - the ``SERVICE`` / ``LOAD`` IRIs of a request, found by parsing it;
* :mod:`~graftkg.store.endpoint.protocol` - the frames on a worker's pipes.
"""
