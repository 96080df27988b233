-- Mining is for superusers and members of pg_read_server_files.
CREATE ROLE xlm_plain;
CREATE ROLE xlm_reader IN ROLE pg_read_server_files;
SELECT pg_current_wal_flush_lsn() AS here \gset
CREATE TABLE priv_t (i int);
INSERT INTO priv_t VALUES (1);
SET ROLE xlm_plain;
SELECT count(*) FROM xlogminer_records(:'here');
SELECT count(*) FROM xlogminer_stats(:'here');
RESET ROLE;
SET ROLE xlm_reader;
SELECT count(*) >= 0 AS allowed FROM xlogminer_records(:'here');
RESET ROLE;
-- A stray GRANT does not open the door: the function checks the role itself.
GRANT EXECUTE ON FUNCTION xlogminer_records(pg_lsn, pg_lsn, text) TO xlm_plain;
SET ROLE xlm_plain;
SELECT count(*) FROM xlogminer_records(:'here');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION xlogminer_records(pg_lsn, pg_lsn, text) FROM xlm_plain;
DROP ROLE xlm_plain;
DROP ROLE xlm_reader;
DROP TABLE priv_t;
