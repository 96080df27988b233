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

    /// A row laid out by `waldecode::heap::tuple::form`, made a composite
    /// datum by the server as `xlogminer_records` has it made, is byte for
    /// byte what `heap_form_tuple` makes of the same values.
    #[pg_test]
    fn formed_tuples_are_the_servers() {
        use waldecode::heap::tuple::{form, Field};
        let types = [pg_sys::INT8OID, pg_sys::INT4OID, pg_sys::TEXTOID];
        let long = "aé".repeat(150);
        let mut state = 5u32;
        let mut next = move || {
            state = state.wrapping_mul(1103515245).wrapping_add(12345);
            state >> 8
        };
        for round in 0..500 {
            let n = 1 + (next() % 16) as usize;
            let kinds: Vec<usize> = (0..n).map(|_| (next() % 3) as usize).collect();
            let texts: Vec<&str> = (0..n)
                .map(|_| {
                    let len = (next() % 400) as usize;
                    let end = (0..=len.min(long.len())).rev().find(|&i| long.is_char_boundary(i));
                    &long[..end.unwrap_or(0)]
                })
                .collect();
            let nulls: Vec<bool> = (0..n).map(|_| next() % 5 == 0).collect();
            let ints: Vec<u64> =
                (0..n).map(|_| u64::from(next()) << 24 | u64::from(next())).collect();
            let fields: Vec<Field<'_>> = (0..n)
                .map(|i| match (nulls[i], kinds[i]) {
                    (true, _) => Field::Null,
                    (_, 0) => Field::Int8(ints[i]),
                    (_, 1) => Field::Int4(ints[i] as u32),
                    _ => Field::Text(texts[i].as_bytes()),
                })
                .collect();
            let mut formed = Vec::new();
            let at = form(&fields, &mut formed).unwrap();
            // SAFETY: a descriptor of `n` entries of built-in types, the
            // datums of those types, the tuple read within its t_len.
            let (ours, theirs) = unsafe {
                let desc = pg_sys::CreateTemplateTupleDesc(n as i32);
                for (i, k) in kinds.iter().enumerate() {
                    pg_sys::TupleDescInitEntry(
                        desc,
                        (i + 1) as i16,
                        c"c".as_ptr(),
                        types[*k],
                        -1,
                        0,
                    );
                }
                let desc = pg_sys::BlessTupleDesc(desc);
                let mut aligned = vec![0u64; at.len().div_ceil(8)];
                let bytes = aligned.as_mut_ptr().cast::<u8>();
                std::ptr::copy_nonoverlapping(formed[at.clone()].as_ptr(), bytes, at.len());
                let mut tuple = pg_sys::HeapTupleData {
                    t_len: at.len() as u32,
                    t_self: pg_sys::ItemPointerData::default(),
                    t_tableOid: pg_sys::InvalidOid,
                    t_data: bytes.cast(),
                };
                let datum = pg_sys::heap_copy_tuple_as_datum(&mut tuple, desc);
                let ours = std::slice::from_raw_parts(datum.cast_mut_ptr::<u8>(), at.len());
                let ours = ours.to_vec();
                let mut values: Vec<pg_sys::Datum> = (0..n)
                    .map(|i| match kinds[i] {
                        _ if nulls[i] => pg_sys::Datum::from(0usize),
                        0 => pg_sys::Datum::from(ints[i]),
                        1 => pg_sys::Datum::from(ints[i] as u32),
                        _ => pg_sys::Datum::from(pg_sys::cstring_to_text_with_len(
                            texts[i].as_ptr().cast(),
                            texts[i].len() as i32,
                        )),
                    })
                    .collect();
                let mut isnull = nulls.clone();
                let t = pg_sys::heap_form_tuple(desc, values.as_mut_ptr(), isnull.as_mut_ptr());
                let theirs =
                    std::slice::from_raw_parts((*t).t_data.cast::<u8>(), (*t).t_len as usize);
                (ours, theirs.to_vec())
            };
            assert_eq!(ours, theirs, "round {round}: {fields:?}");
        }
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
