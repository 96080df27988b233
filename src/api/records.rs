//! `xlogminer_records`: one row per WAL record, with the columns of
//! pg_walinspect's `pg_get_wal_records_info`, produced one at a time.
//! With `xlogminer.scan_threads` above 1, that many other threads read
//! and describe the records, parts of the range each, and lay out their
//! rows as tuples ahead of the backend, which only has them copied.

use pgrx::fcinfo::pg_getarg;
use pgrx::prelude::*;
use waldecode::describe;
use waldecode::heap::tuple::{form, Field, FormError};
use waldecode::pipeline::{Next, Pipeline};
use waldecode::scan::Progress;
use waldecode::{Lsn, Record};

use crate::range::{Cluster, WalScan};
use crate::srf::{Row, RowSource};
use crate::types::PgLsn;

/// Records whose end lies in (`start_lsn`, `end_lsn`]: from the first valid
/// record at or after `start_lsn` (default: the oldest available) to the
/// last one ending at or before `end_lsn` (default: the server's flush LSN,
/// or the end of `wal_dir`'s valid WAL). VOLATILE, like pg_walinspect's
/// functions: the same call returns more rows as WAL is flushed. Rows go
/// to PostgreSQL through [`crate::srf`]; the symbol keeps the name pgrx
/// gave it, so catalogs made by earlier builds still find it.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn xlogminer_records_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: the SQL declaration below matches the columns `fill` writes.
    unsafe { crate::srf::run(fcinfo, open) }
}

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_xlogminer_records_wrapper() -> &'static pg_sys::Pg_finfo_record {
    &crate::srf::FINFO_V1
}

extension_sql!(
    r#"
CREATE FUNCTION xlogminer_records(
    start_lsn pg_lsn DEFAULT NULL,
    end_lsn pg_lsn DEFAULT NULL,
    wal_dir text DEFAULT NULL
) RETURNS TABLE (
    start_lsn pg_lsn,
    end_lsn pg_lsn,
    prev_lsn pg_lsn,
    xid xid,
    resource_manager text,
    record_type text,
    record_length int,
    main_data_length int,
    fpi_length int,
    description text,
    block_ref text
)
VOLATILE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'xlogminer_records_wrapper';
"#,
    name = "xlogminer_records"
);

/// Checks the caller's privileges and opens the scan the arguments name.
fn open(fcinfo: pg_sys::FunctionCallInfo) -> Box<dyn RowSource> {
    // SAFETY: the arguments are declared pg_lsn, pg_lsn, text.
    let (start_lsn, end_lsn, wal_dir) = unsafe {
        (pg_getarg::<PgLsn>(fcinfo, 0), pg_getarg::<PgLsn>(fcinfo, 1), pg_getarg::<&str>(fcinfo, 2))
    };
    crate::privileges::check_read_wal();
    // SAFETY: the call is the executor's.
    unsafe { crate::srf::check_result_types(fcinfo, &COLUMN_TYPES) };
    let mut scan = WalScan::open(start_lsn, end_lsn, wal_dir, Cluster::Any);
    let threads = crate::threads::scan_threads();
    if threads > 1 {
        return Box::new(read_ahead(scan, threads));
    }
    let mut batch = RecordBatch::default();
    Box::new(move |row: &mut Row| {
        let Some(rec) = scan.next() else { return false };
        batch.add(&rec, true);
        batch.fill(0, row);
        true
    })
}

/// One record's row: its end, and where its tuple lies in the batch.
struct RecordRow {
    end: u64,
    tuple: Result<std::ops::Range<usize>, FormError>,
}

/// The rows of a run of records, made on whichever thread reads the WAL,
/// laid out as heap tuples of the result's columns in one buffer (filled
/// and freed on that thread): the backend only has them copied.
#[derive(Default)]
struct RecordBatch {
    rows: Vec<RecordRow>,
    tuples: Vec<u8>,
    text: String,
}

/// The result's column types, in the order `add` lays them out.
const COLUMN_TYPES: [pg_sys::Oid; 11] = [
    pg_sys::PG_LSNOID,
    pg_sys::PG_LSNOID,
    pg_sys::PG_LSNOID,
    pg_sys::XIDOID,
    pg_sys::TEXTOID,
    pg_sys::TEXTOID,
    pg_sys::INT4OID,
    pg_sys::INT4OID,
    pg_sys::INT4OID,
    pg_sys::TEXTOID,
    pg_sys::TEXTOID,
];

impl RecordBatch {
    /// Adds `rec`'s row, after clearing the batch when `first`.
    fn add(&mut self, rec: &Record<'_>, first: bool) {
        if first {
            self.rows.clear();
            self.tuples.clear();
        }
        self.text.clear();
        describe::description(rec, &mut self.text);
        let mid = self.text.len();
        describe::block_refs(rec, &mut self.text);
        let (description, block_ref) = self.text.split_at(mid);
        let rmgr = describe::rmgr_name(rec.rmid());
        let record_type = describe::record_type(rec);
        let fields = [
            Field::Int8(rec.lsn().0),
            Field::Int8(rec.end_lsn().0),
            Field::Int8(rec.prev_lsn().0),
            Field::Int4(rec.xid()),
            Field::Text(rmgr.as_bytes()),
            Field::Text(record_type.as_bytes()),
            Field::Int4(rec.total_len()),
            Field::Int4(rec.main_data().len() as u32),
            Field::Int4(rec.fpi_len()),
            text_field(description),
            text_field(block_ref),
        ];
        let tuple = form(&fields, &mut self.tuples);
        self.rows.push(RecordRow { end: rec.end_lsn().0, tuple });
    }

    /// Hands row `i` to `row`.
    fn fill(&self, i: usize, row: &mut Row) {
        match &self.rows[i].tuple {
            Ok(at) => row.set_formed(&self.tuples[at.clone()]),
            Err(e) => pgrx::error!("{e}"),
        }
    }
}

/// The rows of `scan` made on `threads` threads of their own (reading,
/// checking, decoding and describing records, in parts of the range),
/// while the backend hands them to the executor; query cancel is checked
/// per row and while waiting.
fn read_ahead(scan: WalScan, threads: usize) -> impl FnMut(&mut Row) -> bool {
    let mut scan = scan.into_scan();
    // Positioning has raised its warning already.
    let _ = scan.take_warning();
    let (start, end) = (scan.start(), scan.end());
    let tick = scan.tick_fn();
    let mut at = start;
    let add = |rec: &Record<'_>, b: &mut RecordBatch, first: bool| b.add(rec, first);
    let mut batches = Pipeline::start(scan, threads, add, crate::threads::spawning);
    let mut batch: Option<RecordBatch> = None;
    let mut i = 0;
    move |row: &mut Row| loop {
        tick(Progress { at, start, end });
        if let Some(b) = &batch {
            if i < b.rows.len() {
                at = Lsn(b.rows[i].end);
                b.fill(i, row);
                i += 1;
                return true;
            }
        }
        if let Some(done) = batch.take() {
            batches.give_back(done);
        }
        match batches.next(&mut || tick(Progress { at, start, end })) {
            Next::Rows(b) => {
                batch = Some(b);
                i = 0;
            }
            Next::End(warning) => {
                if let Some(w) = warning {
                    crate::range::warn_ended_early(&w);
                }
                return false;
            }
            Next::Failed(e) => crate::error::raise_wal(e),
        }
    }
}

/// pg_walinspect of PG 16 and later returns NULL for an empty description
/// or block-reference list; 14 and 15 an empty string.
const EMPTY_TEXT_IS_NULL: bool = !cfg!(any(feature = "pg14", feature = "pg15"));

fn text_field(s: &str) -> Field<'_> {
    if s.is_empty() && EMPTY_TEXT_IS_NULL {
        Field::Null
    } else {
        Field::Text(s.as_bytes())
    }
}
