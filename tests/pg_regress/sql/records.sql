-- xlogminer_records on a small workload: the rows of one transaction, and
-- every column against pg_walinspect over the same range.
CREATE TABLE rec_t (id int PRIMARY KEY, v text);
CHECKPOINT;
SELECT pg_current_wal_flush_lsn() AS start_lsn \gset
INSERT INTO rec_t VALUES (1, 'a'), (2, 'b');
UPDATE rec_t SET v = 'c' WHERE id = 1;
DELETE FROM rec_t WHERE id = 2;
SELECT pg_current_wal_flush_lsn() AS end_lsn \gset

SELECT resource_manager, record_type, main_data_length, xid <> '0'::xid AS has_xid
FROM xlogminer_records(:'start_lsn', :'end_lsn')
WHERE resource_manager IN ('Heap', 'Transaction')
ORDER BY start_lsn;

-- Heap descriptions name offsets; deterministic on a new table. (PG 16
-- words them differently: records_1.out.)
SELECT record_type, regexp_replace(description, '(xmax:?) [0-9]+', '\1 N') AS description
FROM xlogminer_records(:'start_lsn', :'end_lsn')
WHERE resource_manager = 'Heap'
ORDER BY start_lsn;

-- Every column equals pg_walinspect's, but commit descriptions (their
-- timestamps are printed in UTC here, in the session's zone there).
SELECT count(*) AS differing_rows FROM (
  (SELECT * FROM xlogminer_records(:'start_lsn', :'end_lsn')
   EXCEPT SELECT * FROM pg_get_wal_records_info(:'start_lsn', :'end_lsn'))
  UNION ALL
  (SELECT * FROM pg_get_wal_records_info(:'start_lsn', :'end_lsn')
   EXCEPT SELECT * FROM xlogminer_records(:'start_lsn', :'end_lsn'))
) d WHERE resource_manager <> 'Transaction';

-- Defaults: NULL start reads from the oldest segment, NULL end to the flush LSN.
SELECT min(start_lsn) < :'start_lsn' AS starts_earlier,
       max(end_lsn) <= pg_current_wal_flush_lsn() AS ends_by_flush
FROM xlogminer_records();
SELECT count(*) > 0 AS has_rows FROM xlogminer_records(start_lsn => :'start_lsn');

-- A start inside a record finds the next record, as pg_walinspect does.
SELECT (SELECT min(start_lsn) FROM xlogminer_records(:'start_lsn'::pg_lsn + 1, :'end_lsn'))
     = (SELECT min(start_lsn) FROM pg_get_wal_records_info(:'start_lsn'::pg_lsn + 1, :'end_lsn')) AS same_first;

-- The streaming form (select list) gives the same rows.
SELECT count(*) = (SELECT count(*) FROM xlogminer_records(:'start_lsn', :'end_lsn')) AS same_count
FROM (SELECT xlogminer_records(:'start_lsn', :'end_lsn')) s;

-- Stats agree with pg_walinspect's, both ways.
SELECT count(*) AS differing_stats FROM (
  (SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn') EXCEPT SELECT * FROM pg_get_wal_stats(:'start_lsn', :'end_lsn'))
  UNION ALL
  (SELECT * FROM pg_get_wal_stats(:'start_lsn', :'end_lsn') EXCEPT SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn'))
  UNION ALL
  (SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn', true) EXCEPT SELECT * FROM pg_get_wal_stats(:'start_lsn', :'end_lsn', true))
  UNION ALL
  (SELECT * FROM pg_get_wal_stats(:'start_lsn', :'end_lsn', true) EXCEPT SELECT * FROM xlogminer_stats(:'start_lsn', :'end_lsn', true))
) d;

-- VOLATILE, as pg_walinspect's functions are: the same call returns more
-- rows once more WAL is flushed, which STABLE would deny.
SELECT proname, provolatile, proparallel FROM pg_proc
WHERE proname IN ('xlogminer_records', 'xlogminer_stats', 'xlogminer_contents',
                  'pg_get_wal_records_info', 'pg_get_wal_stats')
ORDER BY proname;
