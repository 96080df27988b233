//! `xlogminer_contents`: what happened to the rows of the current
//! database's tables, with the SQL to redo it and to undo it. The mining
//! is the decoder crate's [`Miner`]; this module gives it the live catalog
//! and the server's renderer, and turns its rows into SQL rows.

use std::collections::VecDeque;
use std::rc::Rc;

use pgrx::datum::TimestampWithTimeZone;
use pgrx::fcinfo::pg_getarg;
use pgrx::pg_sys;
use pgrx::prelude::*;
use waldecode::mine::{Filters, MinedRow, Miner, Op, Options};
use waldecode::Lsn;

use crate::catalog::LiveCatalog;
use crate::encoding::to_server;
use crate::error::raise_wal;
use crate::privileges::{contents_access, Access, Visible};
use crate::range::{Cluster, WalScan};
use crate::render::ServerRender;
use crate::srf::{Row, RowSource};
use crate::types::{PgLsn, PgName, Regclass, ServerText, Xid};

/// One row of `xlogminer_contents` as pgrx values (columns as declared
/// below), for the callers that hand rows on through SPI.
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
/// Rows go to PostgreSQL through [`crate::srf`]; the symbol keeps the name
/// pgrx gave it, so catalogs made by earlier builds still find it.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn xlogminer_contents_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: the SQL declaration below matches the columns `fill` writes.
    unsafe { crate::srf::run(fcinfo, open) }
}

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_xlogminer_contents_wrapper() -> &'static pg_sys::Pg_finfo_record {
    &crate::srf::FINFO_V1
}

extension_sql!(
    r#"
CREATE FUNCTION xlogminer_contents(
    start_lsn pg_lsn DEFAULT NULL,
    end_lsn pg_lsn DEFAULT NULL,
    start_time timestamp with time zone DEFAULT NULL,
    end_time timestamp with time zone DEFAULT NULL,
    xid xid DEFAULT NULL,
    relations regclass[] DEFAULT NULL,
    include_uncommitted bool DEFAULT false,
    wal_dir text DEFAULT NULL
) RETURNS TABLE (
    lsn pg_lsn,
    item int,
    xid xid,
    status text,
    commit_time timestamp with time zone,
    database name,
    schema name,
    relation name,
    op text,
    redo_sql text,
    undo_sql text,
    old_ctid tid,
    new_ctid tid,
    complete bool,
    info text
)
VOLATILE
LANGUAGE c
AS 'MODULE_PATHNAME', 'xlogminer_contents_wrapper';
"#,
    name = "xlogminer_contents"
);

/// Rows mined per batch. Values of types whose text depends on settings
/// are rendered under fixed ones, switched once per batch rather than per
/// row; the batch is made before its first row is returned, so nothing
/// else runs under them.
const MINED_PER_BATCH: usize = 64;

/// Checks the caller's privileges and opens the mining the arguments ask.
fn open(fcinfo: pg_sys::FunctionCallInfo) -> Box<dyn RowSource> {
    // SAFETY: the arguments are declared as read here, in this order.
    let (start_lsn, end_lsn, start_time, end_time, xid, relations, uncommitted, wal_dir) = unsafe {
        (
            pg_getarg::<PgLsn>(fcinfo, 0),
            pg_getarg::<PgLsn>(fcinfo, 1),
            pg_getarg::<TimestampWithTimeZone>(fcinfo, 2),
            pg_getarg::<TimestampWithTimeZone>(fcinfo, 3),
            pg_getarg::<pg_sys::TransactionId>(fcinfo, 4),
            pg_getarg::<Vec<Regclass>>(fcinfo, 5),
            pg_getarg::<bool>(fcinfo, 6),
            pg_getarg::<&str>(fcinfo, 7),
        )
    };
    let Some(include_uncommitted) = uncommitted else {
        pgrx::error!("include_uncommitted must not be NULL");
    };
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

    let database = to_server(&current_database()).into_owned();
    let mut ready: VecDeque<MinedRow> = VecDeque::with_capacity(MINED_PER_BATCH);
    let mut more = true;
    Box::new(move |row: &mut Row| {
        if ready.is_empty() && more {
            more = mine_batch(&mut miner, &mut access, &mut ready);
        }
        let Some(r) = ready.pop_front() else { return false };
        crate::progress::row(r.commit_time);
        fill(row, &database, r);
        true
    })
}

/// Mines up to [`MINED_PER_BATCH`] rows the caller may see into `ready`;
/// false when the rows ended.
fn mine_batch<S, C>(
    miner: &mut Miner<S, C, ServerRender>,
    access: &mut Access,
    ready: &mut VecDeque<MinedRow>,
) -> bool
where
    S: waldecode::source::WalSource,
    C: waldecode::mine::Catalog,
{
    miner.render_mut().hold_settings();
    let more = loop {
        if ready.len() >= MINED_PER_BATCH {
            break true;
        }
        match miner.next_row().unwrap_or_else(|e| raise_wal(e)) {
            Some(r) if shown(access, &r) => ready.push_back(r),
            Some(_) => {}
            None => break false,
        }
    };
    miner.render_mut().release_settings();
    if !more {
        if let Some((from, n)) = miner.rows_without_images() {
            crate::error::notice(
                format!("{n} rows lack their old row version: no checkpoint precedes the rows in the WAL read"),
                format!("The rows start at {from}. Old row versions come from the full-page images written after a checkpoint; before the first one, UPDATE and DELETE rows are complete only where the table's page still holds them. Mine from a later start, or read an archive holding earlier WAL (wal_dir)."),
            );
        }
    }
    more
}

/// Writes `r`'s columns (in the order declared above); texts and names in
/// the database's encoding.
fn fill(row: &mut Row, database: &[u8], r: MinedRow) {
    row.set(0, pg_sys::Datum::from(r.lsn.0));
    row.set(1, pg_sys::Datum::from(r.item as i32));
    row.set(2, pg_sys::Datum::from(r.xid));
    row.set_text(3, r.status.as_str().as_bytes());
    match r.commit_time.and_then(|t| TimestampWithTimeZone::try_from(t).ok()) {
        Some(t) => row.set(4, pg_sys::Datum::from(t.into_inner())),
        None => row.set_null(4),
    }
    row.set_name(5, database);
    match &r.relation {
        Some(rel) => {
            row.set_name(6, &to_server(&rel.schema));
            row.set_name(7, &to_server(&rel.name));
        }
        None => {
            row.set_null(6);
            row.set_null(7);
        }
    }
    row.set_text(8, r.op.as_str().as_bytes());
    for (column, text) in [(9, &r.redo), (10, &r.undo), (14, &r.info)] {
        match text {
            Some(t) => row.set_text(column, &to_server(t)),
            None => row.set_null(column),
        }
    }
    for (column, t) in [(11, r.old_tid), (12, r.new_tid)] {
        match tid(t) {
            Some(ip) => row.set_tid(column, ip),
            None => row.set_null(column),
        }
    }
    row.set(13, pg_sys::Datum::from(r.complete));
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
