#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system packages, Python packages, lint, types, tests.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a JDK for the OWL reasoner HermiT and the OWL 2 DL profile check (compiled against
# the OWL API in HermiT.jar), and for Apache Spark (PyPI pyspark, local mode: tests/test_spark.py); Virtuoso Open Source for the tests that push to a second SPARQL server.
MISSING=""
command -v javac >/dev/null 2>&1 || MISSING="$MISSING default-jdk-headless"
command -v virtuoso-t >/dev/null 2>&1 || MISSING="$MISSING virtuoso-opensource-7"
# headless Chromium and its WebDriver, for the browser test of the dashboard and reports (test_browser.py)
command -v chromium >/dev/null 2>&1 || MISSING="$MISSING chromium"
command -v chromedriver >/dev/null 2>&1 || MISSING="$MISSING chromium-driver"
if [ -n "$MISSING" ]; then
  echo "installing:$MISSING"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# A second SPARQL server standing in for a site's own store, for the push tests: an Oxigraph server
# (PyPI oxigraph, installed above) on 127.0.0.1, reading the union of its graphs as most stores do.
if [ -z "${GRAFTKG_TEST_OXIGRAPH:-}" ]; then
  PORT=$(.venv/bin/python -c 'from graftkg.store.serve import free_port; print(free_port())')
  .venv/bin/oxigraph serve --bind "127.0.0.1:$PORT" --union-default-graph >/dev/null 2>&1 &
  OXIGRAPH_PID=$!
  trap 'kill $OXIGRAPH_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    if .venv/bin/python -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  export GRAFTKG_TEST_OXIGRAPH="http://127.0.0.1:$PORT"
  echo "Oxigraph test server at $GRAFTKG_TEST_OXIGRAPH"
fi

# Virtuoso Open Source 7 on 127.0.0.1, its own database in a temporary folder.
if [ -z "${GRAFTKG_TEST_VIRTUOSO:-}" ]; then
  VDIR=$(mktemp -d)
  VHTTP=$(.venv/bin/python -c 'from graftkg.store.serve import free_port; print(free_port())')
  VSQL=$(.venv/bin/python -c 'from graftkg.store.serve import free_port; print(free_port())')
  GRAFTKG_TEST_VIRTUOSO=$(bash scripts/start-virtuoso.sh "$VDIR" "$VHTTP" "$VSQL" | tail -1)
  export GRAFTKG_TEST_VIRTUOSO
  trap 'kill ${OXIGRAPH_PID:-} 2>/dev/null || true; isql-vt "127.0.0.1:$VSQL" dba dba exec="shutdown;" >/dev/null 2>&1 || true' EXIT
  echo "Virtuoso test server at $GRAFTKG_TEST_VIRTUOSO"
fi
export GRAFTKG_REQUIRE_SERVERS=1

echo "== ruff"; .venv/bin/ruff check src tests benchmarks
echo "== mypy"; .venv/bin/mypy
echo "== pytest"
# One test process a core, four at most (GRAFTKG_TEST_WORKERS sets how many; 0 runs the tests in this
# process), each given whole files (--dist loadfile): a file's module fixtures are made once, and the
# push tests, the only ones to use the two servers started above, run in one process, one at a time.
WORKERS=${GRAFTKG_TEST_WORKERS:-$(nproc)}
if [ "$WORKERS" -gt 4 ]; then WORKERS=4; fi
.venv/bin/python -m pytest -n "$WORKERS" --dist loadfile --doctest-modules src tests "$@"
