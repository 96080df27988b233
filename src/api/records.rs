//! `xlogminer_records`: one row per WAL record, with the columns of
//! pg_walinspect's `pg_get_wal_records_info`, produced one at a time.
//! With `xlogminer.scan_threads` above 1, another thread reads and
//! describes the records ahead of the backend, which only builds the rows.

use std::borrow::Cow;

use pgrx::fcinfo::pg_getarg;
use pgrx::prelude::*;
use waldecode::describe;
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
    let mut scan = WalScan::open(start_lsn, end_lsn, wal_dir, Cluster::Any);
    if crate::threads::scan_threads() > 1 {
        return Box::new(read_ahead(scan));
    }
    let mut batch = RecordBatch::default();
    Box::new(move |row: &mut Row| {
        let Some(rec) = scan.next() else { return false };
        batch.add(&rec, true);
        batch.fill(0, row);
        true
    })
}

/// One record's columns; its texts are ranges of the batch's text.
struct RecordRow {
    lsn: u64,
    end: u64,
    prev: u64,
    xid: u32,
    rmgr: &'static str,
    record_type: &'static str,
    total_len: u32,
    main_len: u32,
    fpi_len: u32,
    description: std::ops::Range<usize>,
    block_ref: std::ops::Range<usize>,
}

/// The rows of a run of records, made on whichever thread reads the WAL,
/// with all their texts in one buffer (filled and freed on that thread).
#[derive(Default)]
struct RecordBatch {
    rows: Vec<RecordRow>,
    text: String,
}

impl RecordBatch {
    /// Adds `rec`'s row, after clearing the batch when `first`.
    fn add(&mut self, rec: &Record<'_>, first: bool) {
        if first {
            self.rows.clear();
            self.text.clear();
        }
        let at = self.text.len();
        describe::description(rec, &mut self.text);
        let mid = self.text.len();
        describe::block_refs(rec, &mut self.text);
        self.rows.push(RecordRow {
            lsn: rec.lsn().0,
            end: rec.end_lsn().0,
            prev: rec.prev_lsn().0,
            xid: rec.xid(),
            rmgr: interned(describe::rmgr_name(rec.rmid())),
            record_type: interned(describe::record_type(rec)),
            total_len: rec.total_len(),
            main_len: rec.main_data().len() as u32,
            fpi_len: rec.fpi_len(),
            description: at..mid,
            block_ref: mid..self.text.len(),
        });
    }

    /// Writes row `i`'s columns (in the order declared above).
    fn fill(&self, i: usize, row: &mut Row) {
        let r = &self.rows[i];
        row.set(0, pg_sys::Datum::from(r.lsn));
        row.set(1, pg_sys::Datum::from(r.end));
        row.set(2, pg_sys::Datum::from(r.prev));
        row.set(3, pg_sys::Datum::from(r.xid));
        row.set_text(4, r.rmgr.as_bytes());
        row.set_text(5, r.record_type.as_bytes());
        row.set(6, pg_sys::Datum::from(r.total_len as i32));
        row.set(7, pg_sys::Datum::from(r.main_len as i32));
        row.set(8, pg_sys::Datum::from(r.fpi_len as i32));
        text_column(row, 9, &self.text[r.description.clone()]);
        text_column(row, 10, &self.text[r.block_ref.clone()]);
    }
}

/// The rows of `scan` made on a thread of their own (reading, checking,
/// decoding and describing records), while the backend builds the SQL
/// rows; query cancel is checked per row and while waiting.
fn read_ahead(scan: WalScan) -> impl FnMut(&mut Row) -> bool {
    let mut scan = scan.into_scan();
    // Positioning has raised its warning already.
    let _ = scan.take_warning();
    let (start, end) = (scan.start(), scan.end());
    let tick = scan.tick_fn();
    let mut at = start;
    let add = |rec: &Record<'_>, b: &mut RecordBatch, first: bool| b.add(rec, first);
    let mut batches = Pipeline::start(scan, add, &crate::threads::spawning);
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

fn text_column(row: &mut Row, column: usize, s: &str) {
    if s.is_empty() && EMPTY_TEXT_IS_NULL {
        row.set_null(column);
    } else {
        row.set_text(column, s.as_bytes());
    }
}

/// A `'static` copy of a name: built-in names already are; the few others
/// (custom resource managers, unknown record types) are kept once per
/// backend, so no row allocates for them.
fn interned(s: Cow<'static, str>) -> &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Shared by the backend and its reading threads, so each name is kept
    // once per backend whichever thread meets it.
    static NAMES: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    match s {
        Cow::Borrowed(b) => b,
        Cow::Owned(o) => {
            let names = NAMES.get_or_init(|| Mutex::new(HashMap::new()));
            let mut names = names.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(&name) = names.get(o.as_str()) {
                return name;
            }
            let name: &'static str = Box::leak(o.clone().into_boxed_str());
            names.insert(o, name);
            name
        }
    }
}
