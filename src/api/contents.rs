//! `xlogminer_contents`: what happened to the rows of the current
//! database's tables, with the SQL to redo it and to undo it. The mining
//! is the decoder crate's [`Miner`]; this module gives it the live catalog
//! and the server's renderer, and turns its rows into SQL rows.

use std::rc::Rc;

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;
use waldecode::mine::{Filters, MinedRow, Miner, Op, Options};
use waldecode::Lsn;

use crate::catalog::LiveCatalog;
use crate::error::raise_wal;
use crate::privileges::{contents_access, Access, Visible};
use crate::range::{Cluster, WalScan};
use crate::render::ServerRender;
use crate::types::{PgLsn, PgName, Regclass, ServerText, Xid};

/// One row of `xlogminer_contents` (columns as declared below).
pub(crate) type ContentsRow = (
    PgLsn,
    i32,
    Xid,
    &'static str,
    Option<TimestampWithTimeZone>,
    PgName,
    Option<PgName>,
    Option<PgName>,
    &'static str,
    Option<ServerText>,
    Option<ServerText>,
    Option<pg_sys::ItemPointerData>,
    Option<pg_sys::ItemPointerData>,
    bool,
    Option<ServerText>,
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
        name!(redo_sql, Option<ServerText>),
        name!(undo_sql, Option<ServerText>),
        name!(old_ctid, Option<pg_sys::ItemPointerData>),
        name!(new_ctid, Option<pg_sys::ItemPointerData>),
        name!(complete, bool),
        name!(info, Option<ServerText>),
    ),
> {
    let filters = Filters {
        start_time: start_time.map(|t| t.into_inner()),
        end_time: end_time.map(|t| t.into_inner()),
        xid: xid.map(u32::from),
        relations: relations.map(|v| v.into_iter().map(|r| r.0.to_u32()).collect()),
        include_uncommitted,
        ..Filters::default()
    };
    let options = Options {
        page_cache_bytes: crate::page_cache_bytes(),
        max_transactions: crate::max_transactions(),
        start_at_first_commit: start_lsn.is_none(),
        spill: crate::spill::temp_file,
        // A directory's WAL ends where its valid records stop.
        wal_end: if wal_dir.is_some() { Lsn(u64::MAX) } else { crate::range::server_end().0 },
    };
    let mut access = contents_access(wal_dir.is_some());
    let render = match &access {
        Access::All => ServerRender::default(),
        Access::Granted(_) => ServerRender::masking(contents_access(false)),
    };
    let scan = WalScan::open(start_lsn, end_lsn, wal_dir, Cluster::ThisOnly);
    let mut miner = Miner::new(scan.into_scan(), filters, LiveCatalog::new(), render, options)
        .unwrap_or_else(|e| raise_wal(e));
    let asked = start_lsn.is_none().then_some(start_time).flatten();
    warn_if_before_wal(asked, wal_dir.is_some(), &miner);

    let database = PgName(current_database());
    TableIterator::new(std::iter::from_fn(move || loop {
        let Some(row) = miner.next_row().unwrap_or_else(|e| raise_wal(e)) else {
            if let Some((from, n)) = miner.rows_without_images() {
                crate::error::notice(
                    format!("{n} rows lack their old row version: no checkpoint precedes the rows in the WAL read"),
                    format!("The rows start at {from}. Old row versions come from the full-page images written after a checkpoint; before the first one, UPDATE and DELETE rows are complete only where the table's page still holds them. Mine from a later start, or read an archive holding earlier WAL (wal_dir)."),
                );
            }
            return None;
        };
        if shown(&mut access, &row) {
            crate::progress::row(row.commit_time);
            return Some(sql_row(&database, row));
        }
    }))
}

/// Warns when a start time asked for lies before the first commit the
/// available WAL holds and earlier WAL existed: changes committed in
/// between are not in it. (The server's WAL starting at its first segment
/// is all there ever was: nothing is missing.)
pub(crate) fn warn_if_before_wal<S, C, R>(
    start_time: Option<TimestampWithTimeZone>,
    wal_dir: bool,
    miner: &Miner<S, C, R>,
) where
    S: waldecode::source::WalSource,
    C: waldecode::mine::Catalog,
    R: waldecode::mine::Render,
{
    let (Some(asked), Some(first)) = (start_time, miner.first_commit_time()) else { return };
    if asked.into_inner() >= first {
        return;
    }
    // SAFETY: set at startup, read-only after.
    let segment = u64::from(unsafe { pg_sys::wal_segment_size } as u32);
    if !wal_dir && crate::range::server_oldest_lsn().0 <= segment {
        return;
    }
    let first = TimestampWithTimeZone::try_from(first).map(|t| t.to_string()).unwrap_or_default();
    crate::error::warning(
        format!("the WAL available starts after {asked}: its first commit is at {first}"),
        "Changes committed before that are not in it and are not returned.".into(),
        "Pass wal_dir naming a directory (e.g. the WAL archive) that holds older segments.".into(),
    );
}

/// Whether the current user may see `row`: any row with full access;
/// with SELECT privileges, the rows of tables it may read (definition
/// changes only with SELECT on the whole table).
fn shown(access: &mut Access, row: &MinedRow) -> bool {
    let Access::Granted(a) = access else { return true };
    let Some(rel) = &row.relation else { return false };
    matches!(
        (a.relation(rel.oid), row.op),
        (Visible::Table, _) | (Visible::Columns, Op::Insert | Op::Update | Op::Delete)
    )
}

pub(crate) fn current_database() -> Rc<str> {
    // SAFETY: the connected database's name, palloc'd by the server.
    unsafe {
        let p = pg_sys::get_database_name(pg_sys::MyDatabaseId);
        if p.is_null() {
            Rc::from("")
        } else {
            Rc::from(crate::encoding::cstr_to_utf8(p).as_str())
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

pub(crate) fn sql_row(database: &PgName, r: MinedRow) -> ContentsRow {
    let complete = r.complete;
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
        r.redo.map(ServerText),
        r.undo.map(ServerText),
        tid(r.old_tid),
        tid(r.new_tid),
        complete,
        r.info.map(ServerText),
    )
}
