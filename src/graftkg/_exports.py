"""Public names imported when first used (PEP 562), for the package and its subpackages.

``import graftkg`` (or ``graftkg.store``) then costs almost nothing, and no subpackage imports
another's modules just to list its names. Never compiled: it only runs at import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, where: Mapping[str, tuple[str, str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose name ``n`` is ``where[n]``: (module, attribute).

    A name, once imported, is kept in the package's namespace, so the next access is a plain lookup.

    Example:
        >>> import graftkg.synthetic
        >>> getattr_, dir_ = lazy_exports("graftkg.synthetic", {"gen": ("graftkg.synthetic.generate", "write_bundle")})
        >>> getattr_("gen").__name__, "gen" in dir_()
        ('write_bundle', True)
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = where[name]
        value = getattr(import_module(module), attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *where])

    return __getattr__, __dir__
