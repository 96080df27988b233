-- Query cancel and statement_timeout stop any scan within a second: the
-- scan checks for interrupts before every record, in each pass.
-- Enough WAL that every function below runs well past the timeout: a
-- million rows inserted, then updated (about 230 MB of WAL; the fastest
-- function, xlogminer_stats, reads it in half a second).
CREATE TABLE cxl (id int, v text);
SELECT pg_current_wal_insert_lsn() AS c0 \gset
INSERT INTO cxl SELECT g, repeat('x', 40) FROM generate_series(1, 1000000) g;
UPDATE cxl SET v = 'y';
SELECT pg_current_wal_flush_lsn() AS c1 \gset

-- The time from the start of a statement to its error, compared with the
-- timeout: at least the timeout (it did fire) and at most a second more.
CREATE FUNCTION elapsed_since(t timestamptz) RETURNS interval LANGUAGE sql AS $$ SELECT clock_timestamp() - t $$;

SET statement_timeout = '100ms';
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM xlogminer_records(:'c0', :'c1');
SELECT elapsed_since(:'t0') BETWEEN interval '100 ms' AND interval '1100 ms' AS records_stopped_in_time;
SELECT clock_timestamp() AS t0 \gset
SELECT (r).start_lsn FROM (SELECT xlogminer_records(:'c0', :'c1') AS r) s OFFSET 100000000;
SELECT elapsed_since(:'t0') BETWEEN interval '100 ms' AND interval '1100 ms' AS streaming_stopped_in_time;
-- xlogminer_stats reads on two threads and may finish this range in about
-- 100 ms: a shorter timeout for it.
SET statement_timeout = '10ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM xlogminer_stats(:'c0', :'c1', true);
SELECT elapsed_since(:'t0') BETWEEN interval '10 ms' AND interval '1010 ms' AS stats_stopped_in_time;
SET statement_timeout = '100ms';
-- xlogminer_contents (its first pass, here).
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM xlogminer_contents(:'c0', :'c1');
SELECT elapsed_since(:'t0') BETWEEN interval '100 ms' AND interval '1100 ms' AS contents_stopped_in_time;
RESET statement_timeout;
-- Stopped by the timeouts above or early by LIMIT, a scan leaves no
-- reading thread behind in the backend.
SELECT count(*) FROM (SELECT xlogminer_records(:'c0', :'c1') AS r LIMIT 10) s;
-- (A joined thread may still be counted for a moment while the kernel
-- finishes its exit: the count is read again for up to two seconds.)
CREATE FUNCTION backend_threads() RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  FOR i IN 1..200 LOOP
    n := substring(pg_read_file('/proc/self/status') FROM 'Threads:\s*(\d+)')::int;
    EXIT WHEN n = 1;
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN n;
END $$;
SELECT backend_threads();

-- A cancel from another session (pg_cancel_backend) stops the scan too.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT dblink_connect('cxl', format('host=%s port=%s dbname=%s user=postgres',
  current_setting('unix_socket_directories'), current_setting('port'), current_database())) AS connected;
SELECT pid AS other FROM dblink('cxl', 'SELECT pg_backend_pid()') AS t(pid int) \gset
SELECT dblink_send_query('cxl', format('SELECT count(*) FROM xlogminer_contents(%L, %L)', :'c0', :'c1')) AS sent;
SELECT pg_sleep(0.3);
SELECT clock_timestamp() AS t0 \gset
SELECT pg_cancel_backend(:other) AS cancelled;
SELECT * FROM dblink_get_result('cxl') AS t(n bigint);
SELECT elapsed_since(:'t0') < interval '1 s' AS cancelled_in_time;
SELECT dblink_disconnect('cxl') AS disconnected;

-- Under a CPU budget (xlogminer.cpu_limit) a scan sleeps between slices
-- of work: the same answer, seen waiting (wait event Extension) most of
-- the time, and still stopped at once by a cancel.
SELECT count(*) AS n_unlimited FROM xlogminer_records(:'c0', pg_lsn(:'c0') + 20000000) \gset
SET xlogminer.cpu_limit = 50;
SELECT count(*) = :n_unlimited AS same_records FROM xlogminer_records(:'c0', pg_lsn(:'c0') + 20000000);
RESET xlogminer.cpu_limit;
SET xlogminer.cpu_limit = 0;
CREATE FUNCTION seen_sleeping(p int) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..200 LOOP
    PERFORM pg_stat_clear_snapshot();
    IF EXISTS (SELECT FROM pg_stat_activity WHERE pid = p AND wait_event_type = 'Extension') THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.02);
  END LOOP;
  RETURN false;
END $$;
SELECT dblink_connect('cxl', format('host=%s port=%s dbname=%s user=postgres',
  current_setting('unix_socket_directories'), current_setting('port'), current_database())) AS connected;
SELECT pid AS other FROM dblink('cxl', 'SELECT pg_backend_pid()') AS t(pid int) \gset
SELECT dblink_exec('cxl', 'SET xlogminer.cpu_limit = 5');
SELECT dblink_send_query('cxl', format('SELECT count(*) FROM xlogminer_contents(%L, %L)', :'c0', :'c1')) AS sent;
SELECT seen_sleeping(:other) AS throttled;
SELECT clock_timestamp() AS t0 \gset
SELECT pg_cancel_backend(:other) AS cancelled;
SELECT * FROM dblink_get_result('cxl') AS t(n bigint);
SELECT elapsed_since(:'t0') < interval '1 s' AS cancelled_in_time;
SELECT dblink_disconnect('cxl') AS disconnected;

-- xlogminer.nice: a scan lowers its backend's scheduling priority (read
-- back from /proc), and a smaller value later cannot raise it again (the
-- NOTICE saying so is hidden: it names the value the server started at).
CREATE FUNCTION backend_nice() RETURNS int LANGUAGE sql AS
$$ SELECT (string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' '))[17]::int $$;
SELECT backend_nice() AS nice_before \gset
SET client_min_messages = warning;
SET xlogminer.nice = 15;
SELECT count(*) > 0 AS scanned FROM xlogminer_records(:'c0', pg_lsn(:'c0') + 100000);
SELECT backend_nice() = greatest(:nice_before, 15) AS lowered;
SET xlogminer.nice = 5;
SELECT count(*) > 0 AS scanned FROM xlogminer_records(:'c0', pg_lsn(:'c0') + 100000);
SELECT backend_nice() = greatest(:nice_before, 15) AS kept;
RESET xlogminer.nice;
RESET client_min_messages;
DROP FUNCTION backend_nice();

DROP FUNCTION seen_sleeping(int);
DROP FUNCTION elapsed_since(timestamptz);
DROP TABLE cxl;
