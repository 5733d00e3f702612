"""Synthetic data for tests and benchmarks.

* :mod:`~graftkg.synthetic.generate` - realistic transplants built from a scenario, with the true outcome;
* :mod:`~graftkg.synthetic.mutate` - one submission error injected per kind the shapes catch.

``graftkg synth`` uses the names ``__all__`` lists, imported from their modules when first used, so
that ``import graftkg.synthetic`` stays cheap.

Example:
    >>> import tempfile
    >>> from graftkg.synthetic import write_bundle
    >>> (write_bundle(tempfile.mkdtemp(), n=3) / "transplants.csv").is_file()
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graftkg._exports import lazy_exports

if TYPE_CHECKING:
    from graftkg.synthetic.generate import write_bundle

#: each exported name: the module it lives in and its name there
_WHERE = {
    "write_bundle": ("graftkg.synthetic.generate", "write_bundle"),
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


__all__ = ["write_bundle"]
