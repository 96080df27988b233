-- Acceptance: over the WAL of pgbench (-i -s 2 and a short run) and a mixed
-- workload (DDL, COPY, VACUUM, index builds of every access method, 2PC,
-- subtransactions, a big transaction, a WAL switch), xlogminer_records
-- equals pg_get_wal_records_info row for row, and xlogminer_stats counts
-- equal pg_waldump --stats=record over the same range.
SELECT setting AS bindir FROM pg_config WHERE name = 'BINDIR' \gset
SELECT current_setting('unix_socket_directories') AS sockdir, current_setting('port') AS port,
       current_setting('data_directory') AS datadir \gset
SELECT pg_current_wal_flush_lsn() AS start_lsn \gset

SELECT count(*) AS pgbench_output_lines FROM test_run(format(
  '%s/pgbench -i -s 2 -h %s -p %s -U postgres %s >/dev/null 2>&1 && %s/pgbench -n -c 2 -j 1 -t 300 -h %s -p %s -U postgres %s >/dev/null 2>&1',
  :'bindir', :'sockdir', :'port', current_database(), :'bindir', :'sockdir', :'port', current_database()));

-- DDL and COPY
CREATE TABLE mixed (id serial PRIMARY KEY, payload text, n numeric, tags text[], box box, ts tsvector);
COPY mixed (payload) FROM PROGRAM 'seq 1 20000';
ALTER TABLE mixed ADD COLUMN extra int DEFAULT 7;
UPDATE mixed SET n = id * 1.5, tags = ARRAY[payload, 'x'], box = box(point(id, id), point(id + 1, id + 1)),
                 ts = to_tsvector('simple', 'word' || id) WHERE id % 3 = 0;
-- index builds, one per access method
CREATE INDEX mixed_hash ON mixed USING hash (payload);
CREATE INDEX mixed_gin ON mixed USING gin (tags);
CREATE INDEX mixed_gist ON mixed USING gist (box);
CREATE INDEX mixed_brin ON mixed USING brin (id);
CREATE INDEX mixed_spgist ON mixed USING spgist (payload);
CREATE INDEX CONCURRENTLY mixed_n ON mixed (n);
INSERT INTO mixed (payload, tags, box, ts)
  SELECT 'more' || g, ARRAY['y'], box(point(g, 0), point(g, 1)), to_tsvector('simple', 'w' || g)
  FROM generate_series(1, 2000) g;
-- VACUUM, a rewrite, and deletes
DELETE FROM mixed WHERE id % 5 = 0;
VACUUM mixed;
VACUUM FULL pgbench_branches;
CLUSTER pgbench_tellers USING pgbench_tellers_pkey;
-- 2PC, committed and rolled back
BEGIN; INSERT INTO mixed (payload) VALUES ('prepared-1'); PREPARE TRANSACTION 'xlm_p1';
BEGIN; INSERT INTO mixed (payload) VALUES ('prepared-2'); PREPARE TRANSACTION 'xlm_p2';
COMMIT PREPARED 'xlm_p1';
ROLLBACK PREPARED 'xlm_p2';
-- subtransactions and a savepoint rollback
BEGIN;
INSERT INTO mixed (payload) VALUES ('sub-0');
SAVEPOINT a; INSERT INTO mixed (payload) VALUES ('sub-a');
SAVEPOINT b; INSERT INTO mixed (payload) VALUES ('sub-b'); ROLLBACK TO b;
RELEASE a;
COMMIT;
-- a big transaction with TOASTed values, a sequence, a logical message
BEGIN;
CREATE TABLE big (id bigint, pad text);
INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 60000) g;
INSERT INTO big SELECT 0, string_agg(md5(g::text), '') FROM generate_series(1, 4000) g;
SELECT count(*) > 0 AS msg FROM (SELECT pg_logical_emit_message(true, 'xlogminer', 'hello')) m;
COMMIT;
CREATE SEQUENCE s;
SELECT count(nextval('s')) FROM generate_series(1, 100);
TRUNCATE big;
DROP TABLE big;
CHECKPOINT;
SELECT pg_switch_wal() IS NOT NULL AS switched;
INSERT INTO mixed (payload) VALUES ('after switch');
SELECT pg_current_wal_flush_lsn() AS end_lsn \gset

-- The range is large: over a hundred thousand records, most resource managers.
SELECT count(*) > 100000 AS many_records,
       count(DISTINCT resource_manager) >= 14 AS many_rmgrs
FROM xlogminer_records(:'start_lsn', :'end_lsn');

-- Row for row on the acceptance columns, both ways.
CREATE TEMP TABLE ours AS
  SELECT start_lsn, end_lsn, prev_lsn, xid, resource_manager, record_type, record_length,
         main_data_length, fpi_length, description, block_ref
  FROM xlogminer_records(:'start_lsn', :'end_lsn');
CREATE TEMP TABLE theirs AS
  SELECT start_lsn, end_lsn, prev_lsn, xid, resource_manager, record_type, record_length,
         main_data_length, fpi_length, description, block_ref
  FROM pg_get_wal_records_info(:'start_lsn', :'end_lsn');
SELECT (SELECT count(*) FROM ours) = (SELECT count(*) FROM theirs) AS same_count;
SELECT count(*) AS only_ours FROM (
  SELECT start_lsn, end_lsn, prev_lsn, xid, resource_manager, record_length, main_data_length, fpi_length FROM ours
  EXCEPT
  SELECT start_lsn, end_lsn, prev_lsn, xid, resource_manager, record_length, main_data_length, fpi_length FROM theirs) d;
SELECT count(*) AS only_theirs FROM (
  SELECT start_lsn, end_lsn, prev_lsn, xid, resource_manager, record_length, main_data_length, fpi_length FROM theirs
  EXCEPT
  SELECT start_lsn, end_lsn, prev_lsn, xid, resource_manager, record_length, main_data_length, fpi_length FROM ours) d;
-- Record types and block references too.
SELECT count(*) AS differing_types_or_blocks FROM ours o JOIN theirs t USING (start_lsn)
WHERE o.record_type <> t.record_type OR o.block_ref <> t.block_ref;
-- Descriptions, except where timestamps are printed (UTC here, session zone there).
SELECT o.resource_manager, o.record_type, count(*) AS differing_descriptions
FROM ours o JOIN theirs t USING (start_lsn)
WHERE o.description <> t.description
  AND NOT (o.resource_manager = 'Transaction' AND o.record_type IN ('COMMIT', 'ABORT', 'COMMIT_PREPARED', 'ABORT_PREPARED', 'PREPARE'))
GROUP BY 1, 2 ORDER BY 1, 2;

-- In the select list the rows come one per call, in FROM all at once into
-- the executor's tuplestore; read by the backend or by reading threads:
-- the same rows in the same order.
SET xlogminer.scan_threads = 1;
CREATE TEMP TABLE forms AS
  SELECT 'from, 1 thread' AS form, row_number() OVER () AS n, row_to_json(r)::text AS r
  FROM xlogminer_records(:'start_lsn', :'end_lsn') r
  UNION ALL
  SELECT 'select list, 1 thread', row_number() OVER (), row_to_json(x)::text
  FROM (SELECT xlogminer_records(:'start_lsn', :'end_lsn') AS x) s;
RESET xlogminer.scan_threads;
INSERT INTO forms
  SELECT 'from, 2 threads', row_number() OVER (), row_to_json(r)::text
  FROM xlogminer_records(:'start_lsn', :'end_lsn') r
  UNION ALL
  SELECT 'select list, 2 threads', row_number() OVER (), row_to_json(x)::text
  FROM (SELECT xlogminer_records(:'start_lsn', :'end_lsn') AS x) s;
-- Read in parts of 256 kB on three threads ahead of the backend.
SET xlogminer.scan_threads = 3;
INSERT INTO forms
  SELECT 'select list, 3 threads', row_number() OVER (), row_to_json(x)::text
  FROM (SELECT xlogminer_records(:'start_lsn', :'end_lsn') AS x) s;
RESET xlogminer.scan_threads;
SELECT form, count(*) = (SELECT count(*) FROM ours) AS all_rows FROM forms GROUP BY 1 ORDER BY 1;
SELECT f.form, count(*) AS differing_rows
FROM forms f LEFT JOIN forms one ON one.form = 'from, 1 thread' AND one.n = f.n
WHERE f.form <> 'from, 1 thread' AND one.r IS DISTINCT FROM f.r
GROUP BY 1 ORDER BY 1;
SELECT count(*) AS differing_from_ours FROM (
  SELECT r FROM forms WHERE form = 'from, 1 thread'
  EXCEPT ALL SELECT row_to_json(o)::text FROM ours o) d;

-- Stats per record type against pg_waldump --stats=record.
CREATE TEMP TABLE waldump AS
  SELECT m[1] AS name, m[2]::bigint AS count
  FROM test_run(format('%s/pg_waldump --stats=record -p %s/pg_wal -s %s -e %s',
                       :'bindir', :'datadir', :'start_lsn', :'end_lsn')) line,
       regexp_match(line, '^(\S+/\S+(?: \(\w+\))?)\s+(\d+) \(') m
  WHERE m IS NOT NULL;
SELECT count(*) > 20 AS many_types FROM waldump;
SELECT count(*) AS differing_counts FROM (
  (SELECT name, count FROM waldump
   EXCEPT SELECT "resource_manager/record_type", count FROM xlogminer_stats(:'start_lsn', :'end_lsn', true))
  UNION ALL
  (SELECT "resource_manager/record_type", count FROM xlogminer_stats(:'start_lsn', :'end_lsn', true)
   EXCEPT SELECT name, count FROM waldump)
) d;
-- And per resource manager against pg_get_wal_stats.
SELECT count(*) AS differing_rmgr_stats FROM (
  (SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn') EXCEPT SELECT * FROM pg_get_wal_stats(:'start_lsn', :'end_lsn'))
  UNION ALL
  (SELECT * FROM pg_get_wal_stats(:'start_lsn', :'end_lsn') EXCEPT SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn'))
) d;
-- Read on one thread and on four (parts of a segment each, added up in
-- order): the same rows.
SET xlogminer.scan_threads = 1;
CREATE TEMP TABLE one_thread AS SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn', true);
SET xlogminer.scan_threads = 4;
SELECT count(*) AS differing_with_four_threads FROM (
  (SELECT * FROM one_thread EXCEPT SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn', true))
  UNION ALL
  (SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn', true) EXCEPT SELECT * FROM one_thread)
) d;
SELECT (pg_lsn(:'end_lsn') - pg_lsn(:'start_lsn')) / pg_size_bytes(current_setting('wal_segment_size')) >= 2 AS several_segments;
RESET xlogminer.scan_threads;

-- A long scan stops on cancel (here a statement timeout) instead of
-- running to its end: every function checks for interrupts per record.
SET statement_timeout = '5ms';
SELECT count(*) FROM xlogminer_records();
SELECT count(*) FROM xlogminer_stats();
SELECT count(*) FROM xlogminer_contents();
RESET statement_timeout;
