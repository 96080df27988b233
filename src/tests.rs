//! `#[pg_test]`s: the glue between the decoder and the server, run inside a
//! real backend by `cargo pgrx test`.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn one<T: IntoDatum + FromDatum>(sql: &str) -> T {
        Spi::get_one::<T>(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: NULL"))
    }

    #[pg_test]
    fn pg_lsn_arguments_and_results_round_trip() {
        let start: String = one("SELECT pg_current_wal_insert_lsn()::text");
        Spi::run("CREATE TABLE lsn_t (i int); INSERT INTO lsn_t VALUES (1)").unwrap();
        Spi::run("SELECT pg_switch_wal()").unwrap();
        let ok: bool = one(&format!(
            "SELECT min(start_lsn) >= '{start}'::pg_lsn AND max(end_lsn) <= pg_current_wal_flush_lsn() \
             FROM xlogminer_records('{start}')"
        ));
        assert!(ok);
    }

    // pg_walinspect arrived in 15; 14 is compared with pg_waldump by
    // tests/pg_regress/sql/waldump_compare.sql.
    #[cfg(not(feature = "pg14"))]
    #[pg_test]
    fn records_match_walinspect_on_a_small_range() {
        Spi::run("CREATE EXTENSION IF NOT EXISTS pg_walinspect").unwrap();
        let start: String = one("SELECT pg_current_wal_insert_lsn()::text");
        Spi::run("CREATE TABLE small (id int PRIMARY KEY, v text); INSERT INTO small SELECT g, 'v' FROM generate_series(1, 100) g")
            .unwrap();
        // Records up to the flush LSN only: force a flush.
        Spi::run("SELECT pg_switch_wal()").unwrap();
        let end: String = one("SELECT pg_current_wal_flush_lsn()::text");
        let diff: i64 = one(&format!(
            "SELECT count(*) FROM ((SELECT start_lsn, end_lsn, prev_lsn, xid, record_length, fpi_length FROM xlogminer_records('{start}', '{end}') \
              EXCEPT SELECT start_lsn, end_lsn, prev_lsn, xid, record_length, fpi_length FROM pg_get_wal_records_info('{start}', '{end}')) \
             UNION ALL (SELECT start_lsn, end_lsn, prev_lsn, xid, record_length, fpi_length FROM pg_get_wal_records_info('{start}', '{end}') \
              EXCEPT SELECT start_lsn, end_lsn, prev_lsn, xid, record_length, fpi_length FROM xlogminer_records('{start}', '{end}'))) d"
        ));
        assert_eq!(diff, 0);
        let n: i64 = one(&format!("SELECT count(*) FROM xlogminer_records('{start}', '{end}')"));
        assert!(n > 100, "{n} records");
    }

    #[pg_test]
    fn stats_count_every_record() {
        let start: String = one("SELECT pg_current_wal_insert_lsn()::text");
        Spi::run("CREATE TABLE st (i int); INSERT INTO st SELECT generate_series(1, 50)").unwrap();
        Spi::run("SELECT pg_switch_wal()").unwrap();
        let end: String = one("SELECT pg_current_wal_flush_lsn()::text");
        let a: i64 =
            one(&format!("SELECT sum(count)::int8 FROM xlogminer_stats('{start}', '{end}')"));
        let b: i64 = one(&format!("SELECT count(*) FROM xlogminer_records('{start}', '{end}')"));
        let c: i64 =
            one(&format!("SELECT sum(count)::int8 FROM xlogminer_stats('{start}', '{end}', true)"));
        assert_eq!(a, b);
        assert_eq!(a, c);
        let rows: i64 = one(&format!("SELECT count(*) FROM xlogminer_stats('{start}', '{end}')"));
        assert_eq!(rows, 22, "one row per built-in resource manager");
    }

    #[pg_test]
    fn contents_render_values_exactly_under_any_settings() {
        Spi::run(
            "CREATE TABLE vals (id int PRIMARY KEY, ts timestamptz, iv interval, f float8, m money, b bytea, t text)",
        )
        .unwrap();
        Spi::run("CHECKPOINT").unwrap();
        let start: String = one("SELECT pg_current_wal_insert_lsn()::text");
        Spi::run(
            "INSERT INTO vals VALUES (1, '2026-05-06 07:08:09.123456+02', '-1 days +02:03:04.5', 0.1, 12.34, '\\x00ff', E'a''b\\\\c')",
        )
        .unwrap();
        Spi::run("SELECT pg_switch_wal()").unwrap();
        let end: String = one("SELECT pg_current_wal_flush_lsn()::text");
        Spi::run("SET datestyle = 'SQL, DMY'; SET timezone = 'Asia/Kolkata'; SET intervalstyle = 'sql_standard'; SET extra_float_digits = -3; SET bytea_output = 'escape'").unwrap();
        let redo: String = one(&format!(
            "SELECT redo_sql FROM xlogminer_contents('{start}', '{end}', include_uncommitted => true) WHERE relation = 'vals'"
        ));
        // The session's own settings are back after mining.
        let style: String = one("SELECT current_setting('datestyle')");
        assert_eq!(style, "SQL, DMY");
        assert!(
            redo.contains("'2026-05-06 05:08:09.123456+00'::timestamp with time zone"),
            "{redo}"
        );
        assert!(redo.contains("'0.1'::double precision"), "{redo}");
        assert!(redo.contains(r"E'\\x00ff'::pg_catalog.bytea"), "{redo}");
        // Replay into an empty copy under other settings gives identical values.
        Spi::run("SET timezone = 'America/Anchorage'; SET datestyle = 'Postgres, MDY'").unwrap();
        Spi::run("CREATE TABLE vals_before AS SELECT * FROM vals; DELETE FROM vals").unwrap();
        Spi::run(&redo).unwrap();
        let same: bool =
            one("SELECT (SELECT v::text FROM vals v) = (SELECT v::text FROM vals_before v)");
        assert!(same);
    }
}

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        // PG 14's wal_compression is a boolean (on = pglz).
        let compression = if cfg!(feature = "pg14") {
            "wal_compression = on"
        } else {
            "wal_compression = 'pglz'"
        };
        vec!["wal_level = 'replica'", compression]
    }
}
