-- Values stored out of line (TOAST): uncompressed (STORAGE EXTERNAL),
-- pglz- and LZ4-compressed, written before the range (their chunks come
-- from TOAST pages imaged in the range, or from the live TOAST relation)
-- and inside it (their chunks are in the range). Redo replayed on the
-- before-state gives the after-state; undo in reverse gives the
-- before-state.
CREATE TABLE docs (id int PRIMARY KEY, title text, body text, zbody text, lbody text);
ALTER TABLE docs ALTER body SET STORAGE EXTERNAL;
ALTER TABLE docs ALTER lbody SET COMPRESSION lz4;
-- 128 kB that compress to about half: still out of line once compressed.
CREATE FUNCTION big(seed int) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(md5((seed * 10000 + g)::text) || repeat(chr(65 + g % 26), 32), '')
  FROM generate_series(1, 2000) g $$;
INSERT INTO docs SELECT i, 'doc ' || i, big(i), big(i + 100), big(i + 200) FROM generate_series(1, 6) i;
CHECKPOINT;
CREATE TABLE docs_before AS SELECT * FROM docs;
SELECT pg_current_wal_insert_lsn() AS toast_start \gset
-- Replaced values (new chunks in the range).
UPDATE docs SET body = big(1001), zbody = big(1002), lbody = big(1003) WHERE id = 1;
-- Kept values: only the title changes, the TOAST pointers stay.
UPDATE docs SET title = 'renamed' WHERE id = 2;
-- Deleted rows whose values were written before the range.
DELETE FROM docs WHERE id IN (3, 4);
-- New rows with new values.
INSERT INTO docs VALUES (7, 'seven', big(7), big(107), big(207));
-- A value moved in and out of line.
UPDATE docs SET body = 'short now' WHERE id = 5;
UPDATE docs SET zbody = big(1006) WHERE id = 6;
-- A value compressed inline (small enough once compressed).
UPDATE docs SET title = repeat('abc', 10000) WHERE id = 6;
SELECT pg_current_wal_flush_lsn() AS toast_end \gset
CREATE TABLE docs_after AS SELECT * FROM docs;
-- Values compressed with each method, out of line and inline, are in the range.
SELECT count(*) FILTER (WHERE pg_column_compression(zbody) = 'pglz') > 0 AS pglz,
       count(*) FILTER (WHERE pg_column_compression(lbody) = 'lz4') > 0 AS lz4,
       count(*) FILTER (WHERE pg_column_compression(title) = 'pglz') > 0 AS inline,
       count(*) FILTER (WHERE pg_column_compression(body) IS NULL AND length(body) > 100000) > 0 AS plain
FROM docs;

CREATE TABLE docs_mined AS
  SELECT lsn, item, op, redo_sql, undo_sql, complete, info
  FROM xlogminer_contents(:'toast_start', :'toast_end', relations => '{docs}');
SELECT op, count(*), bool_and(complete) AS all_complete FROM docs_mined GROUP BY op ORDER BY op;
SELECT op, info FROM docs_mined WHERE NOT complete ORDER BY lsn, item;
-- The kept values are left alone by the statements of the title change.
SELECT redo_sql, undo_sql FROM docs_mined WHERE redo_sql LIKE '%renamed%';

CREATE FUNCTION docs_differ(snapshot text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT d::text FROM docs d EXCEPT ALL SELECT s::text FROM %1$s s)
                  UNION ALL (SELECT s::text FROM %1$s s EXCEPT ALL SELECT d::text FROM docs d)) x', snapshot)
  INTO n;
  RETURN n;
END $$;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT undo_sql FROM docs_mined ORDER BY lsn DESC, item DESC LOOP
    EXECUTE r.undo_sql;
  END LOOP;
END $$;
SELECT docs_differ('docs_before') AS differing_after_undo;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT redo_sql FROM docs_mined ORDER BY lsn, item LOOP
    EXECUTE r.redo_sql;
  END LOOP;
END $$;
SELECT docs_differ('docs_after') AS differing_after_redo;

-- Values whose TOAST pages the range never touches come from the live
-- TOAST relation, read past MVCC: a deleted value's chunks stay there
-- until VACUUM. Once a value is gone everywhere, the row says which
-- column it misses.
CREATE TABLE notes (id int PRIMARY KEY, n int, body text);
ALTER TABLE notes ALTER body SET STORAGE EXTERNAL;
INSERT INTO notes VALUES (1, 0, big(50)), (2, 0, big(51));
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS notes_start \gset
UPDATE notes SET n = 1;
DELETE FROM notes WHERE id = 2;
-- A range that ends at the DELETE, before the records that delete (and
-- image) its chunks: the transaction is in progress as far as it shows.
SELECT end_lsn AS del_end FROM xlogminer_records(:'notes_start')
WHERE resource_manager = 'Heap' AND record_type = 'DELETE' ORDER BY start_lsn LIMIT 1 \gset
PREPARE notes_rows AS
  SELECT op, status, complete,
         regexp_replace(info, 'value [0-9]+ in TOAST relation [0-9]+', 'value V in TOAST relation R', 'g') AS info
  FROM xlogminer_contents(:'notes_start', :'del_end', relations => '{notes}', include_uncommitted => true)
  ORDER BY lsn, item;
EXECUTE notes_rows;
VACUUM notes;
EXECUTE notes_rows;
