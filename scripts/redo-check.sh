#!/usr/bin/env bash
# Checks the decoder's heap redo against the server itself, on the major
# scripts/lib.sh selects (PG_MAJOR / PG_CONFIG):
#
#   bash scripts/redo-check.sh DIR PORT
#
# starts a throwaway cluster in DIR with `wal_consistency_checking =
# 'heap,heap2'` (every heap record then carries the server's image of each
# page it changed), runs a workload that writes every heap and heap2
# record a user's work writes (inserts, COPY, HOT and non-HOT updates,
# deletes, row locks, ON CONFLICT, 2PC, partition moves, TOAST, pruning on
# access, VACUUM, FREEZE, catalog changes, pgbench), stops the cluster, and
# replays its WAL with crates/waldecode/examples/redo_check.rs, which
# compares every page the tracker produced with the server's image, masked
# as the server masks. Its last line gives the counts; exit status 1 on
# any differing page or when no page was compared.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DIR=${1:?usage: redo-check.sh DIR PORT}
PORT=${2:?usage: redo-check.sh DIR PORT}
trap 'cluster_stop "$DIR"' EXIT
cluster_start "$DIR" "$PORT" "wal_consistency_checking = 'heap,heap2'" \
  "max_wal_size = 2GB" "wal_keep_size = 2GB" "autovacuum = off"

psql() { "$PG_BIN/psql" -X -q -h "$DIR" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

psql -d postgres >/dev/null <<'SQL'
CHECKPOINT;
CREATE TABLE t (id int PRIMARY KEY, v text, n int);
INSERT INTO t SELECT g, md5(g::text), 0 FROM generate_series(1, 5000) g;
CREATE TABLE c (a int, b text);
COPY c (a) FROM PROGRAM 'seq 1 3000';
UPDATE t SET n = n + 1 WHERE id % 3 = 0;
UPDATE t SET id = id + 100000 WHERE id % 7 = 0;
DELETE FROM t WHERE id % 5 = 0;
SELECT count(*) FROM t;
UPDATE t SET n = n + 1 WHERE id % 2 = 0;
SELECT count(*) FROM t WHERE n > 0;
UPDATE t SET v = (SELECT string_agg(md5(g::text || 'x'), '') FROM generate_series(1, 200) g) WHERE id % 101 = 0;
VACUUM t;
UPDATE t SET n = n + 1 WHERE id % 13 = 0;
DELETE FROM c WHERE a % 2 = 0;
VACUUM c;
CHECKPOINT;
VACUUM FREEZE t;
VACUUM FREEZE c;
-- Speculative inserts: confirmed, and an update through ON CONFLICT.
INSERT INTO t VALUES (900001, 'new', 0) ON CONFLICT (id) DO NOTHING;
INSERT INTO t VALUES (1, 'dup', 0) ON CONFLICT (id) DO UPDATE SET n = -1;
-- Row locks, plain and in subtransactions.
BEGIN; SELECT count(*) FROM (SELECT * FROM t WHERE id < 50 FOR UPDATE) s; COMMIT;
BEGIN; SELECT count(*) FROM (SELECT * FROM t WHERE id < 50 FOR SHARE) s; COMMIT;
BEGIN; SELECT count(*) FROM (SELECT * FROM t WHERE id < 50 FOR KEY SHARE) s;
  SAVEPOINT a; UPDATE t SET n = 7 WHERE id < 20; ROLLBACK TO a; COMMIT;
-- 2PC
BEGIN; UPDATE t SET n = 42 WHERE id BETWEEN 100 AND 120; PREPARE TRANSACTION 'rc1';
COMMIT PREPARED 'rc1';
-- A row moved to another partition.
CREATE TABLE p (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (1000);
CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (1000) TO (2000);
INSERT INTO p SELECT g, 'r' || g FROM generate_series(1, 500) g;
UPDATE p SET k = k + 1000 WHERE k % 10 = 0;
-- Catalog changes (heap records on catalogs, in-place updates).
ALTER TABLE t ADD COLUMN extra int DEFAULT 5;
CREATE INDEX ON c (a);
ANALYZE t;
DROP TABLE c;
TRUNCATE p1;
VACUUM;
SQL

"$PG_BIN/pgbench" -i -s 1 -q -h "$DIR" -p "$PORT" -U postgres postgres >/dev/null 2>&1
"$PG_BIN/pgbench" -n -c 2 -j 1 -t 500 -h "$DIR" -p "$PORT" -U postgres postgres >/dev/null 2>&1
psql -d postgres -c "VACUUM" -c "SELECT count(*) FROM pgbench_accounts" >/dev/null
cluster_stop "$DIR"

cargo run -q -p waldecode --example redo_check -- "$DIR/data/pg_wal"
