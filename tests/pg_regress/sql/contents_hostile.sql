-- Names and values that try to run something, and search paths that try
-- to redirect what the statements mean: replay gives the same data and
-- executes nothing else. Operators are schema-qualified (an enum key's
-- equality is its operator class's), reg* values are written as the OIDs
-- they store, and money under a domain is rebuilt from its integer.
CREATE TABLE x (still_here bool);
CREATE SCHEMA "Sch""ema '); DROP TABLE x; --";
SET search_path = "Sch""ema '); DROP TABLE x; --", public;
CREATE TYPE color AS ENUM ('red', 'gr''een', 'blü');
CREATE DOMAIN posmoney AS money CHECK (VALUE >= '0'::money);
-- 63 bytes, the longest a name can be (日 is three bytes, é two).
CREATE TABLE "T\ab'le 日本 MixedCase ééééééééééééééééé_end" (
  "k""ey" color,
  "ID" int,
  "a'); DROP TABLE x; --" text,
  "back\slash" text,
  rc regclass,
  rt regtype,
  rcs regclass[],
  pm posmoney,
  PRIMARY KEY ("k""ey", "ID")
);
CREATE TABLE public.hostile_before AS SELECT * FROM "T\ab'le 日本 MixedCase ééééééééééééééééé_end";
RESET search_path;
-- A schema that a malicious role could put on someone's path, with an
-- exact-match equality for the key's enum and one for integers, both of
-- which would record that they ran.
CREATE SCHEMA evil;
CREATE TABLE evil.ran (what text);
CREATE FUNCTION evil.eq_color("Sch""ema '); DROP TABLE x; --".color, "Sch""ema '); DROP TABLE x; --".color)
  RETURNS bool LANGUAGE sql AS $$ INSERT INTO evil.ran VALUES ('color'); SELECT $1::text = $2::text $$;
CREATE OPERATOR evil.= (FUNCTION = evil.eq_color,
  LEFTARG = "Sch""ema '); DROP TABLE x; --".color, RIGHTARG = "Sch""ema '); DROP TABLE x; --".color);
CREATE FUNCTION evil.eq_int(int, int) RETURNS bool LANGUAGE sql AS $$ INSERT INTO evil.ran VALUES ('int'); SELECT $1 = $2 $$;
CREATE OPERATOR evil.= (FUNCTION = evil.eq_int, LEFTARG = int, RIGHTARG = int);
-- A table named like a system catalog, for regclass values to resolve to.
CREATE TABLE evil.pg_class (x int);

CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS h_start \gset
SET search_path = "Sch""ema '); DROP TABLE x; --", public;
INSERT INTO "T\ab'le 日本 MixedCase ééééééééééééééééé_end" VALUES
  ('red', 1, $$'); DROP TABLE x; --$$, E'C:\\temp\\new\\table', 'pg_class', 'integer', '{pg_class,x}', '12.34'),
  ('gr''een', 2, E'line\nbreak\ttab', E'\\\\', 'x', 'text', '{}', '0'),
  ('blü', 3, 'ünïcödé 😀', NULL, NULL, NULL, NULL, NULL);
UPDATE "T\ab'le 日本 MixedCase ééééééééééééééééé_end"
   SET "a'); DROP TABLE x; --" = 'x''); DROP TABLE x; --', pm = '99.99' WHERE "ID" = 1;
UPDATE "T\ab'le 日本 MixedCase ééééééééééééééééé_end" SET "k""ey" = 'blü', "ID" = 4 WHERE "ID" = 2;
DELETE FROM "T\ab'le 日本 MixedCase ééééééééééééééééé_end" WHERE "ID" = 3;
CREATE TABLE public.hostile_after AS SELECT * FROM "T\ab'le 日本 MixedCase ééééééééééééééééé_end";
RESET search_path;
SELECT pg_current_wal_flush_lsn() AS h_end \gset

CREATE TABLE hostile_mined AS
  SELECT lsn, item, op, redo_sql, undo_sql, complete
  FROM xlogminer_contents(:'h_start', :'h_end')
  WHERE relation = 'T\ab''le 日本 MixedCase ééééééééééééééééé_end';
SELECT op, count(*), bool_and(complete) AS all_complete FROM hostile_mined GROUP BY op ORDER BY op;
-- Key conditions use the operator classes' equality, never a bare '='.
SELECT count(*) FILTER (WHERE split_part(redo_sql, ' WHERE ', 2) ~ '"(k""ey|ID)" = ') AS bare_equals,
       count(*) FILTER (WHERE redo_sql LIKE '%"k""ey" OPERATOR(pg_catalog.=)%') AS qualified
FROM hostile_mined;

CREATE FUNCTION hostile_differ(snapshot text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT t::text FROM %1$s t EXCEPT ALL SELECT s::text FROM %2$s s)
                  UNION ALL (SELECT s::text FROM %2$s s EXCEPT ALL SELECT t::text FROM %1$s t)) d',
    '"Sch""ema ''); DROP TABLE x; --"."T\ab''le 日本 MixedCase ééééééééééééééééé_end"', snapshot) INTO n;
  RETURN n;
END $$;
-- Undo and redo with the malicious schema first on the path.
SET search_path = evil, public, pg_catalog;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT undo_sql FROM public.hostile_mined ORDER BY lsn DESC, item DESC LOOP
    EXECUTE r.undo_sql;
  END LOOP;
END $$;
SELECT public.hostile_differ('public.hostile_before') AS differing_after_undo;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT redo_sql FROM public.hostile_mined ORDER BY lsn, item LOOP
    EXECUTE r.redo_sql;
  END LOOP;
END $$;
SELECT public.hostile_differ('public.hostile_after') AS differing_after_redo;
RESET search_path;
SELECT count(*) AS evil_operators_ran FROM evil.ran;
SELECT to_regclass('public.x') IS NOT NULL AS x_still_here;
