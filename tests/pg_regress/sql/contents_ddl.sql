-- DDL and TRUNCATE rows, and rows of tables altered, rewritten, renamed
-- and dropped between their changes, round-tripped: the workload runs in
-- its own database; copies of it before and after the workload are made
-- from it as a template. Every redo_sql, DDL included, replays on the
-- before copy, which must then equal the after copy; the undo_sql of the
-- tables whose every row has one replays newest first on another after
-- copy, which must then equal the before copy. Definitions (columns,
-- types, NOT NULL, indexes, constraints) and rows are compared.
CREATE DATABASE xlm_ddl_src;
SELECT test_connect('xlm_ddl_src');
-- Lines of one database's state that the other lacks, both ways.
CREATE FUNCTION ddl_differences(a text, b text, schemas text[])
RETURNS TABLE (only_in text, line text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM test_connect(a);
  PERFORM test_connect(b);
  RETURN QUERY
  WITH sa AS (SELECT l FROM dblink(a, format('SELECT * FROM rt_tools.state(%L)', schemas)) AS t(l text)),
       sb AS (SELECT l FROM dblink(b, format('SELECT * FROM rt_tools.state(%L)', schemas)) AS t(l text))
  (SELECT a, l FROM (SELECT l FROM sa EXCEPT ALL SELECT l FROM sb) x)
  UNION ALL
  (SELECT b, l FROM (SELECT l FROM sb EXCEPT ALL SELECT l FROM sa) y)
  ORDER BY 1, 2;
  PERFORM dblink_disconnect(a);
  PERFORM dblink_disconnect(b);
END $$;

-- The before-state, and a function that lists a set of schemas' tables
-- as lines of text: definition, indexes, constraints and rows.
SELECT dblink_exec('xlm_ddl_src', $sql$
CREATE EXTENSION xlogminer;
CREATE SCHEMA rt_tools;
CREATE FUNCTION rt_tools.state(schemas text[]) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY (schemas) AND c.relkind = 'r' LOOP
    RETURN NEXT format('table %I.%I (%s)', r.nspname, r.relname,
      (SELECT string_agg(format('%I %s%s', attname, format_type(atttypid, atttypmod),
                                CASE WHEN attnotnull THEN ' not null' ELSE '' END), ', ' ORDER BY attnum)
       FROM pg_attribute WHERE attrelid = r.oid AND attnum > 0 AND NOT attisdropped));
    RETURN QUERY SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = r.oid;
    RETURN QUERY SELECT format('constraint %I %s', conname, pg_get_constraintdef(oid))
                 FROM pg_constraint WHERE conrelid = r.oid;
    RETURN QUERY EXECUTE format('SELECT %L || t::text FROM %I.%I t', r.nspname || '.' || r.relname || ' row ',
                                r.nspname, r.relname);
  END LOOP;
END $f$;
CREATE SCHEMA rt_a;
CREATE SCHEMA rt_a2;
CREATE SCHEMA rt_b;
-- Undone too: renamed, moved, given a column, a NOT NULL, indexes.
CREATE TABLE rt_a.ren (id int PRIMARY KEY, v text);
INSERT INTO rt_a.ren SELECT g, 'ren ' || g FROM generate_series(1, 5) g;
CREATE TABLE rt_a.addc (id int PRIMARY KEY);
INSERT INTO rt_a.addc SELECT generate_series(1, 5);
CREATE TABLE rt_a.vf (id int PRIMARY KEY, v text);
INSERT INTO rt_a.vf SELECT g, 'vf ' || g FROM generate_series(1, 20) g;
-- Redone only: dropped, a column dropped, retyped, truncated, a column
-- added with a default.
CREATE TABLE rt_b.gone (id int PRIMARY KEY, v text);
INSERT INTO rt_b.gone SELECT g, 'gone ' || g FROM generate_series(1, 5) g;
CREATE TABLE rt_b.dropc (id int PRIMARY KEY, a text, b int);
INSERT INTO rt_b.dropc SELECT g, 'a' || g, g FROM generate_series(1, 5) g;
CREATE TABLE rt_b.retype (id int PRIMARY KEY, n int);
INSERT INTO rt_b.retype SELECT g, g FROM generate_series(1, 5) g;
CREATE TABLE rt_b.trunc (id int PRIMARY KEY, v text);
INSERT INTO rt_b.trunc SELECT g, 'trunc ' || g FROM generate_series(1, 5) g;
CREATE TABLE rt_b.defcol (id int PRIMARY KEY);
INSERT INTO rt_b.defcol SELECT generate_series(1, 5);
$sql$);
SELECT dblink_disconnect('xlm_ddl_src');
CREATE DATABASE xlm_ddl_before TEMPLATE xlm_ddl_src;
CREATE DATABASE xlm_ddl_redone TEMPLATE xlm_ddl_src;
SELECT test_connect('xlm_ddl_src');
SELECT dblink_exec('xlm_ddl_src', 'CHECKPOINT');
SELECT lsn AS start_lsn FROM dblink('xlm_ddl_src', 'SELECT pg_current_wal_insert_lsn()') AS t(lsn pg_lsn) \gset

SELECT dblink_disconnect('xlm_ddl_src');
-- The workload, one transaction per statement unless grouped.
SELECT test_run_each('xlm_ddl_src', ARRAY[
  $w$CREATE TABLE rt_a.created (id int PRIMARY KEY, v text NOT NULL, c varchar(10) COLLATE "C")$w$,
  $w$INSERT INTO rt_a.created VALUES (1, 'one', 'x'), (2, 'two', 'y')$w$,
  $w$CREATE INDEX created_v ON rt_a.created (v DESC, c) INCLUDE (id)$w$,
  $w$ALTER TABLE rt_a.created ADD CONSTRAINT created_c UNIQUE (c)$w$,
  $w$UPDATE rt_a.created SET v = 'uno' WHERE id = 1$w$,
  $w$BEGIN$w$,
  $w$ALTER TABLE rt_a.created RENAME TO never$w$,
  $w$ROLLBACK$w$,
  $w$INSERT INTO rt_a.ren VALUES (6, 'ren 6')$w$,
  $w$ALTER TABLE rt_a.ren RENAME TO ren2$w$,
  $w$UPDATE rt_a.ren2 SET v = 'renamed' WHERE id = 1$w$,
  $w$ALTER TABLE rt_a.ren2 RENAME COLUMN v TO "W w"$w$,
  $w$DELETE FROM rt_a.ren2 WHERE id = 2$w$,
  $w$ALTER TABLE rt_a.ren2 SET SCHEMA rt_a2$w$,
  $w$INSERT INTO rt_a2.ren2 VALUES (7, 'moved')$w$,
  $w$ALTER TABLE rt_a.addc ADD COLUMN extra text$w$,
  $w$INSERT INTO rt_a.addc VALUES (6, 'with extra')$w$,
  $w$UPDATE rt_a.addc SET extra = 'set' WHERE id = 1$w$,
  $w$UPDATE rt_a.addc SET extra = 'filled' WHERE extra IS NULL$w$,
  $w$ALTER TABLE rt_a.addc ALTER COLUMN extra SET NOT NULL$w$,
  $w$UPDATE rt_a.vf SET v = 'before vacuum full' WHERE id = 1$w$,
  $w$VACUUM FULL rt_a.vf$w$,
  $w$UPDATE rt_a.vf SET v = 'after vacuum full' WHERE id = 2$w$,
  $w$DELETE FROM rt_a.vf WHERE id = 3$w$,
  $w$INSERT INTO rt_b.gone VALUES (6, repeat('toasted and gone ', 1000))$w$,
  $w$UPDATE rt_b.gone SET v = 'changed' WHERE id = 1$w$,
  $w$DELETE FROM rt_b.gone WHERE id = 2$w$,
  $w$DROP TABLE rt_b.gone$w$,
  $w$UPDATE rt_b.dropc SET a = 'changed' WHERE id = 1$w$,
  $w$ALTER TABLE rt_b.dropc DROP COLUMN a$w$,
  $w$UPDATE rt_b.dropc SET b = 100 WHERE id = 2$w$,
  $w$UPDATE rt_b.retype SET n = 10 WHERE id = 1$w$,
  $w$ALTER TABLE rt_b.retype ALTER COLUMN n TYPE bigint$w$,
  $w$UPDATE rt_b.retype SET n = 10000000000 WHERE id = 2$w$,
  $w$UPDATE rt_b.trunc SET v = 'before truncate' WHERE id = 1$w$,
  $w$TRUNCATE rt_b.trunc$w$,
  $w$INSERT INTO rt_b.trunc VALUES (10, 'after truncate')$w$,
  $w$ALTER TABLE rt_b.defcol ADD COLUMN d int DEFAULT 42$w$,
  $w$INSERT INTO rt_b.defcol VALUES (6, 7)$w$,
  $w$UPDATE rt_b.defcol SET d = 43 WHERE id = 1$w$,
  $w$CREATE TABLE rt_b.brief (id int, v text)$w$,
  $w$INSERT INTO rt_b.brief VALUES (1, 'brief')$w$,
  $w$DROP TABLE rt_b.brief$w$,
  $w$BEGIN$w$,
  $w$CREATE TABLE rt_b.inplace (id int, v text)$w$,
  $w$INSERT INTO rt_b.inplace VALUES (1, 'truncated in place')$w$,
  $w$TRUNCATE rt_b.inplace$w$,
  $w$INSERT INTO rt_b.inplace VALUES (2, 'kept')$w$,
  $w$COMMIT$w$,
  -- One transaction changing a table's definition between its rows, once
  -- in a subtransaction rolled back: each row as the table was then.
  $w$BEGIN$w$,
  $w$CREATE TABLE rt_b.steps (id int PRIMARY KEY, a text)$w$,
  $w$INSERT INTO rt_b.steps VALUES (1, 'one')$w$,
  $w$ALTER TABLE rt_b.steps ADD COLUMN b int$w$,
  $w$INSERT INTO rt_b.steps VALUES (2, 'two', 2)$w$,
  $w$SAVEPOINT s$w$,
  $w$ALTER TABLE rt_b.steps ADD COLUMN c text$w$,
  $w$INSERT INTO rt_b.steps VALUES (3, 'rolled back', 3, 'c')$w$,
  $w$ROLLBACK TO s$w$,
  $w$INSERT INTO rt_b.steps VALUES (4, 'four', 4)$w$,
  $w$UPDATE rt_b.steps SET b = 1 WHERE id = 1$w$,
  $w$ALTER TABLE rt_b.steps DROP COLUMN a$w$,
  $w$INSERT INTO rt_b.steps VALUES (5, 5)$w$,
  $w$COMMIT$w$
], false) AS statements;
SELECT test_connect('xlm_ddl_src');
SELECT lsn AS end_lsn FROM dblink('xlm_ddl_src', 'SELECT pg_current_wal_insert_lsn()') AS t(lsn pg_lsn) \gset

-- Mined in the workload's database.
CREATE TABLE ddl_mined AS
SELECT * FROM dblink('xlm_ddl_src', format(
  $q$SELECT lsn, item, op, schema, relation, redo_sql, undo_sql, complete, info
     FROM xlogminer_contents(%L, %L) WHERE schema IN ('rt_a', 'rt_a2', 'rt_b')$q$, :'start_lsn', :'end_lsn'))
  AS t(lsn pg_lsn, item int, op text, schema text, relation text, redo_sql text, undo_sql text,
       complete bool, info text);
-- The relations filter names a table as it is now and follows it back
-- across its rename, move and rewrite.
SELECT * FROM dblink('xlm_ddl_src', format(
  $q$SELECT schema, relation, op, count(*) FROM xlogminer_contents(%L, %L, relations => '{rt_a2.ren2, rt_a.vf}')
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$q$, :'start_lsn', :'end_lsn'))
  AS t(schema text, relation text, op text, n bigint);
SELECT dblink_disconnect('xlm_ddl_src');
CREATE DATABASE xlm_ddl_after TEMPLATE xlm_ddl_src;
CREATE DATABASE xlm_ddl_undone TEMPLATE xlm_ddl_src;

-- What came back: every DDL row, and how many row changes per table.
SELECT op, schema, relation, redo_sql, undo_sql, complete, info
FROM ddl_mined WHERE op IN ('DDL', 'TRUNCATE') ORDER BY lsn, item;
SELECT schema, relation, op, count(*), bool_and(complete) AS all_complete
FROM ddl_mined WHERE op NOT IN ('DDL', 'TRUNCATE') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- The aborted rename is not among them.
SELECT count(*) AS aborted_rows FROM ddl_mined WHERE redo_sql LIKE '%never%';

-- The before and after copies differ (the workload did something).
SELECT count(*) > 10 AS workload_changed_things
FROM ddl_differences('xlm_ddl_before', 'xlm_ddl_after', '{rt_a,rt_a2,rt_b}');

-- Redo, oldest first, on a before copy: it becomes the after copy.
SELECT test_run_each('xlm_ddl_redone',
  ARRAY(SELECT redo_sql FROM ddl_mined WHERE redo_sql IS NOT NULL ORDER BY lsn, item), true) > 0 AS redone;
SELECT * FROM ddl_differences('xlm_ddl_redone', 'xlm_ddl_after', '{rt_a,rt_a2,rt_b}');

-- Every row of the undone tables has its undo.
SELECT count(*) AS without_undo FROM ddl_mined
WHERE schema IN ('rt_a', 'rt_a2') AND (undo_sql IS NULL OR NOT complete);
-- Undo, newest first, on an after copy: those tables are as before.
SELECT test_run_each('xlm_ddl_undone',
  ARRAY(SELECT undo_sql FROM ddl_mined WHERE schema IN ('rt_a', 'rt_a2')
        ORDER BY lsn DESC, item DESC), true) > 0 AS undone;
SELECT * FROM ddl_differences('xlm_ddl_undone', 'xlm_ddl_before', '{rt_a,rt_a2}');
-- (the redone-only tables were left as they were after)
SELECT * FROM ddl_differences('xlm_ddl_undone', 'xlm_ddl_after', '{rt_b}');

DROP DATABASE xlm_ddl_src;
DROP DATABASE xlm_ddl_before;
DROP DATABASE xlm_ddl_redone;
DROP DATABASE xlm_ddl_after;
DROP DATABASE xlm_ddl_undone;
