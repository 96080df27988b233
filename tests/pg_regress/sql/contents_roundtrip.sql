-- The strongest test: mine a workload, replay every redo_sql on a copy of
-- the before-state and compare with the after-state; replay every undo_sql
-- in reverse on the after-state and compare with the before-state. Mining
-- and replaying run under different, unusual session settings.
CREATE SCHEMA "My Schema";
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);

-- A table with a key and many types.
CREATE TABLE "My Schema"."weird""name" (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "a col" text,
  f4 float4, f8 float8, num numeric, cash money,
  arr text[], iarr int[], m mood, d posint, comp pair, rng int4range, tsr tstzrange,
  j json, jb jsonb, b bytea, bits bit(5), vbits varbit,
  ts timestamp, tstz timestamptz, dt date, tm time, tmtz timetz, iv interval,
  u uuid, ip inet, cidr_ cidr, mac macaddr, ch char(4), vc varchar(10), flag bool, sm int2, big int8,
  pt point, bx box, x xml,
  to_drop int,
  gen int GENERATED ALWAYS AS (length("a col")) STORED
);
ALTER TABLE "My Schema"."weird""name" DROP COLUMN to_drop;
-- A table without a key that holds duplicates.
CREATE TABLE nokey (a int, b text, c numeric);
-- A table whose later column has a default (rows before carry none).
CREATE TABLE later (k int PRIMARY KEY, v text);
INSERT INTO later SELECT g, 'v' || g FROM generate_series(1, 50) g;
ALTER TABLE later ADD COLUMN extra text DEFAULT 'added later';
ALTER TABLE later ADD COLUMN extra2 int;
-- A table for COPY, ON CONFLICT and ctid reuse.
CREATE TABLE kv (k int PRIMARY KEY, v text, n int DEFAULT 0);
INSERT INTO kv SELECT g, 'init' || g FROM generate_series(1, 200) g;
INSERT INTO nokey VALUES (1, 'dup', 1.0), (1, 'dup', 1.0), (1, 'dup', 1.00), (2, NULL, NULL);

-- The before-state.
CREATE TABLE snap_weird_before AS SELECT * FROM "My Schema"."weird""name";
CREATE TABLE snap_nokey_before AS SELECT * FROM nokey;
CREATE TABLE snap_later_before AS SELECT * FROM later;
CREATE TABLE snap_kv_before AS SELECT * FROM kv;
CHECKPOINT;
SELECT pg_current_wal_flush_lsn() AS start_lsn \gset

-- The workload.
INSERT INTO "My Schema"."weird""name" ("a col", f4, f8, num, cash, arr, iarr, m, d, comp, rng, tsr, j, jb, b, bits, vbits,
  ts, tstz, dt, tm, tmtz, iv, u, ip, cidr_, mac, ch, vc, flag, sm, big, pt, bx, x)
VALUES
 ('O''Brien \ back\slash', 'NaN', '-0', 'NaN', 12.34, ARRAY['a"b', NULL, 'c,d', '{x}'], ARRAY[1, NULL], 'happy', 7,
  ROW(1, 'p''q'), '[1,5)', '[2026-01-01 00:00+00,infinity)', '{"k": [1, 2.50]}', '{"z": 1, "a": [true, null]}',
  '\x00ff5c27', B'10101', B'1', '2026-02-03 04:05:06.789', '2026-02-03 04:05:06.789+05:30', '2026-02-03', '23:59:59.999999',
  '12:00+03', '1 year -2 mons 3 days -04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '10.0.0.0/8',
  '08:00:2b:01:02:03', 'ab', 'xyz', true, -32768, 9223372036854775807, '(1.5,-2)', '((0,0),(1,1))', '<a b="c">d</a>'),
 (E'line1\nline2\ttab ünïcödé 😀', 'Infinity', '-Infinity', '-Infinity', -0.01, '{}', NULL, 'sad', NULL,
  NULL, 'empty', NULL, 'null', '[]', '', B'00000', B'', 'infinity', '-infinity', '-infinity', '00:00', NULL, '-178000000 years',
  NULL, '::1', NULL, NULL, NULL, '', false, 0, -1, NULL, NULL, NULL),
 (NULL, 1.17549435e-38, 2.2250738585072014e-308, '1e-1000'::numeric * 0 + 0.000000000000000000001, 0, NULL, NULL, NULL, 1,
  ROW(NULL, NULL), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0', NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE "My Schema"."weird""name" SET f8 = 3.141592653589793, "a col" = "a col" || '!' WHERE id = 1;
UPDATE "My Schema"."weird""name" SET num = 'Infinity', iv = '-1 days +02:03:04' WHERE id = 2;
UPDATE "My Schema"."weird""name" SET tstz = 'epoch' WHERE id = 3;
DELETE FROM "My Schema"."weird""name" WHERE id = 2;

-- From here on full-page images are LZ4-compressed, later zstd: new row
-- versions are read from those images, so they must decompress exactly.
-- Where the server has no such method (14 has pglz only, a build without
-- zstd), the images stay pglz.
SELECT coalesce('lz4' = ANY (enumvals), false) AS has_lz4, coalesce('zstd' = ANY (enumvals), false) AS has_zstd
FROM pg_settings WHERE name = 'wal_compression' \gset
\if :has_lz4
SET wal_compression = 'lz4';
\endif
CHECKPOINT;

-- Duplicates without a key: one of the identical rows changes, one goes.
UPDATE nokey SET b = 'changed' WHERE ctid = (SELECT ctid FROM nokey WHERE a = 1 AND c = 1.00 AND c::text = '1.00');
DELETE FROM nokey WHERE ctid = (SELECT min(ctid) FROM nokey WHERE a = 1);
INSERT INTO nokey VALUES (3, 'dup', 3), (3, 'dup', 3);

-- Rows without the later column: update and delete them.
UPDATE later SET v = 'upd' WHERE k <= 5;
DELETE FROM later WHERE k BETWEEN 6 AND 8;
INSERT INTO later (k, v) VALUES (100, 'new');

-- COPY (multi-insert), ON CONFLICT, key updates, HOT and non-HOT updates.
COPY kv (k, v) FROM STDIN;
1001	copied 1
1002	copied\ttab
1003	\N
\.
INSERT INTO kv SELECT g, 'bulk' || g FROM generate_series(2000, 2300) g;
INSERT INTO kv VALUES (1, 'conflict') ON CONFLICT (k) DO UPDATE SET v = excluded.v || ' resolved', n = kv.n + 1;
INSERT INTO kv VALUES (2, 'ignored') ON CONFLICT DO NOTHING;
INSERT INTO kv VALUES (5000, 'no conflict') ON CONFLICT DO NOTHING;
UPDATE kv SET k = k + 10000 WHERE k BETWEEN 10 AND 12;
UPDATE kv SET n = n + 1 WHERE k BETWEEN 20 AND 40;
UPDATE kv SET v = repeat('w', 300) WHERE k BETWEEN 41 AND 45;

\if :has_zstd
SET wal_compression = 'zstd';
\endif
CHECKPOINT;

-- ctids reused after VACUUM.
DELETE FROM kv WHERE k BETWEEN 100 AND 150;
VACUUM kv;
INSERT INTO kv SELECT g, 'reuse' || g FROM generate_series(3000, 3040) g;
UPDATE kv SET v = 'reused and updated' WHERE k BETWEEN 3000 AND 3010;

-- Subtransactions, a savepoint rollback, an abort, 2PC.
BEGIN;
INSERT INTO kv VALUES (7001, 'top');
SAVEPOINT s1;
INSERT INTO kv VALUES (7002, 'rolled back');
ROLLBACK TO s1;
SAVEPOINT s2;
UPDATE kv SET v = 'in released subxact' WHERE k = 3;
RELEASE s2;
COMMIT;
BEGIN;
DELETE FROM kv WHERE k = 4;
ROLLBACK;
BEGIN;
UPDATE kv SET v = 'prepared and committed' WHERE k = 6;
PREPARE TRANSACTION 'rt1';
BEGIN;
UPDATE kv SET v = 'prepared and rolled back' WHERE k = 7;
PREPARE TRANSACTION 'rt2';
COMMIT PREPARED 'rt1';
ROLLBACK PREPARED 'rt2';

-- Interleaved sessions.
SELECT dblink_connect('s1', format('host=%s port=%s dbname=%s user=postgres',
  current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_connect('s2', format('host=%s port=%s dbname=%s user=postgres',
  current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_exec('s1', 'BEGIN');
SELECT dblink_exec('s2', 'BEGIN');
SELECT dblink_exec('s1', $$INSERT INTO kv VALUES (8001, 'session one')$$);
SELECT dblink_exec('s2', $$INSERT INTO kv VALUES (8002, 'session two')$$);
SELECT dblink_exec('s1', $$UPDATE kv SET v = 'session one again' WHERE k = 8001$$);
SELECT dblink_exec('s2', $$UPDATE kv SET n = 99 WHERE k = 13$$);
SELECT dblink_exec('s2', 'COMMIT');
SELECT dblink_exec('s1', $$DELETE FROM kv WHERE k = 14$$);
SELECT dblink_exec('s1', 'COMMIT');
SELECT dblink_disconnect('s1');
SELECT dblink_disconnect('s2');

RESET wal_compression;
SELECT pg_current_wal_flush_lsn() AS end_lsn \gset
-- LZ4 and zstd images are in the range where the server has them (pglz
-- ones are in walinspect_compare's).
SELECT (count(*) FILTER (WHERE block_ref LIKE '%method: lz4%') > 0) = :'has_lz4'::bool AS lz4,
       (count(*) FILTER (WHERE block_ref LIKE '%method: zstd%') > 0) = :'has_zstd'::bool AS zstd
FROM xlogminer_records(:'start_lsn', :'end_lsn');
CREATE TABLE snap_weird_after AS SELECT * FROM "My Schema"."weird""name";
CREATE TABLE snap_nokey_after AS SELECT * FROM nokey;
CREATE TABLE snap_later_after AS SELECT * FROM later;
CREATE TABLE snap_kv_after AS SELECT * FROM kv;

-- Mine under unusual settings.
SET datestyle = 'German, DMY';
SET timezone = 'America/St_Johns';
SET intervalstyle = 'iso_8601';
SET extra_float_digits = -3;
SET bytea_output = 'escape';
CREATE TABLE mined AS
  SELECT lsn, item, op, relation, redo_sql, undo_sql, complete, info
  FROM xlogminer_contents(:'start_lsn', :'end_lsn')
  WHERE relation IN ('weird"name', 'nokey', 'later', 'kv');
RESET ALL;
-- Mined again under the default settings and with the smallest page cache
-- (pages spill to disk): the same statements, to the byte.
SET xlogminer.page_cache_size = '1MB';
SELECT count(*) AS differing_statements FROM (
  (SELECT lsn, item, redo_sql, undo_sql FROM xlogminer_contents(:'start_lsn', :'end_lsn')
   WHERE relation IN ('weird"name', 'nokey', 'later', 'kv')
   EXCEPT ALL SELECT lsn, item, redo_sql, undo_sql FROM mined)
  UNION ALL
  (SELECT lsn, item, redo_sql, undo_sql FROM mined
   EXCEPT ALL SELECT lsn, item, redo_sql, undo_sql FROM xlogminer_contents(:'start_lsn', :'end_lsn')
   WHERE relation IN ('weird"name', 'nokey', 'later', 'kv'))
) d;
RESET xlogminer.page_cache_size;
-- In the select list, one row per call: the same statements, and the
-- output settings values are rendered under are switched back before
-- each row is returned (rows are mined in batches), so the rest of the
-- query sees the session's own between rows.
SET datestyle = 'German, DMY';
SET timezone = 'America/St_Johns';
SELECT count(*) = (SELECT count(*) FROM mined) AS all_rows,
       count(*) FILTER (WHERE NOT EXISTS (
         SELECT FROM mined m WHERE m.lsn = (c).lsn AND m.item = (c).item
           AND m.redo_sql IS NOT DISTINCT FROM (c).redo_sql
           AND m.undo_sql IS NOT DISTINCT FROM (c).undo_sql)) AS differing_statements,
       count(DISTINCT s) AS settings_seen, min(s) AS settings
FROM (SELECT xlogminer_contents(:'start_lsn', :'end_lsn') AS c,
             current_setting('TimeZone') || ' ' || current_setting('DateStyle') AS s) x
WHERE (c).relation IN ('weird"name', 'nokey', 'later', 'kv');
RESET ALL;
SELECT relation, op, count(*), bool_and(complete) AS all_complete
FROM mined GROUP BY 1, 2 ORDER BY 1, 2;
SELECT relation, op, info FROM mined WHERE NOT complete ORDER BY lsn, item;
-- No uncommitted change is among them.
SELECT count(*) AS rolled_back_rows FROM mined
WHERE redo_sql LIKE '%rolled back%' OR redo_sql LIKE '%7002%' OR (op = 'DELETE' AND redo_sql LIKE '%"k" = ''4''%');

-- Compares a table with a snapshot as rows of text, both ways, counting
-- duplicates: exact (1.0 and 1.00 differ) and usable for types without
-- equality (json, point, xml).
CREATE FUNCTION same_text(a text, b text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT lrow::text FROM %1$s lrow EXCEPT ALL SELECT rrow::text FROM %2$s rrow)
                  UNION ALL (SELECT rrow::text FROM %2$s rrow EXCEPT ALL SELECT lrow::text FROM %1$s lrow)) d', a, b) INTO n;
  RETURN n;
END $$;
CREATE FUNCTION all_same(phase text) RETURNS TABLE (tbl text, differing bigint) LANGUAGE sql AS $$
  SELECT t, public.same_text(q, 'public.snap_' || t || '_' || phase)
  FROM (VALUES ('weird', '"My Schema"."weird""name"'), ('nokey', 'public.nokey'),
               ('later', 'public.later'), ('kv', 'public.kv')) v(t, q)
$$;
SELECT * FROM public.all_same('after');

-- Undo, newest first, under other unusual settings and an empty search_path.
SET datestyle = 'SQL, MDY';
SET timezone = 'Asia/Kathmandu';
SET intervalstyle = 'sql_standard';
SET extra_float_digits = 0;
SET bytea_output = 'escape';
SET lc_monetary = 'C';
SET search_path = '';
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT undo_sql FROM public.mined ORDER BY lsn DESC, item DESC LOOP
    EXECUTE r.undo_sql;
  END LOOP;
END $$;
RESET ALL;
SELECT * FROM public.all_same('before');

-- Redo, oldest first, from the before-state.
SET datestyle = 'Postgres, DMY';
SET timezone = 'Pacific/Chatham';
SET intervalstyle = 'postgres_verbose';
SET extra_float_digits = 1;
SET search_path = '';
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT redo_sql FROM public.mined ORDER BY lsn, item LOOP
    EXECUTE r.redo_sql;
  END LOOP;
END $$;
RESET ALL;
SELECT * FROM public.all_same('after');
