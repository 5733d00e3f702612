#!/usr/bin/env bash
# The tests again, on a compiled wheel (mypyc; see hatch_build.py) installed in its own environment,
# .venv-compiled. tests/test_compiled.py then also compares its results with the pure-Python source.
# Usage: bash scripts/test-compiled.sh [pytest arguments; default: the tests not marked reasoner or uncompiled]
#   GRAFTKG_COMPILED_STEP=build  only build and install the wheel (scripts/test.sh does this beside
#                                the pure-Python tests, on the second core)
#   GRAFTKG_COMPILED_STEP=test   only run the tests on the wheel installed before
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${GRAFTKG_COMPILED_STEP:-all}

if [ "$STEP" != test ]; then
  PY=${PYTHON:-python3}
  if [ ! -x .venv-compiled/bin/python ]; then
    "$PY" -m venv .venv-compiled
  fi
  .venv-compiled/bin/python -m pip install -q --upgrade pip
  rm -rf build/wheel
  echo "== building the compiled wheel"
  start=$(date +%s)
  GRAFTKG_BUILD=compiled .venv-compiled/bin/python -m pip wheel -q --no-deps -w build/wheel .
  echo "built in $(( $(date +%s) - start )) s: $(ls build/wheel)"
  WHEEL=$(ls build/wheel/graftkg-*.whl)
  .venv-compiled/bin/python -m pip install -q "$WHEEL[test]"
  .venv-compiled/bin/python -m pip install -q --force-reinstall --no-deps "$WHEEL"
  # the tests import the installed package, not src/: make sure it is the compiled one
  .venv-compiled/bin/python - <<'PY'
import sys
import graftkg.validation.validate
sys.exit(None if not graftkg.validation.validate.__file__.endswith(".py") else f"not compiled: {graftkg.validation.validate.__file__}")
PY
fi
if [ "$STEP" = build ]; then exit 0; fi
echo "== pytest (compiled)"
if [ "$#" -eq 0 ]; then set -- -m "not reasoner and not uncompiled"; fi
GRAFTKG_REQUIRE_COMPILED=1 .venv-compiled/bin/python -m pytest tests "$@"
