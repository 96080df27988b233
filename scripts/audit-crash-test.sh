#!/usr/bin/env bash
# The audit across a server crash: a workload spread over several captures
# (a long transaction open across two of them, an aborted one), a capture
# blocked on the bookmark's lock when the server is killed (pg_ctl stop -m
# immediate) and restarted, captures after it. The audit log must then hold
# exactly the committed changes, each once, and a last capture return 0.
# Runs its own throwaway cluster; prints "audit crash test: N passed, M
# failed". Called by scripts/test.sh (the extension must be installed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PORT=${XLOGMINER_AUDIT_PORT:-54361}
DIR=$(mktemp -d /var/tmp/xlogminer-audit.XXXXXX)
chmod 755 "$DIR"
# The background sessions are found by the directory in their command line.
trap 'pkill -f "$DIR/" || true; cluster_stop "$DIR"; rm -rf "$DIR"' EXIT
cluster_start "$DIR" "$PORT" "wal_keep_size = 1GB" "max_wal_size = 1GB"

passed=0
failed=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $1: expected [$2], got [$3]"
  fi
}
sql() { as_postgres "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres -c "$1"; }
# A session left running in the background, fed from a fifo.
session() { # session NAME: starts psql reading $DIR/NAME.in
  as_postgres mkfifo "$DIR/$1.in"
  as_postgres bash -c "exec 3<>'$DIR/$1.in'; exec '$PG_BIN/psql' -X -q -At -h '$DIR' -p $PORT -U postgres -d postgres <&3 >'$DIR/$1.out' 2>&1" \
    >/dev/null 2>&1 &
}
say() { echo "$2" >"$DIR/$1.in"; }

sql "CREATE EXTENSION xlogminer"
sql "CREATE TABLE audited (id int PRIMARY KEY, v text)"
sql "SELECT xlogminer_audit_enable()" >/dev/null
start=$(sql "SELECT captured_to FROM xlogminer.audit_state")

sql "INSERT INTO audited VALUES (1, 'one'), (2, 'two')"
session long
say long "BEGIN; INSERT INTO audited VALUES (100, 'long, early');"
sql "BEGIN; INSERT INTO audited VALUES (3, 'aborted'); ROLLBACK;"
check "first capture" 2 "$(sql "SELECT xlogminer_audit_capture()")"
say long "UPDATE audited SET v = 'long, late' WHERE id = 100;"
sql "UPDATE audited SET v = 'uno' WHERE id = 1"
check "second capture" 1 "$(sql "SELECT xlogminer_audit_capture()")"
say long "COMMIT;"
sleep 1

# A capture blocked behind a session holding the bookmark's lock, and a
# change committed meanwhile; then the server is killed.
sql "DELETE FROM audited WHERE id = 2"
session holder
say holder "BEGIN; SELECT 1 FROM xlogminer.audit_state FOR UPDATE;"
sleep 1
session blocked
say blocked "SELECT xlogminer_audit_capture();"
for _ in $(seq 1 50); do
  waiting=$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%xlogminer_audit_capture%'")
  [ "$waiting" = 1 ] && break
  sleep 0.2
done
check "capture blocked on the bookmark" 1 "$waiting"
as_postgres "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null
# The sessions lost their server (they would wait on their fifos forever);
# nothing may write to those now.
pkill -f "$DIR/" || true
wait 2>/dev/null || true
cluster_start "$DIR" "$PORT"

sql "INSERT INTO audited VALUES (4, 'after the crash')"
check "capture after the crash" 4 "$(sql "SELECT xlogminer_audit_capture()")"
check "last capture" 0 "$(sql "SELECT xlogminer_audit_capture()")"

# Exactly the committed changes, once each: the same as mining it all.
check "no duplicates" 0 "$(sql "SELECT count(*) FROM (SELECT lsn, item, op FROM xlogminer.audit_log GROUP BY 1, 2, 3 HAVING count(*) > 1) d")"
check "same as one mining" 0 "$(sql "
  SELECT count(*) FROM (
    (SELECT lsn, item, op, redo_sql FROM xlogminer.audit_log WHERE relation = 'audited'
     EXCEPT SELECT lsn, item, op, redo_sql FROM xlogminer_contents('$start') WHERE relation = 'audited')
    UNION ALL
    (SELECT lsn, item, op, redo_sql FROM xlogminer_contents('$start') WHERE relation = 'audited'
     EXCEPT SELECT lsn, item, op, redo_sql FROM xlogminer.audit_log WHERE relation = 'audited')) d")"
check "rows captured" 7 "$(sql "SELECT count(*) FROM xlogminer.audit_log WHERE relation = 'audited' AND op <> 'DDL'")"
check "aborted not captured" 0 "$(sql "SELECT count(*) FROM xlogminer.audit_log WHERE redo_sql LIKE '%aborted%'")"
check "long transaction once" 2 "$(sql "SELECT count(*) FROM xlogminer.audit_log WHERE redo_sql LIKE '%long, %'")"

echo "audit crash test: $passed passed, $failed failed"
[ "$failed" = 0 ]
