-- xlogminer_contents() with no arguments in a fresh cluster: the rows of a
-- small workload, committed changes only, in WAL order.
CREATE TABLE first_orders (id int PRIMARY KEY, customer text, amount numeric(10,2));
INSERT INTO first_orders VALUES (1, 'O''Brien', 19.99), (2, 'Zoë', 5.00);
UPDATE first_orders SET amount = 0 WHERE id = 1;
BEGIN;
DELETE FROM first_orders WHERE id = 2;
ROLLBACK;
DELETE FROM first_orders WHERE id = 2;
SELECT item, status, database = current_database() AS this_db, schema, relation, op,
       redo_sql, undo_sql, old_ctid, new_ctid, complete, info
FROM xlogminer_contents();
-- The same with the aborted delete.
SELECT op, status, redo_sql FROM xlogminer_contents(include_uncommitted => true);
-- Selection by commit time, transaction and table.
SELECT count(*) AS last_hour FROM xlogminer_contents(start_time => now() - interval '1 hour', relations => '{first_orders}');
SELECT count(*) AS future FROM xlogminer_contents(start_time => now() + interval '1 hour');
SELECT count(*) AS until_long_ago FROM xlogminer_contents(end_time => now() - interval '1 day');
SELECT op, redo_sql FROM xlogminer_contents(xid => (SELECT xid FROM xlogminer_contents() WHERE op = 'UPDATE'));
SELECT count(*) AS other_table FROM xlogminer_contents(relations => '{pg_class}');
-- The same from a copy of the WAL in another directory (forensics on
-- segments copied from elsewhere).
SELECT count(*) FROM test_run(format('rm -rf %1$s && mkdir -p %1$s && cp %2$s/pg_wal/0* %1$s/',
  test_scratch(), current_setting('data_directory')));
SELECT op, redo_sql FROM xlogminer_contents(wal_dir => test_scratch(), relations => '{first_orders}');
SELECT count(*) FROM test_run(format('rm -rf %s', test_scratch()));
-- Rows of a table dropped since, and of one rewritten since, are named as
-- the WAL's own catalog history says they were: complete, and the dropped
-- one says it is gone.
CREATE TABLE gone_t (i int);
INSERT INTO gone_t VALUES (1);
DROP TABLE gone_t;
CREATE TABLE rewritten_t (i int);
INSERT INTO rewritten_t VALUES (2);
VACUUM FULL rewritten_t;
SELECT op, schema, relation, redo_sql, undo_sql, complete, info
FROM xlogminer_contents() WHERE relation IN ('gone_t', 'rewritten_t');
SELECT count(*) AS incomplete_row_changes FROM xlogminer_contents()
WHERE NOT complete AND op IN ('INSERT', 'UPDATE', 'DELETE');
-- A range that ends before its tables changed: one loses a column, the
-- other is dropped, after the range. Their rows still decode as they
-- were: the catalog changes after the range are read too.
CREATE TABLE later_dropcol (a int, b text, c int);
CREATE TABLE later_gone (a int, b text);
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS la_start \gset
INSERT INTO later_dropcol VALUES (1, 'b then', 3);
INSERT INTO later_gone VALUES (2, 'gone later');
SELECT pg_current_wal_insert_lsn() AS la_end \gset
ALTER TABLE later_dropcol DROP COLUMN b;
DROP TABLE later_gone;
SELECT relation, op, redo_sql, complete, info FROM xlogminer_contents(:'la_start', :'la_end')
WHERE relation LIKE 'later_%';
-- Tracked pages beyond xlogminer.page_cache_size spill to PostgreSQL's
-- temporary files: temp_file_limit applies to them.
CREATE TABLE spill_t (i int, pad text);
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS spill_start \gset
INSERT INTO spill_t SELECT g, repeat('x', 500) FROM generate_series(1, 4000) g;
SET xlogminer.page_cache_size = '1MB';
SET temp_file_limit = '64kB';
-- (PG 18 quotes the setting's name. It also drops the function's state
-- inside the abort of test_error's subtransaction, where the file is left
-- to the transaction's resource owner, which warns that it closed it.)
SET client_min_messages = error;
SELECT replace(message, '"', '') AS message, detail, hint, state
FROM test_error(format('SELECT count(*) FROM xlogminer_contents(%L)', :'spill_start'));
RESET client_min_messages;
RESET temp_file_limit;
SELECT count(*) AS rows_with_spill FROM xlogminer_contents(:'spill_start') WHERE relation = 'spill_t';
-- Stopped early (LIMIT, a cursor closed, a transaction rolled back), the
-- temporary file goes with the query, without warnings.
SELECT item FROM (SELECT (xlogminer_contents(:'spill_start')).*) s WHERE relation = 'spill_t' LIMIT 1 OFFSET 3000;
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM xlogminer_contents(:'spill_start');
MOVE 3500 IN c;
CLOSE c;
SAVEPOINT s;
SELECT * FROM test_error(format($q$SELECT count(*) FROM xlogminer_contents(%L)
  WHERE relation = 'spill_t' AND 1 / ((new_ctid::text::point)[0]::int - 150) > 0$q$, :'spill_start'));
ROLLBACK TO s;
COMMIT;
BEGIN;
SELECT count(*) > 0 AS some FROM (SELECT * FROM xlogminer_contents(:'spill_start') LIMIT 3500) s;
ROLLBACK;
RESET xlogminer.page_cache_size;
DROP TABLE spill_t;
