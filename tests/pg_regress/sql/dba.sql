-- The DBA's tools: what WAL there is, and flashback scripts with their
-- dependency check.
SELECT oldest_lsn <= pg_current_wal_flush_lsn() AS oldest_ok,
       newest_lsn = pg_current_wal_flush_lsn() AS newest_is_flush,
       oldest_commit_time <= newest_commit_time AS times_ordered,
       newest_commit_time <= now() AS not_in_future,
       segments > 0 AS has_segments,
       bytes = segments * pg_size_bytes(current_setting('wal_segment_size')) AS bytes_ok,
       system_identifier = (SELECT system_identifier::text FROM pg_control_system()) AS this_system,
       pg_version = current_setting('server_version_num')::int / 10000 AS this_major,
       page_images_from >= oldest_lsn AS images_after_oldest
FROM xlogminer_available();
-- The same of a copy in a directory.
SELECT count(*) FROM test_run(format('rm -rf %1$s && mkdir -p %1$s && cp %2$s/pg_wal/0* %1$s/',
  test_scratch(), current_setting('data_directory')));
SELECT a.oldest_lsn = d.oldest_lsn AS same_oldest, d.newest_lsn BETWEEN d.oldest_lsn AND a.newest_lsn AS end_ok,
       a.system_identifier = d.system_identifier AS same_system
FROM xlogminer_available() a, xlogminer_available(test_scratch()) d;
SELECT count(*) FROM test_run(format('rm -rf %s', test_scratch()));

-- Flash back one transaction: a mistaken UPDATE and DELETE. Scripts are
-- run with \gexec, without echoing them (they name LSNs and xids).
CREATE TABLE fb (id int PRIMARY KEY, v text);
INSERT INTO fb SELECT g, 'v' || g FROM generate_series(1, 5) g;
CREATE TABLE fb_before AS SELECT * FROM fb;
BEGIN;
SELECT txid_current() AS bad_xid \gset
UPDATE fb SET v = 'oops';
DELETE FROM fb WHERE id = 5;
COMMIT;
SELECT xlogminer_undo_script(xid => :'bad_xid') AS undo \gset
SELECT :'undo';
\set ECHO none
SELECT :'undo' \gexec
\set ECHO all
SELECT count(*) AS differing FROM ((TABLE fb EXCEPT TABLE fb_before) UNION ALL (TABLE fb_before EXCEPT TABLE fb)) d;
-- The redo script puts the mistake back (as on another server).
SELECT xlogminer_redo_script(xid => :'bad_xid') AS redo \gset
SELECT :'redo';
\set ECHO none
SELECT :'redo' \gexec
\set ECHO all
SELECT count(*) FILTER (WHERE v = 'oops') AS oops, count(*) AS rows FROM fb;

-- A later change to a row the chosen transaction wrote is a conflict: the
-- script lists it and refuses to run (changing nothing), unless forced.
CREATE TABLE fb2 (id int PRIMARY KEY, v text);
INSERT INTO fb2 SELECT g, 'w' || g FROM generate_series(1, 3) g;
BEGIN;
SELECT txid_current() AS bad2 \gset
UPDATE fb2 SET v = 'oops';
COMMIT;
UPDATE fb2 SET v = 'fixed by hand' WHERE id = 1;
SELECT xlogminer_undo_script(xid => :'bad2') AS undo2 \gset
SELECT regexp_replace(regexp_replace(:'undo2', '[0-9A-F]+/[0-9A-F]+ [0-9]+ ', 'X/X n ', 'g'),
                      'transaction [0-9]+', 'transaction N', 'g') AS conflicting_script;
\set ECHO none
SELECT :'undo2' \gexec
\set ECHO all
ROLLBACK;
SELECT v FROM fb2 ORDER BY id;
SELECT xlogminer_undo_script(xid => :'bad2', force => true) AS forced \gset
\set ECHO none
SELECT :'forced' \gexec
\set ECHO all
SELECT v FROM fb2 ORDER BY id;
-- Nothing chosen, or no statement for a chosen change: clear errors.
SELECT * FROM test_error('SELECT xlogminer_undo_script()');
CREATE TABLE fb3 (id int, v text);
INSERT INTO fb3 VALUES (1, 'kept');
BEGIN;
SELECT txid_current() AS bad3 \gset
TRUNCATE fb3;
COMMIT;
SELECT message, regexp_replace(detail, '[0-9A-F]+/[0-9A-F]+ [0-9]+ (.*) transaction [0-9]+', 'X/X n \1 transaction N') AS detail, hint
FROM test_error(format('SELECT xlogminer_undo_script(xid => %L)', :'bad3'));
DROP TABLE fb, fb_before, fb2, fb3;

-- Rows that lack their old row version because no checkpoint precedes
-- them in the WAL read are counted in a NOTICE at the end.
CREATE TABLE noimg (id int PRIMARY KEY, v text);
INSERT INTO noimg VALUES (1, 'v0');
CHECKPOINT;
UPDATE noimg SET v = 'v1' WHERE id = 1;
SELECT pg_switch_wal() IS NOT NULL AS switched;
SELECT pg_current_wal_insert_lsn() AS noimg_start \gset
UPDATE noimg SET v = 'v2' WHERE id = 1;
VACUUM noimg;
SELECT count(*) FROM test_run(format('rm -rf %1$s && mkdir -p %1$s && cp %2$s/pg_wal/%3$s %1$s/',
  test_scratch(), current_setting('data_directory'), pg_walfile_name(:'noimg_start')));
\set VERBOSITY terse
SELECT op, complete FROM xlogminer_contents(:'noimg_start', wal_dir => test_scratch()) WHERE relation = 'noimg';
\set VERBOSITY default
SELECT count(*) FROM test_run(format('rm -rf %s', test_scratch()));
DROP TABLE noimg;

-- The transaction table is bounded: a range with more transactions than
-- xlogminer.max_transactions is refused, saying what to do.
SET xlogminer.max_transactions = 1000;
SELECT message, hint FROM test_error('SELECT count(*) FROM xlogminer_contents()');
RESET xlogminer.max_transactions;
