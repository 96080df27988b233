-- Records and statistics are for superusers and members of
-- pg_read_server_files; row changes also for members of xlogminer_reader,
-- who see only what they may SELECT.
CREATE ROLE xlm_plain;
CREATE ROLE xlm_files IN ROLE pg_read_server_files;
CREATE ROLE xlm_granted IN ROLE xlogminer_reader;
SELECT pg_current_wal_flush_lsn() AS here \gset
CREATE TABLE priv_t (i int);
INSERT INTO priv_t VALUES (1);
SET ROLE xlm_plain;
SELECT count(*) FROM xlogminer_records(:'here');
SELECT count(*) FROM xlogminer_stats(:'here');
SELECT count(*) FROM xlogminer_contents(:'here');
RESET ROLE;
SET ROLE xlm_files;
SELECT count(*) >= 0 AS allowed FROM xlogminer_records(:'here');
RESET ROLE;
-- A stray GRANT does not open the door: the function checks the role itself.
GRANT EXECUTE ON FUNCTION xlogminer_records(pg_lsn, pg_lsn, text) TO xlm_plain;
SET ROLE xlm_plain;
SELECT count(*) FROM xlogminer_records(:'here');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION xlogminer_records(pg_lsn, pg_lsn, text) FROM xlm_plain;

-- Per table and column: a table it may read, one with only some columns
-- granted, one under row-level security, one it may not read at all.
CREATE TABLE priv_open (id int PRIMARY KEY, v text);
CREATE TABLE priv_cols (id int PRIMARY KEY, pub text, secret text);
CREATE TABLE priv_rls (id int PRIMARY KEY, owner_name text);
CREATE TABLE priv_closed (id int PRIMARY KEY, v text);
GRANT SELECT ON priv_open, priv_rls TO xlm_granted;
GRANT SELECT (id, pub) ON priv_cols TO xlm_granted;
ALTER TABLE priv_rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON priv_rls USING (owner_name = current_user);
INSERT INTO priv_open VALUES (1, 'open');
INSERT INTO priv_cols VALUES (1, 'public part', 'the secret');
UPDATE priv_cols SET pub = 'public again' WHERE id = 1;
UPDATE priv_cols SET secret = 'another secret' WHERE id = 1;
INSERT INTO priv_rls VALUES (1, 'xlm_granted'), (2, 'someone else');
INSERT INTO priv_closed VALUES (1, 'closed');
SELECT current_setting('data_directory') || '/pg_wal' AS pg_wal \gset
SET ROLE xlm_granted;
SELECT relation, op, redo_sql, complete, info FROM xlogminer_contents(:'here') ORDER BY lsn, item;
-- Only the server's own WAL, and no records or statistics.
SELECT * FROM test_error(format('SELECT count(*) FROM xlogminer_contents(%L, wal_dir => %L)',
  :'here', :'pg_wal'));
SELECT * FROM test_error(format('SELECT count(*) FROM xlogminer_records(%L)', :'here'));
RESET ROLE;
-- pg_read_server_files sees every table's rows.
SET ROLE xlm_files;
SELECT relation, count(*) FROM xlogminer_contents(:'here')
WHERE relation LIKE 'priv_%' AND op <> 'DDL' GROUP BY 1 ORDER BY 1;
RESET ROLE;

DROP TABLE priv_t, priv_open, priv_cols, priv_rls, priv_closed;
DROP ROLE xlm_plain;
DROP ROLE xlm_files;
DROP ROLE xlm_granted;
