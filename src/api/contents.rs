//! `xlogminer_contents`: what happened to the rows of the current
//! database's tables, with the SQL to redo it and to undo it. The mining
//! is the decoder crate's [`Miner`]; this module gives it the live catalog
//! and the server's renderer, and turns its rows into SQL rows.

use std::rc::Rc;

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;
use waldecode::mine::{Filters, MinedRow, Miner, Options};

use crate::catalog::LiveCatalog;
use crate::error::raise_wal;
use crate::range::{Cluster, WalScan};
use crate::render::ServerRender;
use crate::types::{PgLsn, PgName, Regclass, Xid};

/// One row of `xlogminer_contents` (columns as declared below).
type ContentsRow = (
    PgLsn,
    i32,
    Xid,
    &'static str,
    Option<TimestampWithTimeZone>,
    PgName,
    Option<PgName>,
    Option<PgName>,
    &'static str,
    Option<String>,
    Option<String>,
    Option<pg_sys::ItemPointerData>,
    Option<pg_sys::ItemPointerData>,
    bool,
    Option<String>,
);

/// Row changes (INSERT, UPDATE, DELETE) of committed transactions in WAL
/// order, each with a statement that redoes it and one that undoes it.
#[allow(clippy::too_many_arguments)]
// pgrx reads the column names from the signature, so the row type is
// spelled out here rather than named.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, name = "xlogminer_contents")]
fn xlogminer_contents(
    start_lsn: default!(Option<PgLsn>, "NULL"),
    end_lsn: default!(Option<PgLsn>, "NULL"),
    start_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    end_time: default!(Option<TimestampWithTimeZone>, "NULL"),
    xid: default!(Option<pg_sys::TransactionId>, "NULL"),
    relations: default!(Option<Vec<Regclass>>, "NULL"),
    include_uncommitted: default!(bool, false),
    wal_dir: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(lsn, PgLsn),
        name!(item, i32),
        name!(xid, Xid),
        name!(status, &'static str),
        name!(commit_time, Option<TimestampWithTimeZone>),
        name!(database, PgName),
        name!(schema, Option<PgName>),
        name!(relation, Option<PgName>),
        name!(op, &'static str),
        name!(redo_sql, Option<String>),
        name!(undo_sql, Option<String>),
        name!(old_ctid, Option<pg_sys::ItemPointerData>),
        name!(new_ctid, Option<pg_sys::ItemPointerData>),
        name!(complete, bool),
        name!(info, Option<String>),
    ),
> {
    let filters = Filters {
        start_time: start_time.map(|t| t.into_inner()),
        end_time: end_time.map(|t| t.into_inner()),
        xid: xid.map(u32::from),
        relations: relations.map(|v| v.into_iter().map(|r| r.0.to_u32()).collect()),
        include_uncommitted,
    };
    let options = Options {
        page_cache_bytes: crate::page_cache_bytes(),
        start_at_first_commit: start_lsn.is_none(),
    };
    let scan = WalScan::open(start_lsn, end_lsn, wal_dir, Cluster::ThisOnly);
    let mut miner =
        Miner::new(scan.into_scan(), filters, LiveCatalog::new(), ServerRender::default(), options)
            .unwrap_or_else(|e| raise_wal(e));
    let database = PgName(current_database());
    TableIterator::new(std::iter::from_fn(move || {
        let row = miner.next_row().unwrap_or_else(|e| raise_wal(e))?;
        Some(sql_row(&database, row))
    }))
}

fn current_database() -> Rc<str> {
    // SAFETY: the connected database's name, palloc'd by the server.
    unsafe {
        let p = pg_sys::get_database_name(pg_sys::MyDatabaseId);
        if p.is_null() {
            Rc::from("")
        } else {
            Rc::from(std::ffi::CStr::from_ptr(p).to_string_lossy().as_ref())
        }
    }
}

fn tid(t: Option<(u32, u16)>) -> Option<pg_sys::ItemPointerData> {
    t.map(|(b, o)| {
        let mut ip = pg_sys::ItemPointerData::default();
        ip.ip_blkid.bi_hi = (b >> 16) as u16;
        ip.ip_blkid.bi_lo = b as u16;
        ip.ip_posid = o;
        ip
    })
}

fn sql_row(database: &PgName, r: MinedRow) -> ContentsRow {
    let complete = r.complete();
    (
        PgLsn(r.lsn.0),
        r.item as i32,
        Xid(r.xid),
        r.status.as_str(),
        r.commit_time.and_then(|t| TimestampWithTimeZone::try_from(t).ok()),
        database.clone(),
        r.relation.as_ref().map(|rel| PgName(rel.schema.clone())),
        r.relation.as_ref().map(|rel| PgName(rel.name.clone())),
        r.op.as_str(),
        r.redo,
        r.undo,
        tid(r.old_tid),
        tid(r.new_tid),
        complete,
        r.info,
    )
}
