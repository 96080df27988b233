//! `xlogminer_contents`: what happened to the rows of the current
//! database's tables, with the SQL to redo it and to undo it.

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::mine::{Filters, Miner};
use crate::types::{PgLsn, PgName, Regclass, Xid};

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
    TableIterator::new(Miner::open(start_lsn, end_lsn, wal_dir, filters))
}
