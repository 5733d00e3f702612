#!/usr/bin/env bash
# Start a private Virtuoso Open Source 7 (Debian virtuoso-opensource-7) on 127.0.0.1 for the tests:
# its own database folder, free ports, SPARQL Update and Graph Store writes allowed to the anonymous
# SPARQL user (a test server only; never expose this set-up).
# Usage: bash scripts/start-virtuoso.sh DIR HTTP_PORT SQL_PORT   -> prints the base URL when ready
set -euo pipefail
DIR=$1 HTTP_PORT=$2 SQL_PORT=$3
mkdir -p "$DIR"
sed -e "s#/var/lib/virtuoso-opensource-7/db#$DIR#g" \
    -e "s#^ServerPort *= *1111#ServerPort = 127.0.0.1:$SQL_PORT#" \
    -e "s#^ServerPort *= *8890#ServerPort = 127.0.0.1:$HTTP_PORT#" \
    -e "s#^DirsAllowed.*#DirsAllowed = ., $DIR, /usr/share/virtuoso-opensource-7/vad#" \
    -e "s#^ResultSetMaxRows.*#ResultSetMaxRows = 1000000#" \
    /etc/virtuoso-opensource-7/virtuoso.ini > "$DIR/virtuoso.ini"
(cd "$DIR" && virtuoso-t +configfile "$DIR/virtuoso.ini" +wait >/dev/null 2>&1)
for _ in $(seq 1 120); do
  if isql-vt "127.0.0.1:$SQL_PORT" dba dba exec="select 1;" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
isql-vt "127.0.0.1:$SQL_PORT" dba dba >/dev/null <<SQL
GRANT SPARQL_UPDATE TO "SPARQL";
GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO "SPARQL";
GRANT EXECUTE ON DB.DBA.SPARQL_DELETE_DICT_CONTENT TO "SPARQL";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);
SQL
echo "http://127.0.0.1:$HTTP_PORT"
