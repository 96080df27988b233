-- Records and stats against this major's own pg_waldump (the only
-- reference PostgreSQL 14 has: pg_walinspect arrived in 15). Over a
-- pgbench run and a mixed workload, every record's position, previous
-- record, xid, resource manager, lengths, type and description equal
-- pg_waldump's, and the per-record-type counts equal --stats=record.
SELECT setting AS bindir FROM pg_config WHERE name = 'BINDIR' \gset
SELECT current_setting('unix_socket_directories') AS sockdir, current_setting('port') AS port,
       current_setting('data_directory') AS datadir \gset
SELECT pg_current_wal_flush_lsn() AS start_lsn \gset
SELECT count(*) AS pgbench_output_lines FROM test_run(format(
  '%s/pgbench -i -s 1 -h %s -p %s -U postgres %s >/dev/null 2>&1 && %s/pgbench -n -c 2 -j 1 -t 200 -h %s -p %s -U postgres %s >/dev/null 2>&1',
  :'bindir', :'sockdir', :'port', current_database(), :'bindir', :'sockdir', :'port', current_database()));
CREATE TABLE wd_t (id int PRIMARY KEY, v text, n int);
INSERT INTO wd_t SELECT g, md5(g::text), 0 FROM generate_series(1, 3000) g;
UPDATE wd_t SET n = 1 WHERE id % 3 = 0;
UPDATE wd_t SET id = id + 10000 WHERE id % 7 = 0;
DELETE FROM wd_t WHERE id % 5 = 0;
VACUUM wd_t;
VACUUM FREEZE wd_t;
BEGIN; SELECT count(*) FROM (SELECT * FROM wd_t WHERE id < 30 FOR UPDATE) s; COMMIT;
CREATE INDEX wd_t_v ON wd_t USING hash (v);
TRUNCATE wd_t;
DROP TABLE wd_t;
SELECT pg_switch_wal() IS NOT NULL AS switched;
CREATE TABLE wd_after (i int);
SELECT pg_current_wal_flush_lsn() AS end_lsn \gset

-- pg_waldump's lines: rmgr, lengths, xid, positions, then the record type,
-- its description and (from 16, detailed) block references.
CREATE TEMP TABLE waldump_recs AS
  SELECT m[1] AS rmgr, m[2]::int AS rec_len, m[3]::int AS tot_len, m[4]::xid AS xid,
         m[5]::pg_lsn AS lsn, m[6]::pg_lsn AS prev,
         rtrim(regexp_replace(m[7], ',? ?blkref #[0-9]+: .*$', '')) AS text
  FROM test_run(format('%s/pg_waldump -p %s/pg_wal -s %s -e %s',
                       :'bindir', :'datadir', :'start_lsn', :'end_lsn')) line,
       regexp_match(line, '^rmgr: (\S+)\s+len \(rec/tot\):\s*(\d+)/\s*(\d+), tx:\s*(\d+), lsn: (\S+), prev (\S+), desc: (.*)$') m
  WHERE m IS NOT NULL;
CREATE TEMP TABLE ours_recs AS
  SELECT resource_manager AS rmgr, record_length - fpi_length AS rec_len, record_length AS tot_len,
         xid, start_lsn AS lsn, prev_lsn AS prev,
         rtrim(record_type || ' ' || coalesce(description, '')) AS text
  FROM xlogminer_records(:'start_lsn', :'end_lsn');
SELECT count(*) > 10000 AS many_records, count(DISTINCT rmgr) >= 8 AS many_rmgrs FROM waldump_recs;
SELECT (SELECT count(*) FROM ours_recs) = (SELECT count(*) FROM waldump_recs) AS same_count;
-- Everything but commit-like descriptions (their timestamps are printed in
-- pg_waldump's local zone), both ways.
SELECT count(*) AS differing_records FROM (
  (SELECT * FROM ours_recs WHERE rmgr <> 'Transaction' EXCEPT SELECT * FROM waldump_recs)
  UNION ALL
  (SELECT * FROM waldump_recs WHERE rmgr <> 'Transaction' EXCEPT SELECT * FROM ours_recs)) d;
SELECT count(*) AS differing_transaction_records FROM (
  (SELECT lsn, prev, xid, rec_len, tot_len, split_part(text, ' ', 1) FROM ours_recs WHERE rmgr = 'Transaction'
   EXCEPT SELECT lsn, prev, xid, rec_len, tot_len, split_part(text, ' ', 1) FROM waldump_recs)
  UNION ALL
  (SELECT lsn, prev, xid, rec_len, tot_len, split_part(text, ' ', 1) FROM waldump_recs WHERE rmgr = 'Transaction'
   EXCEPT SELECT lsn, prev, xid, rec_len, tot_len, split_part(text, ' ', 1) FROM ours_recs)) d;

CREATE TEMP TABLE waldump_stats AS
  SELECT m[1] AS name, m[2]::bigint AS count
  FROM test_run(format('%s/pg_waldump --stats=record -p %s/pg_wal -s %s -e %s',
                       :'bindir', :'datadir', :'start_lsn', :'end_lsn')) line,
       regexp_match(line, '^(\S+/\S+(?: \(\w+\))?)\s+(\d+) \(') m
  WHERE m IS NOT NULL;
SELECT count(*) > 15 AS many_types FROM waldump_stats;
SELECT count(*) AS differing_counts FROM (
  (SELECT name, count FROM waldump_stats
   EXCEPT SELECT "resource_manager/record_type", count FROM xlogminer_stats(:'start_lsn', :'end_lsn', true))
  UNION ALL
  (SELECT "resource_manager/record_type", count FROM xlogminer_stats(:'start_lsn', :'end_lsn', true)
   EXCEPT SELECT name, count FROM waldump_stats)) d;
