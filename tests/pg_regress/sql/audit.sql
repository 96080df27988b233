-- The scheduled audit: captures append each committed change once, across
-- a transaction open over several captures, an aborted one, captures
-- running at the same time; lost WAL is a GAP row; pg_cron runs it.
SELECT * FROM test_error('SELECT xlogminer_audit_capture()');
SELECT xlogminer_audit_enable() LIKE 'audit enabled from %; WAL kept by slot xlogminer_audit_%' AS enabled;
SELECT * FROM test_error('SELECT xlogminer_audit_enable()');
SELECT slot_type, active FROM pg_replication_slots WHERE slot_name LIKE 'xlogminer_audit_%';
SELECT pg_current_wal_insert_lsn() AS audit_start \gset

CREATE TABLE audited (id int PRIMARY KEY, v text);
INSERT INTO audited VALUES (1, 'one'), (2, 'two');
-- A transaction that stays open across two captures.
SELECT test_connect(current_database());
SELECT dblink_exec(current_database(), 'BEGIN');
SELECT dblink_exec(current_database(), $$INSERT INTO audited VALUES (100, 'long, early')$$);
BEGIN;
INSERT INTO audited VALUES (3, 'aborted');
ROLLBACK;
UPDATE audited SET v = 'uno' WHERE id = 1;
SELECT xlogminer_audit_capture() AS first_capture;
SELECT dblink_exec(current_database(), $$UPDATE audited SET v = 'long, late' WHERE id = 100$$);
DELETE FROM audited WHERE id = 2;
SELECT xlogminer_audit_capture() AS second_capture;
SELECT dblink_exec(current_database(), 'COMMIT');
SELECT dblink_disconnect(current_database());
SELECT xlogminer_audit_capture() AS third_capture;
SELECT xlogminer_audit_capture() AS nothing_left;

-- Two captures at once: the second waits for the first's lock and then
-- finds nothing new.
INSERT INTO audited VALUES (4, 'four');
SELECT test_connect(current_database());
SELECT dblink_exec(current_database(), 'BEGIN');
SELECT * FROM dblink(current_database(), 'SELECT xlogminer_audit_capture()') AS t(first_captured bigint);
SELECT dblink_connect('second', format('host=%s port=%s dbname=%s user=postgres',
  current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_exec('second', 'SET lock_timeout = ''200ms''');
SELECT * FROM test_error($$SELECT * FROM dblink('second', 'SELECT xlogminer_audit_capture()') AS t(n bigint)$$);
SELECT dblink_exec(current_database(), 'COMMIT');
SELECT * FROM dblink('second', 'SELECT xlogminer_audit_capture()') AS t(then_captured bigint);
SELECT dblink_disconnect('second');
SELECT dblink_disconnect(current_database());

-- The log holds exactly the committed changes of the audited table, once
-- each, in the order they happened; nothing of the audit's own tables.
SELECT capture_id, op, redo_sql, undo_sql, complete FROM xlogminer.audit_log
WHERE relation = 'audited' ORDER BY lsn, item;
SELECT count(*) AS duplicates FROM (SELECT lsn, item, op FROM xlogminer.audit_log GROUP BY 1, 2, 3 HAVING count(*) > 1) d;
SELECT count(*) AS own_rows FROM xlogminer.audit_log WHERE schema = 'xlogminer';
-- The same as mining the whole stretch at once.
SELECT count(*) AS differing FROM (
  (SELECT lsn, item, op, redo_sql FROM xlogminer.audit_log WHERE relation = 'audited'
   EXCEPT SELECT lsn, item, op, redo_sql FROM xlogminer_contents(:'audit_start') WHERE relation = 'audited')
  UNION ALL
  (SELECT lsn, item, op, redo_sql FROM xlogminer_contents(:'audit_start') WHERE relation = 'audited'
   EXCEPT SELECT lsn, item, op, redo_sql FROM xlogminer.audit_log WHERE relation = 'audited')) d;
-- The slot keeps WAL only from a bookmark already committed.
SELECT s.restart_lsn <= a.resume_lsn AS slot_behind_bookmark
FROM pg_replication_slots s, xlogminer.audit_state a WHERE s.slot_name = a.slot_name;

-- WAL lost before it was captured: a loud GAP row, then captures go on.
UPDATE xlogminer.audit_state SET resume_lsn = '0/10';
SET client_min_messages = error;  -- the WARNING names this cluster's LSNs
SELECT xlogminer_audit_capture() > 0 AS captured_after_gap;
RESET client_min_messages;
SELECT op, complete, regexp_replace(info, '[0-9A-F]+/[0-9A-F]+', 'X/X', 'g') AS info
FROM xlogminer.audit_log WHERE op = 'GAP';

-- Who may: auditors, not others.
CREATE ROLE xlm_auditor IN ROLE xlogminer_auditor;
CREATE ROLE xlm_nobody;
SET ROLE xlm_auditor;
SELECT xlogminer_audit_capture() >= 0 AS auditor_captures;
SELECT count(*) > 0 AS auditor_reads FROM xlogminer.audit_log;
RESET ROLE;
SET ROLE xlm_nobody;
SELECT * FROM test_error('SELECT xlogminer_audit_capture()');
SELECT * FROM test_error('SELECT count(*) FROM xlogminer.audit_log');
RESET ROLE;
DROP ROLE xlm_auditor;
DROP ROLE xlm_nobody;

-- pg_cron runs the capture (where the server preloads it).
SELECT current_setting('shared_preload_libraries') LIKE '%pg_cron%' AS have_cron \gset
\if :have_cron
CREATE EXTENSION pg_cron;
SELECT xlogminer_audit_schedule('* * * * *') > 0 AS scheduled;
INSERT INTO audited VALUES (5, 'captured by pg_cron');
-- Waits for a run (at most about two minutes).
DO $$
BEGIN
  FOR i IN 1..130 LOOP
    EXIT WHEN EXISTS (SELECT FROM xlogminer.audit_log WHERE redo_sql LIKE '%captured by pg_cron%');
    PERFORM pg_sleep(1);
  END LOOP;
END $$;
SELECT count(*) AS cron_captured FROM xlogminer.audit_log WHERE redo_sql LIKE '%captured by pg_cron%';
SELECT status FROM cron.job_run_details WHERE command = 'SELECT xlogminer_audit_capture()' LIMIT 1;
\else
SELECT 'pg_cron not preloaded: the scheduled capture is not tested here' AS note;
\endif

SELECT xlogminer_audit_disable(keep_log => false);
SELECT count(*) AS slots_left FROM pg_replication_slots WHERE slot_name LIKE 'xlogminer_audit_%';
\if :have_cron
SELECT count(*) AS jobs_left FROM cron.job;
DROP EXTENSION pg_cron;
\endif
DROP TABLE audited;
