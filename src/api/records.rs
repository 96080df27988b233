//! `xlogminer_records`: one row per WAL record, with the columns of
//! pg_walinspect's `pg_get_wal_records_info`, produced one at a time.
//! With `xlogminer.scan_threads` above 1, another thread reads and
//! describes the records ahead of the backend, which only builds the rows.

use std::borrow::Cow;

use pgrx::prelude::*;
use waldecode::describe;
use waldecode::pipeline::{Next, Pipeline};
use waldecode::scan::Progress;
use waldecode::{Lsn, Record};

use crate::range::{Cluster, WalScan};
use crate::types::{PgLsn, Xid};

/// Records whose end lies in (`start_lsn`, `end_lsn`]: from the first valid
/// record at or after `start_lsn` (default: the oldest available) to the
/// last one ending at or before `end_lsn` (default: the server's flush LSN,
/// or the end of `wal_dir`'s valid WAL). VOLATILE, like pg_walinspect's
/// functions: the same call returns more rows as WAL is flushed.
// pgrx reads the column names from the signature, so the row type is
// spelled out here rather than named.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_safe, name = "xlogminer_records")]
fn xlogminer_records(
    start_lsn: default!(Option<PgLsn>, "NULL"),
    end_lsn: default!(Option<PgLsn>, "NULL"),
    wal_dir: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(start_lsn, PgLsn),
        name!(end_lsn, PgLsn),
        name!(prev_lsn, PgLsn),
        name!(xid, Xid),
        name!(resource_manager, &'static str),
        name!(record_type, &'static str),
        name!(record_length, i32),
        name!(main_data_length, i32),
        name!(fpi_length, i32),
        name!(description, Option<String>),
        name!(block_ref, Option<String>),
    ),
> {
    crate::privileges::check_read_wal();
    let scan = WalScan::open(start_lsn, end_lsn, wal_dir, Cluster::Any);
    let rows: Box<dyn Iterator<Item = SqlRow>> = if crate::threads::scan_threads() > 1 {
        Box::new(read_ahead(scan))
    } else {
        let mut scan = scan;
        let mut batch = RecordBatch::default();
        Box::new(std::iter::from_fn(move || {
            let rec = scan.next()?;
            batch.add(&rec, true);
            Some(batch.sql_row(0))
        }))
    };
    TableIterator::new(rows)
}

#[allow(clippy::type_complexity)]
type SqlRow = (
    PgLsn,
    PgLsn,
    PgLsn,
    Xid,
    &'static str,
    &'static str,
    i32,
    i32,
    i32,
    Option<String>,
    Option<String>,
);

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

    fn sql_row(&self, i: usize) -> SqlRow {
        let r = &self.rows[i];
        let text = |range: &std::ops::Range<usize>| text_column(&self.text[range.clone()]);
        (
            PgLsn(r.lsn),
            PgLsn(r.end),
            PgLsn(r.prev),
            Xid(r.xid),
            r.rmgr,
            r.record_type,
            r.total_len as i32,
            r.main_len as i32,
            r.fpi_len as i32,
            text(&r.description),
            text(&r.block_ref),
        )
    }
}

/// The rows of `scan` made on a thread of their own (reading, checking,
/// decoding and describing records), while the backend builds the SQL
/// rows; query cancel is checked per row and while waiting.
fn read_ahead(scan: WalScan) -> impl Iterator<Item = SqlRow> {
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
    std::iter::from_fn(move || loop {
        tick(Progress { at, start, end });
        if let Some(b) = &batch {
            if i < b.rows.len() {
                at = Lsn(b.rows[i].end);
                i += 1;
                return Some(b.sql_row(i - 1));
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
                return None;
            }
            Next::Failed(e) => crate::error::raise_wal(e),
        }
    })
}

/// pg_walinspect of PG 16 and later returns NULL for an empty description
/// or block-reference list; 14 and 15 an empty string.
const EMPTY_TEXT_IS_NULL: bool = !cfg!(any(feature = "pg14", feature = "pg15"));

fn text_column(s: &str) -> Option<String> {
    if s.is_empty() && EMPTY_TEXT_IS_NULL {
        None
    } else {
        Some(s.to_owned())
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
