-- Old row versions of pages the WAL shows without a full-page image
-- (full_page_writes = off here) come from the relation's page as it is
-- now, accepted only when their xmax (and, for an UPDATE, their ctid) is
-- the one the record set. Once VACUUM has removed them, the rows say they
-- are not known.
CREATE TABLE nofpi (id int PRIMARY KEY, v text);
-- Few rows: the page has room, so no reader prunes it on the way.
INSERT INTO nofpi SELECT g, 'v' || g FROM generate_series(1, 20) g;
ALTER SYSTEM SET full_page_writes = off;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS nofpi_start \gset
UPDATE nofpi SET v = 'changed' WHERE id = 1;
DELETE FROM nofpi WHERE id = 2;
SELECT pg_current_wal_flush_lsn() AS nofpi_end \gset
ALTER SYSTEM RESET full_page_writes;
SELECT pg_reload_conf();
-- No page image in the range.
SELECT count(*) FILTER (WHERE block_ref LIKE '%FPW%') AS images
FROM xlogminer_records(:'nofpi_start', :'nofpi_end');
PREPARE nofpi_rows AS
  SELECT op, complete, redo_sql, undo_sql,
         regexp_replace(info, '[0-9]+/[0-9]+/[0-9]+', 'S/D/R') AS info
  FROM xlogminer_contents(:'nofpi_start', :'nofpi_end', relations => '{nofpi}')
  ORDER BY lsn, item;
EXECUTE nofpi_rows;
VACUUM nofpi;
EXECUTE nofpi_rows;
