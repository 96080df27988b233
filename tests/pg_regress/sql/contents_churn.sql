-- A drop-heavy workload, as a test suite, a migration or a nightly ETL
-- writes it: tables created, filled, altered, rewritten, truncated,
-- renamed and dropped, in a database where xlogminer is created only
-- afterwards. Reports the share of committed row changes that come back
-- complete (the target is at least 95%) and why the others do not.
CREATE DATABASE xlm_churn;
SELECT test_connect('xlm_churn');
SELECT dblink_exec('xlm_churn', 'CHECKPOINT');
SELECT lsn AS start_lsn FROM dblink('xlm_churn', 'SELECT pg_current_wal_insert_lsn()') AS t(lsn pg_lsn) \gset
SELECT dblink_disconnect('xlm_churn');

-- 30 tables, each through up to ten steps, one transaction per statement.
SELECT test_run_each('xlm_churn', ARRAY(
  SELECT format(stmt, i)
  FROM generate_series(1, 30) i,
       LATERAL (VALUES
         (1, 'CREATE TABLE churn_%s (id int PRIMARY KEY, v text, n int)', true),
         (2, 'INSERT INTO churn_%s SELECT g, ''v'' || g, g FROM generate_series(1, 20) g', true),
         (3, 'ALTER TABLE churn_%s ADD COLUMN extra text DEFAULT ''x''', true),
         (4, 'UPDATE churn_%s SET v = v || ''!'' WHERE id <= 5', true),
         (5, 'VACUUM FULL churn_%s', i % 3 = 0),
         (6, 'ALTER TABLE churn_%s ALTER COLUMN n TYPE bigint', i % 4 = 0),
         (7, 'UPDATE churn_%s SET n = n * 1000000, extra = ''y'' WHERE id BETWEEN 6 AND 10', true),
         (8, 'DELETE FROM churn_%s WHERE id > 15', true),
         (9, 'TRUNCATE churn_%s', i % 5 = 0),
         (10, 'INSERT INTO churn_%s (id, v) VALUES (100, ''late'')', true),
         (11, 'ALTER TABLE churn_%1$s RENAME TO churn_%1$s_renamed', true),
         (12, 'ALTER TABLE churn_%1$s_renamed DROP COLUMN v', i % 2 = 0),
         (13, 'UPDATE churn_%1$s_renamed SET n = 7 WHERE id = 1', true),
         (14, 'DROP TABLE churn_%1$s_renamed', i % 7 <> 0)
       ) steps(step, stmt, wanted)
  WHERE wanted ORDER BY i, step), false) AS statements;

-- The extension arrives after the fact.
SELECT test_run_each('xlm_churn', ARRAY['CREATE EXTENSION xlogminer'], false);
SELECT test_connect('xlm_churn');
CREATE TEMP TABLE churn_rows AS
SELECT * FROM dblink('xlm_churn', format(
  $q$SELECT op, relation, redo_sql, complete, info FROM xlogminer_contents(%L)$q$, :'start_lsn'))
  AS t(op text, relation text, redo_sql text, complete bool, info text);
SELECT dblink_disconnect('xlm_churn');
DROP DATABASE xlm_churn;

SELECT count(*) AS row_changes,
       count(*) FILTER (WHERE complete) AS complete,
       round(100.0 * count(*) FILTER (WHERE complete) / count(*), 1) AS percent_complete,
       count(*) FILTER (WHERE complete) >= 0.95 * count(*) AS meets_target
FROM churn_rows WHERE op IN ('INSERT', 'UPDATE', 'DELETE');
-- Every incomplete row says why (none expected here).
SELECT op, info, count(*) FROM churn_rows
WHERE op IN ('INSERT', 'UPDATE', 'DELETE') AND NOT complete GROUP BY 1, 2 ORDER BY 1, 2;
-- DDL and TRUNCATE rows: how many of each, and how many complete.
SELECT regexp_replace(substring(redo_sql FROM
         '^(?:CREATE TABLE|DROP TABLE|TRUNCATE ONLY|ALTER TABLE \S+ (?:ADD CONSTRAINT \S+ PRIMARY KEY|ADD COLUMN|DROP COLUMN|RENAME TO|ALTER COLUMN \S+ TYPE))'),
         '\S*churn_\w+', 't', 'g') AS statement,
       count(*), count(*) FILTER (WHERE complete) AS complete
FROM churn_rows WHERE op IN ('DDL', 'TRUNCATE') GROUP BY 1 ORDER BY 1;
