#!/usr/bin/env bash
# Drives the pgasio command-line tool as a user would, against the primary that the ctest fixture
# started: what it prints and its exit codes.
#   cli_test.sh <path to the pgasio program>
# Needs PGASIO_PG_DIR (the fixture's environment); prints each check and fails on the first
# that does not hold.
set -uo pipefail
pgasio=$1
. "$PGASIO_PG_DIR/env"
url=$PGASIO_TEST_PRIMARY_URL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# Whether file $2 matches the extended regular expression $1, across lines (empty: anything).
# A `\n` in the expression stands for a newline.
matches() { [ -z "$1" ] || grep -Ezq -- "${1//\\n/$'\n'}" "$2"; }

# check NAME EXPECTED-STATUS REGEX-ON-STDOUT REGEX-ON-STDERR -- command...
check() {
  local name=$1 status=$2 out_re=$3 err_re=$4
  shift 5
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$status" ] || ! matches "$out_re" "$work/out" || ! matches "$err_re" "$work/err"; then
    echo "FAIL: $name (exit $got, expected $status)"
    echo "--- stdout:"; cat "$work/out"; echo "--- stderr:"; cat "$work/err"
    failures=$((failures + 1))
  else
    echo "ok: $name"
  fi
}

check "--help lists the commands" 0 'query.*copy-in.*copy-out.*trace.*health' '' -- "$pgasio" --help
check "no command is a usage error" 2 '' 'usage: pgasio' -- "$pgasio"
check "an unknown command is a usage error" 2 '' "unknown command 'nope'" -- "$pgasio" nope
check "query --help" 0 'usage: pgasio query.*--csv.*--json' '' -- "$pgasio" query --help
check "a missing argument is a usage error" 2 '' 'sql.*usage: pgasio query' -- "$pgasio" query "$url"

check "query prints an aligned table" 0 \
  '^ n \| name\n---\+-------\n 1 \| one\n 2 \| two\n 3 \| three\n\(3 rows\)\n$' '' -- \
  "$pgasio" query "$url" "SELECT n, (ARRAY['one','two','three'])[n] AS name FROM generate_series(1, 3) n"
check "parameters take the statement's types" 0 ' 42 \n\(1 row\)' '' -- \
  "$pgasio" query "$url" 'SELECT n + 40 AS answer FROM generate_series(1, 3) n WHERE n = $1' 2
check "--csv quotes what needs it" 0 '^n,s\n1,"a,b"\n2,\n$' '' -- \
  "$pgasio" query --csv "$url" "SELECT n, CASE n WHEN 1 THEN 'a,b' END AS s FROM generate_series(1, 2) n"
check "--json types numbers, booleans, NULL and json" 0 \
  '^\[\{"n":1,"ok":true,"s":null,"j":\{"a":\[1,2\]\}\}\]\n$' '' -- \
  "$pgasio" query --json "$url" "SELECT 1 AS n, true AS ok, NULL::text AS s, '{\"a\":[1,2]}'::jsonb AS j"
check "--json writes numbers as the server does: every digit and the scale kept" 0 \
  '^\[\{"n":12345678901234567890\.123456789,"x":1\.50,"f":-1\.5e-07,"nan":"NaN"\}\]\n$' '' -- \
  "$pgasio" query --json "$url" "SELECT 12345678901234567890.123456789::numeric AS n, 1.50::numeric AS x, -1.5e-7::float8 AS f, 'NaN'::numeric AS nan"
check "a command without rows prints its tag" 0 'DROP TABLE' '' -- \
  "$pgasio" query "$url" "DROP TABLE IF EXISTS cli_items"

check "an error shows SQLSTATE, message and the position, and exits 1" 1 '' \
  'ERROR:  42601 syntax error at or near "nowhere"\nLINE 2: FORM nowhere\n             \^\n' -- \
  "$pgasio" query "$url" "SELECT 1
FORM nowhere"
check "an error shows DETAIL and HINT" 1 '' \
  'ERROR:  P0001 custom\nDETAIL:  the detail\nHINT:  the hint' -- \
  "$pgasio" query "$url" "DO \$\$ BEGIN RAISE EXCEPTION 'custom' USING DETAIL = 'the detail', HINT = 'the hint'; END \$\$"
check "a bad parameter is named" 1 '' "parameter \\\$1: 'x' is not a valid int4" -- \
  "$pgasio" query "$url" 'SELECT $1::int4' x
check "a bad connection string is refused" 1 '' 'pgasio query: ' -- \
  "$pgasio" query "postgresql://[nope" "SELECT 1"

"$pgasio" query "$url" "CREATE TABLE cli_items (id int8, name text)" >/dev/null
seq 1 5000 | awk '{ printf "%d,item %d\n", $1, $1 }' >"$work/items.csv"
check "copy-in reports rows and bytes (plain lines off a terminal)" 0 '' \
  'copy-in: 5000 rows, [0-9.]+ KiB, .*/s, 0:0[0-9] elapsed\n$' -- \
  "$pgasio" copy-in "$url" cli_items "$work/items.csv"
check "the rows are there" 0 '^count\n5000\n$' '' -- \
  "$pgasio" query --csv "$url" "SELECT count(*) FROM cli_items"
check "copy-out writes the file" 0 '' 'copy-out: 5000 rows' -- \
  "$pgasio" copy-out "$url" "cli_items" "$work/out.csv"
check "copy-out's file is copy-in's" 0 '' '' -- cmp "$work/items.csv" "$work/out.csv"
check "copy-out to stdout, text format" 0 '^1\titem 1\n2\titem 2\n' '' -- \
  "$pgasio" copy-out --format text "$url" "(SELECT * FROM cli_items ORDER BY id LIMIT 2)"
check "a bad line fails the whole copy-in" 1 '' 'ERROR:  22P02 invalid input syntax for type bigint: "x"' -- \
  "$pgasio" copy-in "$url" cli_items <(printf '6,six\nx,bad\n')

check "trace shows both directions, decoded, secrets masked" 0 \
  'C->S  StartupMessage protocol 3.0.*S->C  Authentication SASL SCRAM-SHA-256.*C->S  SASLInitialResponse mechanism=SCRAM-SHA-256 \(data masked\).*S->C  BackendKeyData pid=[0-9]+ \(key masked\).*C->S  Parse .*query=.SELECT 7 AS n.*S->C  RowDescription \[n int4\].*S->C  DataRow \[.*S->C  ReadyForQuery status=I.*C->S  Terminate' '' -- \
  "$pgasio" trace "$url" "SELECT 7 AS n"
if grep -q "$PGASIO_TEST_SCRAM_PASSWORD" "$work/out"; then
  echo "FAIL: trace printed the password"; failures=$((failures + 1))
fi
check "trace shows the server's error" 1 'S->C  ErrorResponse ERROR 42P01' 'ERROR:  42P01' -- \
  "$pgasio" trace "$url" "SELECT * FROM no_such_table"
# The proxy talks to the server without TLS: a URL that requires it is refused, nothing sent.
check "trace refuses a URL that requires TLS" 1 '' 'without TLS, which sslmode=verify-full forbids' -- \
  "$pgasio" trace "$url?sslmode=verify-full" "SELECT 1"
check "trace refuses a URL that requires channel binding" 1 '' 'without TLS, which channel_binding=require forbids' -- \
  "$pgasio" trace "$url?channel_binding=require" "SELECT 1"

# The health check of the primary and its replica.
check "health names the primary and the standby with its lag, and exits 0" 0 \
  "^healthy latency=[0-9]+[^ ]+\n  primary [^ ]+:$PGASIO_TEST_PRIMARY_PORT latency=[0-9]+[^ ]+ wal=[0-9A-F]+/[0-9A-F]+ pool: .*\n  standby [^ ]+:$PGASIO_TEST_REPLICA_PORT latency=[0-9]+[^ ]+ lag=[0-9]+ bytes, [0-9.]+ s" '' -- \
  "$pgasio" health "$url" "$PGASIO_TEST_REPLICA_URL"
check "health without a reachable primary exits 1" 1 \
  "^unhealthy .*\n  standby [^ ]+:$PGASIO_TEST_REPLICA_PORT" '' -- \
  "$pgasio" health --timeout 2000 "$PGASIO_TEST_REPLICA_URL"

# Settings from PG* variables and the password file, as psql takes them.
check "settings from PG* variables" 0 'pgasio_scram' '' -- \
  env PGHOST="$PGASIO_TEST_HOST" PGPORT="$PGASIO_TEST_PRIMARY_PORT" PGUSER="$PGASIO_TEST_SCRAM_USER" \
  PGPASSWORD="$PGASIO_TEST_SCRAM_PASSWORD" PGDATABASE="$PGASIO_TEST_DATABASE" PGSSLMODE=disable \
  "$pgasio" query "" "SELECT current_user"
printf '%s:%s:*:%s:%s\n' "$PGASIO_TEST_HOST" "$PGASIO_TEST_PRIMARY_PORT" "$PGASIO_TEST_SCRAM_USER" \
  "$PGASIO_TEST_SCRAM_PASSWORD" >"$work/pgpass"
chmod 600 "$work/pgpass"
check "the password from the password file" 0 'pgasio_scram' '' -- \
  env PGPASSFILE="$work/pgpass" "$pgasio" query \
  "host=$PGASIO_TEST_HOST port=$PGASIO_TEST_PRIMARY_PORT user=$PGASIO_TEST_SCRAM_USER dbname=$PGASIO_TEST_DATABASE" \
  "SELECT current_user"
check "trace looks the password file up for the real host" 0 'ReadyForQuery' '' -- \
  env PGPASSFILE="$work/pgpass" "$pgasio" trace \
  "host=$PGASIO_TEST_HOST port=$PGASIO_TEST_PRIMARY_PORT user=$PGASIO_TEST_SCRAM_USER dbname=$PGASIO_TEST_DATABASE" \
  "SELECT 1"

"$pgasio" query "$url" "DROP TABLE cli_items" >/dev/null
[ "$failures" = 0 ] || { echo "$failures checks failed"; exit 1; }
echo "all checks passed"
