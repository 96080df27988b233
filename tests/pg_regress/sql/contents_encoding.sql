-- Databases not in UTF-8: names and values keep the database's encoding
-- end to end, so replay gives the same data. Each database runs its own
-- round trip (through dblink); only counts come back.
CREATE DATABASE enc_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE enc_eucjp ENCODING 'EUC_JP' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE FUNCTION enc_round_trip(db text, word text, lq text, rq text) RETURNS TABLE (step text, result text)
LANGUAGE plpgsql AS $$
DECLARE
  conn text := format('host=%s port=%s dbname=%s user=postgres',
                      current_setting('unix_socket_directories'), current_setting('port'), db);
  start_lsn text;
  end_lsn text;
BEGIN
  PERFORM dblink_connect('enc', conn);
  PERFORM dblink_exec('enc', 'CREATE EXTENSION xlogminer');
  PERFORM dblink_exec('enc', format('CREATE TABLE %I (%I int PRIMARY KEY, %I text, n text)',
                                    't_' || word, 'k_' || word, 'v_' || word));
  PERFORM dblink_exec('enc', format('INSERT INTO %I VALUES (1, %L, %L)', 't_' || word, word, 'a'),
                      true);
  PERFORM dblink_exec('enc', format('CREATE TABLE before AS SELECT * FROM %I', 't_' || word));
  PERFORM dblink_exec('enc', 'CHECKPOINT');
  SELECT l INTO start_lsn FROM dblink('enc', 'SELECT pg_current_wal_insert_lsn()::text') AS t(l text);
  PERFORM dblink_exec('enc', format('INSERT INTO %I VALUES (2, %L, %L)', 't_' || word, word || word, word));
  PERFORM dblink_exec('enc', format('UPDATE %I SET %I = %L WHERE %I = 1', 't_' || word, 'v_' || word,
                                    lq || word || rq, 'k_' || word));
  PERFORM dblink_exec('enc', format('DELETE FROM %I WHERE %I = 2', 't_' || word, 'k_' || word));
  PERFORM dblink_exec('enc', format('INSERT INTO %I VALUES (3, %L, %L)', 't_' || word, word, 'z'));
  SELECT l INTO end_lsn FROM dblink('enc', 'SELECT pg_current_wal_flush_lsn()::text') AS t(l text);
  PERFORM dblink_exec('enc', format('CREATE TABLE after AS SELECT * FROM %I', 't_' || word));
  PERFORM dblink_exec('enc', format(
    'CREATE TABLE mined AS SELECT lsn, item, redo_sql, undo_sql, complete FROM xlogminer_contents(%L, %L, relations => %L)',
    start_lsn, end_lsn, '{' || quote_ident('t_' || word) || '}'));
  RETURN QUERY SELECT 'rows, all complete', r FROM dblink('enc',
    'SELECT count(*) || '', '' || bool_and(complete) FROM mined') AS t(r text);
  RETURN QUERY SELECT 'names in the statements', r FROM dblink('enc', format(
    'SELECT bool_and(redo_sql LIKE %L) FROM mined', '%' || quote_ident('t_' || word) || '%')) AS t(r text);
  PERFORM dblink_exec('enc', 'DO $do$ DECLARE r record; BEGIN
    FOR r IN SELECT undo_sql FROM mined ORDER BY lsn DESC, item DESC LOOP EXECUTE r.undo_sql; END LOOP; END $do$');
  RETURN QUERY SELECT 'differing after undo', r FROM dblink('enc', format(
    'SELECT count(*)::text FROM ((TABLE %1$I EXCEPT TABLE before) UNION ALL (TABLE before EXCEPT TABLE %1$I)) d',
    't_' || word)) AS t(r text);
  PERFORM dblink_exec('enc', 'DO $do$ DECLARE r record; BEGIN
    FOR r IN SELECT redo_sql FROM mined ORDER BY lsn, item LOOP EXECUTE r.redo_sql; END LOOP; END $do$');
  RETURN QUERY SELECT 'differing after redo', r FROM dblink('enc', format(
    'SELECT count(*)::text FROM ((TABLE %1$I EXCEPT TABLE after) UNION ALL (TABLE after EXCEPT TABLE %1$I)) d',
    't_' || word)) AS t(r text);
  PERFORM dblink_disconnect('enc');
END $$;
SELECT * FROM enc_round_trip('enc_latin1', 'café_Ünïcödé', '«', '»');
SELECT * FROM enc_round_trip('enc_eucjp', '日本語テキスト', '【', '】');
DROP DATABASE enc_latin1;
DROP DATABASE enc_eucjp;
