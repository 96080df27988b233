#!/usr/bin/env bash
# Tests that need clusters of their own, beyond the pg_regress suite's one:
#   - a streaming standby (pg_basebackup -R): mining ends at the replay LSN;
#   - a promotion: the new timeline's WAL, read from the server's pg_wal and
#     from one directory holding both timelines (and an old timeline's
#     .partial segment), follows the history file, never the old primary's
#     WAL past the fork;
#   - a segment removed by a checkpoint while a scan reads it;
#   - 64 MB segments (initdb --wal-segsize=64);
#   - reinstalling the extension while a backend has it loaded.
# Run by scripts/test.sh after the regression suite (the extension must be
# installed). Usage: cluster-tests.sh DIR BASE_PORT (uses ports BASE..BASE+3).
# Prints "ok - ..." or "FAILED - ..." per check and ends with one line
# "cluster-tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

BASE=${1:?usage: cluster-tests.sh DIR BASE_PORT}
PORT0=${2:?usage: cluster-tests.sh DIR BASE_PORT}
PRIMARY=$BASE/primary P1=$PORT0
STANDBY=$BASE/standby P2=$((PORT0 + 1))
CHECKPT=$BASE/checkpoint P3=$((PORT0 + 2))
BIG=$BASE/seg64 P4=$((PORT0 + 3))

passed=0
failed=0
cleanup() {
  for d in "$PRIMARY" "$STANDBY" "$CHECKPT" "$BIG"; do cluster_stop "$d"; done
}
trap cleanup EXIT
install -d -m 755 "$BASE"

# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then
    echo "ok - $1"
    passed=$((passed + 1))
  else
    echo "FAILED - $1: expected [$2], got [$3]"
    failed=$((failed + 1))
  fi
}

# q DIR PORT SQL: one value (or rows, unaligned); psql's errors on stderr.
q() {
  "$PG_BIN/psql" -X -q -At -h "$1" -p "$2" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$3"
}

# The error message a statement fails with ("no error" when it does not).
q_error() {
  local out
  if out=$("$PG_BIN/psql" -X -q -At -h "$1" -p "$2" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -v VERBOSITY=terse -c "$3" 2>&1 >/dev/null); then
    echo "no error"
  else
    echo "$out" | sed -n 's/^.*ERROR:  //p' | head -1
  fi
}

# Waits until the standby has replayed the primary's flushed WAL.
wait_replay() {
  local target i
  target=$(q "$PRIMARY" "$P1" "SELECT pg_current_wal_flush_lsn()")
  for i in $(seq 1 300); do
    [ "$(q "$STANDBY" "$P2" "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ] && return 0
    sleep 0.1
  done
  echo "standby did not replay up to $target" >&2
  return 1
}

# records_vs_walinspect DIR PORT START END [WAL_DIR]: rows in one and not
# the other, both ways.
records_vs_walinspect() {
  local dir_arg=""
  [ -n "${5:-}" ] && dir_arg=", wal_dir => '$5'"
  q "$1" "$2" "SELECT count(*) FROM (
      (SELECT * FROM xlogminer_records('$3', '$4'$dir_arg) EXCEPT SELECT * FROM pg_get_wal_records_info('$3', '$4'))
      UNION ALL
      (SELECT * FROM pg_get_wal_records_info('$3', '$4') EXCEPT SELECT * FROM xlogminer_records('$3', '$4'$dir_arg))
    ) d WHERE resource_manager <> 'Transaction'"
}

echo "== standby: mining ends at the replay LSN"
cluster_start "$PRIMARY" "$P1" "wal_keep_size = 1GB" "wal_compression = pglz"
q "$PRIMARY" "$P1" "CREATE EXTENSION xlogminer; CREATE EXTENSION pg_walinspect;
  CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (0, 'before the standby')" >/dev/null
install -d -o postgres -g postgres -m 700 "$STANDBY"
as_postgres "$PG_BIN/pg_basebackup" -h "$PRIMARY" -p "$P1" -U postgres -D "$STANDBY/data" -R -X stream -c fast \
  >"$STANDBY/basebackup.log" 2>&1 || cat "$STANDBY/basebackup.log"
printf "port = %s\nunix_socket_directories = '%s'\n" "$P2" "$STANDBY" >>"$STANDBY/data/postgresql.conf"
as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY/data" -l "$STANDBY/server.log" -w -t 60 start >/dev/null \
  || cat "$STANDBY/server.log"
S0=$(q "$PRIMARY" "$P1" "SELECT pg_current_wal_insert_lsn()")
q "$PRIMARY" "$P1" "INSERT INTO t SELECT g, 'on the primary ' || g FROM generate_series(1, 500) g;
  UPDATE t SET v = v || ' (updated)' WHERE id % 5 = 0; DELETE FROM t WHERE id % 7 = 0" >/dev/null
wait_replay
check "standby is in recovery" t "$(q "$STANDBY" "$P2" "SELECT pg_is_in_recovery()")"
S1=$(q "$STANDBY" "$P2" "SELECT pg_last_wal_replay_lsn()")
check "standby: records equal pg_walinspect's up to the replay LSN" 0 "$(records_vs_walinspect "$STANDBY" "$P2" "$S0" "$S1")"
check "standby: contents equal the primary's over the same range" \
  "$(q "$PRIMARY" "$P1" "SELECT md5(string_agg(redo_sql || undo_sql, ';' ORDER BY lsn, item)) FROM xlogminer_contents('$S0', '$S1')")" \
  "$(q "$STANDBY" "$P2" "SELECT md5(string_agg(redo_sql || undo_sql, ';' ORDER BY lsn, item)) FROM xlogminer_contents('$S0', '$S1')")"
check "standby: 500 inserts, 101 updates, 72 deletes mined" "INSERT 500|UPDATE 101|DELETE 72" \
  "$(q "$STANDBY" "$P2" "SELECT string_agg(op || ' ' || n, '|' ORDER BY array_position(ARRAY['INSERT', 'UPDATE', 'DELETE'], op)) FROM (SELECT op, count(*) n FROM xlogminer_contents('$S0') WHERE relation = 't' GROUP BY op) s")"
# Replay paused: WAL received but not replayed is not read.
q "$STANDBY" "$P2" "SELECT pg_wal_replay_pause()" >/dev/null
for _ in $(seq 1 100); do
  [ "$(q "$STANDBY" "$P2" "SELECT pg_get_wal_replay_pause_state()")" = paused ] && break
  sleep 0.1
done
q "$PRIMARY" "$P1" "INSERT INTO t SELECT g, 'not replayed' FROM generate_series(1000, 1100) g" >/dev/null
RECV=$(q "$PRIMARY" "$P1" "SELECT pg_current_wal_flush_lsn()")
for _ in $(seq 1 100); do
  [ "$(q "$STANDBY" "$P2" "SELECT pg_last_wal_receive_lsn() >= '$RECV'")" = t ] && break
  sleep 0.1
done
check "standby: received WAL beyond the replay LSN" t \
  "$(q "$STANDBY" "$P2" "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")"
check "standby: records end at the replay LSN, not the receive LSN" t \
  "$(q "$STANDBY" "$P2" "SELECT max(end_lsn) <= pg_last_wal_replay_lsn() FROM xlogminer_records('$S0')")"
check "standby: no row of the WAL not replayed" 0 \
  "$(q "$STANDBY" "$P2" "SELECT count(*) FROM xlogminer_contents('$S0') WHERE redo_sql LIKE '%not replayed%'")"
check "standby: a start past the replay LSN is refused" "start LSN $RECV is in the future" \
  "$(q_error "$STANDBY" "$P2" "SELECT * FROM xlogminer_records('$RECV')")"
q "$STANDBY" "$P2" "SELECT pg_wal_replay_resume()" >/dev/null
wait_replay

echo "== promotion: timelines and their history"
FORK0=$(q "$PRIMARY" "$P1" "SELECT pg_current_wal_insert_lsn()")
# The fork falls inside a segment: the old primary's next records go into
# the same segment the new timeline's first one copies up to the fork.
q "$PRIMARY" "$P1" "INSERT INTO t VALUES (2000, 'before the fork')" >/dev/null
wait_replay
as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY/data" -w -t 60 promote >/dev/null
for _ in $(seq 1 100); do
  [ "$(q "$STANDBY" "$P2" "SELECT pg_is_in_recovery()")" = f ] && break
  sleep 0.1
done
check "promoted to timeline 2" 00000002 "$(q "$STANDBY" "$P2" "SELECT left(pg_walfile_name(pg_current_wal_lsn()), 8)")"
SWITCH=$(q "$STANDBY" "$P2" "SELECT split_part(pg_read_file('pg_wal/00000002.history'), E'\t', 2)")
echo "   timeline 2 forks off at $SWITCH"
# The new primary writes on timeline 2; the old one goes on on timeline 1,
# into segments timeline 2 never reaches.
q "$STANDBY" "$P2" "INSERT INTO t VALUES (3000, 'new timeline'); SELECT pg_switch_wal();
  INSERT INTO t VALUES (3001, 'new timeline'); CHECKPOINT" >/dev/null
OLD_LATE=""
for i in 1 2 3 4; do
  q "$PRIMARY" "$P1" "INSERT INTO t VALUES (4000 + $i, 'old primary after the fork'); SELECT pg_switch_wal()" >/dev/null
  [ $i = 3 ] && OLD_LATE=$(q "$PRIMARY" "$P1" "SELECT pg_current_wal_insert_lsn()")
done
q "$PRIMARY" "$P1" "INSERT INTO t VALUES (4100, 'old primary after the fork'); CHECKPOINT" >/dev/null
FORK1=$(q "$STANDBY" "$P2" "SELECT pg_current_wal_flush_lsn()")
check "new primary: records across the fork equal pg_walinspect's" 0 \
  "$(records_vs_walinspect "$STANDBY" "$P2" "$FORK0" "$FORK1")"
# One directory with both timelines: the old primary's timeline 1 segments
# (past the fork too), the new primary's timeline 2 segments and history.
ARCH=$STANDBY/data/xlogminer_archive
install -d -o postgres -g postgres "$ARCH"
cp "$PRIMARY"/data/pg_wal/00000001* "$ARCH"/
cp "$STANDBY"/data/pg_wal/00000002* "$ARCH"/
chown -R postgres:postgres "$ARCH"
check "both timelines in one directory: records equal pg_walinspect's" 0 \
  "$(records_vs_walinspect "$STANDBY" "$P2" "$FORK0" "$FORK1" "$ARCH")"
check "both timelines: the new timeline's rows, none of the old primary's" "before the fork|new timeline|new timeline" \
  "$(q "$STANDBY" "$P2" "SET client_min_messages = error; SELECT string_agg(substring(redo_sql from '''([a-z ]+)'''), '|' ORDER BY lsn)
      FROM xlogminer_contents('$FORK0', wal_dir => '$ARCH') WHERE relation = 't'")"
check "both timelines: nothing read where only the old primary wrote" 0 \
  "$(q "$STANDBY" "$P2" "SET client_min_messages = error; SELECT count(*) FROM xlogminer_records('$OLD_LATE', wal_dir => '$ARCH')")"
# An archive of the promotion before timeline 2 completed a segment: the
# old timeline's last segment as .partial and the history file.
PART=$STANDBY/data/xlogminer_partial
install -d -o postgres -g postgres "$PART"
SWITCH_SEG=$(q "$STANDBY" "$P2" "SELECT pg_walfile_name('$SWITCH'::pg_lsn - 1)" | sed 's/^00000002/00000001/')
for f in "$PRIMARY"/data/pg_wal/00000001*; do
  [[ "$(basename "$f")" < "$SWITCH_SEG" ]] && cp "$f" "$PART"/
done
cp "$PRIMARY/data/pg_wal/$SWITCH_SEG" "$PART/$SWITCH_SEG.partial"
cp "$STANDBY/data/pg_wal/00000002.history" "$PART"/
chown -R postgres:postgres "$PART"
check "old timeline's .partial: read up to the switch point" t \
  "$(q "$STANDBY" "$P2" "SET client_min_messages = error; SELECT max(end_lsn) <= '$SWITCH' AND max(end_lsn) > '$FORK0' FROM xlogminer_records('$FORK0', wal_dir => '$PART')")"
check "old timeline's .partial: the rows before the fork, none after" "before the fork" \
  "$(q "$STANDBY" "$P2" "SET client_min_messages = error; SELECT string_agg(substring(redo_sql from '''([a-z ]+)'''), '|' ORDER BY lsn)
      FROM xlogminer_contents('$FORK0', wal_dir => '$PART') WHERE relation = 't'")"
cluster_stop "$STANDBY"
cluster_stop "$PRIMARY"

echo "== a segment removed by a checkpoint while it is read"
cluster_start "$CHECKPT" "$P3" "wal_keep_size = 0" "min_wal_size = 32MB" "max_wal_size = 64MB"
q "$CHECKPT" "$P3" "CREATE EXTENSION xlogminer; CREATE EXTENSION dblink; CREATE TABLE r (v text)" >/dev/null
R0=$(q "$CHECKPT" "$P3" "SELECT pg_current_wal_insert_lsn()")
for _ in 1 2 3; do
  q "$CHECKPT" "$P3" "INSERT INTO r SELECT repeat('r', 100) FROM generate_series(1, 20000); SELECT pg_switch_wal()" >/dev/null
done
FIRST=$(q "$CHECKPT" "$P3" "SELECT pg_walfile_name('$R0')")
SECOND=$(q "$CHECKPT" "$P3" "SELECT pg_walfile_name('$R0'::pg_lsn + 16 * 1024 * 1024)")
# The scan streams (select list, cursor): one row read, then other sessions
# move WAL on and checkpoint, which removes or recycles the segments.
OUT=$("$PG_BIN/psql" -X -q -At -h "$CHECKPT" -p "$P3" -U postgres -d postgres -v VERBOSITY=terse 2>&1 <<SQL
BEGIN;
DECLARE c CURSOR FOR SELECT (x).start_lsn FROM (SELECT xlogminer_records('$R0') AS x) s;
FETCH 1 FROM c;
SELECT dblink_exec('host=$CHECKPT port=$P3 dbname=postgres user=postgres',
  'INSERT INTO r VALUES (''x''); SELECT pg_switch_wal(); INSERT INTO r VALUES (''y''); SELECT pg_switch_wal(); CHECKPOINT');
SELECT dblink_exec('host=$CHECKPT port=$P3 dbname=postgres user=postgres', 'CHECKPOINT');
FETCH ALL FROM c;
SQL
)
check "the second segment is gone" f \
  "$(q "$CHECKPT" "$P3" "SELECT count(*) > 0 FROM pg_ls_waldir() WHERE name = '$SECOND'")"
# The next segment was removed; or the open one was recycled (renamed and
# rewritten as a future segment) under the scan first.
ERR=$(echo "$OUT" | sed -n 's/^.*ERROR:  //p' | head -1)
echo "   the scan's error: $ERR"
[ "$ERR" = "WAL segment $FIRST was removed while it was being read" ] \
  && ERR="WAL segment $SECOND was removed while it was being read"
check "scan stops with an error naming the removed segment" \
  "WAL segment $SECOND was removed while it was being read" "$ERR"
cluster_stop "$CHECKPT"

echo "== 64 MB segments (initdb --wal-segsize=64)"
INITDB_OPTS="--wal-segsize=64" cluster_start "$BIG" "$P4" "wal_keep_size = 1GB"
check "segment size" 64MB "$(q "$BIG" "$P4" "SHOW wal_segment_size")"
q "$BIG" "$P4" "CREATE EXTENSION xlogminer; CREATE EXTENSION pg_walinspect; CREATE TABLE b (id int PRIMARY KEY, v text)" >/dev/null
B0=$(q "$BIG" "$P4" "SELECT pg_current_wal_insert_lsn()")
q "$BIG" "$P4" "INSERT INTO b SELECT g, repeat('b', 200) FROM generate_series(1, 200000) g;
  UPDATE b SET v = 'c' WHERE id % 1000 = 0; SELECT pg_switch_wal(); DELETE FROM b WHERE id <= 10" >/dev/null
B1=$(q "$BIG" "$P4" "SELECT pg_current_wal_flush_lsn()")
check "64 MB: the range crosses segments" t \
  "$(q "$BIG" "$P4" "SELECT pg_walfile_name('$B0') < pg_walfile_name('$B1')")"
check "64 MB: records equal pg_walinspect's" 0 "$(records_vs_walinspect "$BIG" "$P4" "$B0" "$B1")"
check "64 MB: stats equal pg_walinspect's" 0 \
  "$(q "$BIG" "$P4" "SELECT count(*) FROM ((SELECT * FROM xlogminer_stats('$B0', '$B1', true) EXCEPT SELECT * FROM pg_get_wal_stats('$B0', '$B1', true))
      UNION ALL (SELECT * FROM pg_get_wal_stats('$B0', '$B1', true) EXCEPT SELECT * FROM xlogminer_stats('$B0', '$B1', true))) d")"
check "64 MB: every change mined" "INSERT 200000|UPDATE 200|DELETE 10" \
  "$(q "$BIG" "$P4" "SELECT string_agg(op || ' ' || n, '|' ORDER BY array_position(ARRAY['INSERT', 'UPDATE', 'DELETE'], op)) FROM (SELECT op, count(*) n FROM xlogminer_contents('$B0', '$B1') WHERE relation = 'b' GROUP BY op) s")"
# Progress reports while it runs.
check "progress reported" t "$("$PG_BIN/psql" -X -q -At -h "$BIG" -p "$P4" -U postgres -d postgres \
  -c "SET xlogminer.progress = on; SET xlogminer.progress_interval = '100ms'" \
  -c "SELECT count(*) FROM xlogminer_contents('$B0', '$B1')" 2>&1 | grep -c 'NOTICE:  xlogminer: .* rows so far' | awk '{print ($1 > 0) ? "t" : "f"}')"
# A copy read with wal_dir: the segment size comes from the files.
COPY=$BIG/data/xlogminer_copy
install -d -o postgres -g postgres "$COPY"
cp "$BIG"/data/pg_wal/0000000* "$COPY"/
chown -R postgres:postgres "$COPY"
check "64 MB: a copy read with wal_dir gives the same records" 0 "$(records_vs_walinspect "$BIG" "$P4" "$B0" "$B1" "$COPY")"
# The server's own WAL starting at its first segment is all there ever
# was; a directory's may be the tail of a longer history.
check "no warning for a start time before the cluster's first WAL" 0 "$("$PG_BIN/psql" -X -q -At -h "$BIG" -p "$P4" -U postgres -d postgres \
  -c "SELECT count(*) FROM xlogminer_contents(start_time => '2000-01-01', relations => '{b}')" 2>&1 \
  | grep -c 'WARNING:  the WAL available starts after')"
check "a start time before a directory's WAL is warned about" 1 "$("$PG_BIN/psql" -X -q -At -h "$BIG" -p "$P4" -U postgres -d postgres \
  -c "SELECT count(*) FROM xlogminer_contents(start_time => '2000-01-01', relations => '{b}', wal_dir => '$COPY')" 2>&1 \
  | grep -c 'WARNING:  the WAL available starts after')"

echo "== reinstalling while a backend has the library loaded"
# scripts/demo.sh run again on a live server: the files are renamed into
# place, so a backend that mapped the old library keeps it (rewriting it in
# place kills such a backend with SIGBUS, and the server restarts).
LIB=$("$PG_CONFIG" --pkglibdir)/xlogminer.so
FLAG=$BASE/reinstalled
rm -f "$FLAG"
STARTED=$(q "$BIG" "$P4" "SELECT pg_postmaster_start_time()")
INODE0=$(stat -c %i "$LIB")
"$PG_BIN/psql" -X -q -At -h "$BIG" -p "$P4" -U postgres -d postgres \
  -c "SELECT count(*) > 0 FROM xlogminer_stats('$B0', '$B1')" \
  -c "\\! for i in \$(seq 1200); do [ -e '$FLAG' ] && break; sleep 0.5; done" \
  -c "SELECT count(*) > 0 FROM xlogminer_stats('$B0', '$B1')" >"$BASE/reinstall.out" 2>&1 &
HELD=$!
for _ in $(seq 100); do grep -q t "$BASE/reinstall.out" 2>/dev/null && break; sleep 0.2; done
install_extension >"$BASE/install.log" 2>&1 || cat "$BASE/install.log"
touch "$FLAG"
wait "$HELD"
check "the library is replaced by a new file" t "$([ "$(stat -c %i "$LIB")" != "$INODE0" ] && echo t || echo f)"
check "the backend holding the old library goes on" "t|t" "$(paste -sd'|' "$BASE/reinstall.out")"
check "the server did not restart" "$STARTED" "$(q "$BIG" "$P4" "SELECT pg_postmaster_start_time()")"
cluster_stop "$BIG"

echo "cluster-tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
