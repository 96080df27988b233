-- Every refused request ends in an ERROR with a hint; the exact message is
-- compared with one computed from the cluster's own WAL positions.
CREATE TABLE err_t (id int, v text);
SELECT pg_current_wal_insert_lsn() AS l0 \gset
INSERT INTO err_t SELECT g, 'first' FROM generate_series(1, 100) g;
SELECT pg_switch_wal() IS NOT NULL AS switched;
INSERT INTO err_t SELECT g, 'second' FROM generate_series(1, 100) g;
SELECT pg_current_wal_insert_lsn() AS l1 \gset
SELECT pg_switch_wal() IS NOT NULL AS switched;
SELECT pg_current_wal_insert_lsn() AS l2 \gset
INSERT INTO err_t SELECT g, 'third' FROM generate_series(1, 100) g;
SELECT pg_current_wal_flush_lsn() AS l3 \gset
SELECT (pg_walfile_name_offset(:'l0')).file_name AS seg0,
       (pg_walfile_name_offset(:'l1')).file_name AS seg1,
       (pg_walfile_name_offset(:'l2')).file_name AS seg2 \gset
SELECT :'seg0' < :'seg1' AND :'seg1' < :'seg2' AS three_segments;

-- Start after end.
SELECT * FROM test_error($$SELECT * FROM xlogminer_records('0/2000000', '0/1000000')$$);
SELECT * FROM test_error($$SELECT * FROM xlogminer_stats('0/2000000', '0/1000000')$$);

-- Start in the future (the detail names the server's current end of WAL).
SELECT message, hint, state, detail ~ '^The server''s WAL ends at [0-9A-F]+/[0-9A-F]+\.$' AS detail_ok
FROM test_error($$SELECT * FROM xlogminer_records('FFFF/0')$$);

-- An end in the future is clamped, not an error.
SELECT count(*) > 0 AS clamped FROM xlogminer_records(:'l2', 'FFFF/0');

-- Start before the oldest available segment: names the segment and the oldest LSN.
SELECT message, hint, state,
       detail = format('The oldest available WAL starts at %s.', (SELECT min(start_lsn) FROM xlogminer_records())) AS detail_ok
FROM test_error($$SELECT * FROM xlogminer_records('0/10')$$);

-- A directory that does not exist.
SELECT regexp_replace(message, '"[^"]*"', '"DIR"') AS message, hint, state
FROM test_error($$SELECT * FROM xlogminer_records(wal_dir => '/nonexistent/xlogminer')$$);

-- A segment missing in the middle of a range (a copy of three segments, the middle one removed).
SELECT count(*) FROM test_run(format('rm -rf %1$s && mkdir -p %1$s && cd %2$s/pg_wal && cp %3$s %4$s %5$s %1$s/ && rm %1$s/%4$s',
  test_scratch(), current_setting('data_directory'), :'seg0', :'seg1', :'seg2'));
SELECT message = format('WAL segment %s is missing', :'seg1') AS message_ok, hint, state,
       detail ~ '^It is needed to read WAL at [0-9A-F]+/[0-9A-F]+; later segments are present\.$' AS detail_ok
FROM test_error(format($$SELECT * FROM xlogminer_records(wal_dir => %L)$$, test_scratch()));

-- Corrupt data: one byte changed inside a record of the last segment.
SELECT start_lsn AS bad_lsn FROM xlogminer_records(:'l2', :'l3') WHERE resource_manager = 'Heap' ORDER BY start_lsn OFFSET 1 LIMIT 1 \gset
SELECT count(*) FROM test_run(format('cd %1$s && printf ''\377\377\377\377'' | dd of=%2$s bs=1 seek=%3$s conv=notrunc status=none',
  test_scratch(), :'seg2', (pg_walfile_name_offset(:'bad_lsn')).file_offset + 28));
SELECT message = format('invalid WAL at %1$s: incorrect resource manager data checksum in record at %1$s', :'bad_lsn') AS message_ok,
       hint, state
FROM test_error(format($$SELECT * FROM xlogminer_records(%L, %L, wal_dir => %L)$$, :'l2', :'l3', test_scratch()));
-- Without an end the directory's WAL ends there, with a warning (not shown:
-- it names the LSN), and what precedes it is returned.
SET client_min_messages = error;
SELECT max(end_lsn) <= :'bad_lsn' AS stops_before_damage, count(*) > 0 AS has_rows
FROM xlogminer_records(:'l2', wal_dir => test_scratch());
RESET client_min_messages;
SELECT count(*) FROM test_run(format('rm -rf %s', test_scratch()));
