-- WAL of another database system. xlogminer_contents decodes rows with this
-- server's catalog, where another cluster's relfilenodes and OIDs name other
-- tables: it refuses such WAL with an ERROR naming both system identifiers.
-- xlogminer_records and xlogminer_stats need no catalog: they read it and
-- say whose it is in a NOTICE.

-- Another cluster's WAL: the decoder's fixture, a 1 MB segment of a
-- PostgreSQL 15 cluster with system identifier 7712936558486163340, put
-- where the server can read it (psql reads the file, the server writes it).
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixture :abs_srcdir '/../../crates/waldecode/fixtures/pg15-mixed/wal/000000010000000000000007'
SELECT count(*) FROM test_run(format('rm -rf %1$s && mkdir -p %1$s/foreign %1$s/version', test_scratch()));
\lo_import :fixture
SELECT lo_export(:LASTOID, test_scratch() || '/foreign/000000010000000000000007') AS exported;
SELECT lo_unlink(:LASTOID) AS unlinked;

-- Records and statistics: read, with a NOTICE naming the system (its
-- detail, not shown here, names this server's).
\set VERBOSITY terse
SELECT count(*) AS records, min(start_lsn), max(end_lsn)
FROM xlogminer_records(wal_dir => test_scratch() || '/foreign');
SELECT sum(count) AS records FROM xlogminer_stats(wal_dir => test_scratch() || '/foreign');
SELECT DISTINCT resource_manager FROM xlogminer_records(wal_dir => test_scratch() || '/foreign')
WHERE resource_manager IN ('Heap', 'Heap2', 'Transaction') ORDER BY 1;
\set VERBOSITY default

-- Row changes: refused, whatever the range.
SELECT message = format('WAL is from another database system: system identifier 7712936558486163340, this server''s is %s',
                        (SELECT system_identifier FROM pg_control_system())) AS message_ok,
       regexp_replace(detail, '"[^"]*"', '"DIR"') AS detail, hint, state
FROM test_error(format($$SELECT * FROM xlogminer_contents(wal_dir => %L)$$, test_scratch() || '/foreign'));
SELECT message = format('WAL is from another database system: system identifier 7712936558486163340, this server''s is %s',
                        (SELECT system_identifier FROM pg_control_system())) AS message_ok
FROM test_error(format($$SELECT * FROM xlogminer_contents('0/7000D8', '0/7100000', wal_dir => %L)$$, test_scratch() || '/foreign'));

-- A copy of this cluster's own WAL is this cluster's: no NOTICE, no ERROR.
CREATE TABLE fw_t (id int PRIMARY KEY, v text);
SELECT pg_current_wal_insert_lsn() AS fw0 \gset
INSERT INTO fw_t VALUES (1, 'own');
SELECT pg_switch_wal() IS NOT NULL AS switched;
SELECT (pg_walfile_name_offset(:'fw0')).file_name AS fwseg \gset
SELECT count(*) FROM test_run(format('cp %s/pg_wal/%s %s/version/', current_setting('data_directory'), :'fwseg', test_scratch()));
SELECT op, relation, redo_sql FROM xlogminer_contents(:'fw0', wal_dir => test_scratch() || '/version')
WHERE relation = 'fw_t';

-- The same segment with another major version's page magic on every page
-- (PostgreSQL 16's D113, or 15's D110 on a 16 server): same system,
-- another WAL format.
SELECT m.major AS this_major, m.magic AS this_magic, o.major AS other_major, o.magic AS other_magic
FROM (VALUES (14, 'D10D'), (15, 'D110'), (16, 'D113'), (17, 'D116'), (18, 'D118')) AS m(major, magic),
     (VALUES (15, 'D110'), (16, 'D113')) AS o(major, magic)
WHERE m.major = current_setting('server_version_num')::int / 10000
  AND o.major = CASE m.major WHEN 16 THEN 15 ELSE 16 END \gset
SELECT count(*) FROM test_run(format($$perl -e 'open(F, "+<", $ARGV[0]) or die; binmode F; for ($p = 0; $p < (-s F) / 8192; $p++) { seek(F, $p * 8192, 0); print F pack("v", 0x%s); }' %s/version/%s$$,
                                     :'other_magic', test_scratch(), :'fwseg'));
SELECT message = format('WAL is from PostgreSQL %s (page magic %s), this server is PostgreSQL %s (page magic %s)',
                        :'other_major', :'other_magic', :'this_major', :'this_magic') AS message_ok,
       regexp_replace(detail, '"[^"]*"', '"DIR"') AS detail, hint, state
FROM test_error(format($$SELECT * FROM xlogminer_contents(%L, wal_dir => %L)$$, :'fw0', test_scratch() || '/version'));
-- Records and stats read it (with a NOTICE naming the major, left out here
-- because it depends on the server's).
SET client_min_messages = warning;
SELECT count(*) > 0 AS read FROM xlogminer_stats(:'fw0', wal_dir => test_scratch() || '/version');
RESET client_min_messages;

DROP TABLE fw_t;
SELECT count(*) FROM test_run(format('rm -rf %s', test_scratch()));
