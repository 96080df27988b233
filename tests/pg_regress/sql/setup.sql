-- Installs the extension and the helpers the other tests share.
CREATE EXTENSION xlogminer;
-- pg_walinspect arrived in PostgreSQL 15; on 14 the tests that need it are
-- left out (scripts/test.sh) and waldump_compare is the reference.
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_walinspect') THEN
    CREATE EXTENSION pg_walinspect;
  END IF;
END $$;
CREATE EXTENSION dblink;
\df xlogminer_*

-- Runs a shell command as the server's OS user and returns its stdout.
CREATE FUNCTION test_run(cmd text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('pg_temp.test_run_out') IS NULL THEN
    CREATE TEMP TABLE test_run_out (line text);
  END IF;
  TRUNCATE test_run_out;
  EXECUTE format('COPY test_run_out FROM PROGRAM %L', cmd);
  RETURN QUERY SELECT line FROM test_run_out;
END $$;

-- Runs a statement that must fail; returns its message, detail and hint.
CREATE FUNCTION test_error(stmt text, OUT message text, OUT detail text, OUT hint text, OUT state text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  message := 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                          hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE;
END $$;

-- Where the cluster keeps its WAL, and a scratch directory the server may write.
CREATE FUNCTION test_scratch() RETURNS text LANGUAGE sql AS $$
  SELECT current_setting('data_directory') || '/xlogminer_scratch' $$;

-- A dblink connection named after the database it opens, as postgres.
CREATE FUNCTION test_connect(db text) RETURNS text LANGUAGE sql AS $$
  SELECT dblink_connect(db, format('host=%s port=%s dbname=%s user=postgres',
    current_setting('unix_socket_directories'), current_setting('port'), db)) $$;

-- Runs statements in a database one by one (each its own transaction
-- unless they say BEGIN), in the order given; `hostile` first sets
-- unusual settings and an empty search_path.
CREATE FUNCTION test_run_each(db text, stmts text[], hostile bool) RETURNS int LANGUAGE plpgsql AS $$
DECLARE s text; n int := 0;
BEGIN
  PERFORM test_connect(db);
  IF hostile THEN
    PERFORM dblink_exec(db, $s$SET search_path = ''; SET datestyle = 'German, DMY';
      SET timezone = 'Pacific/Chatham'; SET extra_float_digits = -3; SET bytea_output = 'escape'$s$);
  END IF;
  BEGIN
    FOREACH s IN ARRAY stmts LOOP
      PERFORM dblink_exec(db, s);
      n := n + 1;
    END LOOP;
  EXCEPTION WHEN OTHERS THEN
    PERFORM dblink_disconnect(db);
    RAISE;
  END;
  PERFORM dblink_disconnect(db);
  RETURN n;
END $$;
