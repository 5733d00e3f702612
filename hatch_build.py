"""Build hook: compile the modules on the validation path with mypyc, for wheels.

The modules are ordinary type-checked Python; mypyc turns each into a C extension that runs the same
code faster: a whole 100,000-record validation about 1.6-1.8x (measured in
``docs/performance.md``, "Validating"). It needs a C compiler and the Python headers.

A dataclass compiles, but the ``__init__`` that ``@dataclass`` generates stays interpreted: classes
built once per record or observation write theirs out (see :mod:`graftkg.model`). A class cannot
subclass a non-native one such as rdflib's ``Namespace``: those stay in modules not listed here.

Compiling is opt-in. ``GRAFTKG_BUILD`` chooses: ``pure`` (the default) builds pure Python, in
seconds, and needs nothing beyond hatchling; ``compiled`` compiles, and fails the build (never falls
back) when it cannot. Only a compiled build asks the installer for mypy, setuptools and the typed
libraries mypyc compiles against (:meth:`CompileHook.dependencies`). An editable install (``pip
install -e .``) is always pure Python, so that an edited module takes effect without a rebuild.
``scripts/test-compiled.sh`` runs the tests on a compiled wheel.

Compiled code checks declared types at run time, and reads a generator expression passed to a
function whole, at once (mypyc warns "Treating generator comprehension as list"): where laziness
matters, as in the readers, write a generator function.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: the modules compiled, relative to src/: the reading, deriving, classifying and checking of records
COMPILED = [
    "graftkg/model.py",
    "graftkg/readers/csv_bundle.py",
    "graftkg/readers/splitter.py",
    "graftkg/readers/limits.py",
    "graftkg/readers/refusals.py",
    "graftkg/semantics/derive.py",
    "graftkg/semantics/owlexpr.py",
    "graftkg/semantics/reason.py",
    "graftkg/semantics/facts.py",
    "graftkg/semantics/classify.py",
    "graftkg/validation/shacl.py",
    "graftkg/validation/labcounts.py",
    "graftkg/validation/validate.py",
    "graftkg/rdf.py",
    "graftkg/semantics/vocabulary.py",
    "graftkg/semantics/definitions.py",
]

_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify

paths, target = sys.argv.pop(1).split(","), sys.argv.pop(1)
setup(name="graftkg-compiled", ext_modules=mypycify(paths, opt_level="3", target_dir=target))
"""


#: what a compiled build needs besides hatchling (the compiled modules import rdflib and pyoxigraph; mypy
#: follows the API's typing imports into the SQL backend, whose types are sqlglot's)
COMPILE_REQUIRES = ["mypy>=1.10", "setuptools>=65", "rdflib>=7.0", "pyoxigraph>=0.5", "sqlglot>=30,<31"]


def build_mode() -> str:
    """``GRAFTKG_BUILD``: ``pure`` (the default) or ``compiled``."""
    mode = os.environ.get("GRAFTKG_BUILD", "pure")
    if mode not in ("compiled", "pure"):
        raise ValueError(f"GRAFTKG_BUILD={mode!r}: expected pure (the default) or compiled")
    return mode


class CompileHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"
    _out: Path | None = None

    def dependencies(self) -> list[str]:
        """What the installer must provide before this build: the compiler's packages, when compiling."""
        return list(COMPILE_REQUIRES) if build_mode() == "compiled" else []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        mode = build_mode()
        if self.target_name != "wheel" or version == "editable" or mode == "pure":
            return
        src = Path(self.root) / "src"
        out = self._out = Path(tempfile.mkdtemp(prefix="graftkg-mypyc-"))
        setup = out / "setup.py"
        setup.write_text(_SETUP)
        # mypy's settings (strict, the untyped imports it may ignore) are the project's, in pyproject.toml
        paths = [f"--config-file={Path(self.root) / 'pyproject.toml'}", *COMPILED]
        command = [sys.executable, str(setup), ",".join(paths), str(out / "c"), "build_ext"]
        command += ["--build-lib", str(out / "lib"), "--build-temp", str(out / "tmp")]
        done = subprocess.run(command, cwd=src, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(
                f"GRAFTKG_BUILD=compiled: mypyc could not compile graftkg (unset GRAFTKG_BUILD for the pure-"
                f"Python build):\n{done.stdout}{done.stderr}"
            )
        for built in (out / "lib").rglob("*.so"):
            build_data["force_include"][str(built)] = str(built.relative_to(out / "lib"))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._out is not None:  # the wheel is written: the compiler's files can go
            shutil.rmtree(self._out, ignore_errors=True)
