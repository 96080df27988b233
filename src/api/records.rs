//! `xlogminer_records`: one row per WAL record, with the columns of
//! pg_walinspect's `pg_get_wal_records_info`, produced one at a time.

use pgrx::prelude::*;
use waldecode::describe;

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
    let mut scan = WalScan::open(start_lsn, end_lsn, wal_dir, Cluster::Any);
    TableIterator::new(std::iter::from_fn(move || {
        let rec = scan.next()?;
        let mut description = String::with_capacity(128);
        describe::description(&rec, &mut description);
        let mut block_ref = String::with_capacity(64 * rec.blocks().len());
        describe::block_refs(&rec, &mut block_ref);
        Some((
            PgLsn(rec.lsn().0),
            PgLsn(rec.end_lsn().0),
            PgLsn(rec.prev_lsn().0),
            Xid(rec.xid()),
            interned(describe::rmgr_name(rec.rmid())),
            interned(describe::record_type(&rec)),
            rec.total_len() as i32,
            rec.main_data().len() as i32,
            rec.fpi_len() as i32,
            text_column(description),
            text_column(block_ref),
        ))
    }))
}

/// pg_walinspect of PG 16 and later returns NULL for an empty description
/// or block-reference list; 14 and 15 an empty string.
const EMPTY_TEXT_IS_NULL: bool = !cfg!(any(feature = "pg14", feature = "pg15"));

fn text_column(s: String) -> Option<String> {
    if s.is_empty() && EMPTY_TEXT_IS_NULL {
        None
    } else {
        Some(s)
    }
}

/// A `'static` copy of a name: built-in names already are; the few others
/// (custom resource managers, unknown record types) are kept once per
/// backend, so no row allocates for them.
fn interned(s: std::borrow::Cow<'static, str>) -> &'static str {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static NAMES: RefCell<HashMap<String, &'static str>> = RefCell::new(HashMap::new());
    }
    match s {
        std::borrow::Cow::Borrowed(b) => b,
        std::borrow::Cow::Owned(o) => NAMES.with(|n| {
            *n.borrow_mut().entry(o.clone()).or_insert_with(|| Box::leak(o.into_boxed_str()))
        }),
    }
}
