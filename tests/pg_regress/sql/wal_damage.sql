-- Damaged WAL, on copies of this cluster's segments: each kind of damage
-- ends in an ERROR naming the LSN and the reason, or in a clean end of the
-- data before it -- never in a crash, never in rows that were not written.
-- (A segment missing in the middle and a changed byte of record data are
-- in errors.sql; the decoder's unit tests flip every bit of record and
-- page headers.)

-- Flips bit `b` of the byte at `off` in file `f`, as the server's user.
CREATE FUNCTION flip_bit(f text, off bigint, b int) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM test_run(format(
    $p$perl -e 'open(F, "+<", $ARGV[0]) or die; binmode F; seek(F, $ARGV[1], 0); read(F, $c, 1); seek(F, $ARGV[1], 0); print F chr(ord($c) ^ (1 << $ARGV[2]));' %s %s %s$p$,
    f, off, b)) $$;
-- Copies segments of pg_wal into the scratch directory `d`.
CREATE FUNCTION copy_segments(d text, VARIADIC segs text[]) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM test_run(format('rm -rf %1$s && mkdir -p %1$s && cd %2$s/pg_wal && cp %3$s %1$s/',
    test_scratch() || '/' || d, current_setting('data_directory'), array_to_string(segs, ' '))) $$;
CREATE FUNCTION scratch(d text) RETURNS text LANGUAGE sql AS $$ SELECT test_scratch() || '/' || d $$;

-- Three segments of row changes.
CREATE TABLE dmg (id int PRIMARY KEY, v text);
SELECT pg_switch_wal() IS NOT NULL AS switched;
SELECT pg_current_wal_insert_lsn() AS d0 \gset
INSERT INTO dmg SELECT g, 'first ' || g FROM generate_series(1, 2000) g;
SELECT pg_switch_wal() IS NOT NULL AS switched;
SELECT pg_current_wal_insert_lsn() AS d1 \gset
UPDATE dmg SET v = 'second ' || id WHERE id % 2 = 0;
SELECT pg_switch_wal() IS NOT NULL AS switched;
SELECT pg_current_wal_insert_lsn() AS d2 \gset
DELETE FROM dmg WHERE id % 3 = 0;
SELECT pg_current_wal_flush_lsn() AS d3 \gset
SELECT (pg_walfile_name_offset(:'d0')).file_name AS s0, (pg_walfile_name_offset(:'d1')).file_name AS s1,
       (pg_walfile_name_offset(:'d2')).file_name AS s2 \gset
SELECT copy_segments('clean', :'s0', :'s1', :'s2');
SELECT count(*) AS records FROM xlogminer_records(:'d0', :'d3', wal_dir => scratch('clean')) \gset
SELECT count(*) AS changes FROM xlogminer_contents(:'d0', :'d3', wal_dir => scratch('clean')) \gset
SELECT :records > 3000 AS many_records, :changes = 2000 + 1000 + 666 AS all_changes;

-- A bit of a record header flipped (xl_prev of a heap record in the
-- middle segment): the record is refused by its prev-link, and so is
-- mining the range.
SELECT start_lsn AS bad FROM xlogminer_records(:'d1', :'d2')
WHERE resource_manager = 'Heap' AND (pg_walfile_name_offset(start_lsn)).file_offset % 8192 < 8000
ORDER BY start_lsn OFFSET 100 LIMIT 1 \gset
SELECT copy_segments('hdr', :'s0', :'s1', :'s2');
SELECT flip_bit(scratch('hdr') || '/' || :'s1', (pg_walfile_name_offset(:'bad')).file_offset + 9, 3);
SELECT message LIKE format('invalid WAL at %1$s: record with incorrect prev-link %% at %1$s', :'bad') AS message_ok, hint, state
FROM test_error(format($$SELECT * FROM xlogminer_records(%L, %L, wal_dir => %L)$$, :'d0', :'d3', scratch('hdr')));
SELECT message LIKE format('invalid WAL at %1$s: record with incorrect prev-link %% at %1$s', :'bad') AS message_ok, state
FROM test_error(format($$SELECT * FROM xlogminer_contents(%L, %L, wal_dir => %L)$$, :'d0', :'d3', scratch('hdr')));
-- Without an end the directory's WAL ends there (a WARNING names it) and
-- what precedes it is returned, exactly.
SET client_min_messages = error;
SELECT count(*) = (SELECT count(*) FROM xlogminer_records(:'d0', :'bad', wal_dir => scratch('clean'))) AS same_records_before
FROM xlogminer_records(:'d0', wal_dir => scratch('hdr'));
RESET client_min_messages;

-- A bit of record data flipped: a checksum error at that record, for
-- mining as well.
SELECT copy_segments('data', :'s0', :'s1', :'s2');
SELECT flip_bit(scratch('data') || '/' || :'s1', (pg_walfile_name_offset(:'bad')).file_offset + 30, 0);
SELECT message = format('invalid WAL at %1$s: incorrect resource manager data checksum in record at %1$s', :'bad') AS message_ok, state
FROM test_error(format($$SELECT * FROM xlogminer_contents(%L, %L, wal_dir => %L)$$, :'d0', :'d3', scratch('data')));

-- Page headers: a flipped bit of a page's magic is an invalid page at
-- that page; one of its address makes the page look recycled, which ends
-- a directory's WAL before it.
SELECT pg_lsn(:'d1') + (8192 * 5 - (pg_walfile_name_offset(:'d1')).file_offset) AS page \gset
SELECT copy_segments('magic', :'s0', :'s1', :'s2');
SELECT flip_bit(scratch('magic') || '/' || :'s1', 8192 * 5, 0);
SELECT message ~ format('^invalid WAL at %1$s: invalid magic number D1[0-9A-F]{2} in WAL segment at %1$s$', :'page') AS message_ok, hint, state
FROM test_error(format($$SELECT * FROM xlogminer_records(%L, %L, wal_dir => %L)$$, :'d0', :'d3', scratch('magic')));
SELECT copy_segments('addr', :'s0', :'s1', :'s2');
SELECT flip_bit(scratch('addr') || '/' || :'s1', 8192 * 5 + 9, 5);
SELECT max(end_lsn) <= :'page' AS ends_before_page, count(*) > 0 AS has_rows
FROM xlogminer_records(:'d0', :'d3', wal_dir => scratch('addr'));

-- A truncated segment file: read up to its last whole page, then an error
-- naming the file (a WARNING and the rows before it without an end).
SELECT copy_segments('trunc', :'s0', :'s1', :'s2');
SELECT count(*) FROM test_run(format('truncate -s 100000 %s/%s', scratch('trunc'), :'s1'));
SELECT pg_lsn(:'d1') + (98304 - (pg_walfile_name_offset(:'d1')).file_offset) AS cut \gset
SELECT message = format('invalid WAL at %1$s: WAL segment file %2$s is truncated: 100000 bytes instead of 16777216', :'cut', :'s1') AS message_ok, state
FROM test_error(format($$SELECT * FROM xlogminer_records(%L, %L, wal_dir => %L)$$, :'d0', :'d3', scratch('trunc')));
SET client_min_messages = error;
SELECT max(end_lsn) <= :'cut' AS ends_before_cut,
       count(*) = (SELECT count(*) FROM xlogminer_records(:'d0', :'cut', wal_dir => scratch('clean'))) AS same_records_before
FROM xlogminer_records(:'d0', wal_dir => scratch('trunc'));
RESET client_min_messages;

-- A zero-filled tail (pages never written): a clean end before it.
SELECT copy_segments('zero', :'s0', :'s1', :'s2');
SELECT count(*) FROM test_run(format('dd if=/dev/zero of=%s/%s bs=8192 seek=3 count=2045 conv=notrunc status=none', scratch('zero'), :'s2'));
SELECT pg_lsn(:'d2') + (8192 * 3 - (pg_walfile_name_offset(:'d2')).file_offset) AS zeroed \gset
SELECT max(end_lsn) <= :'zeroed' AS ends_before_zeros,
       count(*) = (SELECT count(*) FROM xlogminer_records(:'d0', :'zeroed', wal_dir => scratch('clean'))) AS same_records_before
FROM xlogminer_records(:'d0', :'d3', wal_dir => scratch('zero'));
SELECT count(*) = (SELECT count(*) FROM xlogminer_contents(:'d0', :'zeroed', wal_dir => scratch('clean'))) AS same_changes_before
FROM xlogminer_contents(:'d0', :'d3', wal_dir => scratch('zero'));

-- .partial segments (pg_receivewal's current one, an old timeline's last)
-- stand for the segment when no complete file does.
SELECT copy_segments('partial', :'s0', :'s1', :'s2');
SELECT count(*) FROM test_run(format('cd %s && mv %s %2$s.partial', scratch('partial'), :'s2'));
SELECT count(*) = :records AS same_records FROM xlogminer_records(:'d0', :'d3', wal_dir => scratch('partial'));
SELECT count(*) = :changes AS same_changes FROM xlogminer_contents(:'d0', :'d3', wal_dir => scratch('partial'));

DROP TABLE dmg;
DROP FUNCTION flip_bit(text, bigint, int);
DROP FUNCTION copy_segments(text, text[]);
DROP FUNCTION scratch(text);
SELECT count(*) FROM test_run(format('rm -rf %s', test_scratch()));
